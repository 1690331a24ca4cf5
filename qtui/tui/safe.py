"""Survey text on the screen: never markup, never a control character.

Everything user data reaches is built as a Rich `Text` (never a `str`, which Rich and Textual
read as markup), and `shown` replaces control characters, lone surrogates and bidirectional
controls in it with visible ones (`qtui.text.printable`), in place (lengths stay, so styles
stay): an ESC in a page name must not reach the terminal as an escape sequence, and a U+202E
in a label must not make the terminal show the rest of it reversed.
"""

from __future__ import annotations

from typing import overload

from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text

from qtui.text import printable


@overload
def shown(renderable: Text | str) -> Text: ...
@overload
def shown(renderable: RenderableType) -> RenderableType: ...
def shown(renderable: RenderableType) -> RenderableType:
    """`renderable` (a Text, a Group or Table of them) made safe for the screen, in place."""
    if isinstance(renderable, Text):
        text = renderable.plain
        safe = printable(text)
        if safe is not text:
            renderable.plain = safe
    elif isinstance(renderable, str):
        return Text(printable(renderable))
    elif isinstance(renderable, Group):
        for part in renderable.renderables:
            shown(part)
    elif isinstance(renderable, Table):
        for column in renderable.columns:
            column._cells[:] = [shown(cell) for cell in column._cells]
    return renderable


def plain(text: str, style: str | Style = "") -> Text:
    """Survey text as a `Text`: not markup, no control characters, no bidi controls."""
    return Text(printable(text), style)


def literal(text: str) -> str:
    """`text` as Textual markup that shows as itself: every `[` escaped.

    `textual.markup.escape` leaves `[Q]` or `[D]` alone (it escapes only what starts like a
    lower-case tag), and the markup parser then drops them as unknown styles.
    """
    return text.replace("[", "\\[")
