"""Fieldwork figures: mixed Oktave/Qualtrics/Questra ingest against a bare app, and the
fieldwork screen's frame time at 200 responses/s.

    python bench/fieldwork.py [--posts 3000] [--senders 16] [--rounds 3]
                              [--seconds 5] [--rate 200] [--quick]

Ingest: `qtui relay` in its own process (as `bench/relay.py` runs it, with Oktave and
Qualtrics secrets), beside a bare baseline of the same stack in another process — a
Starlette app on uvicorn that does, per source, the same check (Questra: HMAC over the
body; Oktave: HMAC over event id + timestamp, the body's `event_id`, the window;
Qualtrics: the subscription secret and the form) and one INSERT + COMMIT on SQLite with
the same pragmas. The load is one third each source, interleaved, over keep-alive
connections; rounds alternate and the medians and their ratio are printed.

Frame time: the real app headless (`App.run_test`) at 80×24 with the fieldwork screen open,
fed relay frames in-process at `--rate` respondents a second (each a start and a recorded
response, plus its Qualtrics response detail), as the relay would stream them. Prints the
screen's refresh time (median, p95, max) and how many refreshes ran. Prints figures;
asserts nothing about speed.
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
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.processes import qtui_relay, serve_on_free_port  # noqa: E402
from bench.relay import SECRET, ingest_rounds, pct, raw_request, signed  # noqa: E402
from qtui.sandbox import oktave  # noqa: E402

OKTAVE_SECRET = "bench-oktave"
HOOK_SECRET = "bench-hook"
SURVEY = "SV_bench000000001"
SYNCHRONOUS = "full"


def oktave_request(n: int, now: int) -> bytes:
    camp = {"id": "c", "token": "t", "channel": "url", "survey_id": SURVEY, "survey_name": "B"}
    resp = oktave.response(f"resp-{n}", camp, status="started", started_at=now, now=now)
    event_id = f"ev-{n}"
    body = json.dumps(
        oktave.envelope("response.started", resp, event_id=event_id, timestamp=now, is_test=False)
    ).encode()
    return raw_request(body, oktave.signed_headers(OKTAVE_SECRET, event_id, now), "/hooks/oktave")


def qualtrics_request(n: int) -> bytes:
    form = urllib.parse.urlencode(
        {
            "Topic": f"surveyengine.completedResponse.{SURVEY}",
            "Status": "Complete",
            "SurveyID": SURVEY,
            "ResponseID": f"R_{n:012d}",
            "RecipientID": f"MLRP_{n}",
            "CompletedDate": "2026-11-25 14:00:00",
            "BrandID": "bench",
        }
    ).encode()
    return raw_request(
        form,
        {"Content-Type": "application/x-www-form-urlencoded"},
        f"/hooks/qualtrics?secret={HOOK_SECRET}",
    )


def mixed_requests(posts: int) -> list[bytes]:
    now = int(time.time())
    out = []
    for n in range(posts):
        kind = n % 3
        if kind == 0:
            out.append(raw_request(*signed(n)))
        elif kind == 1:
            out.append(oktave_request(n, now))
        else:
            out.append(qualtrics_request(n))
    return out


def bare_app(db_path: str) -> Any:
    """The baseline: each source's check, and one durable INSERT + COMMIT per request."""
    import hashlib
    import hmac
    import sqlite3

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    db = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={SYNCHRONOUS.upper()}")
    db.execute(
        "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
        "source TEXT, delivery_id TEXT, envelope BLOB NOT NULL, UNIQUE (source, delivery_id))"
    )

    def store(source: str, delivery: str | None, body: bytes) -> JSONResponse:
        cursor = db.execute(
            "INSERT INTO events (source, delivery_id, envelope) VALUES (?, ?, ?)",
            (source, delivery, body),
        )
        return JSONResponse({"status": "stored", "seq": cursor.lastrowid})

    async def questra(request: Request) -> JSONResponse:
        body = await request.body()
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("x-questra-signature", "")):
            return JSONResponse({"error": "bad signature"}, status_code=401)
        return store("questra", request.headers.get("x-questra-delivery"), body)

    async def oktave_hook(request: Request) -> JSONResponse:
        body = await request.body()
        event_id = request.headers.get("oktave-event-id", "")
        stamp = request.headers.get("oktave-timestamp", "")
        expected = hmac.new(
            OKTAVE_SECRET.encode(), f"{event_id}{stamp}".encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("oktave-signature", "")):
            return JSONResponse({"error": "bad signature"}, status_code=401)
        if abs(time.time() - int(stamp)) > 300 or json.loads(body)["event_id"] != event_id:
            return JSONResponse({"error": "stale or not the signed event"}, status_code=401)
        return store("oktave", event_id, body)

    async def qualtrics(request: Request) -> JSONResponse:
        if not hmac.compare_digest(request.query_params.get("secret", ""), HOOK_SECRET):
            return JSONResponse({"error": "bad secret"}, status_code=401)
        fields = dict(urllib.parse.parse_qsl((await request.body()).decode()))
        key = f"{fields['ResponseID']}:{fields['Topic']}"
        return store("qualtrics", key, json.dumps(fields).encode())

    return Starlette(
        routes=[
            Route("/hooks/questra", questra, methods=["POST"]),
            Route("/hooks/oktave", oktave_hook, methods=["POST"]),
            Route("/hooks/qualtrics", qualtrics, methods=["POST"]),
        ]
    )


