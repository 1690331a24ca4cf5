"""The relay's durable event log: SQLite in WAL mode, one row per accepted delivery.

Every delivery gets a sequence number (`seq`, strictly increasing, never reused even
after pruning) that subscribers resume from. A repeated delivery — same source and
delivery id — is recognised by a unique constraint and stores nothing. The raw
envelope bytes are kept exactly as received so a signature can be re-checked later.

Each append commits before it returns, so once the relay answers 2xx the event
survives a crash of the process. With the default `synchronous=FULL` the WAL is synced
to disk at every commit, so it survives a power loss too; `synchronous="NORMAL"` is the
opt-out (faster commits, but a power loss can drop the last acknowledged ones). The
measured cost is in docs/relay.md.

One connection, guarded by a lock: the relay calls the log from worker threads, and
SQLite connections must not be used by two threads at once.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qtui.relay.attribution import Links, Ref, links_of
from qtui.relay.envelope import parse_envelope

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    source       TEXT    NOT NULL,
    delivery_id  TEXT,
    event_type   TEXT    NOT NULL,
    survey_id    TEXT,
    verified     INTEGER NOT NULL,
    received_at  TEXT    NOT NULL,
    envelope     BLOB    NOT NULL,
    UNIQUE (source, delivery_id)
);
CREATE INDEX IF NOT EXISTS events_by_survey ON events (survey_id, seq);
CREATE TABLE IF NOT EXISTS survey_index (
    kind         TEXT NOT NULL,
    id           TEXT NOT NULL,
    survey_id    TEXT,
    parent_kind  TEXT,
    parent_id    TEXT,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
"""

_COLUMNS = "seq, source, delivery_id, event_type, survey_id, verified, received_at, envelope"

SYNCHRONOUS_MODES = ("FULL", "NORMAL")

# Parents are followed at most this far (block → page → survey is two steps); the cap
# also protects against a cycle written by a malformed payload.
_MAX_PARENT_HOPS = 4


class LogUnavailableError(RuntimeError):
    """The log could not store an event now (e.g. JetStream did not acknowledge it)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery to store: the body as received and what the relay learned of it."""

    envelope_bytes: bytes
    source: str
    delivery_id: str | None
    event_type: str
    verified: bool
    received_at: datetime
    # The parsed body when the caller has it (saves parsing the bytes again).
    envelope: Mapping[str, Any] | None = None
    # Left None, it is worked out from the envelope and what earlier events taught.
    survey_id: str | None = None


@dataclass(frozen=True)
class AppendResult:
    seq: int
    duplicate: bool
    # The survey the event was filed under (for a duplicate: None, nothing was filed).
    survey_id: str | None = None


@dataclass(frozen=True)
class LoggedEvent:
    seq: int
    source: str
    delivery_id: str | None
    event_type: str
    survey_id: str | None
    verified: bool
    received_at: datetime
    envelope: bytes

    def envelope_json(self) -> Any:
        return json.loads(self.envelope)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _row_to_event(row: tuple[Any, ...]) -> LoggedEvent:
    seq, source, delivery_id, event_type, survey_id, verified, received_at, envelope = row
    return LoggedEvent(
        seq=seq,
        source=source,
        delivery_id=delivery_id,
        event_type=event_type,
        survey_id=survey_id,
        verified=bool(verified),
        received_at=datetime.fromisoformat(received_at),
        envelope=bytes(envelope),
    )


