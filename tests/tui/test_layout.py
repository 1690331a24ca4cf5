"""Layout at every size: tree columns that line up, conditions shown whole, the footer and
status bar at 80×24."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from rich.console import Console
from textual.pilot import Pilot

from qtui.tui.app import QtuiApp
from qtui.tui.screens.condition import ConditionScreen
from qtui.tui.sources import FeedSource
from qtui.tui.widgets.footer import PRIORITY, QtuiFooter, keep
from qtui.tui.widgets.labels import fit
from tests.tui.conftest import make_app, pushed_app, screener_app, settle, until
from tests.tui.envelopes import T0, Clocked, block, page, rule, screener_stream

LONG_SHOW_IF = (
    "q1.value in ['2', '3'] and (q2.value == '1' or q2.value == '2') and "
    "not (q1.value == '3' and q2.value == '2') and isAdult"
)


def long_show_if_block(c: Clocked) -> dict[str, Any]:
    """Block b9 on page 3, a question whose show-if is longer than any column."""
    return block(
        c.tick(), "b9", "p3", 1, {"type": "TextInput", "label": "Why?", "showIf": LONG_SHOW_IF}
    )


@asynccontextmanager
async def long_show_if_at_80x24(feed: FeedSource) -> AsyncIterator[tuple[QtuiApp, Pilot[Any]]]:
    """At 80×24: the screener and block b9, b9 selected."""
    c = Clocked(T0.replace(minute=10))
    stream = [*screener_stream(), long_show_if_block(c)]
    async with pushed_app(feed, stream, size=(80, 24)) as (app, pilot):
        app.tree.select_item("block", "b9")
        await pilot.pause()
        yield app, pilot


def test_fit_cuts_with_an_ellipsis_or_pads_to_the_width() -> None:
    assert fit("Screener", 12) == "Screener    "
    assert fit("A very long page name indeed", 10) == "A very lo…"
    assert fit("two\nlines", 9) == "two lines"


async def test_tree_columns_line_up_from_the_data(feed: FeedSource) -> None:
    app = make_app(feed)
    async with app.run_test(size=(120, 40)) as pilot:
        stream = screener_stream()
        c = Clocked(Clocked().now.replace(minute=10))
        # A page with a long name and a 10th page: names are cut, numbers right-aligned.
        extra = [page(c.tick(), f"x{n}", f"Extra page {n}", n) for n in range(4, 11)] + [
            page(c.tick(), "long", "A page whose name is far longer than the column", 11)
        ]
        extra.append(long_show_if_block(c))
        feed.push(*stream, *extra)
        await settle(pilot, app)
        pages = app.tree.labels()[:11]
        # Names padded to the longest (capped at 28), so the counts start in one column.
        starts = {label.index(" block") - 1 for label in pages}
        assert len(starts) == 1, pages
        assert pages[0] == "✓  1. Screener                      3 blocks · 2 rules"
        assert pages[9] == "· 10. Extra page 10                 0 blocks"
        assert pages[10] == "· 11. A page whose name is far lo…  0 blocks"
        app.tree.select_item("block", "b9")
        await pilot.pause()
        satisfaction = app.tree.labels(app.tree.node_for(("page", "p3")))
        # Badge (4 wide: GRID, OPEN) and reference name (2 wide: q1…q4), then the label.
        assert satisfaction == ["GRID q3  Rate each aspect", "OPEN q4  Why?  if…"]


async def test_enter_shows_a_long_show_if_whole_and_wrapped(feed: FeedSource) -> None:
    async with long_show_if_at_80x24(feed) as (app, pilot):
        assert app.tree.cursor_node.label.plain.endswith("Why?  if…")  # type: ignore[union-attr]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConditionScreen))
        shown = " ".join(str(app.screen.query_one("#condition-body").render()).split())
        assert shown == LONG_SHOW_IF
        assert app.screen.query_one("#condition-body").size.height >= 2  # wrapped, not cut
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ConditionScreen))


async def test_enter_on_a_rule_shows_its_condition_and_parse_error(feed: FeedSource) -> None:
    async with screener_app(feed) as (app, pilot):
        c = Clocked(app.latest_event_at)  # type: ignore[arg-type]
        feed.push(
            rule(c.tick(), "r1", "p1", "p2", "q1.value = '1'", event="navigation_rule.updated")
        )
        await settle(pilot, app)
        app.tree.select_item("rule", "r1")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConditionScreen))
        assert app.screen.title_text == "→ Disqualified · if"  # type: ignore[attr-defined]
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(app.screen.shown)  # type: ignore[attr-defined]
        text = console.export_text()
        assert "q1.value = '1'" in text and "use '==' to compare (column 10)" in text


async def test_detail_wraps_a_long_show_if(feed: FeedSource) -> None:
    from tests.tui.test_screen import detail_text

    async with long_show_if_at_80x24(feed) as (app, pilot):
        text = detail_text(app)
        assert "…" not in text
        assert " ".join(text.split()).count("isAdult") == 1 and "q1.value == '3'" in text


def test_footer_keeps_help_quit_filter_problems_when_narrow() -> None:
    keys = [
        ("help", 8),
        ("quit", 8),
        ("filter", 10),
        ("jump", 14),
        ("toggle_log", 10),
        ("copy", 8),
        ("pause", 9),
        ("problems", 12),
        ("edit", 8),
    ]
    assert keep(keys, 200) == {action for action, _ in keys}
    kept = keep(keys, 80)
    assert {"help", "quit", "filter", "problems"} <= kept
    assert "edit" not in kept  # keys the table does not rank go first
    assert keep(keys, 30) == {"help", "quit"}
    assert PRIORITY[:4] == ("help", "quit", "filter", "problems")


async def test_footer_at_80_columns_shows_help_quit_filter_and_problems(feed: FeedSource) -> None:
    app = make_app(feed)
    async with app.run_test(size=(80, 24)) as pilot:
        feed.push(*screener_stream())
        await settle(pilot, app)
        footer = app.screen.query_one(QtuiFooter)
        await until(pilot, lambda: "problems" in footer.shown_actions)
        shown = footer.shown_actions
        assert {"help", "quit", "filter", "problems"} <= set(shown)
        right = max(key.region.right for key in footer.query("FooterKey") if key.display)
        assert right <= 80
