"""Real Qualtrics exports (tests/fixtures/qsf) against the sandbox: loaded as they are, walked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.sandbox.qualtrics.envelope import ApiError
from qtui.sandbox.qualtrics.walk import Session, start, walk

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "qsf"
REAL = sorted(FIXTURES.glob("*.qsf"))
BASE = "http://sandbox.test/API/v3"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def excerpt(name: str) -> Any:
    return json.loads((FIXTURES / "excerpts.json").read_text(encoding="utf-8"))[name]


def elements(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in document["SurveyElements"] if e["Element"] == kind]


async def api_for(sandbox: QualtricsSandbox) -> httpx.AsyncClient:
    app = Starlette(routes=[Mount("/API/v3", app=sandbox.app)])
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=BASE,
        headers={"X-API-TOKEN": sandbox.token},
    )


def first_choice(session: Session) -> dict[str, Any]:
    return answers(session, 0)


def answers(session: Session, pick: int) -> dict[str, Any]:
    """The `pick`-th shown choice (counted from the end when negative) of every choice
    question on the page, "text" for a text entry."""
    out: dict[str, Any] = {}
    assert session.page is not None
    for qid in session.page.questions:
        view = session.question_view(qid)
        if view["type"] == "TE":
            out[qid] = "text"
        elif view["type"] in ("MC", "NPS") and view["choices"]:
            choice = view["choices"][pick if pick < 0 else min(pick, len(view["choices"]) - 1)]
            out[qid] = {choice["choiceId"]: {"selected": True}}
    return out


@pytest.mark.parametrize("path", REAL, ids=[p.stem for p in REAL])
async def test_every_real_export_loads_into_the_sandbox_and_exports_back(path):
    document = json.loads(path.read_text(encoding="utf-8"))
    sandbox = QualtricsSandbox()
    async with await api_for(sandbox) as api:
        created = await api.post("/survey-definitions", json=document)
        assert created.status_code == 200, created.text
        sid = created.json()["result"]["SurveyID"]
        definition = (await api.get(f"/survey-definitions/{sid}")).json()["result"]
        exported = (await api.get(f"/survey-definitions/{sid}?format=qsf")).json()["result"]
    questions = {e["PrimaryAttribute"]: e["Payload"] for e in elements(document, "SQ")}
    assert set(definition["Questions"]) == set(questions)
    for qid, question in questions.items():
        assert definition["Questions"][qid] == {**question, "QuestionID": qid}
    [flow] = elements(document, "FL")
    assert definition["SurveyFlow"] == flow["Payload"]
    assert definition["SurveyName"] == document["SurveyEntry"]["SurveyName"]
    [blocks] = elements(exported, "BL")
    [original] = elements(document, "BL")
    assert [b["ID"] for b in blocks["Payload"]] == [b["ID"] for b in original["Payload"]]
    kept = {e["Element"] for e in exported["SurveyElements"]}
    assert {e["Element"] for e in document["SurveyElements"]} <= kept


@pytest.mark.parametrize("path", REAL, ids=[p.stem for p in REAL])
@pytest.mark.parametrize("pick", [0, 1, -1])
def test_every_real_export_walks_to_its_end_in_the_engine(path, pick):
    document = json.loads(path.read_text(encoding="utf-8"))
    result = walk(document, lambda s: answers(s, pick), strict=False)
    assert result.pages and result.end_reason == "Completed"
    assert result.session is not None
    response = result.session.response("R_local", "2026-01-01T00:00:00Z")
    assert response["values"]["finished"] == 1


@pytest.mark.parametrize("path", REAL, ids=[p.stem for p in REAL])
def test_strict_sessions_refuse_the_types_the_sessions_api_does_not_document(path):
    with pytest.raises(ApiError) as refused:
        start(json.loads(path.read_text(encoding="utf-8")))
    assert refused.value.code == "SESS_2" and "(Matrix/Likert)" in refused.value.message


def test_sp_survey_records_answers_in_the_responses_api_shape():
    result = walk(load("sp_test_survey.qsf"), lambda s: answers(s, -1), strict=False)
    assert result.session is not None
    response = result.session.response("R_local", "2026-01-01T00:00:00Z")
    values, labels = response["values"], response["labels"]
    assert values["QID7_TEXT"] == "text" and values["QID8_TEXT"] == "text"
    # NPS (its Choices are a list in the export): the number and its group.
    assert values["QID15"] == 10 and values["QID15_NPS_GROUP"] == 3
    assert labels["QID15_NPS_GROUP"] == "Promoter"
    # QID18 shows its choices in ChoiceOrder 2, 3, 1: the last shown is choice 1.
    assert values["QID18"] == 1 and labels["QID18"] == "Click to write Choice 1 (ordered 3rd)"
    assert "QID7" in response["displayedFields"] and response["displayedValues"]["QID15"][-1] == 10
    assert values["s"] == ""  # the recipient field of the flow's EmbeddedData
    assert "Q_TerminateFlag" not in values


def test_carried_forward_choices_are_the_ones_selected_before():
    session = start(load("sp_test_survey.qsf"), strict=False)
    while session.page is not None and "QID20" not in session.page.questions:
        session.advance()
    assert session.page is not None
    session.answer({"QID20": {"2": {"selected": True}}})
    session.advance()
    assert session.page is None or session.page.questions  # still walking
    view = session.question_view("QID21")
    assert view["choices"] == [{"choiceId": "2", "display": "Dyna choice 2"}]


def test_skip_logic_to_end_of_survey_ends_the_walk():
    document = load("survey_logic_everywhere.qsf")
    # QID3 choice 2 skips to the end of the survey; otherwise the block is shown again (FL_5).
    ended = walk(
        document, lambda s: {**answers(s, 2), "QID3": {"2": {"selected": True}}}, strict=False
    )
    assert len(ended.pages) == 1 and ended.end_reason == "Completed"
    shown_again = walk(document, lambda s: answers(s, 2), strict=False)
    assert len(shown_again.pages) == 2


def test_and_if_logic_sets_and_is_operators_are_accepted_and_evaluated():
    document = load("survey_logic_everywhere.qsf")
    [question] = [e["Payload"] for e in elements(document, "SQ") if e["PrimaryAttribute"] == "QID4"]
    logic = question["Choices"]["2"]["DisplayLogic"]
    assert logic["1"]["Type"] == "AndIf"
    from qtui.sandbox.qualtrics.logic import Respondent, check_expression, evaluate

    check_expression(logic, "DisplayLogic")
    # Panel data and GeoIP conditions cannot hold in the sandbox; an answer-only set can.
    assert evaluate(logic, Respondent()) is False


def test_blocks_as_an_object_keyed_by_index_are_accepted():
    document = load("survey_logic_everywhere.qsf")
    [bl] = elements(document, "BL")
    bl["Payload"] = {str(i): b for i, b in enumerate(bl["Payload"])}
    assert list(excerpt("blocks_as_object")) == ["0", "1"]  # the shape newer exports have
    result = walk(document, lambda s: answers(s, 0), strict=False)
    assert result.end_reason == "Completed"


def test_screened_end_survey_of_a_real_export_flags_the_response():
    document = load("survey_logic_everywhere.qsf")
    [fl] = elements(document, "FL")
    fl["Payload"]["Flow"].insert(0, excerpt("screenout_end_survey"))
    fl["Payload"]["Properties"]["Count"] = 44
    result = walk(document, first_choice, strict=False)
    assert result.pages == [] and result.end_reason == "Screenout"
    assert result.session is not None
    values = result.session.response("R_local", "2026-01-01T00:00:00Z")["values"]
    assert values["Q_TerminateFlag"] == "Screened"


async def test_non_numeric_recode_values_are_refused_like_a_real_tenant():
    sandbox = QualtricsSandbox()
    document = load("sp_test_survey.qsf")
    [q5] = [e for e in elements(document, "SQ") if e["PrimaryAttribute"] == "QID5"]
    q5["Payload"]["RecodeValues"]["4"] = "na"
    async with await api_for(sandbox) as api:
        refused = await api.post("/survey-definitions", json=document)
    assert refused.status_code == 400
    error = refused.json()["meta"]["error"]
    assert refused.json()["meta"]["httpStatus"] == "400 - Bad Request"
    assert (
        "QID5" in error["errorMessage"]
        and "RecodeValues.4 'na' is not a number" in (error["errorMessage"])
    )


def test_shapes_of_real_exports_the_question_checks_accept():
    from qtui.sandbox.qualtrics.definitions import check_question

    carried_matrix = {
        "QuestionText": "Rate what you chose",
        "QuestionType": "Matrix",
        "Selector": "Likert",
        "SubSelector": "SingleAnswer",
        "Choices": [],
        "DynamicChoices": {
            "DynamicType": "ChoiceGroup",
            "Locator": "q://QID20/ChoiceGroup/SelectedChoices",
            "Type": "Dynamic",
        },
        "Answers": {"1": {"Display": "Good"}, "2": {"Display": "Bad"}},
        "AnswerOrder": [1, 2],
        "RecodeValues": [],
    }
    plain_text = {"QuestionText": "Hi", "QuestionType": "DB", "Selector": "PTB"}
    assert check_question(carried_matrix)["AnswerOrder"] == [1, 2]
    assert check_question(plain_text)["Selector"] == "PTB"
