"""Conditions, `showIf` and variable expressions, syntax-highlighted, with parse errors shown."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text

from qtui.core import logic


def highlight(source: str, styles: Mapping[str, Style]) -> Text:
    """The expression with each token styled by its kind (`string`, `name`, `keyword`, …)."""
    text = Text(no_wrap=False)
    pos = 0
    for token in logic.tokenize(source, strict=False):
        start = token.column - 1
        if start > pos:
            text.append(source[pos:start])
        text.append(token.text, styles.get(token.kind, Style()))
        pos = start + len(token.text)
    if pos < len(source):
        text.append(source[pos:])
    return text


def parse_error(source: str) -> logic.ExpressionError | None:
    try:
        logic.parse(source)
    except logic.ExpressionError as exc:
        return exc
    return None


def expression(source: str | None, styles: Mapping[str, Style], empty: str) -> RenderableType:
    """Highlighted source; below it the parse error and a caret under its column, if any."""
    if not source:
        return Text(empty, styles.get("muted", Style()))
    shown = highlight(source, styles)
    error = parse_error(source)
    if error is None:
        return shown
    caret = Text(error.caret(), styles.get("error", Style()), no_wrap=True)
    reason = Text(f"✗ {error.reason} (column {error.column})", styles.get("error", Style()))
    return Group(shown, reason, caret)
