"""The relay's log on NATS JetStream: real nats-server processes, real relays, real kills.

Several `qtui relay --log nats://…` processes share one stream; a subscriber of any of
them sees every acknowledged delivery once, in stream order, and resumes on another relay
after one dies. A three-node cluster (R3 stream) loses one node mid-ingest and nothing
acknowledged is lost.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from bench.processes import kill, qtui_relay, server_process
from qtui.questra.signing import sign
from qtui.relay.jetstream import JetStreamLog, parse_nats_url
from qtui.relay.nats_server import NatsNode, nats_cluster, nats_server

pytestmark = pytest.mark.timeout(90)

SECRET = "js-secret"
SURVEY = "s-1"


def envelope(n: int) -> bytes:
    data = {"id": f"p{n}", "survey_id": SURVEY, "name": f"Page {n}", "order": n}
    return json.dumps(
        {"event": "page.created", "timestamp": "2025-04-01T10:00:00Z", "data": data}
    ).encode()


def headers(body: bytes, delivery: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Questra-Signature": sign(body, SECRET),
        "X-Questra-Delivery": delivery,
        "X-Questra-Event": "page.created",
    }


@contextmanager
def relay_process(log_url: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`qtui relay --log URL` on a free port; yields (base URL, process)."""
    command = qtui_relay("--log", log_url, "--no-request-log")
    env = {**os.environ, "QTUI_WEBHOOK_SECRET": SECRET}
    with (
        open(os.environ.get("I14_RELAY_ERR", os.devnull), "a") as stderr,
        server_process(command, env, stderr=stderr, stop=kill) as (port, proc),
    ):
        yield f"http://127.0.0.1:{port}", proc


async def deliver(
    relays: list[str], numbers: range, acked: dict[str, int], *, deadline: float = 30.0
) -> None:
    """Send each delivery until one relay answers 2xx, trying the relays in turn (as a
    load balancer would after a failure); records delivery id → seq for every 2xx."""
    async with httpx.AsyncClient(timeout=3.0) as client:
        for n in numbers:
            body, delivery = envelope(n), f"d{n}"
            started = time.monotonic()
            attempt = n
            while True:
                url = relays[attempt % len(relays)]
                attempt += 1
                try:
                    response = await client.post(
                        f"{url}/hooks/questra", content=body, headers=headers(body, delivery)
                    )
                except httpx.TransportError:
                    response = None
                if response is not None and response.status_code < 300:
                    acked[delivery] = response.json()["seq"]
                    break
                assert time.monotonic() - started < deadline, f"{delivery} never acknowledged"
                await asyncio.sleep(0.05)


async def collect(ws_url: str, after: int, until: int, timeout: float = 20.0) -> list[dict]:
    """Event frames from `after` until seq `until` has arrived."""
    frames: list[dict] = []
    async with connect(f"{ws_url}/stream?after={after}") as ws:
        async with asyncio.timeout(timeout):
            async for message in ws:
                frame = json.loads(message)
                if frame["type"] == "event":
                    frames.append(frame)
                    if frame["seq"] >= until:
                        return frames
    return frames


def assert_exactly_once_in_order(frames: list[dict], acked: dict[str, int]) -> None:
    seqs = [f["seq"] for f in frames]
    assert seqs == sorted(set(seqs)), "frames repeat or go back"
    seen = [f["delivery_id"] for f in frames]
    assert len(seen) == len(set(seen)), "a delivery was stored twice"
    by_delivery = {f["delivery_id"]: f["seq"] for f in frames}
    for delivery, seq in acked.items():
        assert by_delivery.get(delivery) == seq, f"acknowledged {delivery} (seq {seq}) missing"


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsNode]:
    with nats_server(tmp_path_factory.mktemp("nats")) as node:
        yield node


def test_nats_url_names_servers_stream_and_replicas() -> None:
    address = parse_nats_url("nats://a:4222,b:4223/SURVEYS?replicas=3")
    assert address.servers == ["nats://a:4222", "nats://b:4223"]
    assert (address.stream, address.replicas, address.subject) == ("SURVEYS", 3, "qtui.SURVEYS")
    assert parse_nats_url("nats://a:4222").stream == "QTUI"
    with pytest.raises(ValueError, match="nats://"):
        parse_nats_url("http://a:4222")


