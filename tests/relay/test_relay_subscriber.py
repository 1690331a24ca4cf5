"""RelaySubscriber against a real relay: order, resume, restarts, overflow, refusal."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from qtui.relay.log import EventLog
from qtui.relay.subscriber import (
    ConnectionState,
    RelaySubscriber,
    SubscriberRejected,
    stream_url,
)

SURVEY = "a1b2c3d4-e5f6-4890-abcd-ef1234567890"
GUARD_S = 20  # guards against hangs only; nothing asserts on time


def page(n: int, **extra: Any) -> dict[str, Any]:
    return {"id": f"page-{n}", "survey_id": SURVEY, "order": n, **extra}


def append_directly(log: EventLog, n: int) -> int:
    return log.append(
        json.dumps({"event": "page.updated", "data": page(n)}).encode(),
        source="questra",
        delivery_id=f"direct-{n}",
        event_type="page.updated",
        verified=True,
        received_at=datetime.now(UTC),
    ).seq


async def collect(subscriber: RelaySubscriber, until_seq: int) -> list[int]:
    seqs: list[int] = []
    async with subscriber, asyncio.timeout(GUARD_S):
        async for frame in subscriber:
            seqs.append(frame["seq"])
            if frame["seq"] >= until_seq:
                break
    return seqs


async def wait_until(predicate: Callable[[], bool]) -> None:
    async with asyncio.timeout(GUARD_S):
        while not predicate():
            await asyncio.sleep(0.005)


def test_stream_url_accepts_base_http_or_full_urls() -> None:
    assert stream_url("ws://127.0.0.1:8700", after=5, survey=None) == (
        "ws://127.0.0.1:8700/stream?after=5"
    )
    assert stream_url("http://h:1/", after=0, survey="s 1") == "ws://h:1/stream?after=0&survey=s+1"
    assert stream_url("wss://h/stream?after=9&x=1", after=3, survey=None) == (
        "wss://h/stream?x=1&after=3"
    )


async def test_yields_event_frames_in_order_and_reports_live(relay) -> None:
    states: list[ConnectionState] = []
    for n in range(1, 4):
        await relay.stored("page.created", page(n))
    frames: list[dict[str, Any]] = []
    async with RelaySubscriber(relay.ws_url, on_state=states.append) as subscriber:
        async with asyncio.timeout(GUARD_S):
            async for frame in subscriber:
                frames.append(frame)
                if frame["seq"] == 3:
                    await relay.stored("page.created", page(4))
                if frame["seq"] == 4:
                    break
    assert [f["seq"] for f in frames] == [1, 2, 3, 4]
    assert all(f["type"] == "event" for f in frames)
    assert frames[0]["envelope"]["data"] == page(1)
    assert subscriber.last_seq == 4
    assert states[0].status == "connecting"
    assert any(s.status == "live" for s in states)
    assert states[-1].status == "offline"  # leaving the block closed it


async def test_resumes_from_after(relay) -> None:
    for n in range(1, 6):
        await relay.stored("page.created", page(n))
    assert await collect(RelaySubscriber(relay.ws_url, after=3), until_seq=5) == [4, 5]


async def pump(subscriber: RelaySubscriber, sink: list[int]) -> None:
    """Keep pulling frames, as the TUI's worker does, so reconnects happen meanwhile."""
    async with subscriber:
        async for frame in subscriber:
            sink.append(frame["seq"])


async def test_survives_a_relay_restart_on_the_same_port_and_database(run_relay, db_path) -> None:
    states: list[ConnectionState] = []
    seen: list[int] = []
    first_log = EventLog(db_path)
    async with run_relay(log=first_log) as relay:
        port = relay.server.port
        subscriber = RelaySubscriber(
            relay.ws_url, backoff_initial=0.02, backoff_max=0.1, on_state=states.append
        )
        task = asyncio.create_task(pump(subscriber, seen))
        for n in range(1, 4):
            await relay.stored("page.created", page(n))
        await wait_until(lambda: len(seen) == 3)
    first_log.close()

    # Relay down. Events keep arriving in the log meanwhile (in real life: the sender's
    # retries land after the restart; here they are written straight to the database).
    await wait_until(lambda: states[-1].status == "reconnecting" and states[-1].retry_in)
    with EventLog(db_path) as offline_log:
        for n in range(4, 7):
            append_directly(offline_log, n)
    down = [s for s in states if s.status == "reconnecting"]
    assert all(s.last_seq == 3 for s in down)
    assert any("not answering" in (s.error or "") for s in down)

    second_log = EventLog(db_path)
    try:
        async with run_relay(log=second_log, port=port) as relay:
            await relay.stored("page.created", page(7))
            await wait_until(lambda: len(seen) >= 7)
            await relay.stored("page.created", page(8))
            await wait_until(lambda: len(seen) >= 8)
            await subscriber.close()
            await asyncio.wait_for(task, GUARD_S)
    finally:
        second_log.close()
    assert seen == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [s.status for s in states].count("live") >= 2


