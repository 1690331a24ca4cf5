"""Memory is bounded by bytes: pages of the log, /events and subscriber queues."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from qtui.relay.log import EventLog

NOW = datetime(2025, 4, 1, 10, 0, tzinfo=UTC)


def _body(size: int) -> bytes:
    return b'{"event": "page.created", "data": {"pad": "' + b"x" * size + b'"}}'


def _fill(log: EventLog, sizes: list[int]) -> None:
    for n, size in enumerate(sizes):
        log.append(
            _body(size),
            source="questra",
            delivery_id=f"d-{n}",
            event_type="page.created",
            verified=True,
            received_at=NOW,
        )


def test_log_page_stops_at_its_byte_budget(tmp_path: Path) -> None:
    with EventLog(tmp_path / "relay.db") as log:
        _fill(log, [10_000] * 20)
        page = log.read_after(0, 500, max_bytes=35_000)
        # The event that crosses the budget is included; nothing after it is read.
        assert [e.seq for e in page] == [1, 2, 3, 4]
        assert [e.seq for e in log.read_after(4, 500, max_bytes=35_000)] == [5, 6, 7, 8]


def test_log_page_always_holds_one_event_even_above_the_budget(tmp_path: Path) -> None:
    with EventLog(tmp_path / "relay.db") as log:
        _fill(log, [50_000, 10])
        assert [e.seq for e in log.read_after(0, 500, max_bytes=1_000)] == [1]
        assert [e.seq for e in log.read_after(1, 500, max_bytes=1_000)] == [2]


def test_log_page_without_budget_is_bounded_by_count_only(tmp_path: Path) -> None:
    with EventLog(tmp_path / "relay.db") as log:
        _fill(log, [10_000] * 5)
        assert len(log.read_after(0, 3)) == 3
        assert len(log.read_after(0, 3, "no-such-survey", max_bytes=10)) == 1
