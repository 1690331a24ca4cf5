"""The lean paths behave as the plain ones: choices, JSON snapshots, events from bytes."""

import copy
import json
import pickle

import pytest
from pydantic import ValidationError

from qtui.core.events import parse_event
from qtui.core.models import (
    Block,
    Choice,
    GenericConfig,
    MultipleChoiceConfig,
    Survey,
    UnparsedConfig,
)
from qtui.core.store import SurveyStore
from tests.core.seed_events import SEED_EVENTS
from tests.core.stream_builder import programming_run

CHOICES = [
    {"label": "Yes", "value": "1"},
    {"value": "2"},  # no label: stays without one
    {"label": "Other", "value": "3", "exclusive": True, "meta": {"tags": ["a", 1]}},
]


def block_with(choices: list) -> dict:
    return {"id": "b1", "page_id": "p1", "config": {"type": "MultipleChoice", "choices": choices}}


def full_survey() -> dict:
    return {
        "id": "s1",
        "name": "Study",
        "updated_at": "2025-04-01T10:00:00Z",
        "pages": [
            {
                "id": "p1",
                "order": 0,
                "blocks": [
                    {
                        "id": "b1",
                        "order": 0,
                        "config": {"type": "MultipleChoice", "choices": CHOICES},
                    },
                    {"id": "b2", "order": 1, "config": {"type": "HeatMap", "regions": [1]}},
                ],
                "navigation_rules": [{"id": "r1", "target_page_id": "p2"}],
            },
            {"id": "p2", "order": 1, "assign_response_status": "complete"},
        ],
        "variables": [{"id": "v1", "name": "yes", "expression": "q1.value == '1'"}],
    }


@pytest.mark.parametrize(
    "validate",
    [Block.model_validate, lambda d: Block.model_validate_json(json.dumps(d))],
    ids=["dict", "json"],
)
def test_choices_dump_exactly_what_was_received(validate):
    block = validate(block_with(CHOICES))
    assert block.dump()["config"]["choices"] == CHOICES
    assert [c.label for c in block.config.choices] == ["Yes", "", "Other"]
    assert [c.value for c in block.config.choices] == ["1", "2", "3"]
    assert block.config.choices[2].exclusive is True  # unknown fields read as attributes


def test_a_numeric_choice_value_or_label_becomes_its_string():
    block = Block.model_validate(block_with([{"label": 7, "value": 5}]))
    assert block.dump()["config"]["choices"] == [{"label": "7", "value": "5"}]


@pytest.mark.parametrize(
    "validate",
    [Block.model_validate, lambda d: Block.model_validate_json(json.dumps(d))],
    ids=["dict", "json"],
)
def test_a_choice_without_value_marks_the_config_naming_the_path(validate):
    block = validate(block_with([{"label": "x"}]))
    assert isinstance(block.config, UnparsedConfig)
    assert block.config.problem == "choices.0.value: Field required"
    assert block.dump()["config"]["choices"] == [{"label": "x"}]


def test_choices_built_in_code_validate_and_compare_like_models():
    config = MultipleChoiceConfig(choices=[Choice(value=1), {"label": "", "value": "1"}])
    assert config.choices[0] == config.choices[1]  # an absent label equals the default ""
    assert config.choices[0] != Choice(value="2")
    assert config.choices[0].dump() == {"value": "1"}
    assert repr(config.choices[0]) == "Choice(label='', value='1')"
    with pytest.raises(ValidationError, match="value"):
        Choice(label="no value")


def test_choice_edits_show_in_the_dump_and_the_dump_is_a_copy():
    block = Block.model_validate(block_with(CHOICES))
    block.config.choices[1].label = "No"
    dumped = block.dump()
    assert dumped["config"]["choices"][1] == {"value": "2", "label": "No"}
    dumped["config"]["choices"][2]["meta"]["tags"].append("changed")
    assert block.config.choices[2].dump()["meta"] == {"tags": ["a", 1]}


def test_a_survey_with_choices_survives_copy_and_pickle():
    choice = Choice(value="1", label="One")
    copied = copy.copy(choice)
    copied.label = "Changed"
    assert choice.label == "One"
    survey = Survey.model_validate(full_survey())
    assert copy.deepcopy(survey) == survey
    assert pickle.loads(pickle.dumps(survey)) == survey
    assert pickle.loads(pickle.dumps(survey)).dump() == full_survey()


def test_load_json_builds_the_same_tree_as_load_of_the_decoded_dict():
    from_dict, from_json = SurveyStore(), SurveyStore()
    from_dict.load(full_survey())
    survey = from_json.load_json(json.dumps(full_survey()).encode())
    assert survey.id == "s1"
    assert from_json.survey("s1").dump() == from_dict.survey("s1").dump()
    assert isinstance(from_json.block("b2").config, GenericConfig)


def test_load_json_of_a_malformed_snapshot_names_the_field():
    bad = full_survey()
    bad["pages"][0]["blocks"][0]["order"] = "first"
    with pytest.raises(ValidationError) as err:
        SurveyStore().load_json(json.dumps(bad))
    assert "pages.0.blocks.0.order" in str(err.value)


def test_load_fills_parent_ids_without_changing_the_snapshot_given():
    survey = Survey.model_validate(full_survey())
    before = survey.dump()
    store = SurveyStore()
    store.load(survey)
    assert survey.dump() == before
    assert store.block("b1").page_id == "p1"
    assert store.rule("r1").source_page_id == "p1"
    assert store.variable("v1").survey_id == "s1"
    assert store.page("p1").survey_id == "s1" and store.page("p1").blocks == []
    assert store.survey_record("s1").pages == []


def test_load_keeps_a_parent_id_the_item_already_names():
    data = full_survey()
    data["pages"][0]["blocks"][0]["page_id"] = "p2"  # filed under p1, says it is on p2
    store = SurveyStore()
    store.load(data)
    assert [b.id for b in store.blocks("p2")] == ["b1"]
    assert [b.id for b in store.blocks("p1")] == ["b2"]


@pytest.mark.parametrize("envelope", [*SEED_EVENTS, *programming_run()], ids=lambda e: e["event"])
def test_an_event_parsed_from_bytes_equals_the_one_parsed_from_its_dict(envelope):
    from_bytes = parse_event(json.dumps(envelope).encode())
    from_dict = parse_event(envelope)
    assert from_bytes == from_dict
    assert from_bytes.data.dump() == from_dict.data.dump()


def test_an_unknown_block_type_from_bytes_is_kept_as_a_generic_config():
    body = {
        "event": "block.created",
        "timestamp": "2025-04-01T10:00:00Z",
        "data": {"id": "b9", "page_id": "p1", "config": {"type": "HeatMap", "x": [1]}},
    }
    event = parse_event(json.dumps(body).encode())
    assert isinstance(event.data.config, GenericConfig)
    assert event.data.dump() == body["data"]
