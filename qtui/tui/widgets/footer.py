"""The footer: every shown key while there is room; on a narrow terminal the most needed.

Textual's footer cuts keys off at the right edge, so at 80 columns `x Problems` fell off.
Here keys are dropped by `PRIORITY` (the last first) until the rest fits; keys not listed
go before any listed one. `?` (help, which lists every key), `q`, `/` and `x` stay longest.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# The actions whose keys the footer keeps longest, most needed first.
PRIORITY: tuple[str, ...] = (
    "help",
    "quit",
    "filter",
    "problems",
    "pause",
    "play_pause",
    "step",
    "jump",
    "toggle_log",
    "copy",
)
PALETTE_CELLS = 14  # `^p Commands`, docked right


def key_cells(key_display: str, description: str) -> int:
    """Cells one footer key takes: ` k ` then `description ` (Textual's padding)."""
    return len(key_display) + 2 + len(description) + 1


def keep(keys: list[tuple[str, int]], width: int) -> set[str]:
    """The actions (with their cell widths) that fit in `width`, dropping by `PRIORITY`."""
    rank = {action: index for index, action in enumerate(PRIORITY)}
    kept = dict(keys)
    budget = width - PALETTE_CELLS
    for action, _ in sorted(keys, key=lambda key: -rank.get(key[0], len(PRIORITY))):
        if sum(kept.values()) <= budget:
            break
        del kept[action]
    return set(kept)


class QtuiFooter(Footer):
    """A footer that keeps the most needed keys when it is narrow."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._laid_out_for = 0

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        width = self.size.width
        self._laid_out_for = width
        keys = [
            (w.action, key_cells(w.key_display, w.description))
            for w in widgets
            if isinstance(w, FooterKey) and not w.has_class("-command-palette")
        ]
        kept = keep(keys, width) if width else {action for action, _ in keys}
        for widget in widgets:
            if (
                isinstance(widget, FooterKey)
                and not widget.has_class("-command-palette")
                and widget.action not in kept
            ):
                widget.display = False
            yield widget

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._laid_out_for:
            self.call_after_refresh(self.recompose)

    @property
    def shown_actions(self) -> list[str]:
        """The actions whose keys are on screen (for tests)."""
        return [
            key.action
            for key in self.query(FooterKey)
            if key.display and not key.has_class("-command-palette")
        ]
