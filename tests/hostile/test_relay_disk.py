"""A full disk and the durability setting: the log reports SQLite's real error and keeps going."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from qtui.relay.log import EventLog

NOW = datetime(2025, 4, 1, 10, 0, tzinfo=UTC)
BIG = b'{"event": "page.created", "data": {"name": "' + b"x" * 3000 + b'"}}'


def _append(log: EventLog, n: int) -> int:
    return log.append(
        BIG,
        source="questra",
        delivery_id=f"d-{n}",
        event_type="page.created",
        verified=True,
        received_at=NOW,
    ).seq


def _fill_until_full(log: EventLog) -> tuple[int, sqlite3.Error]:
    # max_page_count makes SQLite answer SQLITE_FULL exactly as a full disk does,
    # including rolling the transaction back itself.
    log._db.execute("PRAGMA max_page_count=12")
    stored = 0
    for n in range(1000):
        try:
            _append(log, n)
        except sqlite3.Error as exc:
            return stored, exc
        stored += 1
    raise AssertionError("the database never filled up")


def test_full_disk_raises_sqlites_own_error_not_a_rollback_error(tmp_path: Path) -> None:
    with EventLog(tmp_path / "relay.db") as log:
        stored, error = _fill_until_full(log)
        assert stored > 0
        assert "database or disk is full" in str(error)
        assert "cannot rollback" not in str(error)
        assert getattr(error, "sqlite_errorname", "SQLITE_FULL") == "SQLITE_FULL"
        # Nothing half-written, no seq used up, and the log still reads.
        assert log.count() == stored
        assert log.last_seq() == stored


def test_log_recovers_once_space_is_freed(tmp_path: Path) -> None:
    with EventLog(tmp_path / "relay.db") as log:
        stored, _ = _fill_until_full(log)
        log._db.execute("PRAGMA max_page_count=1000000")
        assert _append(log, 5000) == stored + 1
        assert [e.seq for e in log.read_after(0, 10_000)] == list(range(1, stored + 2))


async def test_relay_answers_503_naming_the_full_disk(run_relay, event_log: EventLog) -> None:
    async with run_relay() as relay:
        event_log._db.execute("PRAGMA max_page_count=12")
        statuses = []
        for n in range(200):
            response = await relay.deliver("page.created", {"name": "x" * 3000}, delivery=f"d{n}")
            statuses.append(response.status_code)
            if response.status_code != 200:
                break
        assert statuses[-1] == 503, statuses
        error = response.json()["error"]
        assert "database or disk is full" in error
        assert "cannot rollback" not in error
        assert event_log.count() == len(statuses) - 1


def _synchronous_of(log: EventLog) -> int:
    return log._db.execute("PRAGMA synchronous").fetchone()[0]


def test_default_durability_syncs_every_commit(tmp_path: Path) -> None:
    # 2 is FULL: the WAL is synced at each commit, so a 2xx survives a power loss.
    with EventLog(tmp_path / "a.db") as log:
        assert log.synchronous == "FULL"
        assert _synchronous_of(log) == 2
    with EventLog(tmp_path / "b.db", synchronous="normal") as log:
        assert _synchronous_of(log) == 1


def test_unknown_durability_setting_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous must be one of FULL, NORMAL, got 'OFF'"):
        EventLog(tmp_path / "c.db", synchronous="OFF")