def test_log_dedups_by_delivery_id_and_numbers_by_stream_sequence(single: NatsNode) -> None:
    now = datetime.now(UTC)
    with JetStreamLog(f"{single.url}/UNIT") as log:

        def add(n: int, delivery: str | None, source: str = "questra"):
            return log.append(
                envelope(n),
                source=source,
                delivery_id=delivery,
                event_type="page.created",
                verified=True,
                received_at=now,
            )

        first, second, again = add(1, "a"), add(2, "b"), add(1, "a")
        other_source = add(1, "a", source="oktave")
        assert (first.seq, second.seq, other_source.seq) == (1, 2, 3)
        assert (again.seq, again.duplicate) == (1, True)
        assert first.survey_id == SURVEY
        events = log.read_after(0, 10)
        assert [(e.seq, e.source, e.delivery_id) for e in events] == [
            (1, "questra", "a"),
            (2, "questra", "b"),
            (3, "oktave", "a"),
        ]
        assert events[0].envelope == envelope(1)
        assert [e.seq for e in log.read_after(1, 1)] == [2]
        assert [e.seq for e in log.read_after(0, 10, sources=["oktave"])] == [3]
        assert [e.seq for e in log.read_after(0, 10, survey_id="elsewhere")] == []
        assert (log.last_seq(), log.count()) == (3, 3)


async def test_two_relays_share_one_stream_and_a_subscriber_of_either_sees_everything(
    single: NatsNode,
) -> None:
    url = f"{single.url}/SHARED"
    with relay_process(url) as (a, _), relay_process(url) as (b, _):
        acked: dict[str, int] = {}
        listener = asyncio.create_task(collect(b.replace("http", "ws"), 0, 40))
        await asyncio.sleep(0.3)
        await deliver([a, b], range(40), acked)
        # A retry that reaches the other relay is recognised by JetStream.
        async with httpx.AsyncClient() as client:
            body = envelope(7)
            response = await client.post(
                f"{b}/hooks/questra", content=body, headers=headers(body, "d7")
            )
        assert response.json() == {"status": "duplicate", "seq": acked["d7"]}
        frames = await listener
        assert_exactly_once_in_order(frames, acked)
        assert sorted(acked.values()) == list(range(1, 41))


@pytest.mark.slow
async def test_kill_9_of_a_relay_loses_nothing_and_subscribers_resume_on_the_other(
    single: NatsNode,
) -> None:
    url = f"{single.url}/KILLRELAY"
    with relay_process(url) as (a, proc_a), relay_process(url) as (b, _):
        acked: dict[str, int] = {}
        frames: list[dict] = []

        async def follow_a_then_b() -> None:
            try:
                async with connect(f"{a.replace('http', 'ws')}/stream?after=0") as ws:
                    async for message in ws:
                        frame = json.loads(message)
                        if frame["type"] == "event":
                            frames.append(frame)
            except Exception:  # noqa: BLE001 - relay A was killed under it
                pass
            last = frames[-1]["seq"] if frames else 0
            frames.extend(await collect(b.replace("http", "ws"), last, 120))

        listener = asyncio.create_task(follow_a_then_b())
        await asyncio.sleep(0.3)
        sender = asyncio.create_task(deliver([a, b], range(120), acked))
        while len(acked) < 40:
            await asyncio.sleep(0.01)
        proc_a.kill()  # SIGKILL, mid-ingest
        await sender
        await listener
        assert_exactly_once_in_order(frames, acked)
        assert len(acked) == 120


@pytest.mark.slow
async def test_r3_cluster_loses_a_node_mid_ingest_and_keeps_every_acknowledged_event(
    tmp_path: Path,
) -> None:
    with nats_cluster(tmp_path) as cluster:
        url = f"{cluster.url}/FAILOVER?replicas=3"
        with relay_process(url) as (a, _), relay_process(url) as (b, _):
            acked: dict[str, int] = {}
            sender = asyncio.create_task(deliver([a, b], range(150), acked, deadline=40))
            while len(acked) < 50:
                await asyncio.sleep(0.01)
            cluster.nodes[0].kill()  # kill -9 of one JetStream server mid-ingest
            await sender
            assert len(acked) == 150
            frames = await collect(b.replace("http", "ws"), 0, max(acked.values()), timeout=40)
            assert_exactly_once_in_order(frames, acked)


def test_relay_says_what_to_do_when_no_nats_server_answers() -> None:
    from qtui.relay.nats_server import free_port

    url = f"nats://127.0.0.1:{free_port()}/NONE"
    done = subprocess.run(
        [sys.executable, "-c", "from qtui.cli import main; main()", "relay", "--port", "0"]
        + ["--log", url],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QTUI_WEBHOOK_SECRET": SECRET},
    )
    assert done.returncode == 2
    assert f"cannot open the JetStream log {url}" in done.stderr
    assert "is nats-server -js running?" in done.stderr
