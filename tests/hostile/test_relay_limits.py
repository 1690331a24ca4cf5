"""Timeouts and caps: slow or oversized requests get a short answer and free their slot.

These drive the relay over raw sockets, as a misbehaving client would: trickled headers,
a body that stops half-way, a client that hangs up mid-body, more connections than the cap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

import qtui.serving
from qtui.questra.signing import sign
from tests.relay.conftest import SECRET, Relay

BODY = b'{"event": "page.created", "data": {"id": "p1", "survey_id": "s1"}}'


@contextlib.asynccontextmanager
async def raw(relay: Relay) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", relay.server.port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def post_head(length: int | str, path: str = "/hooks/questra") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"X-Questra-Signature: {sign(BODY, SECRET)}\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


async def answer(reader: asyncio.StreamReader, timeout: float = 10) -> bytes:
    async with asyncio.timeout(timeout):
        return await reader.read(65536)


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not bad, [r.getMessage() for r in bad]


async def test_oversized_chunked_body_is_413_and_not_stored(run_relay) -> None:
    async with run_relay(max_body_bytes=1000) as relay:

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(50):
                yield b"x" * 100

        response = await relay.http.post(
            "/hooks/questra", content=chunks(), headers={"X-Questra-Signature": "sha256=00"}
        )
        assert response.status_code == 413
        assert response.json()["error"] == "body larger than 1000 bytes"
        assert relay.log.count() == 0


@pytest.mark.parametrize("length", ["9" * 25, str(2**70)])
async def test_absurd_content_length_is_refused_at_once(relay, length: str) -> None:
    async with raw(relay) as (reader, writer):
        writer.write(post_head(length))
        head = await answer(reader)
    assert head.split(b"\r\n", 1)[0] in (
        b"HTTP/1.1 413 Request Entity Too Large",
        b"HTTP/1.1 400 Bad Request",
    )
    assert relay.log.count() == 0


async def test_body_that_stops_half_way_gets_408(run_relay, caplog) -> None:
    caplog.set_level(logging.INFO)
    async with run_relay(body_timeout=0.5) as relay:
        async with raw(relay) as (reader, writer):
            writer.write(post_head(len(BODY)) + BODY[:20])
            head = await answer(reader)
        assert head.startswith(b"HTTP/1.1 408")
        assert b"body not received within 0.5 s (20 bytes came)" in head
        assert relay.log.count() == 0
        # The relay is fine afterwards.
        assert await relay.stored("page.created", {"id": "p1"}) == 1
    no_tracebacks(caplog)


async def test_client_leaving_mid_body_is_one_line_not_a_traceback(relay, caplog) -> None:
    caplog.set_level(logging.INFO)
    async with raw(relay) as (reader, writer):
        writer.write(post_head(len(BODY)) + BODY[:20])
        await writer.drain()
    for _ in range(100):
        if any("left before sending the whole body" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.02)
    lines = [r.getMessage() for r in caplog.records if "left before" in r.getMessage()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("POST /hooks/questra: client 127.0.0.1:")
    no_tracebacks(caplog)
    assert relay.log.count() == 0


async def test_trickled_headers_are_cut_off(run_relay, monkeypatch) -> None:
    monkeypatch.setattr(qtui.serving.HeadGuard, "header_timeout", 0.5)
    async with run_relay() as relay:
        async with raw(relay) as (reader, writer):
            writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            for _ in range(3):  # each byte would reset uvicorn's own keep-alive timer
                await asyncio.sleep(0.2)
                writer.write(b"X")
            head = await answer(reader, timeout=5)
            assert head.startswith(b"HTTP/1.1 408 Request Timeout")
            assert await reader.read() == b""  # and closed


async def test_silent_connection_is_closed(run_relay, monkeypatch) -> None:
    monkeypatch.setattr(qtui.serving.HeadGuard, "header_timeout", 0.3)
    async with run_relay() as relay:
        async with raw(relay) as (reader, _):
            assert (await answer(reader, timeout=5)).startswith(b"HTTP/1.1 408")


async def test_normal_requests_are_untouched_by_the_header_deadline(run_relay, monkeypatch) -> None:
    monkeypatch.setattr(qtui.serving.HeadGuard, "header_timeout", 0.3)
    async with run_relay() as relay:
        # One keep-alive connection, requests spaced past the deadline: each is timed
        # from its own first byte, and a websocket outlives it.
        for _ in range(3):
            assert (await relay.http.get("/health")).status_code == 200
            await asyncio.sleep(0.2)
        async with connect(f"{relay.ws_url}/stream") as ws:
            await asyncio.sleep(0.6)
            await relay.stored("page.created", {"id": "p1"})
            assert '"heartbeat"' in str(await ws.recv())
            assert '"seq":1' in str(await ws.recv())


async def test_idle_keep_alive_connection_is_closed(run_relay, monkeypatch) -> None:
    monkeypatch.setattr(qtui.serving, "TIMEOUT_KEEP_ALIVE_S", 1)
    async with run_relay() as relay:
        async with raw(relay) as (reader, writer):
            writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert (await answer(reader)).startswith(b"HTTP/1.1 200")
            async with asyncio.timeout(5):
                assert await reader.read() == b""


async def test_oversized_request_head_is_refused(relay) -> None:
    async with raw(relay) as (reader, writer):
        writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 40_000)
        head = await answer(reader)
    assert head.startswith((b"HTTP/1.1 400", b"HTTP/1.1 431"))  # h11's or ours


async def test_overlong_stream_url_gets_414_instead_of_hanging(relay) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with asyncio.timeout(5):
            async with connect(f"{relay.ws_url}/stream?survey={'s' * 20_000}"):
                pass
    assert refused.value.response.status_code == 414


async def test_subscriber_sending_a_large_message_is_cut_off(relay) -> None:
    async with connect(f"{relay.ws_url}/stream", max_size=None) as ws:
        await ws.send("x" * (qtui.serving.WS_MAX_SIZE + 1))
        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(5):
                while True:
                    await ws.recv()
        assert ws.close_code == 1009  # message too big


async def test_connections_past_the_cap_get_503(run_relay, monkeypatch) -> None:
    monkeypatch.setattr(qtui.serving, "LIMIT_CONCURRENCY", 3)
    async with run_relay() as relay:
        async with contextlib.AsyncExitStack() as stack:
            for _ in range(3):
                await stack.enter_async_context(connect(f"{relay.ws_url}/stream"))
            async with httpx.AsyncClient(base_url=relay.server.url) as fresh:
                response = await fresh.get("/health")
            assert response.status_code == 503
        # The slots are freed when the subscribers leave.
        for _ in range(50):
            async with httpx.AsyncClient(base_url=relay.server.url) as fresh:
                if (await fresh.get("/health")).status_code == 200:
                    break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the connection cap never freed up")
