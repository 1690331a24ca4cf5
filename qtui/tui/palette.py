"""The command palette: the key table's commands, and a page finder.

qtui's commands reach the palette through `QtuiApp.get_system_commands`, beside Textual's own
(Theme, Keys, Screenshot; its Quit gives way to qtui's), so each title appears once. They are
built from the same table as the bindings and the help screen, and filtered by what makes
sense now (replay controls only while replaying; on a screen over the tree, only the global
ones). The page finder is a provider of its own; it reaches the app
through the small `PageFinder` protocol, never by importing it.

The palette reads titles and help as Textual markup: key lists (`[? f1]`, `[Q]`) and page
names are escaped (`safe.literal`) or given as `Text`, so a `[` in them is shown, not parsed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol, cast

from rich.text import Text
from textual.app import SystemCommand
from textual.command import Hit, Hits, Matcher, Provider
from textual.screen import Screen

from qtui.text import printable
from qtui.tui.keys import KEYS, display, keys_for
from qtui.tui.safe import literal

# Titles of the key table's palette commands. Textual's own `App.get_system_commands` offers
# some of the same (Quit): qtui's replace them, so each title appears once, with its key, and
# runs qtui's action (quit asks first when edits are unsaved; Textual's exits at once).
OWN_TITLES = frozenset(key.title for key in KEYS if key.palette)


def textual_commands(commands: Iterable[SystemCommand]) -> Iterator[SystemCommand]:
    """Textual's system commands, less those the key table has its own of."""
    return (command for command in commands if command.title not in OWN_TITLES)


def key_commands(
    keymap: Mapping[str, str],
    available: Callable[[str], bool],
    run: Callable[[str], object],
) -> Iterator[SystemCommand]:
    """The key table's palette commands whose action is `available` now; `run(action)` runs one."""
    for key in KEYS:
        if not key.palette or not available(key.action):
            continue
        keys = display(keys_for(key, keymap))
        title = key.title if key.title != "Go to page" else "Go to page…"
        yield SystemCommand(title, literal(f"{key.help}  [{keys}]"), _runner(run, key.action))


def _runner(run: Callable[[str], object], action: str) -> Callable[[], object]:
    return lambda: run(action)


class PageFinder(Protocol):
    """What the page finder needs of the app."""

    def page_choices(self) -> list[tuple[str, str]]: ...

    def offers_tree_commands(self, screen: Screen[Any]) -> bool: ...

    def go_to_page(self, page_id: str) -> None: ...


def highlight(matcher: Matcher, text: str) -> Text:
    """`text` as plain `Text` (survey text is never markup) with the matched letters styled."""
    result = Text(printable(text))  # one character for one: the offsets still match
    score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    if score:
        for offset in offsets:
            if not text[offset].isspace():
                result.stylize(matcher.match_style.rich_style, offset, offset + 1)
    return result


class PageCommands(Provider):
    """`Go to page 3. Satisfaction`, for every page of the survey shown."""

    async def search(self, query: str) -> Hits:
        finder = cast(PageFinder, self.app)
        if not finder.offers_tree_commands(self.screen):
            return  # a screen over the tree: its pages wait for it
        matcher = self.matcher(query)
        for page_id, label in finder.page_choices():
            text = f"Go to page {label}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(score * 0.9, highlight(matcher, text), _jumper(finder, page_id), text)


def _jumper(finder: PageFinder, page_id: str) -> Callable[[], object]:
    return lambda: finder.go_to_page(page_id)
