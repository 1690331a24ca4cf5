"""Items are scoped by survey: two surveys whose page, block, rule or variable ids collide
(two recordings replayed together, two organisations behind one relay) keep their own."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from qtui.core.events import parse_event
from qtui.core.store import SurveyStore
from tests.core.stream_builder import programming_run

RUN_A = programming_run()
# The same run for another survey: every page, block, rule and variable id is the same.
RUN_B = json.loads(
    json.dumps(programming_run()).replace('"s1"', '"s2"').replace("Question ", "Frage ")
)


def solo(run, survey_id):
    store = SurveyStore()
    for env in run:
        store.apply(parse_event(env))
    return store.survey(survey_id).dump()


TREE_A, TREE_B = solo(RUN_A, "s1"), solo(RUN_B, "s2")


def test_the_two_runs_collide_on_every_item_id():
    ids_a = {p["id"] for p in TREE_A["pages"]} | {
        b["id"] for p in TREE_A["pages"] for b in p["blocks"]
    }
    ids_b = {p["id"] for p in TREE_B["pages"]} | {
        b["id"] for p in TREE_B["pages"] for b in p["blocks"]
    }
    assert ids_a == ids_b and TREE_A != TREE_B


def test_one_recording_after_the_other_keeps_both_surveys_whole():
    store = SurveyStore()
    for env in [*RUN_A, *RUN_B]:
        store.apply(parse_event(env))
    assert store.survey_ids() == ["s1", "s2"]
    assert store.survey("s1").dump() == TREE_A
    assert store.survey("s2").dump() == TREE_B


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_interleaved_surveys_named_by_the_source_never_steal_items(data):
    """Frames attributed to their survey (the relay's `survey_id`), in any interleaving."""
    a = [("s1", env) for env in data.draw(st.permutations(RUN_A))]
    b = [("s2", env) for env in data.draw(st.permutations(RUN_B))]
    picks = data.draw(st.lists(st.booleans(), min_size=len(a) + len(b), max_size=len(a) + len(b)))
    merged = []
    for pick in picks:
        queue = a if (pick and a) or not b else b
        merged.append(queue.pop(0))
    store = SurveyStore()
    for survey_id, env in merged:
        store.apply(parse_event(env), survey_id=survey_id)
    assert store.survey("s1").dump() == TREE_A
    assert store.survey("s2").dump() == TREE_B


def test_two_snapshots_with_colliding_ids_both_load_whole():
    store = SurveyStore()
    store.load(TREE_A)
    store.load(TREE_B)
    store.load(TREE_A)  # reloading one never disturbs the other
    assert store.survey("s1").dump() == TREE_A
    assert store.survey("s2").dump() == TREE_B


def test_a_delete_in_one_survey_leaves_the_same_id_in_the_other():
    store = SurveyStore()
    store.load(TREE_A)
    store.load(TREE_B)
    gone = {"event": "block.deleted", "timestamp": "2030-01-01T00:00:00Z", "data": {"id": "p1b0"}}
    change = store.apply(parse_event(gone), survey_id="s2")
    assert change is not None and change.survey_id == "s2"
    assert store.block("p1b0", "s2") is None
    assert store.block("p1b0", "s1").config.label == "Reworded question"
    assert [b.id for b in store.blocks("p1", "s1")] == ["p1b0", "p1b1", "p1b2"]
    assert [b.id for b in store.blocks("p1", "s2")] == ["p1b1", "p1b2"]


def test_an_update_names_its_survey_in_the_change():
    store = SurveyStore()
    store.load(TREE_A)
    store.load(TREE_B)
    body = {
        "event": "block.updated",
        "timestamp": "2030-01-01T00:00:00Z",
        "data": {
            "id": "p0b0",
            "page_id": "p0",
            "order": 0,
            "config": {"type": "Text", "content": "only in s1"},
        },
    }
    change = store.apply(parse_event(body), survey_id="s1")
    assert (change.kind, change.survey_id) == ("updated", "s1")
    assert store.block("p0b0", "s1").config.summary == "only in s1"
    assert store.block("p0b0", "s2").config.summary == "Frage p0b0"


def test_unscoped_reads_follow_the_survey_the_reader_prefers():
    store = SurveyStore()
    store.load(TREE_A)
    store.load(TREE_B)
    store.prefer("s1")
    assert store.block("p0b0").config.summary == "Question p0b0"
    assert store.page("p0").survey_id == "s1"
    store.prefer("s2")
    assert store.block("p0b0").config.summary == "Frage p0b0"
    assert store.survey_of("p0b0") == "s2"


def test_a_block_waiting_for_its_page_joins_the_survey_that_claims_the_page():
    store = SurveyStore()
    block = {
        "event": "block.created",
        "timestamp": "2025-04-01T10:00:00Z",
        "data": {"id": "b", "page_id": "px", "config": {"type": "Text", "content": "hi"}},
    }
    page = {
        "event": "page.created",
        "timestamp": "2025-04-01T10:00:01Z",
        "data": {"id": "px", "survey_id": "s9", "name": "X"},
    }
    assert store.apply(parse_event(block)) is None
    assert store.pending_count() == 1
    store.apply(parse_event(page))
    assert [b.id for b in store.blocks("px", "s9")] == ["b"]
    assert store.pending_count() == 0 and store.survey_of("b") == "s9"
