"""Relay figures: ingest against a bare app, POST → frame latency, catch-up on a backlog.

    python bench/relay.py [--posts 4000] [--senders 16] [--rounds 3]
                          [--samples 300] [--backlog 100000] [--quick]
                          [--synchronous full|normal] [--log nats[://HOST:PORT]]

The relay runs as `qtui relay --no-request-log` in its own process (its own interpreter, as
users run it), on loopback, with a file database in a temporary directory. Beside it, in
another process, the bare baseline of the same stack: a Starlette app on uvicorn that
checks the same HMAC and does one INSERT + COMMIT per request on SQLite with the same
pragmas (WAL, `--synchronous`: FULL by default, as the relay's), answering once it
committed. The load is a raw asyncio HTTP/1.1 client (keep-alive connections, no HTTP
library in the way) with `--senders` concurrent senders; rounds alternate between relay
and baseline, and the medians and their ratio are printed, with POST latency percentiles.
With `--log nats` (a nats-server with JetStream is started, in a temporary directory) or
`--log nats://HOST:PORT`, the relay runs with `--log nats://…` and the baseline publishes
each delivery to JetStream and awaits its acknowledgement instead of the SQLite INSERT;
every round gets a fresh stream.
Prints figures; asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.processes import qtui_relay, serve_on_free_port, server_process  # noqa: E402
from qtui.questra.signing import sign  # noqa: E402
from qtui.relay.log import EventLog  # noqa: E402
from qtui.relay.subscriber import RelaySubscriber  # noqa: E402

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


def raw_request(body: bytes, headers: dict[str, str], path: str = "/hooks/questra") -> bytes:
    """The bytes of one HTTP/1.1 POST, written once and sent as they are."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _answer(reader: asyncio.StreamReader) -> int:
    """Read one response off a keep-alive connection; returns its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def blast(http: str, requests: list[bytes], senders: int) -> tuple[float, list[float]]:
    """Send `requests` over `senders` keep-alive connections; (requests/s, latencies in s)."""
    host, port = http.removeprefix("http://").rsplit(":", 1)
    connections = [await asyncio.open_connection(host, int(port)) for _ in range(senders)]
    latencies: list[float] = []
    position = 0

    async def sender(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal position
        while position < len(requests):
            request = requests[position]
            position += 1
            sent = time.perf_counter()
            writer.write(request)
            status = await _answer(reader)
            latencies.append(time.perf_counter() - sent)
            if status >= 300:
                raise RuntimeError(f"POST answered {status}")

    started = time.perf_counter()
    await asyncio.gather(*(sender(r, w) for r, w in connections))
    elapsed = time.perf_counter() - started
    for _, writer in connections:
        writer.close()
    return len(requests) / elapsed, latencies


def bare_app(db_path: str, secret: str, synchronous: str = "full") -> Any:
    """The baseline: the same HMAC check and one durable INSERT + COMMIT per request."""
    import hashlib
    import hmac
    import sqlite3

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    db = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous.upper()}")
    db.execute(
        "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
        "delivery_id TEXT UNIQUE, envelope BLOB NOT NULL)"
    )
    key = secret.encode()

    async def hook(request: Request) -> JSONResponse:
        body = await request.body()
        expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("x-questra-signature", "")):
            return JSONResponse({"error": "bad signature"}, status_code=401)
        cursor = db.execute(
            "INSERT INTO events (delivery_id, envelope) VALUES (?, ?)",
            (request.headers.get("x-questra-delivery"), body),
        )
        return JSONResponse({"status": "stored", "seq": cursor.lastrowid})

    return Starlette(routes=[Route("/hooks/questra", hook, methods=["POST"])])


def bare_nats_app(url: str, secret: str) -> Any:
    """The JetStream baseline: the same HMAC check and one acknowledged publish per request."""
    import contextlib
    import hashlib
    import hmac

    import nats
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from qtui.relay.jetstream import parse_nats_url

    address = parse_nats_url(url)
    key = secret.encode()
    held: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> Any:
        connection = await nats.connect(servers=address.servers)
        js = connection.jetstream()
        await js.add_stream(name=address.stream, subjects=[f"{address.subject}.>"])
        held["js"] = js
        yield
        await connection.close()

    async def hook(request: Request) -> JSONResponse:
        body = await request.body()
        expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("x-questra-signature", "")):
            return JSONResponse({"error": "bad signature"}, status_code=401)
        delivery = request.headers.get("x-questra-delivery", "")
        ack = await held["js"].publish(
            f"{address.subject}.questra", body, headers={"Nats-Msg-Id": f"questra:{delivery}"}
        )
        return JSONResponse({"status": "stored", "seq": ack.seq})

    return Starlette(routes=[Route("/hooks/questra", hook, methods=["POST"])], lifespan=lifespan)


def serve_bare(db_path: str, synchronous: str) -> None:
    """Child process entry: the bare app on a free port, uvicorn's defaults (as the relay)."""
    if db_path.startswith("nats://"):
        serve_on_free_port(bare_nats_app(db_path, SECRET), lifespan="on")
    else:
        serve_on_free_port(bare_app(db_path, SECRET, synchronous))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


SYNCHRONOUS = ["full"]  # set from --synchronous; both servers use it
NATS = [""]  # set from --log nats://…: both servers then use a JetStream stream each


def _stream_url(db: Path) -> str:
    return f"{NATS[0]}/{db.stem.upper().replace('-', '_')}"


def relay_command(db: Path) -> list[str]:
    if NATS[0]:
        return qtui_relay("--log", _stream_url(db), "--no-request-log")
    return qtui_relay("--db", str(db), "--no-request-log", "--synchronous", SYNCHRONOUS[0])