class EventLog:
    """Append-only log of webhook deliveries with resume-by-seq reads."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        mode = synchronous.upper()
        if mode not in SYNCHRONOUS_MODES:
            raise ValueError(
                f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}, got {synchronous!r}"
            )
        self.path = str(path)
        self.synchronous = mode
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # isolation_level=None: transactions are opened explicitly, so a commit happens
        # exactly where the code says it does.
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={mode}")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        self._closed = False

    # -- writing ---------------------------------------------------------------

    def append(
        self,
        envelope_bytes: bytes,
        *,
        source: str,
        delivery_id: str | None,
        event_type: str,
        survey_id: str | None = None,
        verified: bool,
        received_at: datetime,
        envelope: Mapping[str, Any] | None = None,
    ) -> AppendResult:
        """Store one delivery and commit; a repeated (source, delivery_id) stores nothing.

        `envelope_bytes` must be a JSON object in UTF-8 (`EnvelopeError` otherwise).

        `survey_id` may be left out: it is then worked out from the envelope and the
        ids learned from earlier events (see `qtui.relay.attribution`). Pass the parsed
        `envelope` when you already have it, to save parsing the bytes again.
        """
        delivery = Delivery(
            envelope_bytes,
            source=source,
            delivery_id=delivery_id,
            event_type=event_type,
            verified=verified,
            received_at=received_at,
            envelope=envelope,
            survey_id=survey_id,
        )
        return self.append_batch([delivery])[0]

    def append_batch(self, deliveries: Sequence[Delivery]) -> list[AppendResult]:
        """Store several deliveries in one transaction: one commit (one sync) for all.

        Each is handled as `append` would, in order (a delivery repeated within the batch
        is a duplicate of the first). Either all are stored or, on an error, none.
        """
        prepared = [(d, self._links(d)) for d in deliveries]
        with self._lock:
            self._check_open()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                results = [self._insert(d, links) for d, links in prepared]
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        return results

    @staticmethod
    def _links(delivery: Delivery) -> Links:
        envelope = delivery.envelope
        if envelope is None:
            # Frames splice the stored bytes into JSON text unparsed, so only a valid
            # envelope may enter the log.
            envelope = parse_envelope(delivery.envelope_bytes)
        return links_of(delivery.event_type, envelope.get("data"))

    def _insert(self, d: Delivery, links: Links) -> AppendResult:
        """One delivery inside the open transaction."""
        db = self._db
        # Checked before inserting: a conflicting INSERT would still use up an
        # AUTOINCREMENT value and leave a hole in the seqs.
        if d.delivery_id is not None:
            row = db.execute(
                "SELECT seq FROM events WHERE source = ? AND delivery_id = ?",
                (d.source, d.delivery_id),
            ).fetchone()
            if row is not None:
                return AppendResult(seq=row[0], duplicate=True)
        # The survey this payload establishes (by naming it, or through its parent);
        # only that is worth remembering for the subject.
        established = links.survey_id
        if established is None and links.parent is not None:
            established = self._resolve(links.parent)
        survey_id = d.survey_id
        if survey_id is None:
            survey_id = established
            if survey_id is None and links.subject is not None:
                survey_id = self._resolve(links.subject)
        cursor = db.execute(
            f"INSERT INTO events ({_COLUMNS}) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?)",
            (
                d.source,
                d.delivery_id,
                d.event_type,
                survey_id,
                int(d.verified),
                _iso(d.received_at),
                sqlite3.Binary(d.envelope_bytes),
            ),
        )
        self._learn(links, established)
        seq = cursor.lastrowid
        assert seq is not None
        return AppendResult(seq=seq, duplicate=False, survey_id=survey_id)

    def prune(self, keep_last: int) -> int:
        """Delete all but the newest `keep_last` events; returns how many were deleted.

        Sequence numbers are never reused, so subscribers resuming from a pruned seq just
        start at the oldest event still kept. The survey index is kept: it is small and
        later deletes still need it.
        """
        if keep_last < 0:
            raise ValueError("keep_last must be 0 or more")
        with self._lock:
            self._check_open()
            if keep_last == 0:
                cursor = self._db.execute("DELETE FROM events")
            else:
                cursor = self._db.execute(
                    "DELETE FROM events WHERE seq < (SELECT MIN(seq) FROM "
                    "(SELECT seq FROM events ORDER BY seq DESC LIMIT ?))",
                    (keep_last,),
                )
            return cursor.rowcount

    # -- reading ---------------------------------------------------------------

    def read_after(
        self,
        seq: int,
        limit: int,
        survey_id: str | None = None,
        sources: Collection[str] | None = None,
        *,
        max_bytes: int | None = None,
    ) -> list[LoggedEvent]:
        """Events with seq > `seq`, oldest first, at most `limit`.

        With `max_bytes`, the page also stops once its envelopes add up to that many
        bytes (it always holds at least one event), so a page of large events stays
        small; the caller pages on from the last seq as usual.

        With `survey_id`, only that survey's events and the events whose survey was not
        known when they arrived (survey_id NULL): a consumer that keeps only ids it knows
        loses nothing that way, while a consumer filtering strictly would miss an event
        that arrived before its parent. With `sources`, only events from those sources.
        """
        if limit <= 0:
            return []
        where = "seq > ?"
        params: list[Any] = [seq]
        if survey_id is not None:
            where += " AND (survey_id = ? OR survey_id IS NULL)"
            params.append(survey_id)
        if sources is not None:
            names = sorted(set(sources))
            where += f" AND source IN ({','.join('?' * len(names))})" if names else " AND 0"
            params.extend(names)
        with self._lock:
            self._check_open()
            cursor = self._db.execute(
                f"SELECT {_COLUMNS} FROM events WHERE {where} ORDER BY seq LIMIT ?",
                (*params, limit),
            )
            if max_bytes is None:
                rows = cursor.fetchall()
            else:
                rows = []
                size = 0
                # Row by row, so rows past the budget are never read into memory.
                for row in cursor:
                    rows.append(row)
                    size += len(row[-1])
                    if size >= max_bytes:
                        break
                cursor.close()
        return [_row_to_event(row) for row in rows]

    def last_seq(self) -> int:
        """The newest seq ever given (0 for an empty log), even if it was pruned."""
        with self._lock:
            self._check_open()
            row = self._db.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = 'events'"
            ).fetchone()
        return int(row[0]) if row else 0

    def count(self) -> int:
        with self._lock:
            self._check_open()
            (n,) = self._db.execute("SELECT COUNT(*) FROM events").fetchone()
        return int(n)

    def survey_of(self, kind: str, id_: str) -> str | None:
        """The survey the index places (kind, id) in, following parents; None if unknown."""
        with self._lock:
            self._check_open()
            return self._resolve(Ref(kind, id_))

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- survey index ----------------------------------------------------------

    def _rollback(self) -> None:
        # SQLite may already have rolled the transaction back itself (it does on
        # SQLITE_FULL, for one): a second ROLLBACK would then raise "cannot rollback - no
        # transaction is active" and hide the error that matters.
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the original error is the one worth reporting

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"event log {self.path} is closed")

    def _resolve(self, ref: Ref) -> str | None:
        current: Ref | None = ref
        for _ in range(_MAX_PARENT_HOPS):
            if current is None:
                return None
            row = self._db.execute(
                "SELECT survey_id, parent_kind, parent_id FROM survey_index "
                "WHERE kind = ? AND id = ?",
                (current.kind, current.id),
            ).fetchone()
            if row is None:
                return None
            survey_id, parent_kind, parent_id = row
            if survey_id is not None:
                return survey_id
            current = Ref(parent_kind, parent_id) if parent_id is not None else None
        return None

    def _remember(self, ref: Ref, survey_id: str | None, parent: Ref | None) -> None:
        # A payload that names less than an earlier one (a delete carries only `id`)
        # must not erase what is known; one that names a new parent (a block moved to
        # another page) replaces it.
        self._db.execute(
            "INSERT INTO survey_index (kind, id, survey_id, parent_kind, parent_id) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET "
            "survey_id = COALESCE(excluded.survey_id, survey_id), "
            "parent_kind = COALESCE(excluded.parent_kind, parent_kind), "
            "parent_id = COALESCE(excluded.parent_id, parent_id)",
            (
                ref.kind,
                ref.id,
                survey_id,
                parent.kind if parent else None,
                parent.id if parent else None,
            ),
        )

    def _learn(self, links: Links, established: str | None) -> None:
        for ref, known_survey in links.known:
            self._remember(ref, known_survey, None)
        if links.subject is not None:
            self._remember(links.subject, established, links.parent)
