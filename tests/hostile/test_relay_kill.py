"""The relay under `kill -9`: every acknowledged delivery stored once, every seq seen once.

The relay runs as users run it (`qtui relay`, its own process, a file database). Two
senders deliver signed events the way Questra does — each delivery retried with the
same delivery id until it gets a 2xx — while two `RelaySubscriber`s follow the stream.
Meanwhile the relay is killed with SIGKILL and restarted on the same port and database,
several times. Afterwards: each acknowledged delivery is in the log exactly once, under
the seq it was acknowledged with, and each subscriber saw seqs 1…N once each, in order.
Bounded to about twenty seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from qtui.questra.signing import sign
from qtui.relay.subscriber import RelaySubscriber

SECRET = "kill-secret"
KILLS = 4
SENDERS = 2
SUBSCRIBERS = 2
UP_S = 0.8  # how long the relay runs between kills
GUARD_S = 60  # guards against hangs only


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RelayProcess:
    def __init__(self, db: Path, port: int) -> None:
        self.db, self.port = db, port
        self.proc: subprocess.Popen[str] | None = None
        self.starts = 0

    def start(self) -> None:
        env = {**os.environ, "QTUI_WEBHOOK_SECRET": SECRET, "QTUI_RELAY_TOKEN": ""}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from qtui.cli import main; main()",
                "relay",
                "--port",
                str(self.port),
                "--db",
                str(self.db),
                "--no-request-log",
            ],  # fmt: skip
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + GUARD_S
        for line in self.proc.stdout:
            if line.startswith("Ctrl-C stops"):
                self.starts += 1
                return
            assert time.monotonic() < deadline, "the relay did not start"
        raise AssertionError("the relay exited before it started")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=GUARD_S)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=GUARD_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


async def send_until_acknowledged(
    http: httpx.AsyncClient, delivery: str, n: int, acked: dict[str, int]
) -> None:
    body = json.dumps(
        {"event": "page.created", "data": {"id": f"page-{n}", "survey_id": "s1", "order": n}}
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Questra-Signature": sign(body, SECRET),
        "X-Questra-Delivery": delivery,
    }
    while True:
        try:
            response = await http.post("/hooks/questra", content=body, headers=headers)
        except httpx.TransportError:
            await asyncio.sleep(0.05)  # the relay is down: retry, as Questra does
            continue
        if response.status_code == 200:
            acked[delivery] = response.json()["seq"]
            return
        assert response.status_code >= 500, response.text  # only "try again" is acceptable
        await asyncio.sleep(0.05)


async def sender(base: str, name: str, stop: asyncio.Event, acked: dict[str, int]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=5.0, trust_env=False) as http:
        for n in itertools.count():
            if stop.is_set():
                return
            await send_until_acknowledged(http, f"{name}-{n}", n, acked)


async def subscriber(ws: str, seen: list[int]) -> None:
    async with RelaySubscriber(ws, backoff_initial=0.05, backoff_max=0.3) as stream:
        async for frame in stream:
            seen.append(frame["seq"])


@pytest.mark.slow
async def test_kill_9_loses_and_repeats_nothing(tmp_path: Path) -> None:
    db = tmp_path / "relay.db"
    relay = RelayProcess(db, free_port())
    base, ws = f"http://127.0.0.1:{relay.port}", f"ws://127.0.0.1:{relay.port}"
    acked: dict[str, int] = {}
    stop_sending = asyncio.Event()
    seen: list[list[int]] = [[] for _ in range(SUBSCRIBERS)]
    senders: list[asyncio.Task[None]] = []
    followers: list[asyncio.Task[None]] = []
    await asyncio.to_thread(relay.start)
    try:
        async with asyncio.timeout(GUARD_S):
            senders = [
                asyncio.create_task(sender(base, f"s{i}", stop_sending, acked))
                for i in range(SENDERS)
            ]
            followers = [asyncio.create_task(subscriber(ws, seen[i])) for i in range(SUBSCRIBERS)]
            for _ in range(KILLS):
                await asyncio.sleep(UP_S)
                relay.kill()
                await asyncio.sleep(0.1)
                await asyncio.to_thread(relay.start)
            await asyncio.sleep(UP_S)
            stop_sending.set()
            await asyncio.gather(*senders)
            newest = max(acked.values())
            while any(not follower or follower[-1] < newest for follower in seen):
                await asyncio.sleep(0.05)
    finally:
        relay.stop()
        for task in [*senders, *followers]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    assert relay.starts == KILLS + 1
    assert len(acked) > 50, f"too few deliveries to mean anything: {len(acked)}"
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT delivery_id, seq FROM events ORDER BY seq").fetchall()
    stored: dict[str, int] = {}
    for delivery, seq in rows:
        assert delivery not in stored, f"{delivery} stored twice (seqs {stored[delivery]}, {seq})"
        stored[delivery] = seq
    for delivery, seq in acked.items():
        assert stored.get(delivery) == seq, f"acknowledged {delivery} (seq {seq}) is not stored"
    # Seqs have no holes, and every subscriber saw each one once, in order.
    assert [seq for _, seq in rows] == list(range(1, len(rows) + 1))
    for follower in seen:
        assert follower[: len(rows)] == list(range(1, len(rows) + 1))
        assert len(follower) == len(rows)
