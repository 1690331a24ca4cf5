"""Help: the focused panel's own help, then every key, from the one key table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Markdown

from qtui.tui.keys import KEYS, display, keys_for

GENERAL_HELP = """\
qtui shows a survey as it is being programmed: the tree on the left, the selected item's
detail on the right, the event log below. Everything works from the keyboard; the command
palette (`:` or `ctrl+p`) lists every command.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close", show=False),
    ]

    def __init__(
        self,
        title: str,
        help_text: str,
        keymap: Mapping[str, str],
        *,
        rows: list[tuple[str, str, str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.help_title = title
        self.help_text = help_text
        self.keymap = keymap
        # A screen with keys of its own lists those (keys, help, group, id) instead of KEYS.
        self.rows = rows

    def key_rows(self) -> list[tuple[str, str, str, str]]:
        """The rows of the key table: the screen's own keys, or every key of the app."""
        if self.rows is not None:
            return list(self.rows)
        return [(display(keys_for(k, self.keymap)), k.help, k.group, k.id) for k in KEYS]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box") as box:
            box.border_title = f"Help · {self.help_title}"
            with VerticalScroll(id="help-text"):
                yield Markdown(self.help_text or GENERAL_HELP)
            yield Label("All keys", id="help-keys-title")
            yield DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)
            yield Label("esc closes · the palette (: or ctrl+p) has every command", id="help-foot")

    def on_mount(self) -> None:
        table = self.query_one("#help-keys", DataTable)
        table.add_columns("key", "what it does", "group", "id")
        for keys, help_line, group, key_id in self.rows or []:
            table.add_row(Text(keys, style="bold"), help_line, group, Text(key_id, style="dim"))
        for key in KEYS if self.rows is None else ():
            table.add_row(
                Text(display(keys_for(key, self.keymap)), style="bold"),
                key.help,
                key.group,
                Text(key.id, style="dim"),
            )
        table.focus()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
