"""WS /stream on a real relay: backlog, live, filters, heartbeats, tokens, overflow."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close, Frame, Opcode
from websockets.uri import parse_uri

from qtui.relay.log import EventLog

SURVEY = "a1b2c3d4-e5f6-4890-abcd-ef1234567890"
OTHER = "99999999-e5f6-4890-abcd-ef1234567890"

# Only a guard against a hang turning into a stuck test run; no assertion is about time.
GUARD_S = 20


def page(n: int, survey: str = SURVEY, **extra: Any) -> dict[str, Any]:
    return {"id": f"page-{n}", "survey_id": survey, "name": f"P{n}", "order": n, **extra}


async def next_frame(ws: ClientConnection, kind: str = "event") -> dict[str, Any]:
    async with asyncio.timeout(GUARD_S):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind:
                return frame


async def event_seqs(ws: ClientConnection, until_seq: int) -> list[int]:
    seqs: list[int] = []
    while not seqs or seqs[-1] < until_seq:
        seqs.append((await next_frame(ws))["seq"])
    return seqs


async def wait_for(predicate: Callable[[], bool], what: str) -> None:
    try:
        async with asyncio.timeout(GUARD_S):
            while not predicate():
                await asyncio.sleep(0.005)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None


async def test_valid_delivery_is_streamed_as_an_event_frame(relay) -> None:
    async with connect(f"{relay.ws_url}/stream?after=0") as ws:
        response = await relay.deliver("page.created", page(1), delivery="run-1")
        frame = await next_frame(ws)
    assert frame["seq"] == response.json()["seq"] == 1
    assert frame["envelope"] == {
        "event": "page.created",
        "timestamp": "2025-04-01T10:00:00Z",
        "data": page(1),
    }
    assert frame["verified"] is True
    assert frame["source"] == "questra"
    assert frame["delivery_id"] == "run-1"
    assert frame["event_type"] == "page.created"
    assert frame["survey_id"] == SURVEY
    assert datetime.fromisoformat(frame["received_at"]).tzinfo is not None


async def test_unknown_event_type_is_streamed(relay) -> None:
    async with connect(f"{relay.ws_url}/stream") as ws:
        await relay.stored("something.new", {"id": "x", "survey_id": SURVEY})
        frame = await next_frame(ws)
    assert frame["event_type"] == "something.new"
    assert frame["envelope"]["event"] == "something.new"


async def test_duplicate_delivery_is_streamed_once(relay) -> None:
    async with connect(f"{relay.ws_url}/stream") as ws:
        await relay.deliver("page.created", page(1), delivery="same")
        await relay.deliver("page.created", page(1), delivery="same")
        await relay.stored("page.created", page(2))
        assert await event_seqs(ws, until_seq=2) == [1, 2]


async def test_backlog_is_sent_before_live_events(relay) -> None:
    for n in range(1, 4):
        await relay.stored("page.created", page(n))
    async with connect(f"{relay.ws_url}/stream?after=0") as ws:
        assert await event_seqs(ws, until_seq=3) == [1, 2, 3]
        # A heartbeat marks the end of the backlog.
        heartbeat = await next_frame(ws, "heartbeat")
        assert heartbeat["last_seq"] == 3
        await relay.stored("page.created", page(4))
        assert await event_seqs(ws, until_seq=4) == [4]


async def test_backlog_then_live_has_no_gap_and_no_duplicate_under_concurrent_posting(
    relay,
) -> None:
    for n in range(40):
        await relay.stored("page.updated", page(n))
    total = 40 + 6 * 30
    started = asyncio.Event()

    async def post(worker: int) -> None:
        for i in range(30):
            await relay.stored("page.updated", page(worker * 100 + i))
            started.set()

    async def subscribe() -> list[int]:
        await started.wait()  # join while deliveries are arriving
        async with connect(f"{relay.ws_url}/stream?after=0") as ws:
            return await event_seqs(ws, until_seq=total)

    *_, seqs = await asyncio.gather(*(post(w) for w in range(6)), subscribe())
    assert seqs == list(range(1, total + 1))


async def test_backlog_longer_than_one_page_arrives_complete(relay) -> None:
    # 1,200 events: more than two backlog pages.
    for n in range(1200):
        relay.log.append(
            json.dumps({"event": "page.updated", "data": page(n)}).encode(),
            source="questra",
            delivery_id=None,
            event_type="page.updated",
            verified=True,
            received_at=datetime.now(UTC),
        )
    async with connect(f"{relay.ws_url}/stream?after=0") as ws:
        assert await event_seqs(ws, until_seq=1200) == list(range(1, 1201))


async def test_after_resumes_past_the_given_seq(relay) -> None:
    for n in range(1, 6):
        await relay.stored("page.created", page(n))
    async with connect(f"{relay.ws_url}/stream?after=3") as ws:
        assert await event_seqs(ws, until_seq=5) == [4, 5]
        await relay.stored("page.created", page(6))
        assert await event_seqs(ws, until_seq=6) == [6]


async def test_survey_filter_streams_that_survey_including_blocks_via_their_page(relay) -> None:
    mine, theirs = page(1), page(2, survey=OTHER)
    await relay.stored("survey.created", {"id": SURVEY, "name": "Mine"})  # 1
    await relay.stored("page.created", mine)  # 2
    await relay.stored("page.created", theirs)  # 3
    await relay.stored("block.created", {"id": "b1", "page_id": mine["id"]})  # 4
    async with connect(f"{relay.ws_url}/stream?after=0&survey={SURVEY}") as ws:
        backlog = [await next_frame(ws) for _ in range(3)]
        assert [f["seq"] for f in backlog] == [1, 2, 4]
        await relay.stored("block.created", {"id": "b2", "page_id": theirs["id"]})  # 5
        await relay.stored("block.deleted", {"id": "b1"})  # 6
        await relay.stored("programming.started", {"survey_id": OTHER})  # 7
        await relay.stored("page.deleted", {"id": mine["id"]})  # 8
        live = [await next_frame(ws) for _ in range(2)]
    assert [(f["seq"], f["event_type"]) for f in live] == [
        (6, "block.deleted"),
        (8, "page.deleted"),
    ]
    assert {f["survey_id"] for f in backlog + live} == {SURVEY}


async def test_event_of_not_yet_known_survey_reaches_filtered_subscriber(relay) -> None:
    async with connect(f"{relay.ws_url}/stream?survey={SURVEY}") as ws:
        # Its page has not been seen yet, so no survey can be named: it is sent anyway.
        await relay.stored("block.created", {"id": "b1", "page_id": "unseen-page"})
        await relay.stored("page.created", page(9, survey=OTHER))
        await relay.stored("page.created", page(3))
        frames = [await next_frame(ws) for _ in range(2)]
    assert [(f["seq"], f["survey_id"]) for f in frames] == [(1, None), (3, SURVEY)]


async def test_events_written_by_another_process_are_filled_in(relay, db_path) -> None:
    async with connect(f"{relay.ws_url}/stream") as ws:
        await relay.stored("page.created", page(1))
        assert await event_seqs(ws, until_seq=1) == [1]
        # Another writer on the same database: the relay does not publish this one.
        with EventLog(db_path) as other:
            other.append(
                json.dumps({"event": "page.created", "data": page(2)}).encode(),
                source="questra",
                delivery_id=None,
                event_type="page.created",
                verified=True,
                received_at=datetime.now(UTC),
            )
        await relay.stored("page.created", page(3))
        assert await event_seqs(ws, until_seq=3) == [2, 3]


async def test_heartbeats_report_last_seq_and_server_time(run_relay) -> None:
    async with run_relay(heartbeat=0.05) as relay:
        await relay.stored("page.created", page(1))
        async with connect(f"{relay.ws_url}/stream?after=1") as ws:
            beats = [await next_frame(ws, "heartbeat") for _ in range(3)]
    assert all(b["last_seq"] == 1 for b in beats)
    assert all(datetime.fromisoformat(b["server_time"]).tzinfo is not None for b in beats)


async def test_subscriber_count_follows_connections(relay) -> None:
    async with connect(f"{relay.ws_url}/stream") as ws:
        await next_frame(ws, "heartbeat")
        assert (await relay.http.get("/health")).json()["subscribers"] == 1
    await wait_for(lambda: len(relay.state.hub) == 0, "subscriber to be dropped")
    assert (await relay.http.get("/health")).json()["subscribers"] == 0


# -- tokens and parameters --------------------------------------------------------------


async def close_code(url: str, **kw: Any) -> tuple[int | None, str]:
    async with connect(url, **kw) as ws:
        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(GUARD_S):
                await ws.recv()
        return ws.close_code, ws.close_reason or ""


async def test_stream_requires_the_token_when_one_is_set(run_relay) -> None:
    async with run_relay(subscriber_token="s3cret") as relay:
        await relay.stored("page.created", page(1))
        code, reason = await close_code(f"{relay.ws_url}/stream")
        assert code == 4401
        assert "token" in reason
        code, _ = await close_code(f"{relay.ws_url}/stream?token=wrong")
        assert code == 4401
        async with connect(f"{relay.ws_url}/stream?token=s3cret") as ws:
            assert (await next_frame(ws))["seq"] == 1
        headers = {"Authorization": "Bearer s3cret"}
        async with connect(f"{relay.ws_url}/stream", additional_headers=headers) as ws:
            assert (await next_frame(ws))["seq"] == 1


async def test_malformed_after_closes_with_a_reason(relay) -> None:
    code, reason = await close_code(f"{relay.ws_url}/stream?after=soon")
    assert code == 4400
    assert reason == "after must be an integer, got 'soon'"


# -- a subscriber that stops reading -------------------------------------------------------


class StalledSubscriber:
    """Completes the websocket handshake, then reads nothing until told to.

    Its receive buffer is tiny, so the relay's writes back up into the relay's own
    per-subscriber queue quickly, as with a client on a stalled network.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.protocol = ClientProtocol(parse_uri(url), max_size=None)
        self.frames: list[Frame] = []

    async def __aenter__(self) -> StalledSubscriber:
        parts = urlsplit(self.url)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
        self.reader, self.writer = await asyncio.open_connection(sock=sock, limit=1024)
        self.protocol.send_request(self.protocol.connect())
        self.writer.write(b"".join(self.protocol.data_to_send()))
        async with asyncio.timeout(GUARD_S):
            while self.protocol.handshake_exc is None and not self._handshake_done():
                self.protocol.receive_data(await self.reader.read(1024))
        return self

    def _handshake_done(self) -> bool:
        from websockets.protocol import OPEN

        for event in self.protocol.events_received():
            if isinstance(event, Frame):
                self.frames.append(event)
        return self.protocol.state is OPEN

    async def read_until_closed(self) -> tuple[list[dict[str, Any]], Close | None]:
        async with asyncio.timeout(GUARD_S):
            while True:
                data = await self.reader.read(65536)
                if not data:
                    self.protocol.receive_eof()
                else:
                    self.protocol.receive_data(data)
                for event in self.protocol.events_received():
                    if isinstance(event, Frame):
                        self.frames.append(event)
                self.writer.write(b"".join(self.protocol.data_to_send()))
                if self.protocol.close_rcvd is not None or not data:
                    break
        texts = [json.loads(f.data) for f in self.frames if f.opcode is Opcode.TEXT]
        return texts, self.protocol.close_rcvd

    async def __aexit__(self, *exc: object) -> None:
        self.writer.close()


