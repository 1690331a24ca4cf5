"""compile_survey: block types → Qualtrics questions, conditions → logic, routing → flow."""

from __future__ import annotations

from typing import Any

import pytest

from qtui.core.models import Survey
from qtui.qualtrics.compile import (
    NEXT_PAGE_FIELD,
    CompiledSurvey,
    compile_survey,
    markdown_html,
)
from qtui.qualtrics.conditions import Scope, Untranslatable, translate
from qtui.sandbox.qualtrics.definitions import check_flow, check_question
from qtui.sandbox.qualtrics.logic import Answer, Respondent, evaluate
from tests.qualtrics.surveys import block, choices, csat_survey, page, screener_survey


def one_page(*blocks: dict[str, Any], **survey: Any) -> Survey:
    return Survey.model_validate(
        {
            "id": "s",
            "name": "One page",
            "pages": [page("p1", "Only", 0, list(blocks))],
            **survey,
        }
    )


def compiled_question(config: dict[str, Any]) -> tuple[dict[str, Any], CompiledSurvey]:
    result = compile_survey(one_page(block("b1", "p1", 0, **config)))
    [question] = result.question_list()
    return question.definition, result


YES_NO = choices(("y", "Yes"), ("n", "No"))


@pytest.mark.parametrize(
    ("config", "kind", "selector", "sub"),
    [
        ({"type": "Text", "content": "Hi"}, "DB", "TB", None),
        ({"type": "TextInput", "label": "Name?"}, "TE", "SL", None),
        ({"type": "TextInput", "label": "Story?", "multiline": True}, "TE", "ML", None),
        ({"type": "MultipleChoice", "label": "Pick", "choices": YES_NO}, "MC", "SAVR", "TX"),
        (
            {"type": "MultipleChoice", "label": "Pick", "choices": YES_NO, "allowMultiple": True},
            "MC",
            "MAVR",
            "TX",
        ),
        (
            {"type": "Matrix", "label": "Grid", "rows": YES_NO, "columns": YES_NO},
            "Matrix",
            "Likert",
            "SingleAnswer",
        ),
        (
            {
                "type": "Matrix",
                "label": "Grid",
                "rows": YES_NO,
                "columns": YES_NO,
                "allowMultiple": True,
            },
            "Matrix",
            "Likert",
            "MultipleAnswer",
        ),
        ({"type": "InputList", "label": "Contacts", "inputs": YES_NO}, "TE", "FORM", None),
        (
            {"type": "CardSort", "label": "Sort", "cards": YES_NO, "categories": YES_NO},
            "PGR",
            "DragAndDrop",
            "Columns",
        ),
        ({"type": "RankOrder", "label": "Rank", "items": YES_NO}, "RO", "DND", "TX"),
        ({"type": "Autosum", "label": "Split", "items": YES_NO, "target": 100}, "CS", "VRTL", "TX"),
    ],
)
def test_each_block_type_maps_to_a_question_the_sandbox_accepts(config, kind, selector, sub):
    definition, result = compiled_question(config)
    assert (definition["QuestionType"], definition["Selector"], definition.get("SubSelector")) == (
        kind,
        selector,
        sub,
    )
    check_question(definition)  # the emulator's own validation of the payload


def test_choices_are_numbered_in_order_and_recode_to_the_questra_values():
    definition, result = compiled_question(
        {
            "type": "MultipleChoice",
            "label": "Sat?",
            "name": "sat",
            "choices": choices(("5", "Very"), ("3", "Meh"), ("1", "Not")),
        }
    )
    assert definition["ChoiceOrder"] == ["1", "2", "3"]
    assert definition["Choices"]["1"] == {"Display": "Very"}
    assert definition["RecodeValues"] == {"1": "5", "2": "3", "3": "1"}
    assert definition["DataExportTag"] == "sat"
    assert result.data_export_tags == {"b1": "sat"}


def test_zero_to_ten_single_choice_becomes_nps_with_ids_equal_to_values():
    definition, _ = compiled_question(
        {
            "type": "MultipleChoice",
            "label": "Recommend?",
            "choices": [{"value": str(i), "label": str(i)} for i in range(11)],
        }
    )
    assert definition["Selector"] == "NPS"
    assert definition["ChoiceOrder"] == [str(i) for i in range(11)]


def test_autosum_has_a_choices_total_validation():
    definition, _ = compiled_question(
        {"type": "Autosum", "label": "Split 10", "items": YES_NO, "target": 10}
    )
    settings = definition["Validation"]["Settings"]
    assert settings["Type"] == "ChoicesTotal" and settings["ChoiceTotal"] == "10"


