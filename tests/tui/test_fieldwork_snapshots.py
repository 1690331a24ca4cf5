"""SVG snapshots of the fieldwork screen, at 120×40 and at 80×24."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from qtui.tui.sources import FeedSource
from tests.tui.conftest import make_app, settle, until
from tests.tui.envelopes import screener_stream
from tests.tui.fieldwork_frames import apply_fieldwork


def fielded(*keys: str):  # type: ignore[no-untyped-def]
    feed = FeedSource()
    app = make_app(feed)

    async def run_before(pilot: Pilot[Any]) -> None:
        feed.push(*screener_stream())
        await settle(pilot, app)
        await apply_fieldwork(app)
        await pilot.press("F")
        await until(pilot, lambda: getattr(app.screen, "routes", None) is not None)
        await pilot.pause(0.3)
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.1)

    return app, run_before


def test_snapshot_fieldwork_pages(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app, run_before = fielded()
    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_snapshot_fieldwork_routes_at_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app, run_before = fielded("2")
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_snapshot_fieldwork_incidents_at_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app, run_before = fielded("3")
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
