"""Every screen that opens over the live tree offers and runs only its own keys and the global
ones: its footer, its command palette and the keys typed on it never reach the hidden tree."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from qtui.editing.local import LocalEditor
from qtui.tui.app import QtuiApp
from qtui.tui.keys import GLOBAL_ACTIONS, KEYS
from qtui.tui.screens.coverage import CoverageScreen
from qtui.tui.screens.edit_form import EditForm
from qtui.tui.screens.main import MainScreen
from qtui.tui.screens.walkthrough import WalkthroughScreen
from qtui.tui.sources import FeedSource
from tests.qa.conftest import bundled
from tests.tui.conftest import screener_app, until
from tests.tui.envelopes import SURVEY
from tests.tui.qa_sandbox import pushed_to_sandbox

# Keys of the tree a person might type anywhere (never `q`: it quits, and is global).
TREE_KEYS = ("slash", "g", "o", "d", "e", "s", "p", "x", "E", "a", "D", "u", "U", "K", "J", "F")


def screen_kept(screen: Screen[Any]) -> frozenset[str]:
    return GLOBAL_ACTIONS | getattr(screen, "APP_ACTIONS", frozenset())


def tree_actions(screen: Screen[Any]) -> set[str]:
    """The key table's actions that act on the tree under `screen`."""
    return {key.action for key in KEYS if key.action not in screen_kept(screen)}


def tree_titles(screen: Screen[Any]) -> set[str]:
    """Their titles, less the titles of the screen's own keys (fieldwork has its own Pause)."""
    own = {binding.description for _, binding in screen._bindings}
    return {key.title for key in KEYS if key.action in tree_actions(screen)} - own


def footer_descriptions(screen: Screen[Any]) -> set[str]:
    footers = list(screen.query(Footer))
    return {key.description for footer in footers for key in footer.query(FooterKey)}


def app_keys_shown(app: QtuiApp, screen: Screen[Any]) -> set[str]:
    """The app's (not the screen's) actions the screen's footer and keys answer to."""
    return {
        active.binding.action
        for active in screen.active_bindings.values()
        if active.node is app and active.binding.show
    }


def tree_state(app: QtuiApp) -> tuple[Any, ...]:
    main = app.main
    item = main.tree.item
    return (
        main.tree.filter_text,
        app.paused,
        main.log_view.display,
        main.detail.display if hasattr(main, "detail") else None,
        item.id if item is not None else None,
        main.tree.all_pages_expanded(),
        len(app.screen_stack),
    )


async def check_screen(
    pilot: Pilot[Any], app: QtuiApp, *, type_keys: bool = True, palette: bool = False
) -> None:
    """The screen on top offers nothing of the tree, and tree keys typed on it do nothing."""
    screen = app.screen
    assert not isinstance(screen, MainScreen), screen
    forbidden = tree_titles(screen)
    await pilot.pause(0.1)
    leaked = app_keys_shown(app, screen) & tree_actions(screen)
    assert not leaked, (type(screen).__name__, leaked)
    shown = footer_descriptions(screen)
    assert not shown & forbidden, (type(screen).__name__, shown & forbidden)
    offered = {command.title for command in app.get_system_commands(screen)}
    offered_tree = offered & (forbidden | {"Go to page…"})
    assert not offered_tree, (type(screen).__name__, offered_tree)
    if palette:  # the palette a person opens here lists the same
        await pilot.press("colon")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await until(pilot, lambda: len(app.screen.query_one(CommandList).options) > 3)
        await pilot.pause(0.2)
        options = app.screen.query_one(CommandList).options
        titles = {str(option.prompt).split("\n", 1)[0] for option in options}
        assert not titles & (forbidden | {"Go to page…"}), titles
        assert "Help" in titles, titles
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
    if type_keys:
        before = tree_state(app)
        kept = {k for key in KEYS if key.action in screen_kept(screen) for k in key.keys.split(",")}
        own = set(screen._bindings.key_to_bindings) | kept
        for key in (key for key in TREE_KEYS if key not in own):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen, (type(screen).__name__, key, app.screen)
        assert tree_state(app) == before, type(screen).__name__


