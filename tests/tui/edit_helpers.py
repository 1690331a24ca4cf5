"""Driving edit forms the way a person does: focus a field, select its text, type over it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Select, TextArea

from qtui.core.events import parse_event
from qtui.core.store import SurveyStore
from qtui.editing.local import LocalEditor
from qtui.tui.app import QtuiApp
from qtui.tui.sources import FeedSource, FileSource
from tests.tui.conftest import make_app, quiet_settings, settle
from tests.tui.envelopes import SURVEY, screener_stream


async def type_into(pilot: Pilot[Any], selector: str, text: str) -> None:
    """Replace a field's text by typing (an Input selects all on focus; a TextArea is cleared)."""
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    await pilot.pause()
    if isinstance(widget, TextArea):
        widget.select_all()
        await pilot.press("delete")
    elif isinstance(widget, Input):
        widget.select_all()
        await pilot.press("backspace")
    # Pasted, but for the last key, which is typed: quick, and the field reacts as to typing.
    if len(text) > 1:
        pilot.app.post_message(events.Paste(text[:-1]))  # as the terminal sends it
        await pilot.pause()
    if text:
        await pilot.press("enter" if text[-1] == "\n" else text[-1])
    await pilot.pause()


def error_text(app: Any, name: str) -> str:
    return str(app.screen.query_one(f"#err-{name}").render())


async def until_screen(pilot: Pilot[Any], name: str, rounds: int = 200) -> None:
    for _ in range(rounds):
        if type(pilot.app.screen).__name__ == name:
            return
        await pilot.pause(0.02)
    raise AssertionError(f"{name} never opened (on {type(pilot.app.screen).__name__})")


async def opened(pilot: Pilot[Any], app: QtuiApp, feed: FeedSource) -> None:
    """The screener pushed to a running app and on screen, edited in memory."""
    feed.push(*screener_stream())
    await settle(pilot, app)
    app.editing.attach(LocalEditor(app.editing.item_dump, SURVEY))


@asynccontextmanager
async def editable_screener(feed: FeedSource) -> AsyncIterator[tuple[QtuiApp, Pilot[Any]]]:
    """The app at 120×40 on the small screener, edited in memory."""
    app = make_app(feed)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot, app, feed)
        yield app, pilot


async def open_form(pilot: Pilot[Any], kind: str, item_id: str, key: str, screen: str) -> None:
    """Go to an item in the tree, press a key on it and wait for that screen."""
    pilot.app.go_to_item(kind, item_id)
    await pilot.press(key)
    await until_screen(pilot, screen)


async def save_form(pilot: Pilot[Any]) -> None:
    """F2, back on the tree, and the saved change shown there."""
    await pilot.press("f2")
    await until_screen(pilot, "MainScreen")
    await settle(pilot, pilot.app)


async def pick(pilot: Pilot[Any], selector: str, typed: str) -> None:
    """Open a Select's list, type to find an option, pick it."""
    pilot.app.screen.query_one(selector, Select).focus()
    await pilot.press("enter")
    await pilot.press(*typed)
    await pilot.press("enter")
    await pilot.pause()


def screener_file(directory: Path) -> tuple[Path, dict[str, Any]]:
    """The screener survey written to `screener.json` as `qtui open` reads it; (path, survey)."""
    store = SurveyStore()
    for envelope in screener_stream():
        store.apply(parse_event(envelope))
    path = directory / "screener.json"
    survey = store.survey(SURVEY).dump()
    path.write_text(json.dumps(survey), encoding="utf-8")
    return path, survey


def file_app(path: Path) -> QtuiApp:
    """`qtui open PATH`: the app on a survey file, its edits saved back to the file."""
    survey = json.loads(path.read_text(encoding="utf-8"))
    app = QtuiApp(FileSource(survey, str(path)), survey_id=SURVEY, settings=quiet_settings())
    app.editing.open_file(path)
    return app
