"""A JSON document (an event, an item) shown pretty-printed, to read, copy or save."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rich.json import JSON
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from qtui.tui.safe import plain, shown


def pretty(document: Any) -> str:
    """Indented JSON; a lone surrogate in survey text is written as its JSON escape
    (`\\ud800`), the same value, so copying, saving and showing it never fail to encode."""
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class JsonScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss", "Close", show=False),
        Binding("c", "copy", "Copy", show=False),
        Binding("s", "save", "Save", show=False),
    ]

    def __init__(self, title: str, document: Any, *, name_hint: str = "event") -> None:
        super().__init__()
        self.title_text = title
        self.document = document
        self.name_hint = name_hint
        self.text = pretty(document)

    def compose(self) -> ComposeResult:
        with Vertical(id="json-box") as box:
            box.border_title = plain(self.title_text)
            with VerticalScroll(id="json-scroll"):
                # highlighted, then controls made visible (the copy keeps them as they are)
                yield Static(shown(JSON(self.text, indent=2).text), id="json-body")
            yield Label("c copy · s save to a file · esc close", id="json-foot")

    def on_mount(self) -> None:
        self.query_one("#json-scroll").focus()

    def action_copy(self) -> None:
        self.app.copy_json(self.text, self.title_text)  # type: ignore[attr-defined]

    def action_save(self) -> None:
        self.app.save_json(self.text, self.name_hint)  # type: ignore[attr-defined]

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
