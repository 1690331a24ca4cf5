from qtui.core.events import parse_event
from qtui.core.outline import outline
from qtui.core.store import SurveyStore
from tests.core.stream_builder import StreamBuilder, programming_run


def test_outline_shows_status_pages_blocks_rules_and_variables():
    store = SurveyStore()
    for env in programming_run():
        store.apply(parse_event(env))
    text = outline(store.survey("s1"), store.progress("s1"))
    lines = text.splitlines()
    assert lines[0].startswith("Study  [reviewing · qualtrics · pushed 2025-04-01 10:05:00]")
    assert lines[1] == "programming: 4/4 pages (completed)"
    assert "├─ 1. Page p0 ✓" in lines
    assert any("q1" in line and "MC" in line and "Question p0b0" in line for line in lines)
    assert any("→ Page p3  if q1.value == '2'" in line for line in lines)
    assert lines[-1] == "   └─ said_yes = q1.value in ['1']"


def test_outline_marks_attention_and_pages_in_progress():
    s = StreamBuilder()
    s.survey()
    s.page(
        "p1",
        0,
        programming_started_at="2025-04-01T10:00:00Z",
        attention_required={"reason": "check terminate", "dismissed": False},
    )
    s.block("b1", "p1", 0, attentionRequired={"reason": "ambiguous", "dismissed": False})
    s.block("b2", "p1", 1, attentionRequired={"reason": "fine", "dismissed": True})
    store = SurveyStore()
    for env in s.events:
        store.apply(parse_event(env))
    lines = outline(store.survey("s1")).splitlines()
    assert lines[1] == "└─ ! 1. Page p1 …"
    assert lines[2].startswith("   ├─ ! q1")
    assert lines[3].startswith("   └─ q2")


def test_item_title_names_items_the_way_a_programmer_does():
    from qtui.core.outline import item_title

    store = SurveyStore()
    for env in programming_run():
        store.apply(parse_event(env))
    survey = store.survey("s1")
    assert item_title(survey, "p0") == "page 'Page p0'"
    assert item_title(survey, "p0b1") == "q2 MultipleChoice on 'Page p0'"
    assert item_title(survey, "r1") == "rule Page p0 → Page p3"
    assert item_title(survey, "v1") == "variable said_yes"
    assert item_title(survey, "nope") == "nope"


def test_item_title_of_a_block_without_a_reference_name_reads_as_its_type():
    from qtui.core.models import Survey
    from qtui.core.outline import item_title

    text = {"id": "b", "page_id": "p", "order": 0, "config": {"type": "Text", "content": "Hi"}}
    page = {"id": "p", "survey_id": "s", "name": "Welcome", "order": 0, "blocks": [text]}
    survey = Survey.model_validate({"id": "s", "name": "S", "pages": [page]})
    assert item_title(survey, "b") == "a Text block on 'Welcome'"  # not "Text Text on …"