def test_matrix_rows_keep_their_values_as_export_tags_and_columns_are_named():
    definition, _ = compiled_question(
        {
            "type": "Matrix",
            "label": "Grid",
            "rows": choices(("r1", "Row")),
            "columns": choices(("c1", "Col"), ("c2", "Col 2")),
        }
    )
    assert definition["ChoiceDataExportTags"] == {"1": "r1"}
    # Not numbers, so not recode values: the values are the columns' variable names.
    assert "RecodeValues" not in definition
    assert definition["VariableNaming"] == {"1": "c1", "2": "c2"}
    assert definition["AnswerOrder"] == ["1", "2"]


def test_card_sort_groups_are_the_categories_in_order():
    definition, _ = compiled_question(
        {
            "type": "CardSort",
            "label": "Sort",
            "cards": YES_NO,
            "categories": choices(("good", "Good"), ("bad", "Bad")),
        }
    )
    assert definition["Groups"] == ["Good", "Bad"] and definition["NumberOfGroups"] == 2


def test_unknown_block_type_and_lost_details_are_reported_not_dropped_silently():
    survey = one_page(
        block("b1", "p1", 0, type="Heatmap", label="Click"),
        block("b2", "p1", 1, type="TextInput", label="Name", placeholder="Ada", maxLength=5),
    )
    result = compile_survey(survey)
    kinds = {(i.item_id, i.kind) for i in result.issues}
    assert ("b1", "unsupported_block") in kinds
    assert ("b2", "not_expressed") in kinds
    assert [q.block_id for q in result.question_list()] == ["b2"]


def test_markdown_becomes_simple_html():
    assert markdown_html("**Hi** *there*\nline two\n\nnext") == (
        "<p><strong>Hi</strong> <em>there</em><br>line two</p><p>next</p>"
    )
    assert markdown_html("## Welcome\n\nHello") == "<h2>Welcome</h2><p>Hello</p>"


def test_text_blocks_get_a_descriptive_block_with_a_tag_of_their_own():
    definition, result = compiled_question({"type": "Text", "content": "**Bold**"})
    assert definition["QuestionText"] == "<p><strong>Bold</strong></p>"
    assert (definition["QuestionType"], definition["Selector"]) == ("DB", "TB")
    # Every question carries a DataExportTag: replacing one without it is refused.
    assert definition["DataExportTag"] == "text_1" and result.data_export_tags == {"b1": "text_1"}


def test_for_sessions_text_is_folded_into_the_next_question_or_the_last_one():
    survey = Survey.model_validate(
        {
            "id": "s",
            "pages": [
                page(
                    "p1",
                    "Intro",
                    0,
                    [
                        block("t1", "p1", 0, type="Text", content="Welcome"),
                        block("b1", "p1", 1, type="TextInput", label="Name?"),
                        block("t2", "p1", 2, type="Text", content="Thanks"),
                    ],
                ),
                page("p2", "Bye", 1, [block("t3", "p2", 0, type="Text", content="Bye")]),
            ],
        }
    )
    result = compile_survey(survey, for_sessions=True)
    [only] = result.question_list()
    assert only.definition["QuestionText"] == "<p>Welcome</p>Name?<p>Thanks</p>"
    assert {q.definition["QuestionType"] for q in result.question_list()} == {"TE"}
    assert ("t3", "text_for_sessions") in {(i.item_id, i.kind) for i in result.issues}


def test_force_response_defaults_on_and_a_required_false_block_turns_it_off():
    survey = one_page(
        block("b1", "p1", 0, type="TextInput", label="A"),
        block("b2", "p1", 1, type="TextInput", label="B", required=False),
    )
    first, second = compile_survey(survey).question_list()
    assert first.definition["Validation"]["Settings"]["ForceResponse"] == "ON"
    assert second.definition["Validation"]["Settings"]["ForceResponse"] == "OFF"
    relaxed = compile_survey(survey, force_response=False).question_list()[0]
    assert relaxed.definition["Validation"]["Settings"]["ForceResponse"] == "OFF"


# --- conditions ----------------------------------------------------------------------------

