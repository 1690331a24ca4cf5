"""QuestraClient against the real sandbox and against small misbehaving servers."""

from __future__ import annotations

import math
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from qtui.questra.client import (
    AuthError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    QuestraClient,
    QuestraError,
    RateLimitedError,
    ServerError,
    UnreachableError,
)
from qtui.sandbox.questra import QuestraSandbox
from qtui.serving import serving

KEY = "qk_test"
ORG = "org_test"

MC = {
    "type": "MultipleChoice",
    "label": "Age?",
    "choices": [{"label": "Under 18", "value": "under_18"}, {"label": "18+", "value": "adult"}],
}


@dataclass
class Sandbox:
    sandbox: QuestraSandbox
    url: str


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    questra = QuestraSandbox(KEY, ORG, speed=math.inf)
    async with serving(questra.app) as server:
        yield Sandbox(questra, server.url)


def client(url: str, **options: object) -> QuestraClient:
    options.setdefault("backoff", 0.01)
    return QuestraClient(url, KEY, ORG, **options)  # type: ignore[arg-type]


async def test_survey_resources_round_trip(sandbox: Sandbox) -> None:
    async with client(sandbox.url) as questra:
        survey = await questra.create_survey("Screener", slug="my-screener")
        intro = await questra.create_page(survey["id"], "Intro")
        end = await questra.create_page("my-screener", "End", assign_response_status="terminated")
        block = await questra.create_block(intro["id"], MC)
        rule = await questra.create_rule(intro["id"], end["id"], "q1.value in ['under_18']")
        variable = await questra.create_variable(survey["id"], "is_minor", "q1.value == 'under_18'")

        full = await questra.get_survey("my-screener")
        assert [p["name"] for p in full["pages"]] == ["Intro", "End"]
        assert full["pages"][0]["blocks"][0]["config"]["choices"][0]["value"] == "under_18"
        assert full["pages"][0]["navigation_rules"][0]["id"] == rule["id"]
        assert rule["targetPage"]["name"] == "End"

        await questra.update_block(block["id"], page_id=end["id"])
        assert (await questra.get_block(block["id"]))["page_id"] == end["id"]
        kept = await questra.update_rule(rule["id"], order=2)
        assert kept["condition"] == "q1.value in ['under_18']"
        cleared = await questra.update_rule(rule["id"], condition=None)
        assert cleared["condition"] is None
        renamed = await questra.update_variable(variable["id"], name="isMinor")
        assert renamed["expression"] == "q1.value == 'under_18'"
        assert (await questra.update_page(intro["id"], name="Welcome"))["name"] == "Welcome"
        assert [p["name"] for p in await questra.list_pages(survey["id"], query="wel")] == [
            "Welcome"
        ]
        assert len(await questra.list_blocks(end["id"])) == 1
        assert len(await questra.list_rules(intro["id"])) == 1
        assert [v["name"] for v in await questra.list_variables(survey["id"])] == ["isMinor"]

        await questra.delete_rule(rule["id"])
        await questra.delete_variable(variable["id"])
        await questra.delete_block(block["id"])
        await questra.delete_page(end["id"])
        updated = await questra.update_survey(survey["id"], name="Renamed")
        assert updated["name"] == "Renamed"
        assert [s["id"] for s in await questra.list_surveys()] == [survey["id"]]
        await questra.delete_survey(survey["id"])
        assert await questra.list_surveys() == []
    kinds = [e["event"] for e in sandbox.sandbox.events]
    assert kinds[-6:] == [
        "navigation_rule.deleted",
        "variable.deleted",
        "block.deleted",
        "page.deleted",
        "survey.updated",
        "survey.deleted",
    ]


async def test_programming_and_webhooks_through_the_client(sandbox: Sandbox) -> None:
    async with client(sandbox.url) as questra:
        survey = await questra.create_survey("CSAT")
        hook = await questra.create_webhook("http://127.0.0.1:9/unused", ["survey.updated"])
        assert hook["secret"]
        assert (await questra.get_webhook(hook["id"]))["events"] == ["survey.updated"]
        rotated = await questra.rotate_webhook(hook["id"])
        assert rotated["secret"] != hook["secret"]
        off = await questra.update_webhook(hook["id"], active=False)
        assert off["active"] is False
        await questra.set_destination(survey["id"], "qualtrics", integration_id="int_1")
        started = await questra.start_programming(survey["id"], qa=[])
        assert started == {"ok": True, "already_running": False, "status": "programming"}
        assert await sandbox.sandbox.drain(10)
        assert (await questra.get_survey(survey["id"]))["status"] == "reviewing"
        assert [h["id"] for h in await questra.list_webhooks()] == [hook["id"]]
        assert await questra.list_deliveries(hook["id"]) == []
        await questra.delete_webhook(hook["id"])
        with pytest.raises(NotFoundError):
            await questra.get_webhook(hook["id"])


async def test_wrong_key_raises_auth_error_saying_what_to_check(sandbox: Sandbox) -> None:
    async with QuestraClient(sandbox.url, "wrong", ORG, backoff=0.01) as questra:
        with pytest.raises(AuthError) as caught:
            await questra.list_surveys()
    assert caught.value.status == 401
    assert "check QTUI_QUESTRA_API_KEY and QTUI_QUESTRA_ORG_ID" in caught.value.message
    assert "invalid API key" in caught.value.message


