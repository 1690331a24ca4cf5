"""Garbage-collector settings for applying many events at once (a replay, a catch-up).

Every event allocates a handful of container objects that live on in the store, so the
cyclic collector's youngest generation fills every ~700 allocations and its passes —
over objects that are never garbage — cost more than the parsing they interrupt. While
`ingesting()`, the youngest generation is collected a hundred times less often; the
settings are restored afterwards. After a large load, `gc.freeze()` moves what was built
out of the collector's sight altogether (the TUI does so after a snapshot).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

INGEST_GEN0_THRESHOLD = 70_000


@contextmanager
def ingesting(gen0: int = INGEST_GEN0_THRESHOLD) -> Iterator[None]:
    """Collect the youngest generation every `gen0` allocations instead of every ~700."""
    before = gc.get_threshold()
    gc.set_threshold(max(gen0, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