async def opened(
    pilot: Pilot[Any], app: QtuiApp, kind: type[Screen[Any]] | str, *keys: str
) -> Screen[Any]:
    await pilot.press(*keys)

    def is_open() -> bool:
        if isinstance(kind, str):
            return type(app.screen).__name__ == kind
        return isinstance(app.screen, kind)

    await until(pilot, is_open)
    return app.screen


async def back_to_tree(pilot: Pilot[Any], app: QtuiApp) -> None:
    for _ in range(5):
        if isinstance(app.screen, MainScreen):
            return
        await pilot.press("escape")
        await pilot.pause(0.05)
    assert isinstance(app.screen, MainScreen), app.screen


async def test_every_screen_over_the_tree_keeps_to_its_own_keys(feed: FeedSource) -> None:
    async with screener_app(feed) as (app, pilot):
        cases: list[tuple[str, Callable[[], Awaitable[Screen[Any]]], bool]] = [
            ("help", lambda: opened(pilot, app, "HelpScreen", "question_mark"), True),
            ("problems", lambda: opened(pilot, app, "ProblemsScreen", "x"), False),
            ("jump", lambda: opened(pilot, app, "JumpScreen", "g"), False),
            ("fieldwork", lambda: opened(pilot, app, "FieldworkScreen", "F"), True),
        ]
        for name, open_screen, type_keys in cases:
            await open_screen()
            await check_screen(pilot, app, type_keys=type_keys, palette=name == "fieldwork")
            await back_to_tree(pilot, app)

        app.query_one("#log").focus()
        await opened(pilot, app, "JsonScreen", "enter")
        await check_screen(pilot, app, type_keys=False)
        await back_to_tree(pilot, app)

        app.tree.focus()
        app.tree.select_item("rule", "r1")
        await opened(pilot, app, "ConditionScreen", "enter")
        await check_screen(pilot, app)
        await back_to_tree(pilot, app)

        app.editing.attach(LocalEditor(app.editing.item_dump, SURVEY))
        app.tree.select_item("rule", "r1")
        await opened(pilot, app, EditForm, "E")
        await check_screen(pilot, app, type_keys=False)  # its fields take the letters
        await back_to_tree(pilot, app)

        await opened(pilot, app, "PushScreen", "P")
        await check_screen(pilot, app, type_keys=False)  # `y`, `A`, `r` are its own
        await back_to_tree(pilot, app)


async def test_walkthrough_and_coverage_over_the_tree_keep_to_their_own_keys(
    feed: FeedSource, tmp_path: Path
) -> None:
    async with pushed_to_sandbox(bundled("screener_sessions"), tmp_path) as pushed:
        async with screener_app(feed) as (app, pilot):
            # What `Q` opens once the survey has been pushed: this survey's walkthrough.
            session = pushed.session(tmp_path / "walks")
            app.push_screen(session.walkthrough_screen(app))
            await until(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
            walkthrough = app.screen
            assert isinstance(walkthrough, WalkthroughScreen)
            await until(
                pilot, lambda: walkthrough.walk is not None and bool(walkthrough.walk.visited)
            )
            await until(pilot, lambda: "Restart" in footer_descriptions(walkthrough))
            shown = footer_descriptions(walkthrough)
            assert {"Next page", "Restart", "Cover routes", "Back"} <= shown, shown
            # `x` and `c` are the walkthrough's own here (close session, cover): not typed.
            await check_screen(pilot, app, type_keys=False, palette=True)
            before = tree_state(app)
            for key in ("slash", "g", "o", "d", "e", "s", "p", "E", "u", "D", "F"):
                await pilot.press(key)
                await pilot.pause()
                assert app.screen is walkthrough, key
            assert tree_state(app) == before

            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, CoverageScreen))
            await check_screen(pilot, app, palette=True)
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is walkthrough)
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, MainScreen))
