"""The command palette, opened and used with keys: one entry per title, commands that run,
and survey text shown as typed (a `[` is never read as markup)."""

from __future__ import annotations

from typing import Any

from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot

from qtui.tui.app import QtuiApp
from qtui.tui.sources import FeedSource
from tests.tui.conftest import screener_app, settle, until
from tests.tui.envelopes import Clocked, page


def _titles(app: QtuiApp) -> list[str]:
    """The first line (the title) of every entry the open palette lists."""
    options = app.screen.query_one(CommandList).options
    return [str(option.prompt).split("\n", 1)[0] for option in options]


async def _open_palette(pilot: Pilot[Any], app: QtuiApp, key: str = "colon") -> None:
    await pilot.press(key)
    await until(pilot, lambda: isinstance(app.screen, CommandPalette))
    # With an empty query the palette lists every command it can discover.
    await until(pilot, lambda: len(app.screen.query_one(CommandList).options) > 5)


async def test_palette_lists_every_command_once(feed: FeedSource) -> None:
    async with screener_app(feed) as (app, pilot):
        await _open_palette(pilot, app)
        titles = _titles(app)
        assert len(titles) == len(set(titles)), sorted(titles)
        assert {"Quit", "Theme", "Pause", "Problems", "Filter", "Go to page…"} <= set(titles)
        assert "Step" not in titles  # replay controls only while replaying
        assert not [t for t in titles if t.startswith("Theme:")]  # Textual's Theme lists them


async def test_typing_in_the_palette_and_enter_runs_the_command(feed: FeedSource) -> None:
    async with screener_app(feed) as (app, pilot):
        assert not app.paused
        await _open_palette(pilot, app, "ctrl+p")
        await pilot.press(*"pause")
        await until(pilot, lambda: "Pause" in _titles(app))
        assert _titles(app)[0] == "Pause"
        await pilot.press("enter")
        await until(pilot, lambda: app.paused)
        assert not isinstance(app.screen, CommandPalette)


async def test_palette_help_shows_key_lists_in_brackets(feed: FeedSource) -> None:
    async with screener_app(feed) as (app, pilot):
        await _open_palette(pilot, app)
        options = app.screen.query_one(CommandList).options
        prompts = {str(o.prompt).split("\n", 1)[0]: str(o.prompt) for o in options}
        assert prompts["Help"].endswith("Show help for the focused panel and every key  [? f1]")
        assert prompts["Pause"].endswith("(events are still received)  [p]")


async def test_palette_goes_to_a_page_whose_name_looks_like_markup(feed: FeedSource) -> None:
    async with screener_app(feed) as (app, pilot):
        name = "[bold]Screener [/] [x"
        clock = Clocked()
        clock.tick(3600)
        feed.push(page(clock.tick(), "p1", name, 0, event="page.updated"))
        await settle(pilot, app)
        await _open_palette(pilot, app)
        await pilot.press(*"go to page 1")
        wanted = f"Go to page 1. {name}"
        await until(pilot, lambda: wanted in _titles(app))
        assert _titles(app)[0] == wanted
        await pilot.press("enter")
        await until(pilot, lambda: app.tree.item is not None and app.tree.item.id == "p1")


async def test_every_palette_command_with_a_key_shows_its_key(feed: FeedSource) -> None:
    from qtui.tui.keys import KEYS, display

    async with screener_app(feed) as (app, pilot):
        await _open_palette(pilot, app)
        options = app.screen.query_one(CommandList).options
        prompts = {str(o.prompt).split("\n", 1)[0]: str(o.prompt) for o in options}
        checked = set()
        for key in KEYS:
            title = "Go to page…" if key.title == "Go to page" else key.title
            if title not in prompts:
                continue
            assert prompts[title].endswith(f"  [{display(key.keys)}]"), prompts[title]
            checked.add(title)
        # Capital keys were read as markup tags and vanished.
        assert {"QA walk", "Fieldwork", "Edit", "Delete", "Push", "Redo"} <= checked, checked
        assert "Quit" in checked  # qtui's own Quit (asks first with unsaved edits), key shown
