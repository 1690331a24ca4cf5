"""Store throughput and memory: parse + apply over 100,000 events; a 20,000-block survey.

    python bench/store.py

Prints figures; never passes or fails on time.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from qtui.core.events import parse_event
from qtui.core.store import SurveyStore

CHOICES = [{"label": f"Choice {i}", "value": str(i)} for i in range(1, 6)]


def make_stream(blocks: int, updates: int) -> list[bytes]:
    """Webhook bodies (bytes, as received) for a survey of `blocks` blocks plus updates."""
    now = datetime(2025, 4, 1, tzinfo=UTC)
    bodies: list[bytes] = []

    def emit(event: str, data: dict) -> None:
        nonlocal now
        now += timedelta(milliseconds=1)
        stamp = now.isoformat().replace("+00:00", "Z")
        if "id" in data and event.split(".")[0] in ("page", "block"):
            data = {**data, "created_at": stamp, "updated_at": stamp}
        bodies.append(json.dumps({"event": event, "timestamp": stamp, "data": data}).encode())

    emit("survey.created", {"id": "s1", "name": "Large", "status": "programming"})
    pages = max(1, blocks // 20)
    for p in range(pages):
        emit("page.created", {"id": f"p{p}", "survey_id": "s1", "name": f"Page {p}", "order": p})
        for b in range(20):
            emit("block.created", {"id": f"p{p}b{b}", "page_id": f"p{p}", "order": b,
                                   "config": {"type": "MultipleChoice", "label": f"Q {p}.{b}",
                                              "choices": CHOICES, "allowMultiple": False}})
    for u in range(updates):
        p, b = (u // 20) % pages, u % 20
        emit("block.updated", {"id": f"p{p}b{b}", "page_id": f"p{p}", "order": b,
                               "config": {"type": "MultipleChoice", "label": f"Q {p}.{b} v{u}",
                                          "choices": CHOICES, "allowMultiple": False}})
    return bodies


def main() -> None:
    bodies = make_stream(blocks=50_000, updates=100_000 - 50_000 - 2_500 - 1)
    store = SurveyStore()
    started = time.perf_counter()
    for body in bodies:
        store.apply(parse_event(body))
    elapsed = time.perf_counter() - started
    print(f"parse+apply: {len(bodies):,} events in {elapsed:.2f} s "
          f"= {len(bodies) / elapsed:,.0f} events/s (one core)")

    tracemalloc.start()
    store = SurveyStore()
    for body in make_stream(blocks=20_000, updates=0):
        store.apply(parse_event(body))
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    blocks = sum(len(store.blocks(p.id)) for p in store.pages("s1"))
    print(f"memory: {blocks:,} blocks held in {current / 2**20:.1f} MiB "
          f"(peak while loading {peak / 2**20:.1f} MiB)")
    started = time.perf_counter()
    survey = store.survey("s1")
    print(f"snapshot: survey() of {len(survey.blocks()):,} blocks in "
          f"{time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