SCOPE_SURVEY = one_page(
    block(
        "b1",
        "p1",
        0,
        type="MultipleChoice",
        name="color",
        label="Color",
        choices=choices(("r", "Red"), ("g", "Green"), ("b", "Blue")),
    ),
    block(
        "b2",
        "p1",
        1,
        type="MultipleChoice",
        name="tags",
        label="Tags",
        allowMultiple=True,
        choices=choices(("x", "X"), ("y", "Y")),
    ),
    block("b3", "p1", 2, type="TextInput", name="age", label="Age"),
    block(
        "b4",
        "p1",
        3,
        type="MultipleChoice",
        name="score",
        label="Score",
        choices=choices(("1", "1"), ("2", "2"), ("3", "3"), ("4", "4")),
    ),
    block(
        "b5",
        "p1",
        4,
        type="Matrix",
        name="grid",
        label="Grid",
        rows=choices(("r1", "R1")),
        columns=choices(("c1", "C1"), ("c2", "C2")),
    ),
    variables=[{"id": "v1", "name": "warm", "expression": "color.value in ['r']"}],
)


def scope() -> Scope:
    from qtui.qualtrics.conditions import QuestionRef

    qids = {"color": "QID1", "tags": "QID2", "age": "QID3", "score": "QID4", "grid": "QID5"}
    configs = {b.config.name: b.config for b in SCOPE_SURVEY.blocks()}
    return Scope(
        questions={name: QuestionRef(qid, configs[name]) for name, qid in qids.items()},
        variables={"warm": "color.value in ['r']"},
    )


def shape(text: str) -> list[list[tuple[str, str, str | None, str | None]]]:
    return [
        [(c.subject, c.op, c.choice, c.right) for c in group] for group in translate(text, scope())
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("color.value == 'g'", [[("QID1", "Selected", "2", None)]]),
        ("color.value != 'g'", [[("QID1", "NotSelected", "2", None)]]),
        (
            "color in ['r', 'b']",
            [[("QID1", "Selected", "1", None)], [("QID1", "Selected", "3", None)]],
        ),
        (
            "color not in ['r', 'b']",
            [[("QID1", "NotSelected", "1", None), ("QID1", "NotSelected", "3", None)]],
        ),
        (
            "not (color == 'r' or tags == 'x')",
            [[("QID1", "NotSelected", "1", None), ("QID2", "NotSelected", "1", None)]],
        ),
        (
            "color == 'r' and (tags == 'x' or tags == 'y')",
            [
                [("QID1", "Selected", "1", None), ("QID2", "Selected", "1", None)],
                [("QID1", "Selected", "1", None), ("QID2", "Selected", "2", None)],
            ],
        ),
        ("contains(tags, 'y')", [[("QID2", "Selected", "2", None)]]),
        ("'y' in tags", [[("QID2", "Selected", "2", None)]]),
        ("score.value > 2", [[("QID4", "Selected", "3", None)], [("QID4", "Selected", "4", None)]]),
        ("age.value >= 18", [[("QID3", "GreaterThanOrEqual", None, "18")]]),
        ("age.value == 'none'", [[("QID3", "EqualTo", None, "none")]]),
        (
            "not age.value < 18",
            [[("QID3", "GreaterThanOrEqual", None, "18")], [("QID3", "Empty", None, None)]],
        ),
        ("answered(age)", [[("QID3", "NotEmpty", None, None)]]),
        ("warm", [[("QID1", "Selected", "1", None)]]),
        ("warm == false", [[("QID1", "NotSelected", "1", None)]]),
        ("count(tags) >= 2", [[("QID2", "GreaterThanOrEqual", None, "2")]]),
        ("grid.r1 == 'c2'", [[("QID5", "Selected", "1/2", None)]]),
        ("color == 'purple'", []),
        ("true", [[]]),
    ],
)
def test_conditions_translate_to_qualtrics_dnf(text, expected):
    assert shape(text) == expected


@pytest.mark.parametrize(
    "text",
    ["age.value == color.value", "sum(tags) > 1", "len(age) > 3", "grid == 'c1'", "[1, 2]"],
)
def test_conditions_without_a_qualtrics_form_are_untranslatable(text):
    with pytest.raises(Untranslatable):
        translate(text, scope())


def test_unknown_names_become_embedded_field_conditions():
    fields: list[str] = []
    dnf = translate("source == 'panel'", Scope(questions={}, on_field=fields.append))
    assert [(c.kind, c.subject, c.op, c.right) for g in dnf for c in g] == [
        ("field", "source", "EqualTo", "panel")
    ]
    assert fields == ["source"]


