"""Scripted walkthroughs through the sessions API after a push, over a real loopback server.

The agreement tests are the point of the sandbox: its engine evaluates the *compiled Qualtrics*
flow and logic on its own, and the pages it shows must be the pages `qtui.core.routes.route()`
predicts from the Questra survey for the same answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qtui.core.logic import is_true
from qtui.core.models import LoopConfig, Survey, TextConfig
from qtui.core.routes import route, with_variables
from qtui.qualtrics.client import QualtricsClient
from qtui.qualtrics.compile import compile_survey
from qtui.qualtrics.errors import BadRequestError, NotFoundError
from qtui.qualtrics.push import push_survey
from qtui.qualtrics.session import (
    AnswerError,
    SessionDriver,
    WalkError,
    end_reason,
    walkthrough,
)
from qtui.qualtrics.state import PushState
from qtui.sandbox.questionnaires import load as load_questionnaire
from tests.qualtrics.surveys import csat_survey, materialize, screener_survey


async def pushed(client: QualtricsClient, data: dict, tmp_path: Path) -> tuple[str, PushState]:
    state = PushState.load(data["id"], client.base_url, directory=tmp_path)
    report = await push_survey(client, Survey.model_validate(data), state=state, for_sessions=True)
    assert report.qualtrics_survey_id
    return report.qualtrics_survey_id, PushState.load(
        data["id"], client.base_url, directory=tmp_path
    )


def visited_pages(walk: Any, survey: Survey, state: PushState) -> list[str]:
    page_of_qid = {
        state.target.questions[b.id]: b.page_id
        for b in survey.blocks()
        if b.id in state.target.questions
    }
    pages: list[str] = []
    for step in walk.steps:
        page_id = page_of_qid[step.questions[0]["questionId"]]
        if not pages or pages[-1] != page_id:  # a split page shows as consecutive steps
            pages.append(page_id)
    return pages


def predicted_pages(survey: Survey, answers: dict[str, Any]) -> list[str]:
    """route()'s pages, up to the first terminal page, without pages that show nothing.

    Pushed for sessions, a page of text only shows nothing either (docs/qualtrics-mapping.md).
    """
    terminal = compile_survey(survey).terminal_pages
    namespace = with_variables(survey, answers)
    pages: list[str] = []
    for page in route(survey, answers).pages:
        shown = [
            b
            for b in page.blocks
            if not isinstance(b.config, LoopConfig | TextConfig)
            and (not b.config.showIf or is_true(b.config.showIf, namespace))
        ]
        if shown:
            pages.append(page.id)
        if page.id in terminal:
            break
    return pages


def answers_given(walk: Any) -> dict[str, Any]:
    """The answers the platform actually received, keyed by reference name."""
    return {
        q["tag"]: q["answer"]
        for step in walk.steps
        for q in step.questions
        if q["answer"] is not None
    }


async def walk_and_compare(
    client: QualtricsClient, data: dict, tmp_path: Path, answers: dict[str, Any]
) -> Any:
    survey = Survey.model_validate(data)
    survey_id, state = await pushed(client, data, tmp_path)
    walk = await walkthrough(SessionDriver(client, survey_id), answers)
    assert walk.done
    assert visited_pages(walk, survey, state) == predicted_pages(survey, answers_given(walk))
    return walk, visited_pages(walk, survey, state)


# Pushed for sessions, the pages of text only (p-intro, p-thanks, p-term, p-done) show
# nothing in a session: the walk goes from question page to question page.
CSAT_ROUTES = [
    (
        {"q1": "5", "q2": "great", "q5": "9"},
        ["p-sat", "p-praise", "p-recommend"],
    ),
    (
        {"q1": "1", "q3": "slow", "q4": ["speed"], "q5": "3", "q6": "rude"},
        ["p-sat", "p-complaint", "p-improve", "p-recommend"],
    ),
    (
        {"q1": "3", "q4": ["price", "staff"], "q5": "7"},
        ["p-sat", "p-improve", "p-recommend"],
    ),
    (
        {"q1": "Satisfied", "q2": "ok", "q5": 0, "q6": "meh"},
        ["p-sat", "p-praise", "p-recommend"],
    ),
]


@pytest.mark.parametrize(("answers", "pages"), CSAT_ROUTES)
async def test_csat_walkthrough_follows_each_route(client, sandbox, tmp_path, answers, pages):
    walk, visited = await walk_and_compare(client, csat_survey(), tmp_path, answers)
    assert visited == pages
    assert walk.end_reason == "Completed"
    stored = sandbox.responses[walk.response_id]
    assert stored["values"]["sat"] in ("1", "3", "4", "5")  # the variable copied from q1
    # unhappy = q1.value in ['1', '2'], computed by the flow (a Branch sets "true").
    expected = "true" if stored["values"]["sat"] in ("1", "2") else "false"
    assert stored["values"]["unhappy"] == expected


async def test_csat_detractor_sees_the_follow_up_and_a_promoter_does_not(client, tmp_path):
    walk, _ = await walk_and_compare(client, csat_survey(), tmp_path, CSAT_ROUTES[1][0])
    shown = {q["tag"] for step in walk.steps for q in step.questions}
    assert "q6" in shown
    walk, _ = await walk_and_compare(client, csat_survey(), tmp_path, CSAT_ROUTES[0][0])
    answered = {q["tag"] for step in walk.steps for q in step.questions if q["answer"]}
    assert "q6" not in answered


SCREENER_ROUTES = [
    ({"industry": "yes", "title": "Researcher"}, ["p-screen"], "Screenout"),
    (
        {"industry": "no", "title": "Baker", "age": "u18"},
        ["p-screen", "p-age"],
        "Screenout",
    ),
    (
        {"industry": "No", "title": "Baker", "age": "18-34", "nps": 10},
        ["p-screen", "p-age", "p-nps"],
        "Completed",
    ),
    (
        {"industry": "no", "title": "Baker", "age": "55+", "nps": "4", "why": "price"},
        ["p-screen", "p-age", "p-nps"],
        "Completed",
    ),
]


@pytest.mark.parametrize(("answers", "pages", "reason"), SCREENER_ROUTES)
async def test_screener_walkthrough_ends_where_the_route_ends(
    client, sandbox, tmp_path, answers, pages, reason
):
    walk, visited = await walk_and_compare(client, screener_survey(), tmp_path, answers)
    assert visited == pages
    assert walk.end_reason == reason
    stored = sandbox.responses[walk.response_id]
    status = "terminated" if reason == "Screenout" else "complete"
    assert stored["values"]["qtui_response_status"] == status
    assert ("Q_TerminateFlag" in stored["values"]) == (reason == "Screenout")


BUNDLED_ROUTES = [
    {"q1": "under_18"},
    {"q1": "25_34", "q2": "outside_us"},
    {"q1": "25_34", "q2": "west", "q3": ["retail", "advertising"]},
    {
        "q1": "25_34",
        "q2": "west",
        "q3": ["none"],
        "q4": "daily",
        "q5": ["none"],
        "q6": "Other",
        "q7": "9",
        "q9": "4",
        "q10": "no",
    },
    {
        "q1": "45_54",
        "q2": "south",
        "q3": ["retail"],
        "q4": "weekly",
        "q5": ["vidora", "playtide"],
        "q7": "3",
        "q8": "cheaper",
        "q9": "2",
        "q10": "bye",
    },
]


@pytest.mark.parametrize("answers", BUNDLED_ROUTES)
async def test_bundled_sessions_screener_agrees_with_route(client, tmp_path, answers):
    data = materialize(load_questionnaire("screener_sessions"))
    walk, visited = await walk_and_compare(client, data, tmp_path, answers)
    assert visited and walk.end_reason in ("Completed", "Screenout")


async def test_bundled_csat_agrees_with_route_for_a_detractor_and_a_promoter(client, tmp_path):
    questionnaire = load_questionnaire("csat")
    data = materialize(questionnaire, "srv-bundled-csat")
    survey = Survey.model_validate(data)
    names = [b.config.name for b in survey.blocks() if b.is_question]
    first = next(b for b in survey.blocks() if b.is_question)
    for nps in ("2", "10"):
        answers: dict[str, Any] = {name: "x" for name in names}
        for b in survey.blocks():
            options = getattr(b.config, "choices", None)
            if options:
                answers[b.config.name] = options[0].value
        answers[first.config.name] = nps
        await walk_and_compare(client, data, tmp_path, answers)


async def test_unanswered_forced_question_stops_the_walk_with_the_platforms_message(
    client, tmp_path
):
    survey_id, _ = await pushed(client, screener_survey(), tmp_path)
    with pytest.raises(WalkError) as caught:
        await walkthrough(SessionDriver(client, survey_id), {"industry": "no"})
    message = str(caught.value)
    assert "requires a response" in message and "'title'" in message
    assert "\n" not in message
    assert len(caught.value.walk.steps) == 1


async def test_driver_encodes_by_tag_label_value_or_choice_id(client, tmp_path):
    survey_id, state = await pushed(client, screener_survey(), tmp_path)
    qid = state.target.questions["b-s1"]
    driver = SessionDriver(client, survey_id)
    await driver.start()
    by_value = await driver.encode({"industry": "no"})
    by_label = await driver.encode({"INDUSTRY": "No"})
    by_id = await driver.encode({qid: "2"})
    assert (
        by_value == by_label == by_id == {qid: {"1": {"selected": False}, "2": {"selected": True}}}
    )
    with pytest.raises(AnswerError, match="no choice matches"):
        await driver.encode({"industry": "maybe"})
    with pytest.raises(AnswerError, match="no question 'nope'"):
        await driver.encode({"nope": 1})


async def test_driver_answer_then_advance_then_delete(client, sandbox, tmp_path):
    survey_id, state = await pushed(client, screener_survey(), tmp_path)
    qids = state.target.questions
    driver = SessionDriver(client, survey_id)
    page = await driver.start(embedded_data={"panel": "p1"})
    assert page.number == 1 and page.question_ids == [qids["b-s1"], qids["b-s2"]]
    assert page.embedded_data["panel"] == "p1"
    page = await driver.answer({"industry": "no", "title": "Chef"})
    assert page.number == 1 and not page.done
    page = await driver.advance()
    assert page.number == 2 and page.question_ids == [qids["b-age"]]
    await driver.delete()
    assert sandbox.responses == {}
    with pytest.raises(NotFoundError):
        await client.get_session(survey_id, driver.state.sessionId or "")


async def test_close_ends_the_session_with_a_response(client, sandbox, tmp_path):
    survey_id, _ = await pushed(client, screener_survey(), tmp_path)
    driver = SessionDriver(client, survey_id)
    await driver.start()
    page = await driver.close()
    assert page.done and end_reason(sandbox.responses[page.response_id]) == "Closed"


async def test_unknown_session_is_not_found(client, tmp_path):
    survey_id, _ = await pushed(client, screener_survey(), tmp_path)
    with pytest.raises(NotFoundError):
        await client.get_session(survey_id, "FS_000000000000000")


async def test_advance_and_close_in_one_update_is_refused(client, tmp_path):
    survey_id, _ = await pushed(client, screener_survey(), tmp_path)
    state = await client.start_session(survey_id)
    with pytest.raises(BadRequestError, match="advance and close"):
        await client.request(
            "POST",
            f"/surveys/{survey_id}/sessions/{state.sessionId}",
            json={"advance": True, "close": True},
        )


async def test_a_survey_with_matrix_questions_cannot_be_walked(client, tmp_path):
    data = materialize(load_questionnaire("screener"), "srv-full-screener")
    survey_id, _ = await pushed(client, data, tmp_path)
    with pytest.raises(BadRequestError, match="not supported by the sessions API"):
        await SessionDriver(client, survey_id).start()


async def test_unpublished_survey_cannot_be_walked(client):
    made = await client.create_survey("Draft only")
    await client.create_question(
        made.SurveyID, {"QuestionText": "q", "QuestionType": "TE", "Selector": "SL"}
    )
    await client.set_active(made.SurveyID)
    with pytest.raises(BadRequestError, match="no published version"):
        await SessionDriver(client, made.SurveyID).start()
