"""Recorded Questra event streams, one JSON body per line (see `generate` for how they are made).

`path(name)` locates a sample; `lines(name)` returns its lines as bytes, ready for
`qtui.core.events.parse_event`.
"""

from __future__ import annotations

from pathlib import Path

SEED_EVENTS = "seed-events.jsonl"
SCREENER_RUN = "screener-run.jsonl"

DIRECTORY = Path(__file__).parent


def path(name: str) -> Path:
    found = DIRECTORY / name
    if not found.is_file():
        available = ", ".join(sorted(p.name for p in DIRECTORY.glob("*.jsonl")))
        raise FileNotFoundError(f"no sample named {name!r}; available: {available}")
    return found


def lines(name: str) -> list[bytes]:
    return [line for line in path(name).read_bytes().splitlines() if line.strip()]
