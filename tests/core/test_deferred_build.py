"""Blocks and rules from webhook bodies are checked at once and built when first read."""

import json
from typing import Any

import pytest

from qtui.core.decoding import Checked
from qtui.core.events import EventError, parse_event
from qtui.core.models import Block, NavigationRule, UnparsedConfig
from qtui.core.store import SurveyStore

CHOICES = [{"label": "Yes", "value": "1"}, {"label": "No", "value": "2"}]


def body(event: str, data: dict[str, Any], when: str = "2025-04-01T10:00:00Z") -> bytes:
    return json.dumps({"event": event, "timestamp": when, "data": data}).encode()


def block(label: str, when: str, **more: Any) -> dict[str, Any]:
    config = {"type": "MultipleChoice", "label": label, "choices": CHOICES}
    return {"id": "b1", "page_id": "p1", "order": 0, "config": config, "updated_at": when, **more}


def survey_with_page() -> SurveyStore:
    store = SurveyStore()
    store.apply(parse_event(body("survey.created", {"id": "s1", "name": "S"})))
    store.apply(parse_event(body("page.created", {"id": "p1", "survey_id": "s1", "name": "P"})))
    return store


def test_a_block_event_is_checked_now_and_built_once_when_read():
    event = parse_event(body("block.updated", block("Q", "2025-04-01T10:00:01Z")))
    assert isinstance(event.checked_data, Checked) and not event.checked_data.is_built
    assert event.item_id == "b1"  # read from the checked body, nothing built
    assert not event.checked_data.is_built
    first = event.data
    assert event.data is first  # built once
    raw = json.loads(body("block.updated", block("Q", "2025-04-01T10:00:01Z")))["data"]
    assert first == Block.model_validate(raw)
    assert first.model_fields_set == Block.model_validate(raw).model_fields_set


def test_only_the_version_read_is_ever_built():
    store = survey_with_page()
    versions = [
        parse_event(body("block.updated", block(f"v{n}", f"2025-04-01T10:00:0{n}Z")))
        for n in range(1, 4)
    ]
    changes = [store.apply(event) for event in versions]
    assert not any(event.checked_data.is_built for event in versions)
    (shown,) = store.blocks("p1")
    assert shown.config.label == "v3"
    assert [event.checked_data.is_built for event in versions] == [False, False, True]
    # What the store hands out and what the event and its change say are the same object.
    assert versions[-1].data is shown and changes[-1].after is shown
    assert changes[-1].before is versions[-2].data


def test_an_older_version_arriving_late_changes_nothing_and_is_never_built():
    store = survey_with_page()
    store.apply(parse_event(body("block.created", block("new", "2025-04-01T10:00:05Z"))))
    late = parse_event(body("block.updated", block("old", "2025-04-01T10:00:01Z")))
    assert store.apply(late) is None
    assert store.block("b1").config.label == "new"
    assert not late.checked_data.is_built


def test_a_tie_is_settled_by_content_either_way_round():
    when = "2025-04-01T10:00:01Z"
    labels = ("apple", "pear")
    seen = set()
    for order in (labels, labels[::-1]):
        store = survey_with_page()
        for label in order:
            store.apply(parse_event(body("block.updated", block(label, when))))
        seen.add(store.block("b1").config.label)
    assert len(seen) == 1


def test_a_rule_is_placed_from_its_checked_body():
    store = survey_with_page()
    store.apply(parse_event(body("page.created", {"id": "p2", "survey_id": "s1", "order": 1})))
    rule = {"id": "r1", "source_page_id": "p1", "target_page_id": "p2", "condition": "q1 == '1'"}
    event = parse_event(body("navigation_rule.created", rule))
    change = store.apply(event)
    assert change.kind == "created" and change.parent_id == "p1"
    assert not event.checked_data.is_built
    assert store.rules("p1") == [NavigationRule.model_validate(rule)]
    # A rule to a deleted page is hidden: its target was read from the checked body.
    store.apply(parse_event(body("page.deleted", {"id": "p2"})))
    assert store.rules("p1") == []


@pytest.mark.parametrize(
    ("choice", "kept"),
    [
        ({"label": "Yes", "value": "1", "image": "yes.png"}, {"image": "yes.png"}),
        ({"value": "1", "exclusive": True}, {"exclusive": True}),
        ({"label": "Yes", "value": "1", "note": None}, {"note": None}),
    ],
)
def test_a_choice_with_fields_qtui_does_not_know_keeps_them(choice, kept):
    data = block("Q", "2025-04-01T10:00:01Z")
    data["config"]["choices"] = [choice]
    made = parse_event(body("block.created", data)).data
    assert made.dump()["config"]["choices"] == [choice]
    for name, value in kept.items():
        assert getattr(made.config.choices[0], name) == value


