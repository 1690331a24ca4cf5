"""QualtricsClient against the sandbox over loopback: envelope, typed errors, retries, paging."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from qtui.qualtrics.client import QualtricsClient, RetryInfo, api_base
from qtui.qualtrics.errors import (
    AuthError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    ConnectionFailedError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)
from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.serving import serving

MC = {
    "QuestionText": "Pick",
    "QuestionType": "MC",
    "Selector": "SAVR",
    "SubSelector": "TX",
    "Choices": {"1": {"Display": "A"}, "2": {"Display": "B"}},
}


async def test_create_survey_unwraps_the_result(client, sandbox):
    created = await client.create_survey("Unwrapped")
    assert created.SurveyID in sandbox.surveys
    assert created.DefaultBlockID == sandbox.surveys[created.SurveyID].default_block_id


async def test_not_found_is_a_typed_error_with_code_and_request_id(client):
    with pytest.raises(NotFoundError) as caught:
        await client.get_definition("SV_missing0000000")
    error = caught.value
    assert error.status == 404 and error.error_code == "GS_1"
    assert error.request_id and "SV_missing0000000" in error.error_message
    assert "\n" not in str(error)


async def test_bad_payload_is_a_bad_request_error_naming_the_field_and_not_retried(client):
    retries: list[RetryInfo] = []
    client.on_retry = retries.append
    survey = await client.create_survey("Bad")
    with pytest.raises(BadRequestError) as caught:
        await client.create_question(survey.SurveyID, {**MC, "Selector": "Nope"})
    assert "Selector" in str(caught.value) and caught.value.status == 400
    assert retries == []


async def test_wrong_token_says_to_set_the_token_variable(server):
    async with QualtricsClient(server.url, "not-the-token") as wrong:
        with pytest.raises(AuthError) as caught:
            await wrong.create_survey("x")
    assert "set QTUI_QUALTRICS_TOKEN" in str(caught.value)
    assert caught.value.error_code == "AUTH_6.0"


async def test_server_errors_are_retried_with_backoff_until_success(client, sandbox):
    retries: list[RetryInfo] = []
    client.on_retry = retries.append
    sandbox.fail_next(2, status=500)
    created = await client.create_survey("Eventually")
    assert created.SurveyID in sandbox.surveys
    assert [r.status for r in retries] == [500, 500]
    assert [r.attempt for r in retries] == [1, 2]
    assert all(0 < r.delay <= 0.04 for r in retries)
    assert client.retries == 2


async def test_server_errors_beyond_max_retries_raise_server_error(server, sandbox):
    sandbox.fail_next(3, status=503)
    async with QualtricsClient(
        server.url, sandbox.token, max_retries=2, backoff_base=0.001
    ) as client:
        with pytest.raises(ServerError) as caught:
            await client.create_survey("Never")
    assert caught.value.status == 503
    assert sandbox.surveys == {}


async def test_rate_limited_request_waits_retry_after_then_succeeds(server):
    sandbox = QualtricsSandbox(rate_limit=2, rate_window=1.0)
    from tests.qualtrics.conftest import mount

    retries: list[RetryInfo] = []
    async with serving(mount(sandbox)) as limited:
        async with QualtricsClient(limited.url, sandbox.token, on_retry=retries.append) as client:
            for name in ("one", "two", "three"):
                await client.create_survey(name)
    assert len(sandbox.surveys) == 3
    assert [(r.status, r.delay) for r in retries] == [(429, 1.0)]


async def test_rate_limit_beyond_retries_raises_rate_limited_error(server):
    sandbox = QualtricsSandbox(rate_limit=1, rate_window=60.0)
    from tests.qualtrics.conftest import mount

    async with serving(mount(sandbox)) as limited:
        async with QualtricsClient(limited.url, sandbox.token, max_retries=0) as client:
            await client.create_survey("one")
            with pytest.raises(RateLimitedError) as caught:
                await client.create_survey("two")
    assert caught.value.retry_after is not None and caught.value.retry_after > 1


async def test_list_questions_follows_next_page_to_the_end(client, sandbox):
    sandbox.page_size = 2
    survey = await client.create_survey("Paged")
    for _ in range(5):
        await client.create_question(survey.SurveyID, MC)
    questions = await client.list_questions(survey.SurveyID)
    assert [q["QuestionID"] for q in questions] == ["QID1", "QID2", "QID3", "QID4", "QID5"]
    paged = [q async for q in client.paginate(f"/survey-definitions/{survey.SurveyID}/questions")]
    assert len(paged) == 5


async def test_session_update_with_an_empty_result_reads_the_state_back():
    """Qualtrics' documented update example answers `{"result": {}}`; the client then GETs."""

    async def update(request: Request) -> JSONResponse:
        return JSONResponse({"result": {}, "meta": {"httpStatus": "200 - OK"}})

    async def read(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "result": {"sessionId": "FS_1", "questions": [], "done": True, "responseId": "R_1"},
                "meta": {"httpStatus": "200 - OK"},
            }
        )

    app = Starlette(
        routes=[
            Mount(
                "/API/v3",
                routes=[
                    Route("/surveys/{sid}/sessions/{session}", update, methods=["POST"]),
                    Route("/surveys/{sid}/sessions/{session}", read, methods=["GET"]),
                ],
            )
        ]
    )
    async with serving(app) as server:
        async with QualtricsClient(server.url, "t") as client:
            state = await client.update_session("SV_1", "FS_1", advance=True)
    assert state.done is True and state.responseId == "R_1"


