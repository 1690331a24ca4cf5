"""The msgspec fast path gives what the pydantic models give, whichever way an input takes."""

import json
from typing import Any

import pytest

from qtui.core import decoding
from qtui.core.events import EventError, parse_event
from qtui.core.models import (
    Block,
    GenericConfig,
    Page,
    Survey,
    SurveyStatus,
    UnparsedConfig,
)
from tests.core.seed_events import SEED_EVENTS
from tests.core.stream_builder import programming_run

WHEN = "2025-04-01T10:00:00Z"
MODELS = {"survey": Survey, "page": Page, "block": Block}


def body(event: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"event": event, "timestamp": WHEN, "data": data}


def same_as_pydantic(made: Any, model: type, data: dict[str, Any]) -> None:
    """The built instance equals pydantic's in values, fields set, extras and dump."""
    expected = model.model_validate(data)
    assert type(made) is model
    assert made == expected
    assert made.model_fields_set == expected.model_fields_set
    assert made.model_extra == expected.model_extra
    assert made.dump() == expected.dump()


def exact_takes(model: type, raw: bytes) -> bool:
    """Whether the exact way (Structs decoded straight from the bytes) builds this input."""
    decode, build = decoding._exact(model, envelope=False)
    try:
        build(decode(raw))
    except Exception:  # noqa: BLE001 - declining is the exact way's answer
        return False
    return True


@pytest.mark.parametrize("envelope", [*SEED_EVENTS, *programming_run()], ids=lambda e: e["event"])
def test_every_event_of_a_run_is_built_as_pydantic_validates_it(envelope):
    for given in (json.dumps(envelope).encode(), json.dumps(envelope), envelope):
        event = parse_event(given)
        model = type(event.data)
        same_as_pydantic(event.data, model, envelope["data"])
        assert event.timestamp.isoformat() == "2025-04-01T10:00:00+00:00" or event.timestamp


def test_a_block_with_only_known_fields_takes_the_exact_way_and_keeps_what_was_absent_absent():
    data = {"id": "b1", "config": {"type": "Text", "content": "Hello"}}
    raw = json.dumps(data).encode()
    assert exact_takes(Block, raw)
    block = decoding.model_of_json(Block, raw)
    same_as_pydantic(block, Block, data)
    assert block.dump() == data  # page_id, order and the dates stay out of the dump
    assert block.model_fields_set == {"id", "config"}


def test_unknown_fields_anywhere_are_kept_by_the_loose_way():
    data = {
        "id": "s1",
        "status": "reviewing",
        "programming_status": "completed",
        "prior_qa": [{"q": 1}],
        "pages": [
            {
                "id": "p1",
                "colour": "red",
                "blocks": [
                    {
                        "id": "b1",
                        "flag": None,
                        "config": {
                            "type": "MultipleChoice",
                            "randomize": True,
                            "choices": [{"value": "1", "exclusive": True, "meta": {"a": [1]}}],
                        },
                    }
                ],
                "navigation_rules": [{"id": "r1", "sourcePage": {"id": "p1"}}],
            }
        ],
    }
    raw = json.dumps(data).encode()
    assert not exact_takes(Survey, raw)
    survey = decoding.model_of_json(Survey, raw)
    same_as_pydantic(survey, Survey, data)
    assert survey.dump() == data
    assert survey.status is SurveyStatus.REVIEWING
    assert survey.pages[0].blocks[0].config.choices[0].exclusive is True


def test_a_status_questra_adds_later_stays_text_and_a_known_one_becomes_the_enum():
    for status, expected in (("live", SurveyStatus.LIVE), ("archived", "archived")):
        data = {"id": "s1", "status": status}
        survey = decoding.model_of_json(Survey, json.dumps(data).encode())
        assert survey.status == expected and type(survey.status) is type(expected)
        same_as_pydantic(survey, Survey, data)


