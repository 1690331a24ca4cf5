from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from qtui.relay.envelope import EnvelopeError
from qtui.relay.log import EventLog

SURVEY = "a1b2c3d4-e5f6-4890-abcd-ef1234567890"
OTHER = "99999999-e5f6-4890-abcd-ef1234567890"
NOW = datetime(2025, 4, 1, 10, 0, tzinfo=UTC)


def body(event: str, data: dict[str, Any]) -> bytes:
    return json.dumps({"event": event, "timestamp": "2025-04-01T10:00:00Z", "data": data}).encode()


def add(
    log: EventLog,
    event: str,
    data: dict[str, Any],
    *,
    delivery: str | None = None,
    source: str = "questra",
) -> int:
    result = log.append(
        body(event, data),
        source=source,
        delivery_id=delivery,
        event_type=event,
        verified=True,
        received_at=NOW,
    )
    return result.seq


@pytest.fixture
def log(tmp_path: Path) -> EventLog:
    opened = EventLog(tmp_path / "relay.db")
    yield opened
    opened.close()


def test_seqs_increase_from_one_and_read_after_returns_in_order(log: EventLog) -> None:
    seqs = [add(log, "page.created", {"id": f"p{i}", "survey_id": SURVEY}) for i in range(5)]
    assert seqs == [1, 2, 3, 4, 5]
    assert [e.seq for e in log.read_after(2, 10)] == [3, 4, 5]
    assert [e.seq for e in log.read_after(0, 2)] == [1, 2]
    assert log.read_after(5, 10) == []
    assert log.last_seq() == 5
    assert log.count() == 5


def test_empty_log_has_last_seq_zero(log: EventLog) -> None:
    assert log.last_seq() == 0
    assert log.count() == 0
    assert log.read_after(0, 10) == []


def test_raw_envelope_bytes_are_kept_exactly(log: EventLog) -> None:
    raw = b'{ "event" : "page.created",\n  "data": {"id": "p1", "survey_id": "s"} }'
    log.append(
        raw,
        source="questra",
        delivery_id="d1",
        event_type="page.created",
        verified=False,
        received_at=NOW,
    )
    (event,) = log.read_after(0, 1)
    assert event.envelope == raw
    assert event.verified is False
    assert event.delivery_id == "d1"
    assert event.event_type == "page.created"
    assert event.received_at == NOW


def test_repeated_delivery_returns_first_seq_and_stores_nothing(log: EventLog) -> None:
    first = log.append(
        body("page.created", {"id": "p1"}),
        source="questra",
        delivery_id="run-1",
        event_type="page.created",
        verified=True,
        received_at=NOW,
    )
    again = log.append(
        body("page.created", {"id": "p1", "changed": True}),
        source="questra",
        delivery_id="run-1",
        event_type="page.created",
        verified=True,
        received_at=NOW,
    )
    assert (first.seq, first.duplicate) == (1, False)
    assert (again.seq, again.duplicate) == (1, True)
    assert log.count() == 1
    assert json.loads(log.read_after(0, 5)[0].envelope)["data"] == {"id": "p1"}


def test_same_delivery_id_from_another_source_is_not_a_duplicate(log: EventLog) -> None:
    add(log, "page.created", {"id": "p1"}, delivery="d", source="questra")
    add(log, "response.created", {"id": "r1"}, delivery="d", source="oktave")
    assert log.count() == 2


def test_deliveries_without_id_are_never_duplicates(log: EventLog) -> None:
    add(log, "page.created", {"id": "p1"})
    add(log, "page.created", {"id": "p1"})
    assert log.count() == 2


def test_events_survive_close_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "relay.db"
    first = EventLog(path)
    add(first, "survey.created", {"id": SURVEY}, delivery="d1")
    add(first, "page.created", {"id": "p1", "survey_id": SURVEY}, delivery="d2")
    first.close()

    reopened = EventLog(path)
    try:
        assert [e.event_type for e in reopened.read_after(0, 10)] == [
            "survey.created",
            "page.created",
        ]
        # The dedup index and the seq counter survive too.
        assert reopened.append(
            body("page.created", {}),
            source="questra",
            delivery_id="d2",
            event_type="page.created",
            verified=True,
            received_at=NOW,
        ).duplicate
        assert add(reopened, "page.updated", {"id": "p1", "survey_id": SURVEY}) == 3
    finally:
        reopened.close()