async def test_a_new_subscriber_resumes_where_the_old_one_stopped(relay) -> None:
    for n in range(1, 5):
        await relay.stored("page.created", page(n))
    first = RelaySubscriber(relay.ws_url)
    assert await collect(first, until_seq=2) == [1, 2]
    await relay.stored("page.created", page(5))
    second = RelaySubscriber(relay.ws_url, after=first.last_seq)
    assert await collect(second, until_seq=5) == [3, 4, 5]


async def test_never_yields_a_seq_twice_across_overflow_reconnects(run_relay) -> None:
    # A one-event queue: a burst from concurrent senders overflows the subscription,
    # the subscriber reconnects from its last seq, and still sees each event once.
    async with run_relay(queue_size=1, heartbeat=30.0) as relay:
        states: list[ConnectionState] = []
        subscriber = RelaySubscriber(relay.ws_url, backoff_initial=0.01, on_state=states.append)
        frames = aiter(subscriber)
        await relay.stored("page.created", page(0))
        seen = [(await anext(frames))["seq"]]
        total = 1
        rounds = 0
        while relay.state.hub.overflows == 0:
            rounds += 1
            assert rounds <= 50, "concurrent bursts never overflowed a one-event queue"
            results = await asyncio.gather(
                *(relay.stored("page.updated", page(rounds * 100 + i)) for i in range(20))
            )
            total = max(total, *results)
        async with asyncio.timeout(GUARD_S):
            while seen[-1] < total:
                seen.append((await anext(frames))["seq"])
        await frames.aclose()
    assert seen == list(range(1, total + 1))
    assert any(s.error and "fell behind" in s.error for s in states)


async def test_wrong_token_stops_with_a_readable_error(run_relay) -> None:
    async with run_relay(subscriber_token="right") as relay:
        states: list[ConnectionState] = []
        subscriber = RelaySubscriber(relay.ws_url, token="wrong", on_state=states.append)
        with pytest.raises(SubscriberRejected, match="QTUI_RELAY_TOKEN"):
            await collect(subscriber, until_seq=1)
        assert states[-1].status == "offline"
        assert "token" in (states[-1].error or "")

        await relay.stored("page.created", page(1))
        assert await collect(RelaySubscriber(relay.ws_url, token="right"), until_seq=1) == [1]


async def test_wrong_path_is_reported_not_retried(relay) -> None:
    # A full URL with another path is used as given; the relay has no such route.
    subscriber = RelaySubscriber(f"{relay.ws_url}/nowhere")
    with pytest.raises(SubscriberRejected, match=r"no relay stream at .*/nowhere \(HTTP 403\)"):
        await collect(subscriber, until_seq=1)


async def test_unreachable_relay_is_retried_with_growing_backoff(unused_tcp_port: int) -> None:
    states: list[ConnectionState] = []
    subscriber = RelaySubscriber(
        f"ws://127.0.0.1:{unused_tcp_port}",
        backoff_initial=0.01,
        backoff_max=0.04,
        on_state=states.append,
    )
    task = asyncio.create_task(collect(subscriber, until_seq=1))
    await wait_until(lambda: sum(s.status == "reconnecting" for s in states) >= 4)
    await subscriber.close()
    assert await asyncio.wait_for(task, GUARD_S) == []
    waits = [s.retry_in for s in states if s.status == "reconnecting"]
    assert all(w is not None and 0 < w <= 0.04 for w in waits)
    assert waits[-1] > waits[0]
    assert "not answering" in (states[1].error or "")
    assert states[-1].status == "offline"


async def test_close_ends_iteration_while_waiting_for_events(relay) -> None:
    subscriber = RelaySubscriber(relay.ws_url)
    task = asyncio.create_task(collect(subscriber, until_seq=10))
    await wait_until(lambda: subscriber.state.status == "live")
    await subscriber.close()
    assert await asyncio.wait_for(task, GUARD_S) == []
    assert subscriber.state.status == "offline"


async def test_heartbeats_update_lag_and_last_seq(run_relay) -> None:
    async with run_relay(heartbeat=0.02) as relay:
        await relay.stored("page.created", page(1))
        states: list[ConnectionState] = []
        subscriber = RelaySubscriber(relay.ws_url, on_state=states.append)
        task = asyncio.create_task(collect(subscriber, until_seq=99))
        await wait_until(
            lambda: sum(s.status == "live" and s.lag_s is not None for s in states) >= 3
        )
        await subscriber.close()
        await asyncio.wait_for(task, GUARD_S)
    live = [s for s in states if s.status == "live" and s.lag_s is not None]
    assert all(s.lag_s >= 0 for s in live)
    assert live[-1].last_seq == 1


async def test_relay_whose_log_is_behind_the_subscriber_is_flagged(relay) -> None:
    await relay.stored("page.created", page(1))
    states: list[ConnectionState] = []
    subscriber = RelaySubscriber(relay.ws_url, after=50, on_state=states.append)
    task = asyncio.create_task(collect(subscriber, until_seq=99))
    await wait_until(lambda: any(s.error for s in states))
    await subscriber.close()
    await asyncio.wait_for(task, GUARD_S)
    flagged = next(s for s in states if s.error)
    assert "database was replaced" in flagged.error
