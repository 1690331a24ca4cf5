"""A real relay on loopback, and a sender that signs deliveries like Questra does."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from qtui.questra.signing import sign
from qtui.relay.app import RelayState, create_relay_app
from qtui.relay.log import EventLog
from qtui.serving import RunningServer, serving

SECRET = "test_secret_123"


def envelope_bytes(event: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"event": event, "timestamp": "2025-04-01T10:00:00Z", "data": data}).encode()


@dataclass
class Relay:
    server: RunningServer
    app: Starlette
    log: EventLog
    http: httpx.AsyncClient

    @property
    def state(self) -> RelayState:
        return self.app.state.relay

    @property
    def ws_url(self) -> str:
        return self.server.ws_url

    async def post_raw(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.http.post("/hooks/questra", content=body, headers=headers)

    async def deliver(
        self,
        event: str,
        data: dict[str, Any],
        *,
        delivery: str | None = None,
        secret: str = SECRET,
    ) -> httpx.Response:
        body = envelope_bytes(event, data)
        headers = {
            "Content-Type": "application/json",
            "X-Questra-Signature": sign(body, secret),
            "X-Questra-Event": event,
        }
        if delivery is not None:
            headers["X-Questra-Delivery"] = delivery
        return await self.post_raw(body, headers)

    async def stored(self, event: str, data: dict[str, Any], **kw: Any) -> int:
        """Deliver and return the seq, failing loudly if the relay did not store it."""
        response = await self.deliver(event, data, **kw)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "stored", response.text
        return int(response.json()["seq"])


RelayFactory = Callable[..., contextlib.AbstractAsyncContextManager[Relay]]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "relay.db"


@pytest.fixture
async def event_log(db_path: Path) -> AsyncIterator[EventLog]:
    log = EventLog(db_path)
    yield log
    log.close()


@pytest.fixture
def run_relay(event_log: EventLog) -> RelayFactory:
    """`async with run_relay(token=..., queue_size=...) as relay:` — a relay on loopback."""

    @contextlib.asynccontextmanager
    async def run(
        *, log: EventLog | None = None, port: int = 0, **options: Any
    ) -> AsyncIterator[Relay]:
        options.setdefault("secret", SECRET)
        used_log = log or event_log
        app = create_relay_app(log=used_log, **options)
        async with serving(app, port=port) as server:
            async with httpx.AsyncClient(base_url=server.url) as http:
                yield Relay(server=server, app=app, log=used_log, http=http)

    return run


@pytest.fixture
async def relay(run_relay: RelayFactory) -> AsyncIterator[Relay]:
    async with run_relay(heartbeat=30.0) as running:
        yield running
