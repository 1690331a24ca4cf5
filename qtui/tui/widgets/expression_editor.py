"""An expression field that checks itself as you type: error with a caret, completion, preview.

`ExpressionEditor` is an `Input` (Textual's own suggester completes the word at the end:
reference names, variable names, functions, and after `q1 ==` or `q1.value == '` the
choice values of q1), a line under it with the parse error and a caret under its column,
and a one-line preview of what the rule or expression does.

Typing stays as quick as in a bare `Input` on a big survey under a live stream: the checks
run after the frame that shows the key (several keys in one frame are checked once), the
lines under the field are one row high and redrawn only when their text changes (never a
new layout of the form), and completion is a binary search of the survey's sorted names,
worked out once per survey and cached per typed text.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from typing import ClassVar

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.suggester import Suggester
from textual.widgets import Input, Static

from qtui.core import validation
from qtui.core.models import Survey
from qtui.tui.safe import plain
from qtui.tui.widgets.survey_text_fields import SurveyTextInput

_TAIL_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)$")
_TAIL_VALUE = re.compile(
    r"([A-Za-z_][A-Za-z0-9_]*)(?:\.(?:value|values))?\s*(?:==|!=|in\s*\[)\s*(['\"]?)([^'\"\]]*)$"
)


class ExpressionSuggester(Suggester):
    """Completes the word being typed at the end of the expression."""

    def __init__(self, survey: Callable[[], Survey | None]) -> None:
        # The survey is the one the form opened with, so a suggestion never goes stale.
        super().__init__(use_cache=True, case_sensitive=True)
        self._survey = survey

    async def get_suggestion(self, value: str) -> str | None:
        survey = self._survey()
        match = _TAIL_VALUE.search(value)
        if match:
            reference, quote, typed = match.groups()
            for option, _label in validation.option_values(survey, reference):
                if option.startswith(typed) and option != typed:
                    closing = quote or "'"
                    opening = "" if quote else "'"
                    return value[: len(value) - len(typed)] + opening + option + closing
                if option == typed and quote:
                    return value + quote
        match = _TAIL_NAME.search(value)
        if not match:
            return None
        typed = match.group(1)
        name = complete(validation.completions(survey), typed)
        return value[: len(value) - len(typed)] + name if name else None


def complete(names: list[str], typed: str) -> str | None:
    """The first name of `names` (survey names sorted, then functions) longer than `typed`
    that starts with it."""
    functions = validation.FUNCTIONS
    sorted_part = names[: len(names) - len(functions)] if functions else names
    index = bisect_left(sorted_part, typed)
    while index < len(sorted_part) and sorted_part[index].startswith(typed):
        if sorted_part[index] != typed:
            return sorted_part[index]
        index += 1
    return next((f for f in functions if f.startswith(typed) and f != typed), None)


class ExpressionEditor(Vertical):
    """An expression field with live checks; `errors` is what would stop a save."""

    DEFAULT_CSS: ClassVar[str] = ""

    def __init__(
        self,
        value: str | None,
        *,
        survey: Callable[[], Survey | None],
        preview: Callable[[str], str] | None = None,
        placeholder: str = "empty: always",
        field_id: str,
        disabled: bool = False,
    ) -> None:
        super().__init__(classes="expression-editor")
        self._survey = survey
        self._preview = preview
        self.input = SurveyTextInput(
            value or "",
            placeholder=placeholder,
            suggester=ExpressionSuggester(survey),
            id=field_id,
            disabled=disabled,
        )
        self.caret = Static("", classes="expression-caret", markup=False)
        self.preview_line = Static("", classes="expression-preview", markup=False)
        self._shown: tuple[str, str, str] | None = None  # (caret, below, error) on screen
        self._check_due = False

    def compose(self) -> ComposeResult:
        yield self.input
        yield self.caret
        yield self.preview_line

    def on_mount(self) -> None:
        self.check(self.input.value)
        self.watch(self.input, "scroll_x", self._on_scrolled, init=False)

    def _on_scrolled(self) -> None:
        self.check(self.input.value)

    @property
    def value(self) -> str:
        return self.input.value

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is self.input and not self._check_due:
            # After the frame that shows the key; keys typed meanwhile are checked together.
            self._check_due = True
            self.call_after_refresh(self._check_latest)

    def _check_latest(self) -> None:
        self._check_due = False
        self.check(self.input.value)

    def check(self, text: str) -> str | None:
        """Show the parse error (caret under its column) or the preview; returns the error."""
        error = validation.expression_error(text)
        if error is not None:
            # The input scrolls with long text; the caret follows it, so it stays under the
            # column on screen (`‹` when that column is scrolled off to the left).
            # The reason goes on the line below, where the preview is when all is well, so
            # an error near the end of a long condition is not cut off behind its caret.
            at = cell_len(text[: max(error.column - 1, 0)]) - round(self.input.scroll_x)
            caret = "‹ ^" if at < 0 else " " * at + "^"
            self._show(caret, error.reason, "syntax")
            return error.reason
        unknown = validation.unknown_names(text, validation.known_names(self._survey()))
        caret = f"unknown name: {', '.join(unknown)}" if unknown else ""
        self._show(caret, self._preview(text) if self._preview else "", "names" if unknown else "")
        return None

    def _show(self, caret: str, below: str, error: str) -> None:
        """Redraw the lines under the field only where they changed, without a new layout
        (each is one row high). `error`: "syntax" (caret, then the reason below it),
        "names" (the unknown names, then the preview) or "" (the preview alone)."""
        shown = self._shown or ("\0", "\0", "\0")
        self._shown = (caret, below, error)
        if caret != shown[0]:
            self.caret.update(plain(caret, "bold" if error == "syntax" else ""), layout=False)
        if error != shown[2]:
            self.caret.set_class(bool(error), "-error")
            self.preview_line.set_class(error == "syntax", "-error")
        if below != shown[1]:
            self.preview_line.update(plain(below), layout=False)  # may quote survey text
