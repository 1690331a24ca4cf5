"""`→` opens a page as `←` closes it; clearing a filter puts back what was open before it."""

from __future__ import annotations

from qtui.tui.sources import FeedSource
from tests.tui.conftest import screener_app, settle
from tests.tui.envelopes import problem_stream, screener_stream


def opened(app) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    return {page_id: app.tree.node_for(("page", page_id)).is_expanded for page_id in ("p1", "p3")}


async def test_right_opens_a_page_and_goes_inside_as_left_closes_it_and_goes_up() -> None:
    async with screener_app(FeedSource()) as (app, pilot):
        app.tree.focus()
        app.tree.select_item("page", "p1")
        await pilot.pause()
        page = app.tree.node_for(("page", "p1"))
        assert page.is_expanded  # a small survey opens whole
        await pilot.press("left")
        assert not page.is_expanded
        await pilot.press("right")
        assert page.is_expanded and app.tree.item.id == "p1"
        await pilot.press("right")
        assert app.tree.item.id == "b1"  # into the page, on its first line
        await pilot.press("left")
        assert app.tree.item.id == "p1"  # ← from a line inside goes back up
        await pilot.press("left", "left")
        assert not page.is_expanded
        await pilot.pause()
        assert ("page", "p1") not in {
            ("page", pid) for pid in app.tree._open_pages()
        }  # closed by the user: stays closed


async def test_clearing_the_filter_restores_the_pages_open_before_it() -> None:
    async with screener_app(FeedSource()) as (app, pilot):
        app.tree.focus()
        app.tree.select_item("page", "p3")
        await pilot.pause()
        await pilot.press("left")  # close Satisfaction; Screener stays open
        await pilot.pause()
        before = opened(app)
        assert before == {"p1": True, "p3": False}
        await pilot.press("slash", *"rate")  # matches the matrix on p3: the filter opens p3
        await pilot.pause()
        assert app.tree.node_for(("page", "p3")).is_expanded
        await pilot.press("escape")
        await pilot.pause()
        await pilot.pause()
        assert opened(app) == before


async def test_a_filter_matching_nothing_says_so_and_esc_from_the_tree_clears_it() -> None:
    async with screener_app(FeedSource()) as (app, pilot):
        line = app.main.query_one("#filter-none")
        await pilot.press("slash", *"car")  # matches: no message
        await pilot.pause()
        assert not line.display
        await pilot.press(*"[b]x")  # typed text is shown as itself, never as markup
        await pilot.pause()
        assert app.tree.labels() == []
        assert line.display
        shown = line.render_line(0).text.strip()
        assert shown == "Nothing matches “car[b]x” · esc clears the filter"
        await pilot.press("enter")  # back in the tree, the filter kept
        await pilot.pause()
        assert app.tree.has_focus and line.display
        await pilot.press("escape")
        await pilot.pause()
        assert not line.display and app.tree.filter_text == ""
        assert len(app.tree.labels()) == 4


async def test_the_no_match_line_goes_when_a_live_event_brings_a_match() -> None:
    feed = FeedSource()
    async with screener_app(feed) as (app, pilot):
        line = app.main.query_one("#filter-none")
        await pilot.press("slash", *"bonus")
        await pilot.pause()
        assert line.display
        bonus = problem_stream()[len(screener_stream())]  # the page "Bonus" is created
        feed.push(bonus)
        await settle(pilot, app)
        assert not line.display
        assert [label.split()[2] for label in app.tree.labels()] == ["Bonus"]