@pytest.mark.parametrize(
    "choice",
    [{"label": "No value"}, {"value": ["1"]}, {"label": 3, "value": {}}, None, []],
)
def test_a_malformed_choice_is_found_when_the_body_arrives(choice):
    data = block("Q", "2025-04-01T10:00:01Z")
    data["config"]["choices"] = [choice]
    event = parse_event(body("block.created", data))
    # Not a Checked to fail when read: it went the careful way, which kept the config as
    # received and said what it could not take.
    assert not isinstance(event.checked_data, Checked)
    assert isinstance(event.data.config, UnparsedConfig)
    assert event.data.config.problem.startswith("choices.0")
    assert event.data.dump()["config"]["choices"] == [choice]


def test_an_event_is_read_only():
    event = parse_event(body("block.created", block("Q", "2025-04-01T10:00:01Z")))
    with pytest.raises(AttributeError, match="read-only"):
        event.type = "block.deleted"  # type: ignore[misc]


def test_events_compare_by_what_they_say_built_or_not():
    raw = body("block.created", block("Q", "2025-04-01T10:00:01Z"))
    one, two = parse_event(raw), parse_event(raw)
    assert one == two and one.data is not two.data
    assert "MultipleChoice" in repr(one)
    with pytest.raises(EventError):
        parse_event(raw[:-3])


def test_blocks_built_alike_share_one_fields_set_and_never_change_each_other():
    one = parse_event(body("block.created", block("A", "2025-04-01T10:00:01Z"))).data
    two = parse_event(body("block.created", block("B", "2025-04-01T10:00:02Z"))).data
    assert one.__pydantic_fields_set__ is two.__pydantic_fields_set__  # one set for both
    expected = {"id", "page_id", "order", "config", "updated_at"}
    assert one.model_fields_set == expected
    one.created_at = one.updated_at  # setting a field: this instance's own set changes
    assert one.model_fields_set == expected | {"created_at"}
    assert two.model_fields_set == expected
    copied = two.model_copy(update={"created_at": two.updated_at})
    assert copied.model_fields_set == expected | {"created_at"}
    assert two.model_fields_set == expected
    assert "created_at" not in two.dump() and "created_at" in copied.dump()
    three = parse_event(body("block.created", block("C", "2025-04-01T10:00:03Z"))).data
    assert three.model_fields_set == expected and "created_at" not in three.dump()


def test_a_snapshot_with_unknown_top_level_fields_keeps_them_without_touching_others():
    from qtui.core.store import SurveyStore

    plain = {"id": "s1", "name": "S", "pages": [], "variables": []}
    with_extra = {**plain, "id": "s2", "prior_qa": {"passed": True}}
    first = SurveyStore().load_json(json.dumps(plain))
    second = SurveyStore().load_json(json.dumps(with_extra))
    assert "prior_qa" in second.model_fields_set and second.dump()["prior_qa"] == {"passed": True}
    assert "prior_qa" not in first.model_fields_set
    again = SurveyStore().load_json(json.dumps(plain))
    assert again.model_fields_set == first.model_fields_set


@pytest.mark.parametrize(
    ("event", "data", "placed"),
    [
        ("block.created", {"id": "b9", "config": {"type": "Text"}}, ("page_id",)),
        (
            "block.updated",
            {"id": "b9", "page_id": "p1", "order": 4, "config": {"type": "Text"}},
            ("page_id",),
        ),
        ("navigation_rule.created", {"id": "r9"}, ("source_page_id", "target_page_id")),
        (
            "navigation_rule.updated",
            {"id": "r9", "source_page_id": "p1", "target_page_id": None, "order": 2},
            ("source_page_id", "target_page_id"),
        ),
    ],
)
def test_what_the_store_reads_unbuilt_is_what_the_model_says(event, data, placed):
    """Absent fields read as the model's defaults, present ones (null too) as given."""
    checked = parse_event(body(event, data)).checked_data
    assert isinstance(checked, Checked)
    names = ("id", "order", "updated_at", *placed)
    unbuilt = {name: getattr(checked, name) for name in names}
    model = checked.built()
    assert unbuilt == {name: getattr(model, name) for name in names}
    assert {name: getattr(checked, name) for name in names} == unbuilt  # the same once built