def test_show_if_becomes_display_logic_marked_in_page_for_a_same_page_question():
    result = compile_survey(
        SCOPE_SURVEY.model_copy(
            update={
                "pages": [
                    Survey.model_validate(
                        {
                            "id": "x",
                            "pages": [
                                page(
                                    "p1",
                                    "P",
                                    0,
                                    [
                                        block(
                                            "b1",
                                            "p1",
                                            0,
                                            type="MultipleChoice",
                                            name="color",
                                            label="Color",
                                            choices=choices(("r", "Red"), ("g", "Green")),
                                        ),
                                        block(
                                            "b2",
                                            "p1",
                                            1,
                                            type="TextInput",
                                            name="why",
                                            label="Why red?",
                                            showIf="color == 'r'",
                                        ),
                                    ],
                                )
                            ],
                        }
                    ).pages[0]
                ]
            }
        )
    )
    _, why = result.question_list()
    logic = why.definition["DisplayLogic"]
    assert logic["Type"] == "BooleanExpression" and logic["inPage"] is True
    condition = logic["0"]["0"]
    assert condition["LeftOperand"] == "q://QID1/SelectableChoice/1"
    assert condition["Operator"] == "Selected"


def test_untranslatable_show_if_is_an_issue_and_the_question_stays_visible():
    survey = one_page(
        block("b1", "p1", 0, type="RankOrder", name="rank", label="Rank", items=YES_NO),
        block("b2", "p1", 1, type="TextInput", name="t", label="T", showIf="rank == 'y'"),
    )
    result = compile_survey(survey)
    assert "DisplayLogic" not in result.question_list()[1].definition
    assert [(i.item_id, i.kind) for i in result.issues] == [("b2", "show_if")]


# --- routing -------------------------------------------------------------------------------


def flow_shape(elements: list[dict[str, Any]]) -> list[Any]:
    out: list[Any] = []
    for element in elements:
        kind = element["Type"]
        if kind == "Branch":
            out.append(("Branch", flow_shape(element["Flow"])))
        elif kind == "EmbeddedData":
            out.append(("ED", tuple(f"{i['Field']}={i['Value']}" for i in element["EmbeddedData"])))
        elif kind == "EndSurvey":
            out.append(("End", (element.get("Options") or {}).get("ResponseFlag")))
        else:
            out.append((kind, element.get("ID")))
    return out


def test_survey_without_rules_compiles_to_a_flat_list_of_blocks():
    survey = Survey.model_validate(
        {
            "id": "s",
            "pages": [
                page("a", "A", 0, [block("b1", "a", 0, type="TextInput", label="x")]),
                page("b", "B", 1, [block("b2", "b", 0, type="TextInput", label="y")]),
            ],
        }
    )
    result = compile_survey(survey)
    # The first block takes a new survey's default block, a "Block" element in real flows.
    assert flow_shape(result.flow["Flow"]) == [
        ("Block", result.blocks[0].block_id),
        ("Standard", result.blocks[1].block_id),
    ]
    assert [b.key for b in result.blocks] == ["a", "b"]


def test_flow_ids_are_unique_and_count_is_the_highest():
    result = compile_survey(Survey.model_validate(csat_survey()))
    ids = []

    def walk(elements: list[dict[str, Any]]) -> None:
        for element in elements:
            ids.append(element["FlowID"])
            walk(element.get("Flow", []))

    walk(result.flow["Flow"])
    assert len(ids) == len(set(ids))
    assert result.flow["Properties"]["Count"] == max(int(i[3:]) for i in ids)


def test_compiled_flow_passes_the_sandbox_flow_validation():
    for fixture in (csat_survey, screener_survey):
        result = compile_survey(Survey.model_validate(fixture()))
        blocks = {b.block_id: {"Type": "Standard"} for b in result.blocks}
        questions = {q.qid: q.definition for q in result.question_list()}
        check_flow(result.flow, blocks, questions)


def test_terminal_pages_end_the_survey_and_terminate_is_a_screenout():
    result = compile_survey(Survey.model_validate(screener_survey()))
    shape = flow_shape(result.flow["Flow"])
    assert result.terminal_pages == {"p-done": "Completed", "p-term": "Screenout"}
    complete, terminate = shape[-2], shape[-1]
    assert complete[0] == "Branch" and complete[1][-1] == ("End", None)
    assert terminate[1][-1] == ("End", "Screened")
    assert ("ED", ("qtui_response_status=terminated",)) in terminate[1]


