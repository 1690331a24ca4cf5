"""The combined sandbox server and the `qtui sandbox` command, run for real."""

from __future__ import annotations

import asyncio
import math
import os
import signal
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from qtui.questra.signing import verify
from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.sandbox.questra import QuestraSandbox
from qtui.sandbox.server import create_sandbox_app
from qtui.serving import serving

AUTH = {"Authorization": "Bearer qk_sandbox", "X-Org-Id": "org_sandbox"}


class Relay:
    """Stands in for the relay: checks each signature with the shared secret."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.verified: list[str] = []
        self.rejected = 0

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        if not verify(body, self.secret, request.headers.get("X-Questra-Signature")):
            self.rejected += 1
            return Response(status_code=401)
        self.verified.append(request.headers["X-Questra-Event"])
        return Response(status_code=204)

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hooks/questra", self.hook, methods=["POST"])])


async def test_combined_app_serves_questra_and_qualtrics_and_delivers_webhooks() -> None:
    questra = QuestraSandbox(speed=math.inf)
    relay = Relay("shared-secret-1")
    lines: list[str] = []
    async with serving(relay.app) as relay_server:
        questra.create_webhook(f"{relay_server.url}/hooks/questra", secret="shared-secret-1")
        app = create_sandbox_app(questra, QualtricsSandbox(token="qt-token"), log=lines.append)
        async with serving(app) as server, httpx.AsyncClient(base_url=server.url) as http:
            created = await http.post("/surveys", json={"name": "CSAT"}, headers=AUTH)
            assert created.status_code == 201
            qualtrics = await http.get(
                "/API/v3/survey-definitions/SV_missing", headers={"X-API-TOKEN": "qt-token"}
            )
            assert qualtrics.status_code == 404
            assert "meta" in qualtrics.json()  # Qualtrics' own envelope, not Questra's
            assert await questra.drain(5)
    assert relay.verified == ["survey.created"] and relay.rejected == 0
    assert any("POST" in line and "/surveys" in line and "201" in line for line in lines)
    assert any("/API/v3/survey-definitions/SV_missing" in line for line in lines)


async def test_combined_app_works_without_qualtrics() -> None:
    questra = QuestraSandbox(speed=math.inf)
    async with (
        serving(create_sandbox_app(questra)) as server,
        httpx.AsyncClient(base_url=server.url, headers=AUTH) as http,
    ):
        assert (await http.get("/surveys")).json() == []
        assert (await http.get("/API/v3/surveys")).status_code == 404


@pytest.fixture
async def relay() -> AsyncIterator[tuple[Relay, str]]:
    receiver = Relay("cli-relay-secret")
    async with serving(receiver.app) as server:
        yield receiver, server.url


@pytest.mark.timeout(60)
async def test_the_sandbox_command_serves_registers_the_relay_and_stops_on_ctrl_c(relay) -> None:
    receiver, relay_url = relay
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "qtui",
        "sandbox",
        "--port",
        "0",
        "--speed",
        "inf",
        "--relay",
        relay_url,
        "--relay-secret",
        "cli-relay-secret",
        "-v",  # per-request lines (quiet without)
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        banner: list[str] = []
        while not any(line.startswith("Ctrl-C") for line in banner):
            line = await asyncio.wait_for(process.stdout.readline(), 20)
            assert line, "the command ended before printing its banner"
            banner.append(line.decode().rstrip())
        url = banner[0].split()[-1]
        assert url.startswith("http://127.0.0.1:")
        assert any("qk_sandbox" in line for line in banner)
        assert any("org_sandbox" in line for line in banner)
        assert any(f"{url}/API/v3" in line for line in banner)
        assert any("qualtrics-sandbox-token" in line for line in banner)
        async with httpx.AsyncClient(base_url=url, headers=AUTH) as http:
            survey = (await http.post("/surveys", json={"name": "CSAT"})).json()
            await http.post(f"/surveys/{survey['id']}/start-programming")
            for _ in range(200):
                if "programming.finished" in receiver.verified:
                    break
                await asyncio.sleep(0.05)
        assert receiver.verified[0] == "survey.created"
        assert "programming.finished" in receiver.verified and receiver.rejected == 0
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 20) == 0
        errors = (await process.stderr.read()).decode()
        assert "POST /surveys 201 (" in errors
        assert "sandbox stopped" in errors
        assert "Traceback" not in errors
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
