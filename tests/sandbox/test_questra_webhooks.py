"""Webhook delivery from the Questra sandbox to a real receiver: signatures, retries, order."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from qtui.sandbox.questra import QuestraSandbox
from qtui.serving import serving

KEY = "qk_test"
ORG = "org_test"
AUTH = {"Authorization": f"Bearer {KEY}", "X-Org-Id": ORG}


def expected_signature(body: bytes, secret: str) -> str:
    # computed here from the documented scheme, independently of qtui's signing module
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> str:
        return json.loads(self.body)["event"]


@dataclass
class Receiver:
    """A webhook endpoint that records every request; `script` decides its answers in turn.

    An entry is a status code, or "hang" (answer only when the test ends).
    """

    received: list[Received] = field(default_factory=list)
    script: list[int | str] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def endpoint(self, request: Request) -> Response:
        self.received.append(Received(dict(request.headers), await request.body()))
        answer = self.script.pop(0) if self.script else 204
        if answer == "hang":
            await self.release.wait()
            return Response(status_code=204)
        return Response(f"answer {answer}", status_code=int(answer))

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self.endpoint, methods=["POST"])])

    def events(self) -> list[str]:
        return [r.event for r in self.received]


@dataclass
class Setup:
    sandbox: QuestraSandbox
    http: httpx.AsyncClient
    receiver: Receiver
    hook_url: str

    async def subscribe(self, **body: Any) -> dict[str, Any]:
        response = await self.http.post("/webhooks", json={"url": self.hook_url, **body})
        assert response.status_code == 201, response.text
        return response.json()

    async def deliveries(self, hook_id: str) -> list[dict[str, Any]]:
        response = await self.http.get(f"/webhooks/{hook_id}/deliveries", params={"limit": 100})
        return response.json()["data"]


async def _setup(**options: Any) -> AsyncIterator[Setup]:
    receiver = Receiver()
    sandbox = QuestraSandbox(KEY, ORG, speed=math.inf, **options)
    try:
        async with (
            serving(receiver.app) as hooks,
            serving(sandbox.app) as server,
            httpx.AsyncClient(base_url=server.url, headers=AUTH) as http,
        ):
            yield Setup(sandbox, http, receiver, f"{hooks.url}/hook")
            receiver.release.set()
    finally:
        receiver.release.set()


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    async for value in _setup(retry_delays=(0.02, 0.04), delivery_timeout=2):
        yield value


async def test_every_delivery_is_signed_over_its_exact_body(setup: Setup) -> None:
    hook = await setup.subscribe()
    await setup.http.post("/surveys", json={"name": "Signed"})
    await setup.http.post("/surveys", json={"name": "Also signed"})
    assert await setup.sandbox.drain(5)
    assert len(setup.receiver.received) == 2
    for received in setup.receiver.received:
        headers = received.headers
        assert headers["content-type"] == "application/json"
        assert headers["x-questra-signature"] == expected_signature(received.body, hook["secret"])
        assert headers["x-questra-event"] == "survey.created"
        assert headers["x-questra-delivery"]
        envelope = json.loads(received.body)
        assert list(envelope) == ["event", "data", "timestamp"]
    ids = {r.headers["x-questra-delivery"] for r in setup.receiver.received}
    assert len(ids) == 2
    assert [json.loads(r.body) for r in setup.receiver.received] == setup.sandbox.events


async def test_after_rotation_the_old_secret_no_longer_verifies(setup: Setup) -> None:
    hook = await setup.subscribe()
    rotated = (await setup.http.post(f"/webhooks/{hook['id']}/rotate")).json()
    assert rotated["secret"] != hook["secret"]
    await setup.http.post("/surveys", json={"name": "After rotation"})
    assert await setup.sandbox.drain(5)
    [received] = setup.receiver.received
    signature = received.headers["x-questra-signature"]
    assert signature == expected_signature(received.body, rotated["secret"])
    assert signature != expected_signature(received.body, hook["secret"])
    shown = (await setup.http.get(f"/webhooks/{hook['id']}")).json()
    assert "secret" not in shown


async def test_a_receiver_failing_twice_gets_three_attempts_with_one_delivery_id(
    setup: Setup,
) -> None:
    hook = await setup.subscribe()
    setup.receiver.script = [500, 503]
    await setup.http.post("/surveys", json={"name": "Retried"})
    assert await setup.sandbox.drain(5)
    received = setup.receiver.received
    assert len(received) == 3
    assert len({r.headers["x-questra-delivery"] for r in received}) == 1
    assert len({r.body for r in received}) == 1
    log = sorted(await setup.deliveries(hook["id"]), key=lambda d: d["attempt"])
    assert [(d["attempt"], d["status"], d["status_code"]) for d in log] == [
        (1, "failed", 500),
        (2, "failed", 503),
        (3, "succeeded", 204),
    ]
    assert log[0]["request_body"] == received[0].body.decode()
    assert log[0]["response_body"] == "answer 500"
    assert all(d["event"] == "survey.created" and d["webhook_id"] == hook["id"] for d in log)
    one = (await setup.http.get(f"/webhooks/{hook['id']}/deliveries/{log[1]['id']}")).json()
    assert one == log[1]


async def test_a_receiver_that_never_answers_in_time_is_marked_failed_after_the_last_retry() -> (
    None
):
    async for setup in _setup(retry_delays=(0.01, 0.01), delivery_timeout=0.2):
        hook = await setup.subscribe()
        setup.receiver.script = ["hang", "hang", "hang"]
        await setup.http.post("/surveys", json={"name": "Unanswered"})
        assert await setup.sandbox.drain(10)
        log = sorted(await setup.deliveries(hook["id"]), key=lambda d: d["attempt"])
        assert [(d["attempt"], d["status"]) for d in log] == [
            (1, "failed"),
            (2, "failed"),
            (3, "failed"),
        ]
        assert all(d["status_code"] is None and "0.2 s" in d["error"] for d in log)
        assert setup.sandbox.dispatcher.outstanding == 0


async def test_a_failing_event_does_not_hold_back_the_events_behind_it() -> None:
    async for setup in _setup(retry_delays=(0.5,), delivery_timeout=2):
        await setup.subscribe()
        setup.receiver.script = [500]
        await setup.http.post("/surveys", json={"name": "First"})
        await setup.http.post("/surveys", json={"name": "Second"})
        assert await setup.sandbox.drain(5)
        names = [json.loads(r.body)["data"]["name"] for r in setup.receiver.received]
        assert names == ["First", "Second", "First"]


async def test_deleting_a_webhook_drops_its_pending_retries() -> None:
    async for setup in _setup(retry_delays=(30,), delivery_timeout=2):
        hook = await setup.subscribe()
        setup.receiver.script = [500]
        await setup.http.post("/surveys", json={"name": "Retry pending"})
        while not setup.receiver.received:
            await setup.sandbox.drain(0.02)
        assert not await setup.sandbox.drain(0.1)  # the retry waits 30 s
        await setup.http.delete(f"/webhooks/{hook['id']}")
        assert await setup.sandbox.drain(1)
        assert len(setup.receiver.received) == 1


async def test_first_attempts_arrive_in_event_order(setup: Setup) -> None:
    await setup.subscribe()
    survey = (await setup.http.post("/surveys", json={"name": "CSAT"})).json()
    await setup.http.post(f"/surveys/{survey['id']}/start-programming")
    assert await setup.sandbox.drain(10)
    received = [json.loads(r.body) for r in setup.receiver.received]
    assert received == setup.sandbox.events
    assert len(received) > 20


async def test_subscriptions_receive_only_their_events(setup: Setup) -> None:
    await setup.subscribe(events=["survey.deleted"])
    survey = (await setup.http.post("/surveys", json={"name": "Filtered"})).json()
    await setup.http.delete(f"/surveys/{survey['id']}")
    assert await setup.sandbox.drain(5)
    assert setup.receiver.events() == ["survey.deleted"]


async def test_unknown_event_names_are_refused(setup: Setup) -> None:
    response = await setup.http.post(
        "/webhooks", json={"url": setup.hook_url, "events": ["survey.created", "page.moved"]}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "events.1"


async def test_the_test_endpoint_sends_a_synthetic_survey_created(setup: Setup) -> None:
    hook = await setup.subscribe(events=["page.created"])
    response = await setup.http.post(f"/webhooks/{hook['id']}/test")
    assert response.status_code == 200
    attempt = response.json()
    assert attempt["status"] == "succeeded" and attempt["event"] == "survey.created"
    [received] = setup.receiver.received
    assert received.event == "survey.created"
    assert received.headers["x-questra-signature"] == expected_signature(
        received.body, hook["secret"]
    )
    assert setup.sandbox.events == []  # nothing happened to any survey


async def test_webhook_management_round_trip(setup: Setup) -> None:
    created = await setup.subscribe(events=["survey.created"], description="relay")
    assert created["active"] is True and len(created["secret"]) >= 32
    patched = await setup.http.patch(
        f"/webhooks/{created['id']}", json={"active": False, "events": []}
    )
    assert patched.json()["active"] is False and patched.json()["events"] == []
    assert "secret" not in patched.json()
    assert (await setup.http.post(f"/webhooks/{created['id']}/test")).status_code == 409
    listed = (await setup.http.get("/webhooks")).json()
    assert [h["id"] for h in listed] == [created["id"]]
    await setup.http.post("/surveys", json={"name": "Nobody listens"})
    assert await setup.sandbox.drain(5)
    assert setup.receiver.received == []
    assert (await setup.http.delete(f"/webhooks/{created['id']}")).status_code == 204
    assert (await setup.http.get(f"/webhooks/{created['id']}")).status_code == 404


async def test_a_chosen_secret_is_used(setup: Setup) -> None:
    hook = await setup.subscribe(secret="relay-shared-secret")
    assert hook["secret"] == "relay-shared-secret"
    await setup.http.post("/surveys", json={"name": "Shared"})
    assert await setup.sandbox.drain(5)
    [received] = setup.receiver.received
    assert received.headers["x-questra-signature"] == expected_signature(
        received.body, "relay-shared-secret"
    )


async def test_delivery_log_pages_newest_first(setup: Setup) -> None:
    hook = await setup.subscribe()
    for n in range(3):
        await setup.http.post("/surveys", json={"name": f"Survey {n}"})
    assert await setup.sandbox.drain(5)
    first = (await setup.http.get(f"/webhooks/{hook['id']}/deliveries", params={"limit": 2})).json()
    rest = (
        await setup.http.get(
            f"/webhooks/{hook['id']}/deliveries",
            params={"limit": 2, "cursor": first["nextCursor"]},
        )
    ).json()
    names = [json.loads(d["request_body"])["data"]["name"] for d in first["data"] + rest["data"]]
    assert names == ["Survey 2", "Survey 1", "Survey 0"]
    assert rest["nextCursor"] is None
