"""The event log keeps its last `limit` events: trimming keeps order, keys and the cursor."""

from __future__ import annotations

from textual.app import App, ComposeResult

from qtui.tui.messages import Frame
from qtui.tui.widgets.event_log import EventLog, LogEntry


def entries(start: int, count: int) -> list[LogEntry]:
    kind = "block.updated"
    return [
        LogEntry(Frame({"event": kind, "n": n}, seq=n), "12:00:00", kind, f"q{n}")
        for n in range(start, start + count)
    ]


class LogApp(App[None]):
    def compose(self) -> ComposeResult:
        yield EventLog(limit=8, id="log")


def shown_items(log: EventLog) -> list[str]:
    return [str(log.get_row_at(row)[3]) for row in range(log.row_count)]


async def test_a_trim_keeps_the_newest_rows_in_order_and_selects_the_right_event():
    async with LogApp().run_test() as pilot:
        log = pilot.app.query_one(EventLog)
        for start in range(0, 40, 3):
            log.add_entries(entries(start, 3))
            await pilot.pause()
        # 42 events went in; between trims the log holds from `limit` up to 1.25 × limit rows
        assert 8 <= log.row_count <= 10
        assert shown_items(log) == [f"q{n}" for n in range(42 - log.row_count, 42)]
        assert [e.item for e in log.entries] == shown_items(log)
        assert log.selected() is not None and log.selected().item == "q41"  # following
        assert log.virtual_size.height >= log.row_count


async def test_a_trim_leaves_the_cursor_on_the_event_the_reader_is_on():
    async with LogApp().run_test() as pilot:
        log = pilot.app.query_one(EventLog)
        log.add_entries(entries(0, 8))
        await pilot.pause()
        log.focus()
        log.move_cursor(row=5)  # reading q5: not following any more
        await pilot.pause()
        log.add_entries(entries(8, 3))  # 11 rows > 10: trimmed back to 8
        await pilot.pause()
        assert shown_items(log) == [f"q{n}" for n in range(3, 11)]
        assert log.selected().item == "q5"


async def test_rows_added_together_are_shown_in_order_and_the_cursor_follows_them():
    async with LogApp().run_test(size=(60, 14)) as pilot:
        log = pilot.app.query_one(EventLog)
        log.add_entries(entries(0, 1))
        log.add_entries(entries(1, 6))  # seven rows: under the limit, nothing trimmed
        await pilot.pause()
        assert shown_items(log) == [f"q{n}" for n in range(7)]
        assert log.virtual_size.height >= 7
        assert log.selected().item == "q6"
        lines = [log.render_line(y).text for y in range(log.size.height)]
        assert any("q6" in line for line in lines) and any("q1" in line for line in lines)
        log.focus()
        await pilot.press("up", "up")
        assert log.selected().item == "q4"