async def test_wrong_org_raises_auth_error_with_403(sandbox: Sandbox) -> None:
    async with QuestraClient(sandbox.url, KEY, "org_other", backoff=0.01) as questra:
        with pytest.raises(AuthError) as caught:
            await questra.get_survey("anything")
    assert caught.value.status == 403


async def test_missing_survey_raises_not_found_with_the_server_message(sandbox: Sandbox) -> None:
    async with client(sandbox.url) as questra:
        with pytest.raises(NotFoundError) as caught:
            await questra.get_survey("no-such-survey")
    assert caught.value.status == 404
    assert "'no-such-survey' not found" in caught.value.message
    assert caught.value.error == "not_found"


async def test_editing_a_survey_being_programmed_raises_conflict() -> None:
    questra_sandbox = QuestraSandbox(KEY, ORG, speed=5)
    async with serving(questra_sandbox.app) as server, client(server.url) as questra:
        survey = await questra.create_survey("CSAT")
        await questra.start_programming(survey["id"])
        with pytest.raises(ConflictError) as caught:
            await questra.create_page(survey["id"], "Mine")
        assert caught.value.status == 409
        await questra.delete_survey(survey["id"])


async def test_invalid_block_raises_invalid_request_naming_the_field(sandbox: Sandbox) -> None:
    async with client(sandbox.url) as questra:
        survey = await questra.create_survey("x")
        page = await questra.create_page(survey["id"], "p")
        with pytest.raises(InvalidRequestError) as caught:
            await questra.create_block(page["id"], {"type": "Matrix", "rows": "not a list"})
    assert caught.value.status == 422
    assert caught.value.message.startswith("config.rows:")


# --- retries -----------------------------------------------------------------------------


@dataclass
class Flaky:
    """Answers each request with the next scripted status (then 200), counting requests."""

    script: list[int]
    retry_after: str | None = None
    requests: list[str] = field(default_factory=list)

    async def endpoint(self, request: Request) -> Response:
        self.requests.append(request.method)
        if self.script:
            status = self.script.pop(0)
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return JSONResponse(
                {"error": "unavailable", "message": f"scripted {status}"},
                status_code=status,
                headers=headers,
            )
        return JSONResponse([{"id": "s1"}])

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[Route("/surveys", self.endpoint, methods=["GET", "POST"])])


async def test_503_is_retried_until_the_server_recovers() -> None:
    flaky = Flaky([503, 503])
    async with serving(flaky.app) as server, client(server.url) as questra:
        assert await questra.list_surveys() == [{"id": "s1"}]
    assert flaky.requests == ["GET", "GET", "GET"]


async def test_retries_stop_after_max_retries_with_a_typed_error() -> None:
    flaky = Flaky([429] * 10)
    async with serving(flaky.app) as server, client(server.url, max_retries=2) as questra:
        with pytest.raises(RateLimitedError) as caught:
            await questra.list_surveys()
    assert len(flaky.requests) == 3
    assert caught.value.status == 429 and "scripted 429" in caught.value.message


@pytest.mark.timeout(20)
async def test_retry_after_is_used_instead_of_the_backoff() -> None:
    # a backoff of 1000 s would hang the test: only the server's Retry-After: 0 lets it pass
    flaky = Flaky([503], retry_after="0")
    async with serving(flaky.app) as server, client(server.url, backoff=1000) as questra:
        assert await questra.list_surveys() == [{"id": "s1"}]
    assert len(flaky.requests) == 2


async def test_other_4xx_answers_are_not_retried() -> None:
    flaky = Flaky([404, 404])
    async with serving(flaky.app) as server, client(server.url) as questra:
        with pytest.raises(NotFoundError):
            await questra.list_surveys()
    assert flaky.requests == ["GET"]


async def test_a_500_is_retried_for_reads_but_not_for_creates() -> None:
    reads = Flaky([500])
    creates = Flaky([500])
    async with serving(reads.app) as r, serving(creates.app) as c:
        async with client(r.url) as questra:
            assert await questra.list_surveys() == [{"id": "s1"}]
        async with client(c.url) as questra:
            with pytest.raises(ServerError):
                await questra.create_survey("Once only")
    assert len(reads.requests) == 2
    assert creates.requests == ["POST"]


async def test_an_unreachable_server_raises_unreachable_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    async with client(f"http://127.0.0.1:{port}", max_retries=1) as questra:
        with pytest.raises(UnreachableError) as caught:
            await questra.list_surveys()
    assert caught.value.status is None
    assert f"127.0.0.1:{port}" in caught.value.message
    assert isinstance(caught.value, QuestraError)


async def test_a_response_over_a_megabyte_is_decoded_in_a_thread_and_reads_the_same(
    sandbox: Sandbox,
) -> None:
    from qtui.questra.client import DECODE_IN_THREAD_BYTES

    async with client(sandbox.url) as questra:
        survey = await questra.create_survey("Big")
        page = await questra.create_page(survey["id"], name="P", order=0)
        long = {**MC, "label": "é" * 200_000}  # 400 kB of UTF-8 each
        for order in range(4):
            await questra.create_block(page["id"], {**long, "name": f"b{order}"}, order=order)
        full = await questra.get_survey(survey["id"])
    blocks = full["pages"][0]["blocks"]
    assert len(str(full).encode()) > DECODE_IN_THREAD_BYTES
    assert sorted(b["config"]["name"] for b in blocks) == ["b0", "b1", "b2", "b3"]
    assert all(b["config"]["label"] == "é" * 200_000 for b in blocks)