def test_append_is_committed_when_it_returns(log: EventLog) -> None:
    add(log, "page.created", {"id": "p1", "survey_id": SURVEY})
    # A separate connection sees the row: it is on disk, not in an open transaction.
    other = sqlite3.connect(log.path)
    try:
        assert other.execute("SELECT COUNT(*) FROM events").fetchone() == (1,)
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        other.close()


def test_naive_received_at_is_taken_as_utc_and_offsets_are_normalised(log: EventLog) -> None:
    log.append(
        body("a.b", {}),
        source="questra",
        delivery_id=None,
        event_type="a.b",
        verified=True,
        received_at=datetime(2025, 1, 1, 12, 0),
    )
    plus_two = timezone(timedelta(hours=2))
    log.append(
        body("a.b", {}),
        source="questra",
        delivery_id=None,
        event_type="a.b",
        verified=True,
        received_at=datetime(2025, 1, 1, 14, 0, tzinfo=plus_two),
    )
    first, second = log.read_after(0, 2)
    assert first.received_at == second.received_at == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def test_malformed_envelope_is_refused_and_not_stored(log: EventLog) -> None:
    with pytest.raises(EnvelopeError):
        log.append(
            b'{"event": "page.created", "data": {',
            source="questra",
            delivery_id=None,
            event_type="page.created",
            verified=True,
            received_at=NOW,
        )
    assert log.count() == 0


# -- survey attribution -----------------------------------------------------------------


def surveys(log: EventLog) -> list[tuple[str, str | None]]:
    return [(e.event_type, e.survey_id) for e in log.read_after(0, 100)]


def test_block_is_attributed_through_its_page(log: EventLog) -> None:
    add(log, "page.created", {"id": "p1", "survey_id": SURVEY})
    add(log, "block.created", {"id": "b1", "page_id": "p1", "config": {"type": "Text"}})
    assert surveys(log)[-1] == ("block.created", SURVEY)


def test_deletes_carrying_only_an_id_are_attributed_from_the_index(log: EventLog) -> None:
    add(log, "page.created", {"id": "p1", "survey_id": SURVEY})
    add(log, "block.created", {"id": "b1", "page_id": "p1"})
    add(log, "variable.created", {"id": "v1", "survey_id": SURVEY, "name": "x"})
    add(log, "block.deleted", {"id": "b1"})
    add(log, "variable.deleted", {"id": "v1"})
    add(log, "page.deleted", {"id": "p1"})
    assert surveys(log)[3:] == [
        ("block.deleted", SURVEY),
        ("variable.deleted", SURVEY),
        ("page.deleted", SURVEY),
    ]


def test_index_outlives_the_process(tmp_path: Path) -> None:
    path = tmp_path / "relay.db"
    with EventLog(path) as first:
        add(first, "page.created", {"id": "p1", "survey_id": SURVEY})
    with EventLog(path) as second:
        add(second, "block.created", {"id": "b1", "page_id": "p1"})
        assert surveys(second)[-1] == ("block.created", SURVEY)


def test_navigation_rule_teaches_the_survey_of_its_embedded_pages(log: EventLog) -> None:
    add(
        log,
        "navigation_rule.created",
        {
            "id": "r1",
            "source_page_id": "p1",
            "target_page_id": "p2",
            "condition": "q1.value == '1'",
            "sourcePage": {"id": "p1", "survey_id": SURVEY},
            "targetPage": {"id": "p2", "survey_id": SURVEY},
        },
    )
    add(log, "block.created", {"id": "b9", "page_id": "p2"})
    add(log, "navigation_rule.deleted", {"id": "r1"})
    assert surveys(log) == [
        ("navigation_rule.created", SURVEY),
        ("block.created", SURVEY),
        ("navigation_rule.deleted", SURVEY),
    ]


def test_rule_without_embedded_pages_is_attributed_through_source_page(log: EventLog) -> None:
    add(log, "page.created", {"id": "p1", "survey_id": OTHER})
    add(log, "navigation_rule.updated", {"id": "r1", "source_page_id": "p1"})
    assert surveys(log)[-1] == ("navigation_rule.updated", OTHER)


def test_block_before_its_page_is_stored_unattributed_then_resolved_later(log: EventLog) -> None:
    add(log, "block.created", {"id": "b1", "page_id": "p1"})
    add(log, "page.created", {"id": "p1", "survey_id": SURVEY})
    add(log, "block.deleted", {"id": "b1"})
    assert surveys(log) == [
        ("block.created", None),
        ("page.created", SURVEY),
        ("block.deleted", SURVEY),
    ]
    assert log.survey_of("block", "b1") == SURVEY