def bare_command(db: Path) -> list[str]:
    target = _stream_url(db) if NATS[0] else str(db)
    return [sys.executable, __file__, "--serve-bare", target, SYNCHRONOUS[0]]


@contextmanager
def relay_process(db: Path, command: list[str] | None = None) -> Iterator[tuple[str, str, int]]:
    """`qtui relay --port 0` on `db` (or `command`); yields (http URL, ws URL, pid)."""
    # stderr (one log line per request) is kept out of the figures' way
    env = {**os.environ, "QTUI_WEBHOOK_SECRET": SECRET}
    with server_process(command or relay_command(db), env) as (port, proc):
        yield f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", proc.pid


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


async def ingest_rounds(
    tmp: Path,
    rounds: int,
    senders: int,
    commands: tuple[Callable[[Path], list[str]], Callable[[Path], list[str]]],
    requests: Callable[[], list[bytes]],
    warm_up: int,
) -> tuple[list[float], list[float], list[float]]:
    """Rounds of relay vs bare app (`commands`), alternating, a fresh database and a fresh
    `requests()` each; the first `warm_up` requests are not counted. Prints a line a round;
    returns the relay's rates, the bare app's and the relay's p99 latencies (ms)."""
    ours: list[float] = []
    bare: list[float] = []
    tails: list[float] = []
    for n in range(rounds):
        for name, command in zip(("relay", "bare"), commands, strict=True):
            db = tmp / f"{name}-{n}.db"
            load = requests()
            with relay_process(db, command(db)) as (http, _, _pid):
                await blast(http, load[:warm_up], senders)  # warm-up, not counted
                rate, latencies = await blast(http, load[warm_up:], senders)
            ms = [t * 1000 for t in latencies]
            figures = f"{rate:6.0f} POSTs/s (p50 {pct(ms, 0.5):.1f} ms, p99 {pct(ms, 0.99):.1f} ms)"
            if name == "relay":
                ours.append(rate)
                tails.append(pct(ms, 0.99))
                print(f"  round {n + 1}: relay {figures}", end="")
            else:
                bare.append(rate)
                print(f", bare {figures}")
    return ours, bare, tails


async def compare(tmp: Path, posts: int, senders: int, rounds: int) -> None:
    """Rounds of relay vs bare app, alternating; fresh databases each round."""
    ours, bare, tails = await ingest_rounds(
        tmp,
        rounds,
        senders,
        (relay_command, bare_command),
        lambda: [raw_request(*signed(i)) for i in range(posts)],
        warm_up=200,
    )
    mine, base = statistics.median(ours), statistics.median(bare)
    paired = statistics.median(o / b for o, b in zip(ours, bare, strict=True))
    store = "JetStream" if NATS[0] else f"SQLite synchronous={SYNCHRONOUS[0].upper()}"
    print(
        f"ingest, {senders} senders, signed durable POSTs ({store}): relay {mine:.0f}/s vs "
        f"bare Starlette {base:.0f}/s (medians of {rounds}): ratio {mine / base:.2f}; "
        f"median of the rounds' ratios {paired:.2f}; relay p99 {statistics.median(tails):.1f} ms"
    )


async def jetstream_rounds(args: argparse.Namespace) -> None:
    """The comparison on JetStream: a server of our own unless a URL was given."""
    from qtui.relay.nats_server import nats_server

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, servers in own processes")
    with tempfile.TemporaryDirectory() as tmp:
        if args.log.startswith("nats://"):
            NATS[0] = args.log.rstrip("/")
            await compare(Path(tmp), args.posts, args.senders, args.rounds)
            return
        with nats_server(Path(tmp) / "nats") as node:
            NATS[0] = node.url
            print(f"nats-server -js at {node.url} (R1, file store in a temporary directory)")
            await compare(Path(tmp), args.posts, args.senders, args.rounds)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=4000, help="signed POSTs per round")
    parser.add_argument("--senders", type=int, default=16, help="concurrent senders")
    parser.add_argument("--rounds", type=int, default=3, help="relay/bare rounds")
    parser.add_argument("--samples", type=int, default=300, help="latency samples")
    parser.add_argument("--backlog", type=int, default=100_000, help="catch-up backlog size")
    parser.add_argument("--quick", action="store_true", help="only the ingest comparison")
    parser.add_argument(
        "--synchronous", choices=["full", "normal"], default="full", help="for both servers"
    )
    parser.add_argument(
        "--log",
        default="",
        help="nats://HOST:PORT for a JetStream server to use, or 'nats' to start one",
    )
    args = parser.parse_args()
    SYNCHRONOUS[0] = args.synchronous
    if args.log:
        await jetstream_rounds(args)
        return

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, servers in own processes")
    with tempfile.TemporaryDirectory() as tmp:
        await compare(Path(tmp), args.posts, args.senders, args.rounds)
        if args.quick:
            return
        db = Path(tmp) / "relay.db"
        with relay_process(db) as (http, ws_url, pid):
            cpu_before = cpu_seconds(pid)
            rate = await ingest(http, args.posts, 4)
            cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000 / args.posts
            print(
                f"ingest through httpx: {rate:8.0f} signed POSTs/s  ({args.posts} posts, "
                f"4 concurrent clients; relay CPU {cpu_ms:.2f} ms per POST)"
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
    if sys.argv[1:2] == ["--serve-bare"]:
        serve_bare(sys.argv[2], sys.argv[3])
    else:
        try:
            import uvloop  # the load generator must not be the bottleneck

            uvloop.run(main())
        except ImportError:
            asyncio.run(main())
