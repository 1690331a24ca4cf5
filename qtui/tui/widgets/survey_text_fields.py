"""Fields that edit survey text: the value keeps what was typed, the screen shows it safely.

Textual's `Input` and `TextArea` draw their value as it is, so an ESC or a U+202E in a label
being edited would reach the terminal raw. Both offer a public hook on the drawn text — the
`Input`'s highlighter, the `TextArea`'s `get_line` — and these use it to show each control
character, lone surrogate and bidirectional control as one visible character (as `shown`
does everywhere else). One for one, so the cursor and the selection stay where they are,
and the value is untouched: it can still be seen, moved over and deleted.
"""

from __future__ import annotations

from typing import Any

from rich.highlighter import Highlighter
from rich.text import Text
from textual.widgets import Input, TextArea

from qtui.tui.safe import shown


class VisibleControls(Highlighter):
    """Shows the controls of the text it is given, in place, one character for one."""

    def highlight(self, text: Text) -> None:
        shown(text)


VISIBLE_CONTROLS = VisibleControls()


class SurveyTextInput(Input):
    """An `Input` for survey text: controls in its value are drawn visibly."""

    def __init__(self, value: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("highlighter", VISIBLE_CONTROLS)
        super().__init__(value, **kwargs)


class SurveyTextArea(TextArea):
    """A `TextArea` for survey text: controls in its lines are drawn visibly."""

    def get_line(self, line_index: int) -> Text:
        return shown(super().get_line(line_index))
