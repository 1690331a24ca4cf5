"""What qtui compiles has the shapes real exports have (tests/fixtures/qsf are the reference)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qtui.core.models import Survey
from qtui.qualtrics.compile import compile_survey
from qtui.qualtrics.session import question_index
from qtui.sandbox.qualtrics.definitions import check_question, is_number
from tests.qualtrics.surveys import block, choices, page, screener_survey

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "qsf"


def real_questions() -> dict[str, dict[str, Any]]:
    """Every question of the real exports, keyed "<file>/<QID>"."""
    out = {}
    for path in sorted(FIXTURES.glob("*.qsf")):
        document = json.loads(path.read_text(encoding="utf-8"))
        for element in document["SurveyElements"]:
            if element["Element"] == "SQ":
                out[f"{path.stem}/{element['PrimaryAttribute']}"] = element["Payload"]
    return out


def real_flows() -> list[list[dict[str, Any]]]:
    flows = []
    for path in sorted(FIXTURES.glob("*.qsf")):
        document = json.loads(path.read_text(encoding="utf-8"))
        flows += [e["Payload"]["Flow"] for e in document["SurveyElements"] if e["Element"] == "FL"]
    return flows


def excerpt(name: str) -> Any:
    return json.loads((FIXTURES / "excerpts.json").read_text(encoding="utf-8"))[name]


def compiled(*blocks: dict[str, Any], **survey: Any) -> list[dict[str, Any]]:
    data = {"id": "s", "pages": [page("p1", "Only", 0, list(blocks))], **survey}
    return [q.definition for q in compile_survey(Survey.model_validate(data)).question_list()]


def test_real_recode_values_are_numbers_and_so_are_compiled_ones():
    real = [q["RecodeValues"] for q in real_questions().values() if q.get("RecodeValues")]
    assert real and all(is_number(v) for recodes in real for v in recodes.values())
    [mc] = compiled(
        block("b1", "p1", 0, type="MultipleChoice", choices=choices(("1", "Yes"), ("dk", "?")))
    )
    assert mc["RecodeValues"] == {"1": "1"}
    # Not a number: the value is the choice's variable name, under the same choice id.
    assert mc["VariableNaming"] == {"2": "dk"}
    check_question(mc)  # the sandbox refuses a non-numeric recode as a tenant does


def test_recode_values_only_on_the_types_real_exports_carry_them_on():
    carriers = {q["QuestionType"] for q in real_questions().values() if "RecodeValues" in q}
    assert carriers and carriers <= {"MC", "Matrix"}
    kinds = [
        {"type": "RankOrder", "items": choices(("a", "A"), ("b", "B"))},
        {"type": "Autosum", "items": choices(("a", "A"), ("b", "B")), "target": 10},
        {"type": "InputList", "inputs": choices(("a", "A"))},
        {
            "type": "CardSort",
            "cards": choices(("a", "A")),
            "categories": choices(("g", "G"), ("h", "H")),
        },
        {"type": "MultipleChoice", "choices": choices(*[(str(i), str(i)) for i in range(11)])},
    ]
    for i, kind in enumerate(kinds):
        [definition] = compiled(block(f"b{i}", "p1", 0, **kind))
        real_same = [
            q
            for q in real_questions().values()
            if (q["QuestionType"], q["Selector"])
            == (definition["QuestionType"], definition["Selector"])
        ]
        assert "RecodeValues" not in definition, definition["QuestionType"]
        assert all("RecodeValues" not in q for q in real_same)


def test_screen_out_ending_is_marked_as_exports_mark_it():
    flow = compile_survey(Survey.model_validate(screener_survey())).flow
    endings = [e for e in _walk(flow["Flow"]) if e["Type"] == "EndSurvey" and "Options" in e]
    [screenout] = endings
    real = excerpt("screenout_end_survey")
    assert screenout["EndingType"] == real["EndingType"] == "Advanced"
    assert screenout["Options"]["ResponseFlag"] == real["Options"]["ResponseFlag"] == "Screened"
    assert set(screenout["Options"]) <= set(real["Options"])


def test_default_block_is_a_block_element_as_in_real_flows():
    for flow in real_flows():
        first = next(e for e in flow if e["Type"] in ("Block", "Standard"))
        assert first["Type"] == "Block"
    flow = compile_survey(Survey.model_validate(screener_survey())).flow["Flow"]
    kinds = [e["Type"] for e in _walk(flow) if e["Type"] in ("Block", "Standard")]
    assert kinds[0] == "Block" and set(kinds[1:]) == {"Standard"}


def test_question_loop_has_the_looping_options_real_exports_have():
    data = {
        "id": "s",
        "pages": [
            page(
                "p1",
                "Brands",
                0,
                [
                    block(
                        "b1",
                        "p1",
                        0,
                        type="MultipleChoice",
                        name="brands",
                        allowMultiple=True,
                        choices=choices(("a", "A"), ("b", "B")),
                    )
                ],
            ),
            page(
                "p2",
                "Rate",
                1,
                [
                    block("b2", "p2", 0, type="TextInput", label="Why ${brand}?"),
                    block("loop", "p2", 1, type="Loop", variable="brands", blocks=["b2"]),
                ],
            ),
        ],
    }
    result = compile_survey(Survey.model_validate(data))
    looped = result.blocks[1].options
    real = excerpt("question_loop_options")
    assert looped["Looping"] == real["Looping"] == "Question"
    assert set(looped["LoopingOptions"]) == set(real["LoopingOptions"])
    qid = result.question_list()[0].qid
    assert looped["LoopingOptions"]["Locator"] == f"q://{qid}/ChoiceGroup/SelectedChoices"


def test_text_block_is_descriptive_text_as_in_real_exports():
    real = real_questions()["sp_test_survey/QID14"]
    [text] = compiled(block("t", "p1", 0, type="Text", content="Hello"))
    assert (text["QuestionType"], text["Selector"]) == (real["QuestionType"], real["Selector"])
    assert text["Validation"] == real["Validation"]


def test_answer_mapping_reads_choice_values_from_variable_naming():
    real = real_questions()["sp_test_survey/QID19"]
    info = question_index({"Questions": {"QID19": real}})["QID19"]
    assert [(cid, value) for cid, _, value in info.choices] == [
        ("1", "choice1"),
        ("3", "choice3"),
        ("2", "choice2"),
        ("4", "none"),
    ]
    [mc] = compiled(
        block("b1", "p1", 0, type="MultipleChoice", choices=choices(("1", "Yes"), ("dk", "?")))
    )
    info = question_index({"Questions": {"QID1": mc}})["QID1"]
    assert [value for _, _, value in info.choices] == ["1", "dk"]


def _walk(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for element in elements:
        out.append(element)
        out += _walk(element.get("Flow") or [])
    return out
