"""The event log: one row per received event, newest last; `enter` shows its JSON."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import CellKey, Row, RowKey

from qtui.tui.messages import Frame
from qtui.tui.safe import plain


@dataclass(frozen=True, slots=True)
class LogEntry:
    """A received event as the log shows it."""

    frame: Frame
    time: str  # HH:MM:SS of the event's own timestamp
    event: str  # event type, or "invalid"
    item: str  # the affected item, by name
    note: str = ""  # e.g. "no change" for a duplicate or stale event

    def json(self) -> dict[str, Any]:
        frame = self.frame
        body: dict[str, Any] = {
            "seq": frame.seq,
            "source": frame.source,
            "verified": frame.verified,
            "delivery_id": frame.delivery_id,
            "received_at": frame.received_at,
        }
        if frame.lineno is not None:
            body["line"] = frame.lineno
        if frame.error:
            body["error"] = frame.error
        body["envelope"] = frame.envelope
        return {k: v for k, v in body.items() if v is not None}


# Rendered rows and lines kept (a few screens' worth). DataTable keeps 1,000 lines, 1,000 rows
# and 10,000 cells: on a live stream they fill with rows already scrolled past, some 20
# container objects a line, which every full pass of the cyclic collector walks.
RENDERED_ROWS = 250


def signature_mark(verified: bool | None) -> str:
    """✓ verified by the relay, ✗ not verified, – unknown (e.g. a raw recording)."""
    return {True: "✓", False: "✗"}.get(verified, "–")  # type: ignore[arg-type]


class EventLog(DataTable[Any]):
    """The last `limit` events; follows the newest row unless the cursor is elsewhere."""

    HELP: ClassVar[str] = """\
## Event log
Every event received, oldest first: its time, type, signature (`✓` verified by the relay,
`✗` not verified, `–` unknown, e.g. a raw recording) and the item it changed.

`enter` shows the full JSON (copy it with `c`, save it with `s`). `e` hides the log.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Show JSON", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "event-log--verified",
        "event-log--unverified",
        "event-log--unknown",
        "event-log--invalid",
        "event-log--note",
    }

    class Opened(Message):
        def __init__(self, entry: LogEntry) -> None:
            super().__init__()
            self.entry = entry

    def __init__(self, *, limit: int = 1000, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, show_cursor=True)
        self.limit = limit
        self._row_render_cache = LRUCache(RENDERED_ROWS)
        self._cell_render_cache = LRUCache(RENDERED_ROWS * 4)  # four columns
        self._line_cache = LRUCache(RENDERED_ROWS)
        self._entries: deque[tuple[str, LogEntry]] = deque()
        self._by_key: dict[str, LogEntry] = {}
        self._cells: dict[str, tuple[Any, ...]] = {}
        self._next = 0
        self._styles: dict[str, Style] = {}
        self.border_title = "Events"

    def on_mount(self) -> None:
        self.add_column("time", width=8, key="time")
        self.add_column("event", width=24, key="event")
        self.add_column("sig", width=3, key="sig")
        self.add_column("item", key="item")

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}  # read again for the next rows (a new theme)

    def _row_styles(self) -> dict[str, Style]:
        if not self._styles:
            self._styles = {
                name.removeprefix("event-log--"): self.get_component_rich_style(name, partial=True)
                for name in self.COMPONENT_CLASSES
            }
        return self._styles

    @property
    def entries(self) -> list[LogEntry]:
        return [entry for _, entry in self._entries]

    def add_entries(self, entries: list[LogEntry]) -> None:
        if not entries:
            return
        follow = self.row_count == 0 or self.cursor_row >= self.row_count - 1
        style = self._row_styles()
        sig_style = {True: style["verified"], False: style["unverified"]}
        rows = []
        for entry in entries[-self.limit :]:
            key = str(self._next)
            self._next += 1
            self._entries.append((key, entry))
            self._by_key[key] = entry
            invalid = entry.event == "invalid"
            event = plain(entry.event, style["invalid"] if invalid else "")
            item = plain(entry.item)
            if entry.note:
                item.append(f"  ({entry.note})", style["note"])
            verified = entry.frame.verified
            sig = Text(signature_mark(verified), sig_style.get(verified, style["unknown"]))  # type: ignore[call-overload]
            rows.append((key, (entry.time, event, sig, item)))
        for key, cells in rows:
            self._cells[key] = cells
        self._append_rows(rows)
        if len(self._entries) > self.limit * 1.25:
            # Trim with some slack, so the cost is paid once per limit/4 events.
            dropped: list[str] = []
            while len(self._entries) > self.limit:
                key, _ = self._entries.popleft()
                del self._by_key[key]
                del self._cells[key]
                dropped.append(key)
            self._drop_oldest_rows(dropped)
        if follow:
            self.move_cursor(row=self.row_count - 1, animate=False)

    def _append_rows(self, rows: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Add rows at the bottom at once.

        `add_row` sets the cursor again (its watchers run) for every row: a third of a live
        flush. This does what it does for all of them, then sets the cursor once.
        """
        if self.row_count == 0 or not hasattr(self, "_new_rows"):
            for key, cells in rows:  # the first row highlights the cursor: the public way
                self.add_row(*cells, key=key)
            return
        columns = self.ordered_columns
        index = self.row_count
        for key, cells in rows:
            row_key = RowKey(key)
            self._row_locations[row_key] = index
            index += 1
            self._data[row_key] = {column.key: cell for column, cell in zip_longest(columns, cells)}
            self.rows[row_key] = Row(row_key, 1)
            self._new_rows.add(row_key)
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate
        self._update_count += 1
        self.check_idle()

    def _drop_oldest_rows(self, keys: list[str]) -> None:
        """Remove the first rows at once, the cursor staying on the entry it was on.

        `remove_row` renumbers every row for each row removed, and `clear()` + re-adding the
        rest makes Textual measure every cell again: both cost tens of milliseconds a trim
        on a live stream. This does what `remove_row` does for all of them in one pass.
        """
        try:
            locations = self._row_locations
            order = sorted(locations, key=locations.get)  # type: ignore[arg-type]
        except AttributeError:  # a DataTable without these internals: the public way
            for key in keys:
                self.remove_row(key)
            return
        gone = set(keys)
        row = self.cursor_row
        self._row_locations = type(locations)(
            {key: index for index, key in enumerate(k for k in order if k.value not in gone)}
        )
        for key in order[: len(keys)]:
            if key.value in gone:
                for column_key in self._data.get(key, {}):
                    self._updated_cells.discard(CellKey(key, column_key))
                del self.rows[key]
                del self._data[key]
        self._require_update_dimensions = True
        self._update_count += 1
        self.check_idle()
        self.cursor_coordinate = Coordinate(max(0, row - len(keys)), self.cursor_column)
        self.refresh(layout=True)

    def selected(self) -> LogEntry | None:
        if self.row_count == 0:
            return None
        try:
            key = self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value
        except Exception:  # noqa: BLE001 - an empty or shrinking table has no selection
            return None
        return self._by_key.get(key or "")

    def action_open(self) -> None:
        entry = self.selected()
        if entry is not None:
            self.post_message(self.Opened(entry))