def test_pages_every_route_passes_stay_at_the_top_and_skippable_pages_are_wrapped():
    result = compile_survey(Survey.model_validate(screener_survey()))
    top = [e for e in result.flow["Flow"]]
    assert top[1] == {
        "Type": "Block",
        "ID": result.blocks[0].block_id,
        "FlowID": top[1]["FlowID"],
        "Autofill": [],
    }
    wrapped = [e for e in top if e["Type"] == "Branch" and e["Description"].startswith("Page")]
    assert [e["Description"] for e in wrapped] == [
        "Page 'Age'",
        "Page 'NPS'",
        "Page 'Complete'",
        "Page 'Terminate'",
    ]
    field = wrapped[0]["BranchLogic"]["0"]["0"]
    assert field["LeftOperand"] == NEXT_PAGE_FIELD and field["RightOperand"] == "p-age"


def test_later_rules_are_guarded_so_the_first_true_rule_wins():
    result = compile_survey(Survey.model_validate(csat_survey()))
    rules = [
        e
        for e in result.flow["Flow"]
        if e["Type"] == "Branch" and e["Description"].startswith("Rule")
    ]
    first, second = rules[0], rules[1]
    assert all(
        c["LeftOperand"] != NEXT_PAGE_FIELD
        for g in ("0", "1")
        for c in [first["BranchLogic"][g]["0"]]
    )
    guard = second["BranchLogic"]["0"]["0"]
    assert guard["LeftOperand"] == NEXT_PAGE_FIELD and guard["RightOperand"] == "p-sat"


def test_backward_jumps_and_unknown_targets_are_compile_issues():
    survey = Survey.model_validate(
        {
            "id": "s",
            "pages": [
                page("a", "A", 0, [block("b1", "a", 0, type="TextInput", label="x")]),
                page(
                    "b",
                    "B",
                    1,
                    [block("b2", "b", 0, type="TextInput", label="y")],
                    rules=[("a", "q2 == 'again'"), ("nowhere", "q2 == 'stop'")],
                ),
            ],
        }
    )
    result = compile_survey(survey)
    assert {(i.item_id, i.kind) for i in result.issues} == {
        ("b-r0", "backward_jump"),
        ("b-r1", "unknown_target"),
    }


def test_unreachable_page_is_reported_and_left_out_of_the_flow():
    survey = Survey.model_validate(
        {
            "id": "s",
            "pages": [
                page(
                    "a",
                    "A",
                    0,
                    [block("b1", "a", 0, type="TextInput", label="x")],
                    rules=[("c", None)],
                ),
                page("b", "B", 1, [block("b2", "b", 0, type="TextInput", label="y")]),
                page("c", "C", 2, [block("b3", "c", 0, type="TextInput", label="z")]),
            ],
        }
    )
    result = compile_survey(survey)
    assert ("b", "unreachable") in {(i.item_id, i.kind) for i in result.issues}
    block_ids = {b.key: b.block_id for b in result.blocks}
    text = repr(result.flow)
    assert block_ids["b"] not in text and block_ids["c"] in text


def test_variables_are_declared_at_the_top_and_answer_copies_placed_after_their_page():
    result = compile_survey(Survey.model_validate(csat_survey()))
    top = result.flow["Flow"][0]
    assert top["Type"] == "EmbeddedData"
    assert [i["Field"] for i in top["EmbeddedData"]][:2] == ["unhappy", "sat"]
    assert not [i for i in result.issues if i.kind == "variable"]
    shape = flow_shape(result.flow["Flow"])
    # unhappy = q1.value in ['1', '2']: "false", then a Branch on the condition sets "true".
    at = shape.index(("ED", ("unhappy=false",)))
    assert shape[at + 1] == ("Branch", [("ED", ("unhappy=true",))])
    # sat = q1.value: one Branch per choice sets the choice's value.
    branches = [s for s in shape if s[0] == "Branch" and s[1][0][1][0].startswith("sat=")]
    assert sorted(b[1][0][1][0] for b in branches) == [f"sat={v}" for v in "12345"]


def test_constant_variable_gets_its_value_at_the_top():
    survey = one_page(
        block("b1", "p1", 0, type="TextInput", label="x"),
        variables=[{"id": "v", "name": "wave", "expression": "'2026-Q1'"}],
    )
    top = compile_survey(survey).flow["Flow"][0]
    assert top["EmbeddedData"][0]["Value"] == "2026-Q1"


