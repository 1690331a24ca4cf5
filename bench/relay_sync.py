"""What `synchronous=FULL` costs the event log against `NORMAL`, one commit per append.

    python bench/relay_sync.py [--events 2000] [--rounds 3] [--dir DIR]

Appends the same ~600-byte envelopes through `EventLog.append` with each setting, in a
fresh database in DIR (default: a temporary directory; pass a directory on the disk the
relay really uses, since the cost is the disk's fsync). Beside each, the bare baseline:
the same INSERT + COMMIT on plain sqlite3 with the same pragmas, so the figure shows what
the setting costs, not what the log adds. Rounds alternate so both settings see the same
disk weather. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.relay import envelope
from qtui.relay.log import EventLog


def log_rate(path: Path, mode: str, bodies: list[bytes]) -> float:
    now = datetime.now(UTC)
    with EventLog(path, synchronous=mode) as log:
        started = time.perf_counter()
        for n, body in enumerate(bodies):
            log.append(
                body,
                source="questra",
                delivery_id=f"d-{n}",
                event_type="block.created",
                verified=True,
                received_at=now,
            )
        return len(bodies) / (time.perf_counter() - started)


def bare_rate(path: Path, mode: str, bodies: list[bytes]) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={mode}")
    db.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, body BLOB)")
    started = time.perf_counter()
    for body in bodies:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (body) VALUES (?)", (body,))
        db.execute("COMMIT")
    rate = len(bodies) / (time.perf_counter() - started)
    db.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    bodies = [envelope(n) for n in range(args.events)]
    rates: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for round_ in range(args.rounds):
            for mode in ("NORMAL", "FULL"):
                for kind, run in (("EventLog", log_rate), ("bare sqlite3", bare_rate)):
                    path = Path(tmp) / f"{kind.split()[0]}-{mode}-{round_}.db"
                    rates.setdefault((kind, mode), []).append(run(path, mode, bodies))
    print(f"{args.events} appends, one commit each, {args.rounds} rounds (median events/s)")
    for kind in ("EventLog", "bare sqlite3"):
        normal = statistics.median(rates[(kind, "NORMAL")])
        full = statistics.median(rates[(kind, "FULL")])
        print(
            f"  {kind:13} NORMAL {normal:8.0f}/s ({1000 / normal:.3f} ms)   "
            f"FULL {full:8.0f}/s ({1000 / full:.3f} ms)   FULL/NORMAL time × {normal / full:.2f}"
        )


if __name__ == "__main__":
    main()