async def test_stalled_subscriber_is_told_where_to_resume_and_disconnected(run_relay) -> None:
    queue_size = 4
    padding = "x" * 32_000  # big frames fill the socket buffers in a few hundred posts
    async with run_relay(queue_size=queue_size, heartbeat=30.0) as relay:
        hub = relay.state.hub
        async with StalledSubscriber(f"{relay.ws_url}/stream?after=0") as stalled:
            await wait_for(lambda: len(hub) == 1, "the subscription")
            posted = 0
            while hub.overflows == 0:
                assert posted < 5000, "the relay never gave up on a subscriber that stopped reading"
                posted = await relay.stored("page.updated", page(posted, pad=padding))
            for _ in range(5):  # the overflowed subscriber is no longer fed
                posted = await relay.stored("page.updated", page(posted, pad=padding))
            assert hub.peak_depth <= queue_size

            frames, close = await stalled.read_until_closed()

        events = [f["seq"] for f in frames if f["type"] == "event"]
        overflow = next(f for f in frames if f["type"] == "overflow")
        assert events == list(range(1, len(events) + 1))
        assert overflow["resume_after"] == events[-1]
        assert close is not None and close.code == 4000

        # Resuming where the relay said loses nothing and repeats nothing.
        async with connect(
            f"{relay.ws_url}/stream?after={overflow['resume_after']}", max_size=None
        ) as ws:
            rest = await event_seqs(ws, until_seq=posted)
        assert events + rest == list(range(1, posted + 1))