@pytest.mark.parametrize(
    "config",
    [
        {"type": "HeatMap", "regions": [1, 2]},  # unknown type: GenericConfig
        {"type": "MultipleChoice", "choices": [{"label": "x"}]},  # no value: UnparsedConfig
        {"type": "MultipleChoice", "choices": ["Yes", 2]},  # bare choices: coerced
        {"type": "Autosum", "items": [{"value": "a"}], "target": 10},  # an int for a float
        {"type": "TextInput", "maxLength": "ten"},  # wrong type: UnparsedConfig
        {"type": "Loop", "blocks": ["b1", "b2"], "variable": "brands"},
    ],
    ids=["unknown", "no-value", "bare-choices", "int-target", "bad-max", "loop"],
)
def test_configs_msgspec_declines_or_takes_end_as_pydantic_makes_them(config):
    data = {"id": "b1", "page_id": "p1", "config": config}
    event = parse_event(json.dumps(body("block.created", data)).encode())
    same_as_pydantic(event.data, Block, data)
    assert event.data.dump() == Block.model_validate(data).dump()
    if config["type"] == "HeatMap":
        assert isinstance(event.data.config, GenericConfig)
    if config["type"] in ("TextInput",) or config.get("choices") == [{"label": "x"}]:
        assert isinstance(event.data.config, UnparsedConfig)
        assert event.data.config.problem  # says what was not understood


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"event": "block.created", "timestamp": "2025-04-01T10:00:00Z", "data": {', "truncated"),
        (b'{"event": "block.created"}', "timestamp: missing in block.created event"),
        (b"\xff\xfe", "body is not UTF-8 text"),
        (
            json.dumps(body("page.created", {"id": "p1", "order": "first"})).encode(),
            "page.created: data.order: Input should be a valid integer",
        ),
    ],
    ids=["truncated", "no-timestamp", "not-utf8", "bad-order"],
)
def test_malformed_bodies_get_the_careful_paths_reasons(raw, reason):
    with pytest.raises(EventError) as err:
        parse_event(raw)
    assert str(err.value).startswith(reason)


def test_a_dict_given_is_not_shared_with_the_event_built_from_it():
    envelope = body(
        "block.created",
        {
            "id": "b1",
            "page_id": "p1",
            "config": {"type": "MultipleChoice", "choices": [{"value": "1"}]},
        },
    )
    event = parse_event(envelope)
    envelope["data"]["config"]["choices"][0]["value"] = "changed"
    assert event.data.config.choices[0].value == "1"


def test_a_snapshot_dict_and_its_json_validate_alike():
    data = {
        "id": "s1",
        "updated_at": WHEN,
        "pages": [{"id": "p1", "blocks": [{"id": "b1", "config": {"type": "Text"}}]}],
        "variables": [{"id": "v1", "name": "x"}],
    }
    from_json = decoding.validated(Survey, json.dumps(data).encode())
    from_dict = decoding.validated(Survey, data)
    same_as_pydantic(from_json, Survey, data)
    same_as_pydantic(from_dict, Survey, data)


def test_text_msgspec_cannot_encode_is_left_to_pydantic():
    data = {"id": "b1", "page_id": "p1", "config": {"type": "Text", "content": "a\ud800b"}}
    event = parse_event(body("block.created", data))
    same_as_pydantic(event.data, Block, data)
    assert event.data.config.content == "a\ud800b"


def test_a_snapshot_with_unknown_fields_only_at_its_top_level_keeps_them_in_order():
    data = {
        "id": "s1",
        "failure_reason": None,
        "name": "Study",
        "prior_qa": [{"q": 1}],
        "pages": [{"id": "p1", "blocks": [{"id": "b1", "config": {"type": "Text"}}]}],
    }
    survey = decoding.model_of_json(Survey, json.dumps(data).encode())
    same_as_pydantic(survey, Survey, data)
    assert list(survey.model_extra) == ["failure_reason", "prior_qa"]
    assert survey.dump() == data