def serve_bare(db_path: str) -> None:
    serve_on_free_port(bare_app(db_path), lifespan="auto")


def relay_command(db: Path) -> list[str]:
    return qtui_relay(
        "--db",
        str(db),
        "--no-request-log",
        "--synchronous",
        SYNCHRONOUS,
        "--oktave-secret",
        OKTAVE_SECRET,
        "--qualtrics-secret",
        HOOK_SECRET,
    )


def bare_command(db: Path) -> list[str]:
    return [sys.executable, __file__, "--serve-bare", str(db)]


async def compare(tmp: Path, posts: int, senders: int, rounds: int) -> None:
    commands = (relay_command, bare_command)
    ours, bare, _ = await ingest_rounds(
        tmp, rounds, senders, commands, lambda: mixed_requests(posts), warm_up=150
    )
    mine, base = statistics.median(ours), statistics.median(bare)
    print(
        f"mixed ingest (Questra/Oktave/Qualtrics, 1:1:1), {senders} senders: relay "
        f"{mine:.0f}/s vs bare Starlette+SQLite {base:.0f}/s (medians of {rounds}): "
        f"ratio {mine / base:.2f}"
    )


# -- the screen's frame time ----------------------------------------------------------------


def respondent_frames(n: int, seq: int, moment: datetime) -> list[dict[str, Any]]:
    stamp = moment.strftime("%Y-%m-%d %H:%M:%S")
    base = {"Topic": "", "SurveyID": SURVEY, "BrandID": "b", "RecipientID": f"M{n}"}
    started = {**base, "Topic": f"surveyengine.startedRecipientSession.{SURVEY}"}
    started["StartedDate"] = stamp
    done = {**base, "Topic": f"surveyengine.completedResponse.{SURVEY}", "ResponseID": f"R_{n}"}
    done["CompletedDate"] = stamp
    return [
        {
            "type": "event",
            "seq": seq + i,
            "source": "qualtrics",
            "survey_id": SURVEY,
            "received_at": moment.isoformat(),
            "envelope": envelope,
        }
        for i, envelope in enumerate((started, done))
    ]


PAGES = 30


def bench_survey() -> dict[str, Any]:
    """A FullSurvey of `PAGES` pages, one multiple-choice question each, the last an end."""
    pages = []
    for i in range(PAGES):
        pages.append(
            {
                "id": f"p{i}",
                "survey_id": "bench-survey",
                "name": f"Page {i + 1}",
                "order": i,
                "assign_response_status": "complete" if i == PAGES - 1 else None,
                "blocks": [
                    {
                        "id": f"b{i}",
                        "page_id": f"p{i}",
                        "order": 0,
                        "config": {
                            "type": "MultipleChoice",
                            "label": f"Question {i + 1}",
                            "choices": [
                                {"label": "Yes", "value": "1"},
                                {"label": "No", "value": "2"},
                            ],
                        },
                    }
                ],
                "navigation_rules": [],
            }
        )
    return {"id": "bench-survey", "name": "Bench", "pages": pages, "variables": []}


