"""Help and palette commands for a screen that carries its own keys (the QA screens).

The main screen's keys come from the one key table (`qtui.tui.keys`); a pushed screen such as
the walkthrough or the coverage matrix has bindings of its own. Its help text (`HELP`) and its
bindings reach the help screen and the command palette from here, so the footer, the help
and the palette list the same commands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from rich.text import Text
from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from qtui.tui.safe import literal
from qtui.tui.screens.help import HelpScreen

GENERAL_ROWS = [
    ("? f1", "Show this help", "General", "qa.help"),
    (": ctrl+p", "Open the command palette (every command)", "General", "qa.palette"),
]


_TEXTUAL_SCREEN_ACTIONS = frozenset(
    b.action if isinstance(b, Binding) else b[1] for b in Screen.BINDINGS
)


def screen_bindings(screen: Screen[Any]) -> list[Binding]:
    """The screen's own bindings that carry a description, once per action."""
    seen: set[str] = set()
    found: list[Binding] = []
    for bindings in screen._bindings.key_to_bindings.values():
        for binding in bindings:
            # Textual's own keys of every screen (focus next/previous, copy) are not its own.
            own = binding.action not in _TEXTUAL_SCREEN_ACTIONS
            if own and binding.description and binding.action not in seen:
                seen.add(binding.action)
                found.append(binding)
    return found


def _keys(screen: Screen[Any], action: str) -> str:
    names = [
        screen.app.get_key_display(b)
        for bindings in screen._bindings.key_to_bindings.values()
        for b in bindings
        if b.action == action
    ]
    return " ".join(dict.fromkeys(names))


def _what(binding: Binding) -> str:
    if binding.tooltip:
        return f"{binding.description}: {binding.tooltip}"
    return binding.description


def has_own_keys(screen: Screen[Any]) -> bool:
    return bool(getattr(screen, "HELP", "")) and bool(screen_bindings(screen))


def key_rows(screen: Screen[Any]) -> list[tuple[str, str, str, str]]:
    """(keys, what it does, group, id) for the help screen's key list."""
    group = type(screen).__name__.removesuffix("Screen")
    return [
        (_keys(screen, b.action), _what(b), group, b.id or b.action)
        for b in screen_bindings(screen)
    ]


def screen_commands(
    screen: Screen[Any], run: Callable[[Screen[Any], str], object]
) -> Iterator[SystemCommand]:
    """One palette command per binding of the screen; `run(screen, action)` runs it."""
    if not has_own_keys(screen):
        return
    for binding in screen_bindings(screen):
        keys = _keys(screen, binding.action)
        help_line = Text(f"{binding.tooltip or binding.description}  [{keys}]").plain
        yield SystemCommand(binding.description, literal(help_line), _runner(run, screen, binding))


def _runner(
    run: Callable[[Screen[Any], str], object], screen: Screen[Any], binding: Binding
) -> Callable[[], object]:
    return lambda: run(screen, binding.action)


def show_screen_help(app: Any, screen: Screen[Any]) -> bool:
    """Help for a screen with keys of its own (its `HELP`, its keys); False if it has none."""
    if isinstance(screen, HelpScreen) or not has_own_keys(screen):
        return False
    text = str(getattr(screen, "HELP", ""))
    title = text.splitlines()[0].removeprefix("## ") if text.startswith("## ") else "qtui qa"
    app.push_screen(HelpScreen(title, text, {}, rows=key_rows(screen) + GENERAL_ROWS))
    return True