def test_loop_over_a_fixed_list_is_a_static_loop_on_the_page_block():
    survey = Survey.model_validate(
        {
            "id": "s",
            "pages": [
                page(
                    "p1",
                    "Brands",
                    0,
                    [
                        block("b1", "p1", 0, type="TextInput", name="opinion", label="Opinion"),
                        block("loop", "p1", 1, type="Loop", variable="brands", blocks=["b1"]),
                    ],
                ),
            ],
            "variables": [{"id": "v", "name": "brands", "expression": "['acme', 'globex']"}],
        }
    )
    result = compile_survey(survey)
    [only] = result.blocks
    assert only.options["Looping"] == "Static"
    assert only.options["LoopingOptions"]["Static"] == {"1": {"1": "acme"}, "2": {"1": "globex"}}


def test_loop_over_an_earlier_multi_choice_loops_over_its_selected_choices():
    survey = Survey.model_validate(
        {
            "id": "s",
            "pages": [
                page(
                    "p1",
                    "Aware",
                    0,
                    [
                        block(
                            "b1",
                            "p1",
                            0,
                            type="MultipleChoice",
                            name="aware",
                            label="Known",
                            allowMultiple=True,
                            choices=YES_NO,
                        )
                    ],
                ),
                page(
                    "p2",
                    "Rate",
                    1,
                    [
                        block("b2", "p2", 0, type="Text", content="Intro"),
                        block("b3", "p2", 1, type="TextInput", name="rate", label="Rate it"),
                        block("loop", "p2", 2, type="Loop", variable="known", blocks=["b3"]),
                    ],
                ),
            ],
            "variables": [{"id": "v", "name": "known", "expression": "aware.value"}],
        }
    )
    result = compile_survey(survey)
    assert [b.key for b in result.blocks] == ["p1", "p2", "p2#1"]
    looped = result.blocks[2]
    assert looped.options["Looping"] == "Question"
    assert looped.options["LoopingOptions"]["QID"] == "QID1"
    assert ("p2", "page_split") in {(i.item_id, i.kind) for i in result.issues}


def test_loop_over_a_computed_variable_is_an_issue_and_not_looped():
    survey = one_page(
        block("b1", "p1", 0, type="TextInput", name="t", label="T"),
        block("loop", "p1", 1, type="Loop", variable="n", blocks=["b1"]),
        variables=[{"id": "v", "name": "n", "expression": "count(t)"}],
    )
    result = compile_survey(survey)
    assert "Looping" not in result.blocks[0].options
    assert ("loop", "not_expressed") in {(i.item_id, i.kind) for i in result.issues}


def test_bind_replaces_provisional_ids_everywhere():
    result = compile_survey(Survey.model_validate(screener_survey()))
    qids = {q.qid: f"QIDr{i}" for i, q in enumerate(result.question_list())}
    blocks = {b.block_id: f"BL_real{i:010d}" for i, b in enumerate(result.blocks)}
    bound = result.bind(qids, blocks)
    text = repr(bound.flow) + repr([q.definition for q in bound.question_list()])
    assert "BL_qtui" not in text
    assert "q://QID4/" not in text and "q://QIDr3/" in text
    assert bound.blocks[0].question_ids == ["QIDr0", "QIDr1"]


def test_compiled_display_logic_evaluates_like_the_questra_condition():
    """The sandbox evaluator on the compiled logic agrees with qtui.core.logic's answer."""
    from qtui.core.logic import is_true

    cases = [
        ("color in ['r', 'b'] and not (tags == 'x')", {"color": "r", "tags": ["y"]}),
        ("color in ['r', 'b'] and not (tags == 'x')", {"color": "r", "tags": ["x"]}),
        ("color != 'g' or age.value > 40", {"color": "g", "age": "41"}),
        ("color != 'g' or age.value > 40", {"color": "g", "age": "4"}),
        ("warm and score >= 3", {"color": "r", "score": "3"}),
        ("warm and score >= 3", {"color": "b", "score": "4"}),
    ]
    ids = {
        "color": ("QID1", ["r", "g", "b"]),
        "tags": ("QID2", ["x", "y"]),
        "score": ("QID4", ["1", "2", "3", "4"]),
    }
    for text, answers in cases:
        respondent = Respondent()
        for name, value in answers.items():
            if name == "age":
                respondent.answers["QID3"] = Answer(text=value)
                continue
            qid, values = ids[name]
            picked = value if isinstance(value, list) else [value]
            respondent.answers[qid] = Answer(selected=[str(values.index(v) + 1) for v in picked])
        from qtui.qualtrics.conditions import boolean_expression

        logic = boolean_expression(translate(text, scope()))
        expected = is_true(text, {**answers, "warm": answers.get("color") == "r"})
        assert evaluate(logic, respondent) is expected, text
