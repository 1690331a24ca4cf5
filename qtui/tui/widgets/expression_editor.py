"""An expression field that checks itself as you type: error with a caret, completion, preview.

`ExpressionEditor` is an `Input` (Textual's own suggester completes the word at the end:
reference names, variable names, functions, and after `q1 ==` or `q1.value == '` the
choice values of q1), a line under it with the parse error and a caret under its column,
and a one-line preview of what the rule or expression does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.suggester import Suggester
from textual.widgets import Input, Static

from qtui.core import validation
from qtui.core.models import Survey

_TAIL_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)$")
_TAIL_VALUE = re.compile(
    r"([A-Za-z_][A-Za-z0-9_]*)(?:\.(?:value|values))?\s*(?:==|!=|in\s*\[)\s*(['\"]?)([^'\"\]]*)$"
)


class ExpressionSuggester(Suggester):
    """Completes the word being typed at the end of the expression."""

    def __init__(self, survey: Callable[[], Survey | None]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
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
        for name in validation.completions(survey):
            if name.startswith(typed) and name != typed:
                return value[: len(value) - len(typed)] + name
        return None


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
        self.input = Input(
            value or "",
            placeholder=placeholder,
            suggester=ExpressionSuggester(survey),
            id=field_id,
            disabled=disabled,
        )
        self.caret = Static("", classes="expression-caret", markup=False)
        self.preview_line = Static("", classes="expression-preview", markup=False)

    def compose(self) -> ComposeResult:
        yield self.input
        yield self.caret
        yield self.preview_line

    def on_mount(self) -> None:
        self.check(self.input.value)

    @property
    def value(self) -> str:
        return self.input.value

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is self.input:
            self.check(event.value)

    def check(self, text: str) -> str | None:
        """Show the parse error (caret under its column) or the preview; returns the error."""
        error = validation.expression_error(text)
        if error is not None:
            # The input scrolls with long text; the caret line matches the text as typed.
            caret = Text(" " * max(error.column - 1, 0) + "^ ", style="bold")
            caret.append(error.reason)
            self.caret.update(caret)
            self.caret.add_class("-error")
            self.preview_line.update("")
            return error.reason
        unknown = validation.unknown_names(text, validation.known_names(self._survey()))
        self.caret.remove_class("-error")
        if unknown:
            self.caret.update(Text(f"unknown name: {', '.join(unknown)}"))
            self.caret.add_class("-error")
        else:
            self.caret.update("")
        self.preview_line.update(self._preview(text) if self._preview else "")
        return None