def test_block_moved_to_another_page_follows_it(log: EventLog) -> None:
    add(log, "page.created", {"id": "p1", "survey_id": SURVEY})
    add(log, "page.created", {"id": "p2", "survey_id": OTHER})
    add(log, "block.created", {"id": "b1", "page_id": "p1"})
    add(log, "block.updated", {"id": "b1", "page_id": "p2"})
    add(log, "block.deleted", {"id": "b1"})
    assert [s for _, s in surveys(log)[2:]] == [SURVEY, OTHER, OTHER]


def test_ids_are_scoped_by_kind(log: EventLog) -> None:
    # Seed 001 reuses one uuid for a block and a rule's target page.
    same = "e2f3a4b5-c6d7-8901-efab-123456789012"
    add(log, "page.created", {"id": same, "survey_id": OTHER})
    add(log, "page.created", {"id": "p1", "survey_id": SURVEY})
    add(log, "block.created", {"id": same, "page_id": "p1"})
    add(log, "block.deleted", {"id": same})
    assert surveys(log)[-1] == ("block.deleted", SURVEY)


def test_explicit_survey_id_wins(log: EventLog) -> None:
    log.append(
        body("page.created", {"id": "p1", "survey_id": SURVEY}),
        source="questra",
        delivery_id=None,
        event_type="page.created",
        survey_id=OTHER,
        verified=True,
        received_at=NOW,
    )
    assert surveys(log) == [("page.created", OTHER)]


def test_survey_filter_keeps_own_and_unattributed_events_only(log: EventLog) -> None:
    add(log, "survey.created", {"id": SURVEY})  # 1 mine
    add(log, "page.created", {"id": "p1", "survey_id": SURVEY})  # 2 mine
    add(log, "page.created", {"id": "q1", "survey_id": OTHER})  # 3 other
    add(log, "block.created", {"id": "b1", "page_id": "p1"})  # 4 mine via page
    add(log, "block.created", {"id": "c1", "page_id": "q1"})  # 5 other via page
    add(log, "block.created", {"id": "z1", "page_id": "unknown"})  # 6 unattributed
    add(log, "programming.started", {"survey_id": OTHER})  # 7 other
    add(log, "block.deleted", {"id": "b1"})  # 8 mine via index
    assert [e.seq for e in log.read_after(0, 100, survey_id=SURVEY)] == [1, 2, 4, 6, 8]
    assert [e.seq for e in log.read_after(0, 100, survey_id=OTHER)] == [3, 5, 6, 7]
    assert [e.seq for e in log.read_after(4, 2, survey_id=SURVEY)] == [6, 8]


# -- retention and concurrency --------------------------------------------------------------


def test_prune_keeps_the_newest_events_and_never_reuses_seqs(log: EventLog) -> None:
    for i in range(10):
        add(log, "page.updated", {"id": "p1", "survey_id": SURVEY, "order": i})
    assert log.prune(keep_last=3) == 7
    assert [e.seq for e in log.read_after(0, 100)] == [8, 9, 10]
    assert log.prune(keep_last=0) == 3
    assert log.count() == 0
    assert log.last_seq() == 10
    assert add(log, "page.updated", {"id": "p1", "survey_id": SURVEY}) == 11


def test_prune_keeps_the_survey_index(log: EventLog) -> None:
    add(log, "page.created", {"id": "p1", "survey_id": SURVEY})
    log.prune(keep_last=0)
    add(log, "block.created", {"id": "b1", "page_id": "p1"})
    assert surveys(log) == [("block.created", SURVEY)]


def test_concurrent_appends_from_threads_get_unique_seqs(log: EventLog) -> None:
    results: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(50):
            data = {"id": f"p{n}", "survey_id": SURVEY}
            seq = add(log, "page.updated", data, delivery=f"{n}-{i}")
            with lock:
                results.append(seq)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == list(range(1, 401))
    assert log.count() == 400


def test_in_memory_log_works_for_tests_and_demos() -> None:
    with EventLog(":memory:") as log:
        add(log, "page.created", {"id": "p1", "survey_id": SURVEY})
        assert log.count() == 1


def test_closed_log_says_so() -> None:
    log = EventLog(":memory:")
    log.close()
    with pytest.raises(RuntimeError, match="closed"):
        log.count()
