"""A web page cannot read a relay: DNS rebinding (Host) and cross-site websockets (Origin).

Each test speaks to a real relay on loopback the way a browser would: a page on
evil.example that re-pointed its name at 127.0.0.1 sends `Host: evil.example:PORT`; a page
opening a websocket to 127.0.0.1 sends `Origin: https://evil.example`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.relay.conftest import Relay

SURVEY = "a1b2c3d4-e5f6-4890-abcd-ef1234567890"
PAGE = {"id": "p1", "survey_id": SURVEY, "name": "Screener", "order": 0}


async def first_frame_or_close(url: str, **kw: Any) -> tuple[str | None, int | None, str]:
    """(first text frame, close code, close reason) of a stream opened with `kw`."""
    async with connect(url, **kw) as ws:
        try:
            async with asyncio.timeout(5):
                return str(await ws.recv()), None, ""
        except ConnectionClosed:
            return None, ws.close_code, ws.close_reason or ""


def rebound(relay: Relay) -> dict[str, Any]:
    """Connect to the relay's port while naming another host, as a rebound page does."""
    return {"host": "127.0.0.1", "port": relay.server.port}


# -- DNS rebinding: Host ---------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8700",
        "127.0.0.1.evil.example",
        "localhost.evil.example",
        "[::1].evil.example",
        "192.168.1.20:8700",
        "0.0.0.0:8700",
    ],
)
async def test_events_refuse_a_non_loopback_host_without_a_token(relay, host: str) -> None:
    await relay.stored("page.created", PAGE)
    response = await relay.http.get("/events", headers={"Host": host})
    assert response.status_code == 403
    assert "not loopback" in response.json()["error"]
    assert SURVEY not in response.text


@pytest.mark.parametrize(
    "host", ["127.0.0.1:8700", "localhost", "LOCALHOST:1", "localhost.", "127.8.9.10", "[::1]:80"]
)
async def test_events_serve_every_loopback_host(relay, host: str) -> None:
    response = await relay.http.get("/events", headers={"Host": host})
    assert response.status_code == 200, response.text


async def test_stream_refuses_a_rebound_host_with_4403(relay) -> None:
    await relay.stored("page.created", PAGE)
    url = f"ws://evil.example:{relay.server.port}/stream?after=0"
    frame, code, reason = await first_frame_or_close(url, **rebound(relay))
    assert frame is None
    assert code == 4403
    assert "Host evil.example" in reason and "not loopback" in reason


async def test_allowed_host_is_served(run_relay) -> None:
    async with run_relay(allowed_hosts=["relay.internal"]) as relay:
        ok = await relay.http.get("/events", headers={"Host": "relay.internal:443"})
        refused = await relay.http.get("/events", headers={"Host": "relay.internal.evil"})
        assert (ok.status_code, refused.status_code) == (200, 403)


async def test_with_a_token_any_host_may_read_with_it(run_relay) -> None:
    async with run_relay(subscriber_token="tok") as relay:
        await relay.stored("page.created", PAGE)
        headers = {"Host": "relay.example.com", "Authorization": "Bearer tok"}
        response = await relay.http.get("/events", headers=headers)
        assert response.status_code == 200
        assert len(response.json()["events"]) == 1


async def test_webhooks_accept_any_host_since_their_signature_authenticates(relay) -> None:
    # Questra reaches the relay through a tunnel, under the tunnel's name.
    relay.http.headers["Host"] = "abc123.tunnel.example"
    assert await relay.stored("page.created", PAGE) == 1


# -- cross-site websocket hijacking: Origin ---------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://evil.example:8700",
        "null",  # file:// pages and sandboxed frames
        "http://127.0.0.1.evil.example",
        "http://[::1",
        "chrome-extension://abcdef",
    ],
)
async def test_stream_refuses_a_browser_origin_that_is_not_loopback(relay, origin: str) -> None:
    await relay.stored("page.created", PAGE)
    url = f"{relay.ws_url}/stream?after=0"
    frame, code, reason = await first_frame_or_close(url, origin=origin)
    assert frame is None
    assert code == 4403
    assert "origin" in reason and "--allow-origin" in reason
    assert len(reason.encode()) <= 123


@pytest.mark.parametrize(
    "origin", ["http://localhost:5173", "http://127.0.0.1:8080", "https://[::1]:3000"]
)
async def test_stream_serves_loopback_origins(relay, origin: str) -> None:
    await relay.stored("page.created", PAGE)
    frame, code, _ = await first_frame_or_close(f"{relay.ws_url}/stream?after=0", origin=origin)
    assert code is None and frame is not None and '"seq":1' in frame


async def test_origin_allow_list_is_exact(run_relay) -> None:
    async with run_relay(allowed_origins=["https://dash.example.com/"]) as relay:
        await relay.stored("page.created", PAGE)
        url = f"{relay.ws_url}/stream?after=0"
        frame, code, _ = await first_frame_or_close(url, origin="https://DASH.example.com")
        assert code is None and frame is not None
        _, code, _ = await first_frame_or_close(url, origin="https://dash.example.com.evil")
        assert code == 4403


async def test_events_refuse_a_foreign_origin_too(relay) -> None:
    response = await relay.http.get("/events", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403


async def test_a_token_does_not_let_a_foreign_page_in(run_relay) -> None:
    async with run_relay(subscriber_token="tok") as relay:
        url = f"{relay.ws_url}/stream?after=0&token=tok"
        _, code, _ = await first_frame_or_close(url, origin="https://evil.example")
        assert code == 4403


# -- /health ----------------------------------------------------------------------------


async def test_health_without_the_token_says_only_that_it_is_alive(run_relay) -> None:
    async with run_relay(subscriber_token="tok") as relay:
        await relay.stored("page.created", PAGE)
        bare = await relay.http.get("/health")
        assert bare.status_code == 200
        assert bare.json() == {"status": "ok"}
        full = await relay.http.get("/health", headers={"Authorization": "Bearer tok"})
        assert full.json()["last_seq"] == 1 and full.json()["events"] == 1


async def test_health_to_a_rebound_page_says_only_that_it_is_alive(relay) -> None:
    await relay.stored("page.created", PAGE)
    rebound_page = await relay.http.get("/health", headers={"Host": "evil.example"})
    assert rebound_page.json() == {"status": "ok"}
    local = await relay.http.get("/health")
    assert local.json()["last_seq"] == 1
