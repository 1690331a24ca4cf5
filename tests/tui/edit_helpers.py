"""Driving edit forms the way a person does: focus a field, select its text, type over it."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, TextArea


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
