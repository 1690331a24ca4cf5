from hypothesis import given, settings
from hypothesis import strategies as st

from qtui.core.events import parse_event
from qtui.core.models import Survey, SurveyStatus
from qtui.core.store import SurveyStore
from tests.core.stream_builder import StreamBuilder, programming_run


def replay(envelopes) -> SurveyStore:
    store = SurveyStore()
    for env in envelopes:
        store.apply(parse_event(env))
    return store


def tree(store: SurveyStore, survey_id: str = "s1") -> dict | None:
    survey = store.survey(survey_id)
    return survey.dump() if survey else None


def test_programming_run_builds_the_expected_tree():
    store = replay(programming_run())
    survey = store.survey("s1")
    assert [p.id for p in survey.pages] == ["p0", "p1", "p2", "p3"]
    assert [b.id for b in survey.page("p0").blocks] == ["p0b0", "p0b1"]
    assert [b.id for b in survey.page("p3").blocks] == ["p3b0", "p3b1", "p3b2", "p2b2"]
    assert survey.page("p1").blocks[0].config.label == "Reworded question"
    assert survey.variables[0].expression == "q1.value in ['1']"
    assert survey.page("p0").navigation_rules[0].target_page_id == "p3"
    assert survey.status is SurveyStatus.REVIEWING


def test_snapshot_dump_is_the_full_survey_shape_and_reads_back():
    store = replay(programming_run())
    dumped = tree(store)
    again = SurveyStore()
    again.load(Survey.model_validate(dumped))
    assert tree(again) == dumped


def test_duplicate_event_changes_nothing():
    events = programming_run()
    store = replay(events)
    before = tree(store)
    assert all(store.apply(parse_event(e)) is None for e in events)
    assert tree(store) == before


def test_older_update_changes_nothing():
    s = StreamBuilder()
    s.page("p1", 0)
    s.block("b1", "p1", 0, label="old")
    s.block("b1", "p1", 0, "updated", label="new")
    store = replay([s.events[0], s.events[2]])
    assert store.apply(parse_event(s.events[1])) is None
    assert store.block("b1").config.label == "new"


def test_late_update_does_not_resurrect_deleted_block():
    s = StreamBuilder()
    s.page("p1", 0)
    s.block("b1", "p1", 0)
    s.block("b1", "p1", 0, "updated", label="late")
    s.delete("block", "b1")
    store = replay([s.events[0], s.events[1], s.events[3]])
    assert store.apply(parse_event(s.events[2])) is None
    assert store.block("b1") is None
    assert store.blocks("p1") == []


def test_block_update_with_new_page_id_moves_the_block():
    s = StreamBuilder()
    s.page("p1", 0)
    s.page("p2", 1)
    s.block("b1", "p1", 0)
    s.block("b1", "p2", 0, "updated")
    store = replay(s.events[:3])
    change = store.apply(parse_event(s.events[3]))
    assert (change.kind, change.parent_id, change.previous_parent_id) == ("moved", "p2", "p1")
    assert store.blocks("p1") == [] and [b.id for b in store.blocks("p2")] == ["b1"]


def test_page_delete_cascades_to_its_blocks_and_rules():
    s = StreamBuilder()
    s.page("p1", 0)
    s.page("p2", 1)
    s.block("b1", "p1", 0)
    s.rule("r1", "p1", "p2", None)
    s.rule("r2", "p2", "p1", "q1.value == '1'")
    s.delete("page", "p1")
    store = replay(s.events)
    assert store.block("b1") is None
    assert store.rule("r1") is None
    assert store.rule("r2") is None  # its target is gone
    assert [p.id for p in store.survey("s1").pages] == ["p2"]


def test_block_arriving_before_its_page_is_kept_and_attached_when_the_page_arrives():
    s = StreamBuilder()
    s.page("p1", 0)
    s.block("b1", "p1", 0)
    store = SurveyStore()
    assert store.apply(parse_event(s.events[1])) is None
    assert store.pending_count() == 1
    change = store.apply(parse_event(s.events[0]))
    assert (change.kind, change.entity) == ("created", "page")
    assert [b.id for b in store.blocks("p1")] == ["b1"]
    assert store.pending_count() == 0


def test_change_describes_created_updated_and_deleted_items():
    s = StreamBuilder()
    s.page("p1", 0)
    s.block("b1", "p1", 0)
    s.block("b1", "p1", 3, "updated")
    s.delete("block", "b1")
    store = SurveyStore()
    changes = [store.apply(parse_event(e)) for e in s.events]
    assert [(c.kind, c.entity, c.id) for c in changes] == [
        ("created", "page", "p1"),
        ("created", "block", "b1"),
        ("updated", "block", "b1"),
        ("deleted", "block", "b1"),
    ]
    assert changes[2].reordered and changes[2].before.order == 0
    assert changes[1].survey_id == "s1" and changes[1].parent_id == "p1"


def test_progress_counts_programmed_pages_and_derives_status():
    s = StreamBuilder()
    s.survey()
    s.emit("programming.started", {"survey_id": "s1", "file_id": "f"})
    s.page(
        "p1",
        0,
        programming_started_at="2025-04-01T10:00:00Z",
        programming_completed_at="2025-04-01T10:00:05Z",
    )
    s.page("p2", 1, programming_started_at="2025-04-01T10:00:06Z")
    store = replay(s.events)
    progress = store.progress("s1")
    assert (progress.pages_done, progress.pages_in_progress, progress.pages_total) == (1, 1, 2)
    assert progress.status is SurveyStatus.PROGRAMMING and progress.running
    s.emit("programming.finished", {"survey_id": "s1", "file_id": "f", "status": "failed"})
    store.apply(parse_event(s.events[-1]))
    progress = store.progress("s1")
    assert not progress.running and progress.job.status == "failed"


def test_survey_delete_hides_the_whole_survey():
    events = programming_run()
    store = replay(events)
    store.apply(
        parse_event(
            {"event": "survey.deleted", "timestamp": "2030-01-01T00:00:00Z", "data": {"id": "s1"}}
        )
    )
    assert store.survey("s1") is None and store.survey_ids() == []


def test_unknown_events_are_counted_not_fatal():
    store = SurveyStore()
    assert store.apply(parse_event({"event": "x.y", "timestamp": "2025-01-01T00:00:00Z"})) is None
    assert store.unknown_events == 1


RUN = programming_run()
FINAL = tree(replay(RUN))


@settings(max_examples=150, deadline=None)
@given(st.permutations(RUN), st.lists(st.sampled_from(RUN), max_size=20))
def test_any_permutation_or_duplication_yields_the_same_tree(order, extra):
    store = replay([*order, *extra])
    assert tree(store) == FINAL
    assert store.progress("s1") == replay(RUN).progress("s1")


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_snapshot_then_any_suffix_of_events_converges(data):
    split = data.draw(st.integers(0, len(RUN)))
    first = replay(RUN[:split])
    snapshot = first.survey("s1")
    store = SurveyStore()
    if snapshot is not None:
        store.load(snapshot.dump())
    rest = data.draw(st.permutations(RUN[split:]))
    for env in rest:
        store.apply(parse_event(env))
    assert tree(store) == FINAL
