"""Block configs of a shape the typed model does not expect are kept, marked, never dropped."""

import json

import pytest

from qtui.core.events import parse_event
from qtui.core.models import (
    Block,
    MatrixConfig,
    MultipleChoiceConfig,
    Survey,
    UnparsedConfig,
    reference_names,
)
from qtui.core.outline import outline
from qtui.core.store import SurveyStore

STAMP = "2025-04-01T10:00:00Z"


def block_event(config, block_id="b1", page_id="p1", action="created"):
    data = {"id": block_id, "page_id": page_id, "order": 0, "config": config}
    return {"event": f"block.{action}", "timestamp": STAMP, "data": data}


def page_event(page_id="p1", survey_id="s1"):
    data = {"id": page_id, "survey_id": survey_id, "name": "Intro", "order": 0}
    return {"event": "page.created", "timestamp": STAMP, "data": data}


# Every field of every typed config given a value of another type; plus configs that are
# not objects at all.
BAD_CONFIGS = [
    {"type": "Matrix", "label": "Rate", "rows": [["nested"]], "columns": [{"value": "1"}]},
    {"type": "Matrix", "label": "Rate", "allowMultiple": "sometimes"},
    {"type": "MultipleChoice", "label": "Pick", "choices": {"a": 1}},
    {"type": "MultipleChoice", "label": "Pick", "choices": [{"label": "no value"}]},
    {"type": "TextInput", "label": "Name", "maxLength": "long"},
    {"type": "TextInput", "label": 42},
    {"type": "Text", "content": ["a", "list"]},
    {"type": "Autosum", "label": "Split", "target": "all of it"},
    {"type": "Loop", "blocks": "b2"},
    {"type": "CardSort", "cards": [None]},
    {"type": "RankOrder", "items": [True]},
    {"type": "InputList", "inputs": 7},
    {"type": "SomethingNew", "label": {"en": "hello"}},
    {"type": "MultipleChoice", "showIf": 3, "attentionRequired": "yes"},
    "a string",
    None,
    [1, 2],
]


@pytest.mark.parametrize("config", BAD_CONFIGS, ids=repr)
@pytest.mark.parametrize("as_bytes", [False, True], ids=["dict", "bytes"])
def test_a_config_the_model_does_not_accept_is_kept_raw_and_marked(config, as_bytes):
    body = block_event(config)
    event = parse_event(json.dumps(body).encode() if as_bytes else body)
    assert isinstance(event.data.config, UnparsedConfig)
    assert event.data.config.problem  # the validation message, one line
    assert "\n" not in event.data.config.problem
    assert event.data.dump()["config"] == config  # raw config kept as received

    store = SurveyStore()
    store.apply(parse_event(page_event()))
    change = store.apply(event)
    assert change is not None and change.kind == "created"
    survey = store.survey("s1")
    (block,) = survey.page("p1").blocks
    assert block.id == "b1" and block.dump()["config"] == config
    # The survey reads back from its own JSON with the block still there.
    again = Survey.model_validate_json(json.dumps(survey.dump()))
    assert again.page("p1").blocks[0].dump()["config"] == config
    assert "config not understood" in outline(survey, store.progress("s1"))


def test_the_problem_names_the_field():
    config = {"type": "TextInput", "label": "Name", "maxLength": "long"}
    block = Block.model_validate({"id": "b", "config": config})
    assert block.config.problem.startswith("maxLength:")
    assert block.type == "TextInput" and block.config.label == "Name"
    assert block.config.summary == "Name" and block.is_question


def test_a_marked_block_keeps_its_reference_name_and_number():
    survey = Survey.model_validate(
        {
            "id": "s",
            "pages": [
                {
                    "id": "p",
                    "blocks": [
                        {"id": "a", "order": 0, "config": {"type": "TextInput", "maxLength": "x"}},
                        {"id": "b", "order": 1, "config": {"type": "TextInput", "name": "age"}},
                        {"id": "c", "order": 2, "config": {"type": "TextInput"}},
                    ],
                }
            ],
        }
    )
    assert reference_names(survey) == {"a": "q1", "b": "age", "c": "q3"}


@pytest.mark.parametrize("field", ["rows", "columns"])
def test_strings_are_accepted_wherever_a_choice_is_expected(field):
    config = {"type": "Matrix", "rows": [{"value": "r"}], "columns": [{"value": "c"}]}
    config[field] = ["Agree", 5, "Disagree"]
    block = Block.model_validate({"id": "b", "config": config})
    assert isinstance(block.config, MatrixConfig)
    items = getattr(block.config, field)
    assert [(c.label, c.value) for c in items] == [
        ("Agree", "Agree"),
        ("5", "5"),
        ("Disagree", "Disagree"),
    ]


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("MultipleChoice", "choices"),
        ("InputList", "inputs"),
        ("CardSort", "cards"),
        ("CardSort", "categories"),
        ("RankOrder", "items"),
        ("Autosum", "items"),
    ],
)
def test_every_choice_list_takes_plain_strings(kind, field):
    event = parse_event(json.dumps(block_event({"type": kind, field: ["Yes", "No"]})))
    assert not isinstance(event.data.config, UnparsedConfig)
    assert [c.value for c in getattr(event.data.config, field)] == ["Yes", "No"]


def test_a_block_updated_into_a_bad_shape_and_back_is_tracked():
    store = SurveyStore()
    store.apply(parse_event(page_event()))
    good = {"type": "MultipleChoice", "label": "Pick", "choices": ["a", "b"]}
    store.apply(parse_event(block_event(good)))
    bad = block_event({"type": "MultipleChoice", "label": "Pick", "choices": 3}, action="updated")
    bad["timestamp"] = "2025-04-01T10:00:01Z"
    change = store.apply(parse_event(bad))
    assert change is not None and change.kind == "updated"
    assert isinstance(store.block("b1").config, UnparsedConfig)
    fixed = block_event(good, action="updated")
    fixed["timestamp"] = "2025-04-01T10:00:02Z"
    store.apply(parse_event(fixed))
    assert isinstance(store.block("b1").config, MultipleChoiceConfig)


def test_push_names_a_block_whose_config_is_not_understood_and_compiles_the_rest():
    from qtui.qualtrics.compile import compile_survey

    survey = Survey.model_validate(
        {
            "id": "s",
            "pages": [
                {
                    "id": "p",
                    "blocks": [
                        {"id": "ok", "order": 0, "config": {"type": "TextInput", "label": "Name"}},
                        {"id": "bad", "order": 1, "config": {"type": "Matrix", "rows": 3}},
                    ],
                }
            ],
        }
    )
    compiled = compile_survey(survey)
    issues = [(i.item_id, i.kind) for i in compiled.issues]
    assert ("bad", "config_not_understood") in issues
    assert len(compiled.questions) == 1
