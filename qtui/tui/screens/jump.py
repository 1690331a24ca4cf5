"""Go to a page: a list of pages that narrows as you type."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from qtui.tui.safe import plain
from qtui.tui.widgets.survey_text_fields import SurveyTextInput


class JumpScreen(ModalScreen[str | None]):
    """Returns the chosen page id, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("down", "move(1)", "Down", show=False, priority=True),
        Binding("up", "move(-1)", "Up", show=False, priority=True),
        Binding("pagedown", "move(10)", "Page down", show=False, priority=True),
        Binding("pageup", "move(-10)", "Page up", show=False, priority=True),
    ]

    def __init__(self, pages: list[tuple[str, str]]) -> None:
        super().__init__()
        self.pages = pages  # (page id, label)

    def compose(self) -> ComposeResult:
        with Vertical(id="jump-box") as box:
            box.border_title = "Go to page"
            yield SurveyTextInput(placeholder="type to filter pages…", id="jump-input")
            yield OptionList(*self._options(""), id="jump-list")

    def _options(self, needle: str) -> list[Option]:
        wanted = needle.strip().lower()
        found = [
            Option(plain(label), id=page_id)  # page names are survey text, never markup
            for page_id, label in self.pages
            if not wanted or wanted in label.lower()
        ]
        if not found and wanted:
            # Said, not an empty list: enter then keeps the picker open with what was typed.
            found.append(Option(plain(f"No page matches {needle.strip()!r}"), disabled=True))
        return found

    def on_mount(self) -> None:
        self._highlight_first()
        self.query_one(Input).focus()

    def _highlight_first(self) -> None:
        options = self.query_one(OptionList)
        if options.option_count and not options.get_option_at_index(0).disabled:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._options(event.value))
        self._highlight_first()

    def action_move(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return  # nothing to choose (no page matches)
        current = options.highlighted if options.highlighted is not None else 0
        options.highlighted = max(0, min(options.option_count - 1, current + delta))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._choose()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def _choose(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return  # no page matches what was typed: it stays, to be corrected
        self.dismiss(options.get_option_at_index(options.highlighted).id)

    def action_cancel(self) -> None:
        self.dismiss(None)
