"""Group commit: many deliveries, few commits, nobody answered before their commit."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from qtui.relay.log import AppendResult, Delivery, EventLog
from qtui.relay.writer import GroupCommit

NOW = datetime(2025, 4, 1, 10, 0, tzinfo=UTC)


def delivery(n: int, delivery_id: str | None = None) -> Delivery:
    data = {"id": f"p{n}", "survey_id": "s1"}
    raw = json.dumps({"event": "page.created", "timestamp": "2025-04-01T10:00:00Z", "data": data})
    return Delivery(
        raw.encode(),
        source="questra",
        delivery_id=delivery_id or f"d{n}",
        event_type="page.created",
        verified=True,
        received_at=NOW,
    )


@pytest.fixture
def log(tmp_path: Path) -> EventLog:
    opened = EventLog(tmp_path / "relay.db")
    yield opened
    opened.close()


async def test_concurrent_appends_are_stored_once_each_and_published_in_seq_order(
    log: EventLog,
) -> None:
    published: list[AppendResult] = []
    writer = GroupCommit(log, lambda _, result: published.append(result))
    # Every fifth delivery repeats the one before it (a sender retrying).
    wanted = [delivery(n, f"d{n - 1 if n % 5 == 0 else n}") for n in range(1, 61)]
    results = await asyncio.gather(*(writer.append(d) for d in wanted))

    stored = [r for r in results if not r.duplicate]
    assert sorted(r.seq for r in stored) == list(range(1, 49))
    assert [r.seq for r in published] == list(range(1, 49))
    by_id = {d.delivery_id: r.seq for d, r in zip(wanted, results, strict=True) if not r.duplicate}
    for d, r in zip(wanted, results, strict=True):
        assert r.seq == by_id[d.delivery_id]
    assert [e.delivery_id for e in log.read_after(0, 100)] == sorted(by_id, key=by_id.get)
    assert 1 <= writer.batches <= 60


async def test_a_failed_commit_fails_its_waiters_and_the_writer_goes_on(log: EventLog) -> None:
    # A real SQLite error on one delivery, as a full disk or a constraint would raise.
    log._db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.delivery_id = 'bad' "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"
    )
    writer = GroupCommit(log)
    with pytest.raises(sqlite3.IntegrityError, match="refused by the test trigger"):
        await writer.append(delivery(1, "bad"))
    assert log.count() == 0
    result = await writer.append(delivery(2))
    assert (result.seq, result.duplicate) == (1, False)


def test_a_batch_with_one_bad_delivery_stores_none_of_it(log: EventLog) -> None:
    log._db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.delivery_id = 'bad' "
        "BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        log.append_batch([delivery(1), delivery(2, "bad"), delivery(3)])
    assert log.count() == 0
    assert [r.seq for r in log.append_batch([delivery(1), delivery(3)])] == [1, 2]
