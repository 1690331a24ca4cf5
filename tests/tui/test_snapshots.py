"""SVG snapshots of the main states (fixed data, fixed clock, no animation, no flashing).

Update with `pytest tests/tui/test_snapshots.py --snapshot-update` and look at the report.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from qtui.tui.app import QtuiApp
from qtui.tui.sources import FeedSource
from tests.tui.conftest import make_app, settle, until
from tests.tui.envelopes import Clocked, page, problem_stream, rule, screener_stream


def live_app(**settings: Any) -> tuple[QtuiApp, FeedSource]:
    feed = FeedSource()
    return make_app(feed, **settings), feed


def loaded(feed: FeedSource, app: QtuiApp, *steps: Any, stream=screener_stream):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[Any]) -> None:
        feed.push(*stream())
        await settle(pilot, app)
        app.tree.select_item("page", "p1")
        app.tree.cursor_node.expand()  # type: ignore[union-attr]
        await pilot.pause()
        for step in steps:
            await step(pilot)
        # The log's scrollbar thumb is sometimes painted from before its last scroll (the
        # rows shown are always the same); leave it out of the pictures.
        app.query_one("#log").styles.scrollbar_size_vertical = 0
        await pilot.pause()

    return run_before


def select(kind: str, item_id: str):  # type: ignore[no-untyped-def]
    async def step(pilot: Pilot[Any]) -> None:
        pilot.app.tree.select_item(kind, item_id)  # type: ignore[attr-defined]
        await pilot.pause()

    return step


def press(*keys: str):  # type: ignore[no-untyped-def]
    async def step(pilot: Pilot[Any]) -> None:
        await pilot.press(*keys)
        await pilot.pause(0.05)

    return step


def test_snapshot_survey_being_programmed(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app, feed = live_app()
    assert snap_compare(app, terminal_size=(120, 40), run_before=loaded(feed, app))


def test_snapshot_block_detail(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app, feed = live_app()
    run = loaded(feed, app, select("block", "b3"))
    assert snap_compare(app, terminal_size=(120, 40), run_before=run)


def test_snapshot_rule_condition_with_parse_error(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app, feed = live_app()

    async def broken_rule(pilot: Pilot[Any]) -> None:
        c = Clocked(app.latest_event_at)  # type: ignore[arg-type]
        feed.push(
            rule(
                c.tick(),
                "r1",
                "p1",
                "p2",
                "q1.value == '1' and (q2 = '2'",
                event="navigation_rule.updated",
            )
        )
        await settle(pilot, app)
        app.tree.select_item("rule", "r1")

    run = loaded(feed, app, broken_rule)
    assert snap_compare(app, terminal_size=(120, 40), run_before=run)


def test_snapshot_event_json(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app, feed = live_app()

    async def open_event(pilot: Pilot[Any]) -> None:
        app.query_one("#log").focus()
        await pilot.press("up", "up", "enter")
        await until(pilot, lambda: app.screen is not app.screen_stack[0])

    run = loaded(feed, app, open_event)
    assert snap_compare(app, terminal_size=(120, 40), run_before=run)


def test_snapshot_help(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app, feed = live_app()

    async def open_help(pilot: Pilot[Any]) -> None:
        await pilot.press("f1")
        await until(pilot, lambda: app.screen is not app.screen_stack[0])

    assert snap_compare(app, terminal_size=(120, 40), run_before=loaded(feed, app, open_help))


def test_snapshot_paused_with_pending(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app, feed = live_app()

    async def pause_then_receive(pilot: Pilot[Any]) -> None:
        await pilot.press("p")
        c = Clocked(app.latest_event_at)  # type: ignore[arg-type]
        feed.push(page(c.tick(), "p4", "Thanks", 3), page(c.tick(), "p5", "End", 4))
        await until(pilot, lambda: app.pending_events == 2)
        await pilot.pause(0.1)

    run = loaded(feed, app, pause_then_receive)
    assert snap_compare(app, terminal_size=(120, 40), run_before=run)


def test_snapshot_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app, feed = live_app()
    run = loaded(feed, app, select("block", "b2"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run)


def test_snapshot_200x60(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app, feed = live_app()
    run = loaded(feed, app, select("block", "b3"))
    assert snap_compare(app, terminal_size=(200, 60), run_before=run)


def test_snapshot_high_contrast(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app, feed = live_app(theme="qtui-high-contrast")
    run = loaded(feed, app, select("block", "b3"))
    assert snap_compare(app, terminal_size=(120, 40), run_before=run)


def test_snapshot_too_small(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app, feed = live_app()
    assert snap_compare(app, terminal_size=(58, 14), run_before=loaded(feed, app))


def test_snapshot_tree_with_problems(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app, feed = live_app()
    run = loaded(feed, app, select("page", "p4"), stream=problem_stream)
    assert snap_compare(app, terminal_size=(120, 40), run_before=run)


def test_snapshot_problems_list(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app, feed = live_app()

    async def open_problems(pilot: Pilot[Any]) -> None:
        await pilot.press("x")
        await until(pilot, lambda: app.screen is not app.screen_stack[0])

    run = loaded(feed, app, open_problems, stream=problem_stream)
    assert snap_compare(app, terminal_size=(120, 40), run_before=run)
