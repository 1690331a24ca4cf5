import pytest
from pydantic import ValidationError

from qtui.core.models import (
    GenericConfig,
    LoopConfig,
    MatrixConfig,
    MultipleChoiceConfig,
    Survey,
    SurveyStatus,
    TargetPlatform,
    TextConfig,
    reference_names,
)

SEED_BLOCK_CONFIG = {
    "type": "MultipleChoice",
    "label": "How satisfied are you with our service?",
    "choices": [
        {"label": "Very satisfied", "value": "5"},
        {"label": "Satisfied", "value": "4"},
    ],
    "allowMultiple": False,
}


def survey_with(*configs: dict, **fields) -> Survey:
    blocks = [{"id": f"b{i}", "order": i, "config": c} for i, c in enumerate(configs)]
    return Survey.model_validate(
        {"id": "s1", "pages": [{"id": "p1", "order": 0, "blocks": blocks}], **fields}
    )


def test_multiple_choice_parses_exactly_as_the_seed_shows():
    survey = survey_with(SEED_BLOCK_CONFIG)
    config = survey.pages[0].blocks[0].config
    assert isinstance(config, MultipleChoiceConfig)
    assert [c.value for c in config.choices] == ["5", "4"]
    assert config.allowMultiple is False
    assert survey.dump()["pages"][0]["blocks"][0]["config"] == SEED_BLOCK_CONFIG


def test_each_known_type_gets_its_typed_config():
    survey = survey_with(
        {"type": "Text", "content": "Welcome"},
        {
            "type": "Matrix",
            "label": "Rate",
            "rows": [{"label": "A", "value": "a"}],
            "columns": [{"label": "Good", "value": "1"}],
        },
        {"type": "Loop", "variable": "brands", "blocks": ["b9"]},
    )
    configs = [b.config for b in survey.pages[0].blocks]
    assert isinstance(configs[0], TextConfig) and configs[0].content == "Welcome"
    assert isinstance(configs[1], MatrixConfig) and configs[1].rows[0].value == "a"
    assert isinstance(configs[2], LoopConfig) and configs[2].blocks == ["b9"]


def test_unknown_block_type_is_kept_with_its_config():
    survey = survey_with({"type": "HeatMap", "image": "x.png", "regions": [1, 2]})
    config = survey.pages[0].blocks[0].config
    assert isinstance(config, GenericConfig)
    assert survey.dump()["pages"][0]["blocks"][0]["config"] == {
        "type": "HeatMap",
        "image": "x.png",
        "regions": [1, 2],
    }


def test_unknown_fields_survive_a_round_trip():
    raw = {
        "id": "s1",
        "platform_state": {"in_sync": True},
        "pages": [
            {
                "id": "p1",
                "future_flag": 3,
                "blocks": [{"id": "b1", "config": {**SEED_BLOCK_CONFIG, "randomize": True}}],
            }
        ],
    }
    again = Survey.model_validate(Survey.model_validate(raw).dump())
    assert again.dump() == raw


def test_malformed_input_names_the_field_path():
    bad = {
        "id": "s1",
        "pages": [
            {
                "id": "p1",
                "blocks": [{"id": "b1", "order": "first", "config": {"type": "Text"}}],
            }
        ],
    }
    with pytest.raises(ValidationError) as err:
        Survey.model_validate(bad)
    assert "pages.0.blocks.0.order" in str(err.value)


def test_a_config_of_another_shape_names_the_field_path_and_keeps_the_block():
    config = {"type": "MultipleChoice", "choices": [{"label": "x"}]}
    survey = Survey.model_validate(
        {"id": "s1", "pages": [{"id": "p1", "blocks": [{"id": "b1", "config": config}]}]}
    )
    block = survey.pages[0].blocks[0]
    assert block.config.problem == "choices.0.value: Field required"
    assert block.dump()["config"] == config


def test_status_and_platform_become_enums_and_unknown_values_are_kept():
    survey = Survey.model_validate(
        {"id": "s", "status": "reviewing", "target_platform": "decipher"}
    )
    assert survey.status is SurveyStatus.REVIEWING
    assert survey.target_platform is TargetPlatform.DECIPHER
    assert Survey.model_validate({"id": "s", "status": "archived"}).status == "archived"


def test_reference_names_number_question_blocks_and_keep_explicit_names():
    survey = survey_with(
        {"type": "Text", "content": "Intro"},
        {"type": "TextInput", "label": "Name"},
        {**SEED_BLOCK_CONFIG, "name": "sat"},
        {"type": "RankOrder", "label": "Rank", "items": []},
    )
    assert reference_names(survey) == {"b1": "q1", "b2": "sat", "b3": "q3"}