async def frame_time(seconds: float, rate: int) -> None:
    from qtui.config import Settings, UISettings
    from qtui.tui.app import QtuiApp
    from qtui.tui.clock import Clock
    from qtui.tui.screens.fieldwork import FieldworkScreen
    from qtui.tui.sources import FeedSource

    settings = Settings.model_construct(ui=UISettings(coalesce_ms=200, flash_ms=0))
    feed = FeedSource()
    app = QtuiApp(
        feed, survey_id="bench-survey", settings=settings, clock=Clock.fixed(datetime.now(UTC))
    )
    timings: list[float] = []
    original = FieldworkScreen.refresh_figures

    def timed(self: FieldworkScreen, force: bool = False) -> None:
        started = time.perf_counter()
        before = self.shown_version
        original(self, force)
        if self.shown_version != before:
            timings.append(time.perf_counter() - started)

    FieldworkScreen.refresh_figures = timed  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        feed.load(bench_survey())
        for _ in range(200):
            await pilot.pause(0.05)
            if app.store.survey("bench-survey") is not None:
                break
        await pilot.press("F")
        await pilot.pause(0.2)
        watcher = app.fieldwork
        seq, n = 0, 0
        start = time.perf_counter()
        moment = datetime.now(UTC)
        while time.perf_counter() - start < seconds:
            tick = time.perf_counter()
            for _ in range(rate // 10):  # a tenth of a second's respondents
                n += 1
                for frame in respondent_frames(n, seq, moment + timedelta(seconds=n / rate)):
                    await watcher.apply(frame)
                seq += 2
                tally = watcher.tally(SURVEY)
                if tally is not None and n % 4:  # most responses read back in full
                    seen = [f"b{i}" for i in range(1 + n % PAGES)]
                    values = {"finished": 1, "duration": 300 + n % 200}
                    if len(seen) < PAGES:
                        values["Q_TerminateFlag"] = "Screened"
                    tally.apply_detail(f"R_{n}", {"values": values, "displayedFields": seen})
            await asyncio.sleep(max(0.0, 0.1 - (time.perf_counter() - tick)))
        achieved = n / (time.perf_counter() - start)
        await pilot.pause(0.3)
    FieldworkScreen.refresh_figures = original  # type: ignore[method-assign]
    ms = [t * 1000 for t in timings]
    print(
        f"fieldwork screen at {achieved:.0f} responses/s for {seconds:g} s ({n} respondents, "
        f"{PAGES}-page survey, 80x24): refresh p50 {statistics.median(ms):.1f} ms, "
        f"p95 {pct(ms, 0.95):.1f} ms, "
        f"max {max(ms):.1f} ms over {len(ms)} refreshes"
    )


async def main() -> None:
    global SYNCHRONOUS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=3000, help="POSTs per round")
    parser.add_argument("--senders", type=int, default=16, help="concurrent senders")
    parser.add_argument("--rounds", type=int, default=3, help="relay/bare rounds")
    parser.add_argument("--seconds", type=float, default=5.0, help="frame-time run length")
    parser.add_argument("--rate", type=int, default=200, help="respondents a second")
    parser.add_argument("--quick", action="store_true", help="fewer posts, one round")
    parser.add_argument("--synchronous", choices=["full", "normal"], default="full")
    args = parser.parse_args()
    SYNCHRONOUS = args.synchronous
    if args.quick:
        args.posts, args.rounds, args.seconds = 900, 1, 3.0
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus")
    with tempfile.TemporaryDirectory() as tmp:
        await compare(Path(tmp), args.posts, args.senders, args.rounds)
    await frame_time(args.seconds, args.rate)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--serve-bare":
        serve_bare(sys.argv[2])
    else:
        asyncio.run(main())
