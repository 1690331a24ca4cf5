"""Qualtrics sandbox sessions under bad updates: all or nothing, and always readable.

A session update is embedded data, answers, then advance or close. If any part is
refused, the session is exactly as before (today's Qualtrics answers a 400 without
keeping half of it); and no answer that is accepted can make the session, its response
or the survey fail to read back.
"""

from __future__ import annotations

import json

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.serving import serving
from tests.sandbox.test_qualtrics_sessions import Builder, mc, te


@pytest.fixture
async def api():
    sandbox = QualtricsSandbox()
    app = Starlette(routes=[Mount("/API/v3", app=sandbox.app)])
    async with serving(app) as server:
        async with httpx.AsyncClient(
            base_url=f"{server.url}/API/v3", headers={"X-API-TOKEN": sandbox.token}
        ) as client:
            yield client


async def one_page(api: httpx.AsyncClient) -> tuple[Builder, dict[str, str], str]:
    """A page with a forced single choice, a text entry and a multi choice; then a TE page."""
    builder = Builder(api)
    await builder.survey()
    block, [[q1, q2, q3], [q4]] = await builder.block(
        [
            mc("Pick one", "A", "B"),
            te("Say something"),
            mc("Pick some", "X", "Y", "Z", selector="MAVR", forced=False),
        ],
        [te("Last")],
    )
    await builder.publish([builder.b(block)])
    session = await builder.start(embeddedData={"panel": "p1"})
    return builder, {"q1": q1, "q2": q2, "q3": q3, "q4": q4}, session["sessionId"]


async def state(builder: Builder, session: str) -> dict:
    response = await builder.api.get(f"/surveys/{builder.sid}/sessions/{session}")
    assert response.status_code == 200, response.text
    return response.json()["result"]


REFUSED_UPDATES = {
    "bad answer after good ones": lambda q: {
        "embeddedData": {"panel": "changed", "extra": "1"},
        "responses": {q["q2"]: "kept?", q["q1"]: {"9": {"selected": True}}},
    },
    "answer to a question not on the page": lambda q: {
        "responses": {q["q2"]: "kept?", q["q4"]: "later page"},
    },
    "forced question left empty on advance": lambda q: {
        "embeddedData": {"panel": "changed"},
        "responses": {q["q2"]: "kept?", q["q3"]: {"1": {"selected": True}}},
        "advance": True,
    },
    "two choices for a single answer": lambda q: {
        "responses": {
            q["q2"]: "kept?",
            q["q1"]: {"1": {"selected": True}, "2": {"selected": True}},
        },
    },
    "embedded data that is not an object, after answers": lambda q: {
        "responses": {q["q2"]: "kept?"},
        "embeddedData": ["x"],
    },
    "advance and close together": lambda q: {
        "responses": {q["q2"]: "kept?"},
        "advance": True,
        "close": True,
    },
    "selected that is not a boolean": lambda q: {
        "responses": {q["q2"]: "kept?", q["q3"]: {"1": {"selected": "maybe"}}},
    },
}


@pytest.mark.parametrize("case", REFUSED_UPDATES)
async def test_a_refused_update_leaves_the_session_unchanged(api, case: str) -> None:
    builder, q, session = await one_page(api)
    # Something already given on the page, to see it is neither lost nor overwritten.
    first = await builder.update(session, responses={q["q2"]: "before"})
    assert first.status_code == 200
    before = await state(builder, session)
    response = await builder.update(session, **REFUSED_UPDATES[case](q))
    assert response.status_code == 400, response.text
    assert await state(builder, session) == before
    assert before["embeddedData"] == {"panel": "p1"}
    assert before["responses"] == {q["q2"]: "before"}
    # And the session goes on normally afterwards.
    done = await builder.update(
        session, responses={q["q1"]: {"1": {"selected": True}}}, advance=True
    )
    assert done.status_code == 200, done.text
    assert [x["questionId"] for x in done.json()["result"]["questions"]] == [q["q4"]]


async def test_a_refused_update_does_not_reach_the_recorded_response(api) -> None:
    builder, q, session = await one_page(api)
    refused = await builder.update(
        session, embeddedData={"panel": "leaked"}, responses={q["q2"]: "leaked", q["q1"]: 5}
    )
    assert refused.status_code == 400
    closed = await builder.update(session, close=True)
    response_id = closed.json()["result"]["responseId"]
    recorded = (await api.get(f"/surveys/{builder.sid}/responses/{response_id}")).json()
    values = recorded["result"]["values"]
    assert values["panel"] == "p1"
    assert f"{q['q2']}_TEXT" not in values


AWKWARD = [
    "[bold]not markup[/]",
    "\u202eevil\u202c",
    "zero\u200bwidth",
    "\U0001f600 emoji and ünïcödé",
    "\x1b[2J\x07 control characters",
    "${e://Field/panel} ${q://QID1/ChoiceTextEntryValue} piped-looking",
    "a" * 100_000,
    "שלום RTL",
    "",
]


@pytest.mark.parametrize("text", AWKWARD, ids=lambda t: repr(t[:20]))
async def test_any_accepted_answer_reads_back_everywhere(api, text: str) -> None:
    builder, q, session = await one_page(api)
    given = await builder.update(
        session,
        embeddedData={"note": text},
        responses={q["q1"]: {"2": {"selected": True}}, q["q2"]: text},
        advance=True,
    )
    assert given.status_code == 200, given.text
    assert (await state(builder, session))["embeddedData"]["note"] == text
    finished = await builder.update(session, responses={q["q4"]: text}, advance=True)
    assert finished.status_code == 200, finished.text
    result = finished.json()["result"]
    assert result["done"] is True
    recorded = await api.get(f"/surveys/{builder.sid}/responses/{result['responseId']}")
    assert recorded.status_code == 200
    values = recorded.json()["result"]["values"]
    # Text entry answers are recorded as QIDn_TEXT, as Qualtrics exports them.
    assert values[f"{q['q2']}_TEXT"] == text and values[f"{q['q4']}_TEXT"] == text
    assert (await api.get(f"/survey-definitions/{builder.sid}")).status_code == 200


@pytest.mark.parametrize(
    "raw",
    [
        rb'"\ud800"',
        rb'"ok \udfff"',
        b"1" + b"0" * 5000,
        b"1e999",
        b"[" * 70 + b"]" * 70,
    ],
)
async def test_answers_that_could_not_be_read_back_are_refused_at_the_door(api, raw) -> None:
    builder, q, session = await one_page(api)
    before = await state(builder, session)
    for body in (
        b'{"responses": {"' + q["q2"].encode() + b'": ' + raw + b"}}",
        b'{"embeddedData": {"x": ' + raw + b"}}",
    ):
        response = await api.post(
            f"/surveys/{builder.sid}/sessions/{session}",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400, response.text
        assert "The request body is" in response.json()["meta"]["error"]["errorMessage"]
    assert await state(builder, session) == before
    started = await api.post(
        f"/surveys/{builder.sid}/sessions",
        content=b'{"embeddedData": {"x": ' + raw + b"}}",
        headers={"Content-Type": "application/json"},
    )
    assert started.status_code == 400
    json.dumps(await state(builder, session)).encode("utf-8")
