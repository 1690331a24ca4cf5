"""Relay figures: webhook ingest rate, POST → frame latency, catch-up rate on a long backlog.

    python bench/relay.py [--posts 3000] [--clients 4] [--samples 300] [--backlog 100000]

The relay runs as `qtui relay` in its own process (its own interpreter, as users run it),
on loopback, with a file database in a temporary directory. The load comes from this
process. Prints figures; asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from qtui.questra.signing import sign
from qtui.relay.log import EventLog
from qtui.relay.subscriber import RelaySubscriber

SECRET = "bench-secret"
SURVEY = "a1b2c3d4-e5f6-4890-abcd-ef1234567890"


def envelope(n: int) -> bytes:
    """A block.created shaped like seed 001's example (≈ 600 bytes)."""
    return json.dumps(
        {
            "event": "block.created",
            "timestamp": "2025-04-01T10:00:50Z",
            "data": {
                "id": f"block-{n:08d}",
                "page_id": "d1e2f3a4-b5c6-7890-defa-012345678901",
                "order": n,
                "config": {
                    "type": "MultipleChoice",
                    "label": "How satisfied are you with our service?",
                    "choices": [
                        {"label": label, "value": str(5 - i)}
                        for i, label in enumerate(
                            [
                                "Very satisfied",
                                "Satisfied",
                                "Neutral",
                                "Dissatisfied",
                                "Very dissatisfied",
                            ]
                        )
                    ],
                    "allowMultiple": False,
                },
                "created_at": "2025-04-01T10:00:50Z",
                "updated_at": "2025-04-01T10:00:50Z",
            },
        }
    ).encode()


def signed(n: int) -> tuple[bytes, dict[str, str]]:
    body = envelope(n)
    return body, {
        "Content-Type": "application/json",
        "X-Questra-Signature": sign(body, SECRET),
        "X-Questra-Delivery": f"bench-{n}",
        "X-Questra-Event": "block.created",
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def relay_process(db: Path) -> Iterator[tuple[str, str, int]]:
    """`qtui relay --port 0` on `db`; yields (http base URL, ws base URL, pid)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from qtui.cli import main; main()",
            "relay",
            "--port",
            "0",
            "--db",
            str(db),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # one log line per request: kept out of the figures' way
        text=True,
        env={**os.environ, "QTUI_WEBHOOK_SECRET": SECRET},
    )
    try:
        assert proc.stdout is not None
        port = None
        for line in proc.stdout:
            if found := re.search(r"listening on 127\.0\.0\.1:(\d+)", line):
                port = int(found.group(1))
            if line.startswith("Ctrl-C stops"):
                break
        if port is None:
            raise RuntimeError("qtui relay did not start")
        yield f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", proc.pid
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def ingest(http: str, posts: int, clients: int) -> float:
    requests = [signed(n) for n in range(posts)]  # signing is the sender's cost, not ours
    next_index = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=http, limits=limits) as client:
        await client.get("/health")

        async def sender() -> None:
            nonlocal next_index
            while next_index < posts:
                body, headers = requests[next_index]
                next_index += 1
                response = await client.post("/hooks/questra", content=body, headers=headers)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return posts / elapsed


async def latency(http: str, ws_url: str, samples: int, first: int) -> list[float]:
    arrived: dict[int, float] = {}
    wanted: dict[int, asyncio.Event] = {}
    async with (
        httpx.AsyncClient(base_url=http) as client,
        connect(f"{ws_url}/stream?after={first}") as ws,
    ):
        # Drain whatever backlog the stream starts with before measuring.
        health = (await client.get("/health")).json()

        async def reader() -> None:
            async for message in ws:
                frame = json.loads(message)
                if frame["type"] == "event":
                    arrived[frame["seq"]] = time.perf_counter()
                    wanted.setdefault(frame["seq"], asyncio.Event()).set()

        task = asyncio.create_task(reader())
        if health["last_seq"] > first:
            await wanted.setdefault(health["last_seq"], asyncio.Event()).wait()
        results = []
        for n in range(samples):
            body, headers = signed(10_000_000 + n)
            sent = time.perf_counter()
            response = await client.post("/hooks/questra", content=body, headers=headers)
            seq = response.json()["seq"]
            await wanted.setdefault(seq, asyncio.Event()).wait()
            results.append(arrived[seq] - sent)
        task.cancel()
    return results


def fill(db: Path, events: int) -> float:
    now = datetime.now(UTC)
    with EventLog(db) as log:
        started = time.perf_counter()
        for n in range(events):
            log.append(
                envelope(n),
                source="questra",
                delivery_id=f"fill-{n}",
                event_type="block.created",
                verified=True,
                received_at=now,
            )
        return events / (time.perf_counter() - started)


async def catch_up_raw(ws_url: str, events: int) -> float:
    started = time.perf_counter()
    received = 0
    async with connect(f"{ws_url}/stream?after=0", max_size=None) as ws:
        async for message in ws:
            frame = json.loads(message)
            if frame["type"] == "event":
                received += 1
                if received == events:
                    break
    return events / (time.perf_counter() - started)


async def catch_up_subscriber(ws_url: str, events: int) -> float:
    started = time.perf_counter()
    async with RelaySubscriber(ws_url) as subscriber:
        async for frame in subscriber:
            if frame["seq"] >= events:
                break
    return events / (time.perf_counter() - started)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=3000, help="signed POSTs for ingest")
    parser.add_argument("--clients", type=int, default=4, help="concurrent senders")
    parser.add_argument("--samples", type=int, default=300, help="latency samples")
    parser.add_argument("--backlog", type=int, default=100_000, help="catch-up backlog size")
    args = parser.parse_args()

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, relay in its own process")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "relay.db"
        with relay_process(db) as (http, ws_url, pid):
            for clients in sorted({1, args.clients}):
                cpu_before = cpu_seconds(pid)
                rate = await ingest(http, args.posts, clients)
                cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000 / args.posts
                print(
                    f"ingest: {rate:8.0f} signed POSTs/s  ({args.posts} posts, "
                    f"{clients} concurrent client{'s' if clients > 1 else ''}; relay CPU "
                    f"{cpu_ms:.2f} ms per POST: verify, parse, commit, log line)"
                )
            with EventLog(db) as log:
                last = log.last_seq()
            times = await latency(http, ws_url, args.samples, last)
            ms = [t * 1000 for t in times]
            print(
                f"latency POST → websocket frame: p50 {pct(ms, 0.5):.2f} ms, "
                f"p95 {pct(ms, 0.95):.2f} ms, max {max(ms):.2f} ms "
                f"({args.samples} sequential samples, mean {statistics.mean(ms):.2f} ms)"
            )

        backlog_db = Path(tmp) / "backlog.db"
        fill_rate = fill(backlog_db, args.backlog)
        print(
            f"direct EventLog.append: {fill_rate:8.0f} events/s "
            f"(one commit each, {args.backlog} events)"
        )
        with relay_process(backlog_db) as (_, ws_url, _pid):
            raw = await catch_up_raw(ws_url, args.backlog)
            print(
                f"catch-up, websocket client + json.loads: {raw:8.0f} events/s "
                f"({args.backlog} backlog events)"
            )
            sub = await catch_up_subscriber(ws_url, args.backlog)
            print(
                f"catch-up, RelaySubscriber:               {sub:8.0f} events/s "
                f"({args.backlog} backlog events)"
            )


if __name__ == "__main__":
    asyncio.run(main())
