"""Garbage-collector settings for applying many events or loading a large survey at once.

Every event allocates a handful of container objects that live on in the store, so the
cyclic collector's youngest generation fills every ~700 allocations and its passes — over
objects that are never garbage — cost more than the parsing they interrupt (2–3× on a
21,000-block snapshot). While `ingesting()`, the youngest generation is collected far
less often; the settings come back when the last `ingesting()` ends (it may be entered
from several threads at once). After a large load, `gc.freeze()` moves what was built out
of the collector's sight altogether (the TUI does so after a snapshot).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# For a replay: a young-generation pass every million allocations instead of ~700. Nearly
# everything a replay allocates is either freed at once (reference counting does that) or
# kept in the store, so passes find next to nothing; each one that reaches the older
# generations walks the whole store.
INGEST_GEN0_THRESHOLD = 1_000_000
# For a snapshot: in practice no pass at all while it is validated (it is all kept).
SNAPSHOT_GEN0_THRESHOLD = 5_000_000

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, ...] = ()


@contextmanager
def ingesting(gen0: int = INGEST_GEN0_THRESHOLD) -> Iterator[None]:
    """Collect the youngest generation every `gen0` allocations instead of every ~700."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
        _depth += 1
        current = gc.get_threshold()
        gc.set_threshold(max(gen0, current[0]), *current[1:])
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.set_threshold(*_saved)
