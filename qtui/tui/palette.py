"""The command palette: every command of the key table, the themes, and the pages.

Built from the same table as the bindings and the help screen, and filtered by what makes
sense now (replay controls only while replaying), like posting's context-aware provider.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from qtui.tui.keys import KEYS, display, keys_for
from qtui.tui.themes import THEMES

if TYPE_CHECKING:
    from qtui.tui.app import QtuiApp


class QtuiCommands(Provider):
    @property
    def qtui(self) -> QtuiApp:
        return cast("QtuiApp", self.app)

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = self.qtui
        found: list[tuple[str, Callable[[], object], str]] = []
        for key in KEYS:
            if not key.palette or app.check_action(key.action, ()) is False:
                continue
            keys = display(keys_for(key, app.keymap))
            found.append(
                (
                    key.title if key.title != "Go to page" else "Go to page…",
                    _runner(app, key.action),
                    f"{key.help}  [{keys}]",
                )
            )
        for theme in THEMES:
            found.append((f"Theme: {theme.name}", _theme_setter(app, theme.name), "Switch theme"))
        return found

    async def discover(self) -> Hits:
        for title, callback, help_text in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
        for page_id, label in self.qtui.page_choices():
            text = f"Go to page {label}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(score * 0.9, matcher.highlight(text), _jumper(self.qtui, page_id))


def _runner(app: QtuiApp, action: str) -> Callable[[], object]:
    return lambda: app.call_next(app.run_action, action)


def _theme_setter(app: QtuiApp, name: str) -> Callable[[], object]:
    def set_theme() -> None:
        app.theme = name

    return set_theme


def _jumper(app: QtuiApp, page_id: str) -> Callable[[], object]:
    return lambda: app.go_to_page(page_id)
