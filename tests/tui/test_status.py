"""Every figure of the status bar and the progress row, under a fixed clock and known events.

The screener stream stamps its events T0+1s … T0+15s; its programming job starts at T0+2s.
The clock below reads what `now` holds, so a test moves time on by hand.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.pilot import Pilot

from qtui.recording import read_stream
from qtui.tui.app import QtuiApp
from qtui.tui.clock import Clock
from qtui.tui.problems import ProblemReport, summary
from qtui.tui.sources import EventSource, FeedSource, ReplaySource
from qtui.tui.widgets.status_bar import PRIORITY, ProgressRow, StatusBar
from tests.tui.conftest import quiet_settings, settle, until
from tests.tui.envelopes import (
    SURVEY,
    T0,
    block,
    mc,
    page,
    programming,
    screener_stream,
    survey,
)
from tests.tui.test_screen import detail_text


class MovableClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment
        self.clock = Clock(now=lambda: self.moment, monotonic=lambda: 0.0, tz=UTC, animate=False)


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@asynccontextmanager
async def status_app(
    source: EventSource, now: datetime, *, width: int = 160, survey_id: str | None = SURVEY
) -> AsyncIterator[tuple[QtuiApp, Pilot[Any], MovableClock]]:
    clock = MovableClock(now)
    app = QtuiApp(
        source,
        survey_id=survey_id,
        settings=quiet_settings(),
        clock=clock.clock,
        check_interval=0.05,
    )
    async with app.run_test(size=(width, 40)) as pilot:
        yield app, pilot, clock


def bar(app: QtuiApp) -> str:
    return app.query_one(StatusBar).render().plain


def progress(app: QtuiApp) -> str:
    row = app.query_one(ProgressRow)
    return (
        f"{row.query_one('#progress-label').render()} | {row.query_one('#progress-info').render()}"
    )


async def test_live_status_says_every_figure_of_the_events_shown(feed: FeedSource) -> None:
    async with status_app(feed, T0 + timedelta(minutes=1)) as (app, pilot, clock):
        feed.push(*screener_stream())
        await settle(pilot, app)
        # 15 events in the rate's 5 s window: 3.0/s; newest at T0+15s, the clock at T0+60s.
        assert bar(app) == (
            " LIVE   programming · no problems found · ● live · last event 45s ago"
            " · 3.0 ev/s · qualtrics · never pushed"
        )
        # The job started at T0+2s (Questra's stamp); the newest event is T0+15s.
        assert progress(app) == "Programming | 1 of 3 pages so far · 0:13"


async def test_lag_grows_with_the_clock_but_programming_time_is_questras(
    feed: FeedSource,
) -> None:
    async with status_app(feed, T0 + timedelta(minutes=1)) as (app, pilot, clock):
        feed.push(*screener_stream())
        await settle(pilot, app)
        clock.moment = T0 + timedelta(minutes=2, seconds=55)
        app.refresh_status()
        assert "● live · last event 2m40s ago ·" in bar(app)
        # The view being behind does not make the job look longer than Questra says.
        assert progress(app) == "Programming | 1 of 3 pages so far · 0:13"
        t = T0 + timedelta(minutes=2, seconds=30)
        feed.push(page(stamp(t), "p2", "Disqualified", 1, event="page.updated", started=stamp(t)))
        await settle(pilot, app)
        assert "● live · last event 25s ago ·" in bar(app)
        assert progress(app) == "Programming | 1 of 3 pages so far · 2:28"


async def test_the_pages_programmed_follow_page_events_between_block_events(
    feed: FeedSource,
) -> None:
    async with status_app(feed, T0 + timedelta(minutes=1)) as (app, pilot, clock):
        feed.push(*screener_stream())
        await settle(pilot, app)
        assert progress(app) == "Programming | 1 of 3 pages so far · 0:13"
        t = T0 + timedelta(seconds=20)
        feed.push(block(stamp(t), "b1", "p1", 0, mc("Reworded"), event="block.updated"))
        await settle(pilot, app)
        assert progress(app) == "Programming | 1 of 3 pages so far · 0:18"
        t += timedelta(seconds=1)
        feed.push(
            page(
                stamp(t),
                "p2",
                "Disqualified",
                1,
                event="page.updated",
                started=stamp(t),
                completed=stamp(t),
            )
        )
        await settle(pilot, app)
        assert progress(app) == "Programming | 2 of 3 pages so far · 0:19"


async def test_finished_job_shows_the_same_time_in_the_row_and_the_detail(
    feed: FeedSource,
) -> None:
    async with status_app(feed, T0 + timedelta(minutes=5)) as (app, pilot, clock):
        feed.push(*screener_stream())
        feed.push(programming(stamp(T0 + timedelta(seconds=25)), "finished", "completed"))
        await settle(pilot, app)
        assert progress(app) == "Programming | 1/3 pages · 0:23 · completed"
        app.tree.move_cursor(app.tree.root)
        await pilot.pause()
        assert (
            "completed · 0:23 from programming.started to programming.finished "
            "(Questra's timestamps)" in " ".join(detail_text(app).split())
        )
        clock.moment += timedelta(hours=1)
        app.refresh_status()
        assert progress(app) == "Programming | 1/3 pages · 0:23 · completed"


async def test_paused_view_counts_pending_and_keeps_the_lag_of_what_it_shows(
    feed: FeedSource,
) -> None:
    async with status_app(feed, T0 + timedelta(minutes=1)) as (app, pilot, clock):
        feed.push(*screener_stream())
        await settle(pilot, app)
        await pilot.press("p")
        feed.push(
            page(stamp(T0 + timedelta(seconds=40)), "p4", "Thanks", 3),
            page(stamp(T0 + timedelta(seconds=41)), "p5", "End", 4),
        )
        await until(pilot, lambda: app.pending_events == 2)
        app.refresh_status()
        assert bar(app) == (
            " PAUSED   +2 pending · programming · no problems found · ● live · last event 45s ago"
            " · 3.4 ev/s · qualtrics · never pushed"
        )
        await pilot.press("p")
        await settle(pilot, app)
        assert bar(app).startswith(
            " LIVE   programming · no problems found · ● live · last event 19s ago"
        )


async def test_push_time_platform_filter_and_connection_states(feed: FeedSource) -> None:
    async with status_app(feed, T0 + timedelta(minutes=1)) as (app, pilot, clock):
        feed.push(*screener_stream())
        pushed = stamp(T0 + timedelta(seconds=40))
        feed.push(
            survey(
                stamp(T0 + timedelta(seconds=41)),
                status="reviewing",
                platform="qualtrics",
                platform_ir_last_pushed_at=pushed,
            )
        )
        await settle(pilot, app)
        assert bar(app) == (
            " LIVE   reviewing · no problems found · ● live · last event 19s ago · 3.2 ev/s"
            " · qualtrics · pushed 10:00:40"
        )
        clock.moment = T0 + timedelta(days=2)
        app.refresh_status()
        assert bar(app).endswith("· pushed 2025-04-01 10:00:40 UTC")
        await pilot.press("slash", *"sat")
        await until(pilot, lambda: "filter: sat" in bar(app))
        assert bar(app).endswith("· pushed 2025-04-01 10:00:40 UTC · filter: sat")
        feed.connection("reconnecting", retry_in=3.0)
        await until(pilot, lambda: "◌ reconnecting in 3s ·" in bar(app))
        assert bar(app).startswith(" RECONNECTING ")  # never LIVE while the stream is away
        feed.connection("offline", error="relay refused the subscriber token")
        await until(pilot, lambda: "✗ offline: relay refused the subscriber token ·" in bar(app))
        assert bar(app).startswith(" OFFLINE ")
        feed.connection("live")
        await until(pilot, lambda: bar(app).startswith(" LIVE "))


def test_connection_outlasts_a_failing_deliveries_reason_when_narrow() -> None:
    parts = {
        "mode": Text(" RECONNECTING "),
        "status": Text("programming"),
        "connection": Text("◌ reconnecting in 7s"),
        "deliveries": Text("✗ Questra has no active webhook, so it sends the relay nothing"),
    }
    assert StatusBar.fitting(parts, 60) == ["mode", "connection"]


async def test_replay_shows_its_position_and_the_stream_time_instead_of_lag(
    tmp_path: Path,
) -> None:
    recording = tmp_path / "run.jsonl"
    recording.write_text("\n".join(json.dumps(e) for e in screener_stream()) + "\n")
    source = ReplaySource.from_lines(read_stream(recording), speed=256, playing=False)
    async with status_app(source, datetime(2030, 1, 1, tzinfo=UTC), survey_id=None) as (
        app,
        pilot,
        clock,
    ):
        await pilot.press("n", "n", "n")
        await until(pilot, lambda: app.received == 3)
        await settle(pilot, app)
        assert bar(app) == (
            " PAUSED  3/15 · ×256  programming · no problems found · ▷ replay at 10:00:03"
            " · 0.6 ev/s"
            " · qualtrics · never pushed"
        )
        # The job started at T0+2s, the stream stands at T0+3s: a wall clock years later
        # changes nothing.
        assert progress(app) == "Programming | 0 of 0 pages so far · 0:01"
        await pilot.press("space")
        await until(pilot, lambda: app.connection.status == "done")
        await settle(pilot, app)
        assert bar(app) == (
            " ENDED  15/15 · ×256  programming · no problems found · ■ end of stream at 10:00:15"
            " · 3.0 ev/s · qualtrics · never pushed"
        )
        # The job started at T0+2s; the newest event is T0+15s.
        assert progress(app) == "Programming | 1 of 3 pages so far · 0:13"


def test_problems_status_says_one_state_at_a_time() -> None:
    report = ProblemReport(SURVEY, pages=3)
    assert summary("none", None) == ("", "muted")
    assert summary("checking", None) == ("checking routes…", "muted")
    assert summary("checking", report) == ("checking routes…", "muted")
    assert summary("current", report) == ("no problems found", "ok")
    assert summary("unchecked", None, key="f6") == ("routes not checked yet · f6 checks", "muted")
    assert summary("outdated", report) == ("routes changed since the last check · x checks", "warn")
    assert summary("failed", report, "boom") == ("route check failed: boom · x retries", "error")


def test_narrow_status_bar_drops_parts_by_priority() -> None:
    parts = {
        "mode": Text(" LIVE "),
        "status": Text("programming"),
        "problems": Text("2 problems (x)"),
        "connection": Text("● live · last event 3s ago"),
        "rate": Text("3.0 ev/s"),
        "platform": Text("qualtrics"),
        "pushed": Text("pushed 10:40:00"),
    }
    assert StatusBar.fitting(parts, 200) == [
        "mode",
        "status",
        "problems",
        "connection",
        "rate",
        "platform",
        "pushed",
    ]
    assert StatusBar.fitting(parts, 80) == ["mode", "status", "problems", "connection", "platform"]
    assert StatusBar.fitting(parts, 60) == ["mode", "problems", "connection"]
    assert StatusBar.fitting(parts, 50) == ["mode", "connection"]
    assert StatusBar.fitting(parts, 10) == ["mode"]
    assert PRIORITY[0] == "mode" and PRIORITY[-1] == "rate"


async def test_status_bar_at_80_columns_keeps_what_matters(feed: FeedSource) -> None:
    async with status_app(feed, T0 + timedelta(minutes=1), width=80) as (app, pilot, clock):
        feed.push(*screener_stream())
        await settle(pilot, app)
        assert bar(app) == (" LIVE   programming · no problems found · ● live · last event 45s ago")
