"""Memory is bounded by bytes: pages of the log, /events and subscriber queues."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from qtui.relay.hub import OVERFLOW, LiveEvent, Subscription
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


def _live(seq: int, size: int) -> LiveEvent:
    return LiveEvent(seq, None, "x" * size, "questra")


async def test_subscriber_queue_overflows_on_bytes_before_count() -> None:
    subscription = Subscription(maxsize=1000, max_bytes=10_000)
    for seq in range(1, 4):
        subscription.offer(_live(seq, 3_000))
    assert not subscription.overflowed and subscription.bytes == 9_000
    subscription.offer(_live(4, 3_000))  # 12,000 bytes would pass the budget
    assert subscription.overflowed
    assert subscription.bytes == 0 and subscription.qsize() == 1  # only the marker is left
    assert await subscription.get(0.1) is OVERFLOW


async def test_one_event_larger_than_the_budget_still_reaches_an_idle_subscriber() -> None:
    subscription = Subscription(maxsize=1000, max_bytes=10_000)
    subscription.offer(_live(1, 50_000))
    assert not subscription.overflowed
    item = await subscription.get(0.1)
    assert isinstance(item, LiveEvent) and item.seq == 1
    assert subscription.bytes == 0
    subscription.offer(_live(2, 5_000))
    subscription.offer(_live(3, 5_000))
    assert not subscription.overflowed and subscription.bytes == 10_000


async def test_events_page_is_cut_by_bytes_and_pages_on(relay) -> None:
    pad = "p" * 1_500_000  # three of these pass the 4 MiB page budget
    for n in range(6):
        await relay.stored("page.created", {"id": f"p{n}", "pad": pad})
    first = (await relay.http.get("/events", params={"after": 0, "limit": 1000})).json()
    seqs = [e["seq"] for e in first["events"]]
    assert seqs == [1, 2, 3]
    assert first["last_seq"] == 6
    rest = (await relay.http.get("/events", params={"after": seqs[-1], "limit": 1000})).json()
    assert [e["seq"] for e in rest["events"]] == [4, 5, 6]
