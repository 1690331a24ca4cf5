"""Every body-taking endpoint of both emulators, fed hostile bodies: a 4xx, never a 5xx.

The emulators run as `qtui sandbox` serves them (Questra at /, Qualtrics at /API/v3) on
loopback, with real objects behind every path parameter, so each endpoint gets past its
lookups to the body. The sweep is the class; a few pinned messages show the wording.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.routing import Route

from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.sandbox.questra import QuestraSandbox
from qtui.sandbox.server import QUALTRICS_PREFIX, create_sandbox_app
from qtui.serving import serving
from tests.sandbox.test_qualtrics_sessions import Builder, mc, te

QUESTRA_AUTH = {"Authorization": "Bearer qk_sandbox", "X-Org-Id": "org_sandbox"}


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


HOSTILE: dict[str, bytes] = {
    "Latin-1": b'{"name": "caf\xe9"}',
    "UTF-16": '{"name": "x"}'.encode("utf-16"),
    "truncated": b'{"name": ',
    "deep nesting": b'{"name": ' + nested(100_000) + b"}",
    "nesting 65": b'{"name": ' + nested(64) + b"}",
    "lone surrogate": rb'{"name": "\ud800", "SurveyName": "\udfff", "Description": "\ud800"}',
    "surrogate key": rb'{"\udc00": 1}',
    "5000-digit integer": b'{"order": ' + b"9" * 5000 + b"}",
    "1e999": b'{"order": 1e999}',
    "NaN": b'{"order": NaN}',
    "array": b"[1, 2, 3]",
    "string": b'"hello"',
    "null": b"null",
    "number": b"42",
    "wrong types": (
        b'{"name": [], "order": "x", "config": 5, "responses": "x", "embeddedData": [],'
        b' "Flow": 1, "BlockElements": {}, "Choices": "x", "events": [1], "url": 5,'
        b' "SurveyName": {}, "Published": "yes", "advance": [], "QuestionText": 1}'
    ),
}


@dataclass
class Sandboxes:
    http: httpx.AsyncClient
    questra: QuestraSandbox
    qualtrics: QualtricsSandbox
    ids: dict[str, str]


@pytest.fixture
async def sandboxes() -> AsyncIterator[Sandboxes]:
    questra = QuestraSandbox(speed=math.inf, seed=7)
    qualtrics = QualtricsSandbox()
    app = create_sandbox_app(questra, qualtrics)
    async with serving(app) as server, httpx.AsyncClient(base_url=server.url) as http:
        ids = await _populate(http, questra, qualtrics)
        yield Sandboxes(http, questra, qualtrics, ids)


async def _populate(
    http: httpx.AsyncClient, questra: QuestraSandbox, qualtrics: QualtricsSandbox
) -> dict[str, str]:
    # Questra: a programmed survey (pages, blocks, variables, rules) and a webhook.
    survey = (await http.post("/surveys", json={"name": "CSAT"}, headers=QUESTRA_AUTH)).json()
    await http.post(f"/surveys/{survey['id']}/start-programming", headers=QUESTRA_AUTH)
    await questra.drain()
    org = questra.org
    hook = (
        await http.post("/webhooks", json={"url": "http://127.0.0.1:9/x"}, headers=QUESTRA_AUTH)
    ).json()
    ids = {
        "ref": survey["id"],
        "pages": next(iter(org.pages)),
        "blocks": next(iter(org.blocks)),
        "variables": next(iter(org.variables)),
        "navigation-rules": next(iter(org.rules)),
        "webhooks": hook["id"],
        "delivery_id": "no-such-delivery",
    }
    # Qualtrics: a published, active survey with a session.
    api = httpx.AsyncClient(
        base_url=str(http.base_url).rstrip("/") + QUALTRICS_PREFIX,
        headers={"X-API-TOKEN": qualtrics.token},
    )
    async with api:
        builder = Builder(api)
        sid = await builder.survey()
        block, [[qid], [_]] = await builder.block([mc("Pick", "A", "B")], [te("Why?")])
        await builder.publish([builder.b(block)])
        session = await builder.start()
    record = qualtrics.surveys[sid]
    ids |= {
        "sid": sid,
        "qid": qid,
        "bid": block,
        "fid": record.flow["Flow"][0]["FlowID"],
        "vid": record.versions[0]["metadata"]["versionID"],
        "session": session["sessionId"],
        "rid": "R_none",
        "subscription": "SUB_none",
    }
    return ids


def _url(path: str, ids: dict[str, str]) -> str:
    parts = []
    for part in path.strip("/").split("/"):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            key = parts[-1] if name == "id" else name
            part = ids.get(key, ids.get(name, "x"))
        parts.append(part)
    return "/" + "/".join(parts)


def body_routes(app: Any, prefix: str) -> list[tuple[str, str]]:
    """(method, path template) of every route that may take a body."""
    found = []
    for route in app.routes:
        if isinstance(route, Route):
            for method in sorted(route.methods or ()):
                if method in ("POST", "PUT", "PATCH"):
                    found.append((method, prefix + route.path))
    return found


async def _sweep(sandboxes: Sandboxes, routes: list[tuple[str, str]], headers: dict) -> None:
    failures = []
    for method, template in routes:
        for name, body in HOSTILE.items():
            url = _url(template, sandboxes.ids)
            response = await sandboxes.http.request(method, url, content=body, headers=headers)
            if response.status_code >= 500:
                failures.append(f"{method} {template} [{name}] → {response.status_code}")
            elif response.status_code >= 400:
                assert response.json(), f"{method} {template} [{name}] gave no JSON error"
    assert not failures, "\n".join(failures)


async def test_no_questra_endpoint_answers_a_hostile_body_with_a_5xx(sandboxes) -> None:
    routes = body_routes(sandboxes.questra.app, "")
    assert len(routes) >= 15
    await _sweep(sandboxes, routes, QUESTRA_AUTH)


async def test_no_qualtrics_endpoint_answers_a_hostile_body_with_a_5xx(sandboxes) -> None:
    routes = body_routes(sandboxes.qualtrics.app, QUALTRICS_PREFIX)
    assert len(routes) >= 12
    headers = {"X-API-TOKEN": sandboxes.qualtrics.token}
    await _sweep(sandboxes, routes, headers)


async def test_survey_state_survives_the_sweep_readable(sandboxes) -> None:
    routes = body_routes(sandboxes.questra.app, "")
    await _sweep(sandboxes, routes, QUESTRA_AUTH)
    qroutes = body_routes(sandboxes.qualtrics.app, QUALTRICS_PREFIX)
    await _sweep(sandboxes, qroutes, {"X-API-TOKEN": sandboxes.qualtrics.token})
    ids = sandboxes.ids
    for url, headers in [
        (f"/surveys/{ids['ref']}", QUESTRA_AUTH),
        ("/surveys", QUESTRA_AUTH),
        ("/webhooks", QUESTRA_AUTH),
        (
            f"{QUALTRICS_PREFIX}/survey-definitions/{ids['sid']}",
            {"X-API-TOKEN": "qualtrics-sandbox-token"},
        ),
        (
            f"{QUALTRICS_PREFIX}/surveys/{ids['sid']}/sessions/{ids['session']}",
            {"X-API-TOKEN": "qualtrics-sandbox-token"},
        ),
    ]:
        response = await sandboxes.http.get(url, headers=headers)
        assert response.status_code == 200, (url, response.text)


@pytest.mark.parametrize(
    ("body", "questra", "qualtrics"),
    [
        (
            b'{"name": "caf\xe9"}',
            "request body is not UTF-8 text (byte 13)",
            "The request body is not UTF-8 text (byte 13).",
        ),
        (
            b'{"name": ' + nested(100_000) + b"}",
            "request body is refused: nesting is deeper than 64 levels",
            "The request body is refused: nesting is deeper than 64 levels.",
        ),
        (
            rb'{"SurveyName": "\ud800"}',
            "request body is refused: a string holds a lone surrogate (\\ud800), not valid Unicode",
            "The request body is refused: a string holds a lone surrogate (\\ud800), "
            "not valid Unicode.",
        ),
    ],
)
async def test_bad_bodies_get_400_with_the_reason(sandboxes, body, questra, qualtrics) -> None:
    q = await sandboxes.http.post("/surveys", content=body, headers=QUESTRA_AUTH)
    assert (q.status_code, q.json()) == (400, {"error": "bad_request", "message": questra})
    headers = {"X-API-TOKEN": sandboxes.qualtrics.token}
    r = await sandboxes.http.post(
        f"{QUALTRICS_PREFIX}/survey-definitions", content=body, headers=headers
    )
    assert r.status_code == 400
    assert r.json()["meta"]["error"]["errorMessage"] == qualtrics


async def test_bodies_past_the_cap_get_413_without_being_read_whole(sandboxes, monkeypatch) -> None:
    import qtui.sandbox.bodies

    monkeypatch.setattr(qtui.sandbox.bodies, "MAX_BODY_BYTES", 1000)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b" " * 100

    # Chunked, so only counting the bytes as they come can stop it.
    q = await sandboxes.http.post("/surveys", content=chunks(), headers=QUESTRA_AUTH)
    assert q.status_code == 413
    assert q.json()["message"] == "request body is larger than 1000 bytes"
    # Declared too large: refused before reading.
    headers = {"X-API-TOKEN": sandboxes.qualtrics.token}
    r = await sandboxes.http.post(
        f"{QUALTRICS_PREFIX}/survey-definitions", content=b" " * 1001, headers=headers
    )
    assert r.status_code == 413
    assert r.json()["meta"]["error"]["errorMessage"] == (
        "The request body is larger than 1000 bytes."
    )
