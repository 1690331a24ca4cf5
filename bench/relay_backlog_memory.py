"""Relay memory with a backlog of large events and subscribers that never read.

    python -m bench.relay_backlog_memory [--events 600] [--size 1000000] [--readers 3]
                                         [--seconds 20] [--tree PATH]

Fills an event log with `--events` envelopes of `--size` bytes, starts `qtui relay` on it
in its own process (from the source tree `--tree`, default this one, so an older
checkout can be measured the same way), opens `--readers` websocket streams from
`after=0` that complete the handshake and then never read a byte, and samples the
relay's resident memory (VmRSS, and the kernel's peak VmHWM) for `--seconds`.
Beside it, the baseline: the same relay with no reader at all. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import socket
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.processes import qtui_relay
from qtui.relay.log import EventLog

SECRET = "bench-secret"


def fill(path: Path, events: int, size: int) -> None:
    pad = "x" * size
    now = datetime.now(UTC)
    with EventLog(path, synchronous="NORMAL") as log:
        for n in range(events):
            body = json.dumps({"event": "block.created", "data": {"id": f"b{n}", "pad": pad}})
            log.append(
                body.encode(),
                source="questra",
                delivery_id=f"d-{n}",
                event_type="block.created",
                verified=True,
                received_at=now,
            )


def memory_kib(pid: int) -> tuple[int, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    return rss, hwm


def start_relay(tree: Path, db: Path) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "PYTHONPATH": str(tree), "QTUI_WEBHOOK_SECRET": SECRET}
    env.pop("QTUI_RELAY_TOKEN", None)
    proc = subprocess.Popen(
        qtui_relay("--db", str(db)),
        stdout=subprocess.PIPE,
        stderr=open(os.environ.get("H9_RELAY_ERR", os.devnull), "w"),  # noqa: SIM115
        text=True,
        env=env,
        cwd=tree,  # `python -c` puts the working directory first on sys.path
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        found = re.search(r"listening on [\d.]+:(\d+)", line)
        if found:
            return proc, int(found.group(1))
    raise RuntimeError("the relay did not start")


def silent_reader(port: int) -> socket.socket:
    """A websocket subscriber that completes the handshake, then never reads again."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            "GET /stream?after=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    return sock


def measure(tree: Path, db: Path, readers: int, seconds: float) -> tuple[int, int, int]:
    """(RSS at start, peak RSS, RSS at the end) in KiB."""
    proc, port = start_relay(tree, db)
    socks = []
    try:
        time.sleep(1.0)
        start, _ = memory_kib(proc.pid)
        socks = [silent_reader(port) for _ in range(readers)]
        deadline = time.monotonic() + seconds
        rss = start
        while time.monotonic() < deadline and proc.poll() is None:
            rss, _ = memory_kib(proc.pid)
            time.sleep(0.25)
        _, peak = memory_kib(proc.pid)
        return start, peak, rss
    finally:
        for sock in socks:
            sock.close()
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "relay.db"
        began = time.perf_counter()
        fill(db, args.events, args.size)
        mib = db.stat().st_size / 2**20
        took = time.perf_counter() - began
        print(f"log: {args.events} events × {args.size:,} bytes ({mib:,.0f} MiB on disk)")
        print(f"filled in {took:.1f} s; relay code from {args.tree}")
        runs = (("no reader (baseline)", 0), (f"{args.readers} silent readers", args.readers))
        for label, readers in runs:
            start, peak, end = measure(args.tree, db, readers, args.seconds)
            print(
                f"  {label:22} RSS at start {start / 1024:7.1f} MiB   peak {peak / 1024:7.1f} MiB"
                f"   after {args.seconds:g} s {end / 1024:7.1f} MiB"
            )


if __name__ == "__main__":
    main()