async def test_finished_session_update_is_a_conflict_error(client, sandbox):
    survey = await client.create_survey("Short")
    await client.create_question(survey.SurveyID, {**MC, "Validation": {}})
    await client.publish(survey.SurveyID)
    await client.set_active(survey.SurveyID)
    state = await client.start_session(survey.SurveyID)
    state = await client.update_session(survey.SurveyID, state.sessionId, close=True)
    assert state.done
    with pytest.raises(ConflictError):
        await client.update_session(survey.SurveyID, state.sessionId, advance=True)


async def test_unreachable_server_is_a_connection_error_saying_what_to_check():
    async with serving(Starlette()) as gone:
        url = gone.url
    async with QualtricsClient(url, "t", max_retries=0) as client:
        with pytest.raises(ConnectionFailedError) as caught:
            await client.get_definition("SV_x")
    assert "QTUI_QUALTRICS_BASE_URL" in str(caught.value)


def test_base_url_gets_the_api_prefix_once():
    assert api_base("https://iad1.qualtrics.com") == "https://iad1.qualtrics.com/API/v3"
    assert api_base("https://iad1.qualtrics.com/API/v3/") == "https://iad1.qualtrics.com/API/v3"
    assert api_base("fra1.qualtrics.com") == "https://fra1.qualtrics.com/API/v3"


def test_from_env_names_the_missing_variable():
    with pytest.raises(ConfigurationError, match="QTUI_QUALTRICS_TOKEN"):
        QualtricsClient.from_env({"QTUI_QUALTRICS_BASE_URL": "https://x.qualtrics.com"})
    with pytest.raises(ConfigurationError, match="QTUI_QUALTRICS_BASE_URL"):
        QualtricsClient.from_env({"QTUI_QUALTRICS_TOKEN": "t"})


async def test_from_settings_reads_secret_token_and_base_url():
    class Section:
        base_url = "https://sjc1.qualtrics.com"
        token = SecretStr("s3cret")

    class Settings:
        qualtrics = Section()

    client = QualtricsClient.from_settings(Settings())
    try:
        assert client.base_url == "https://sjc1.qualtrics.com/API/v3"
        assert client._http.headers["X-API-TOKEN"] == "s3cret"
    finally:
        await client.aclose()
