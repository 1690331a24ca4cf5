"""Domain core speed and memory: events through the store, and FullSurvey snapshots.

    python bench/store.py [--quick]

Prints, for a survey of pages of 20 multiple-choice blocks (5 choices each):

* parse+apply against a bare baseline, side by side: 100,000 webhook bodies (50,000
  blocks created, then updated) through `parse_event` and `SurveyStore.apply` inside
  `ingesting()` (the collector settings qtui applies while replaying), against
  `json.loads` + a plain dict last-writer-wins upsert (with tombstones) of the same
  bodies with Python's defaults. Rounds alternate; medians and their ratio are printed,
  and the same ratio with both sides under the same collector settings. A block's model
  is made when first read, so a third figure reads every block once after the replay
  (what printing the whole tree costs) beside the baseline grouping its dicts by page.
* a second figure freezes the built survey (`gc.freeze()`) before the updates, as the TUI
  does after a snapshot load; freezing is the application's choice.
* memory: a 20,000-block survey held by the store, as checked and once every block is read.
* snapshot: `survey()` of those 20,000 blocks.
* FullSurvey validation: 1,000 pages / 20,000 blocks, from a dict (`Survey.model_validate`)
  and from JSON bytes (`SurveyStore.load_json`, which also merges it into a store).
* the sandbox's large generated survey (1,052 pages / 21,002 blocks, as `GET /surveys/{id}`
  returns it): its FullSurvey JSON into a new store (`SurveyStore().load_json`, what opening
  it in the TUI costs) beside a bare `json.loads` of the same bytes (also with --quick).

Times are the best of a few runs (other processes share the cores). Prints figures; never
passes or fails on time.
"""

from __future__ import annotations

import gc
import json
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from qtui.core.events import parse_event
from qtui.core.ingest import ingesting
from qtui.core.models import Survey
from qtui.core.store import SurveyStore

CHOICES = [{"label": f"Choice {i}", "value": str(i)} for i in range(1, 6)]
T0 = datetime(2025, 4, 1, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def make_stream(blocks: int, updates: int) -> list[bytes]:
    """Webhook bodies (bytes, as received) for a survey of `blocks` blocks plus updates."""
    now = T0
    bodies: list[bytes] = []

    def emit(event: str, data: dict) -> None:
        nonlocal now
        now += timedelta(milliseconds=1)
        when = stamp(now)
        if "id" in data and event.split(".")[0] in ("page", "block"):
            data = {**data, "created_at": when, "updated_at": when}
        bodies.append(json.dumps({"event": event, "timestamp": when, "data": data}).encode())

    emit("survey.created", {"id": "s1", "name": "Large", "status": "programming"})
    pages = max(1, blocks // 20)
    for p in range(pages):
        emit("page.created", {"id": f"p{p}", "survey_id": "s1", "name": f"Page {p}", "order": p})
        for b in range(20):
            emit(
                "block.created",
                {
                    "id": f"p{p}b{b}",
                    "page_id": f"p{p}",
                    "order": b,
                    "config": {
                        "type": "MultipleChoice",
                        "label": f"Q {p}.{b}",
                        "choices": CHOICES,
                        "allowMultiple": False,
                    },
                },
            )
    for u in range(updates):
        p, b = (u // 20) % pages, u % 20
        emit(
            "block.updated",
            {
                "id": f"p{p}b{b}",
                "page_id": f"p{p}",
                "order": b,
                "config": {
                    "type": "MultipleChoice",
                    "label": f"Q {p}.{b} v{u}",
                    "choices": CHOICES,
                    "allowMultiple": False,
                },
            },
        )
    return bodies


def full_survey(pages: int, blocks_per_page: int = 20) -> dict[str, Any]:
    """A FullSurvey as Questra's REST API returns it: pages with blocks and one rule each."""
    when = stamp(T0)
    return {
        "id": "s1",
        "name": "Large tracker",
        "status": "reviewing",
        "updated_at": when,
        "pages": [
            {
                "id": f"p{p}",
                "survey_id": "s1",
                "name": f"Page {p}",
                "order": p,
                "programming_completed_at": when,
                "blocks": [
                    {
                        "id": f"p{p}b{b}",
                        "page_id": f"p{p}",
                        "order": b,
                        "updated_at": when,
                        "config": {
                            "type": "MultipleChoice",
                            "label": f"Question {b} on page {p}",
                            "choices": CHOICES,
                        },
                    }
                    for b in range(blocks_per_page)
                ],
                "navigation_rules": [
                    {
                        "id": f"r{p}",
                        "source_page_id": f"p{p}",
                        "target_page_id": f"p{(p + 2) % pages}",
                        "condition": f"q{p * blocks_per_page + 1}.value == '1'",
                        "order": 0,
                    }
                ],
            }
            for p in range(pages)
        ],
        "variables": [],
    }


def best_of(runs: int, work: Callable[[], Any]) -> float:
    """The shortest of `runs` timings of `work()`, each started after a full collection."""
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def replay(bodies: list[bytes], freeze_after: int | None = None) -> float:
    """Seconds to parse and apply `bodies` into a new store (the updates only if freezing)."""
    store = SurveyStore()
    if freeze_after is not None:
        for body in bodies[:freeze_after]:
            store.apply(parse_event(body))
        gc.freeze()
        bodies = bodies[freeze_after:]
    started = time.perf_counter()
    for body in bodies:
        store.apply(parse_event(body))
    elapsed = time.perf_counter() - started
    if freeze_after is not None:
        gc.unfreeze()
    return elapsed


def bare_replay(bodies: list[bytes], read: bool = False) -> float:
    """The baseline: json.loads + last-writer-wins upsert into plain dicts, tombstones kept;
    with `read`, then every page's blocks gathered once, in order."""
    loads = json.loads
    tables: dict[str, dict[str, Any]] = {}
    versions: dict[str, str] = {}
    tombstones: set[str] = set()
    started = time.perf_counter()
    for body in bodies:
        envelope = loads(body)
        data = envelope["data"]
        kind, _, action = envelope["event"].rpartition(".")
        item_id = data["id"]
        if item_id in tombstones:
            continue
        if action == "deleted":
            tombstones.add(item_id)
            continue
        version = data.get("updated_at") or envelope["timestamp"]
        held = versions.get(item_id)
        if held is None or version >= held:
            versions[item_id] = version
            tables.setdefault(kind, {})[item_id] = data
    if read:
        by_page: dict[str, list[dict[str, Any]]] = {}
        for block in tables["block"].values():
            by_page.setdefault(block["page_id"], []).append(block)
        for page in sorted(tables["page"].values(), key=lambda p: p["order"]):
            sorted(by_page.get(page["id"], ()), key=lambda b: b["order"])
    return time.perf_counter() - started


def ours_replay(bodies: list[bytes], read: bool = False) -> float:
    """qtui's replay: parse_event + SurveyStore.apply inside `ingesting()`; with `read`, then
    every page's blocks read once, in order (the models made: what printing the tree costs)."""
    store = SurveyStore()
    with ingesting():
        started = time.perf_counter()
        for body in bodies:
            store.apply(parse_event(body))
        if read:
            for page in store.pages("s1"):
                store.blocks(page.id)
        return time.perf_counter() - started


def side_by_side(bodies: list[bytes], rounds: int) -> None:
    n = len(bodies)
    ours: list[float] = []
    bare: list[float] = []
    bare_tuned: list[float] = []
    ours_default: list[float] = []
    ours_read: list[float] = []
    bare_read: list[float] = []
    for _ in range(rounds):
        gc.collect()
        ours.append(n / ours_replay(bodies))
        gc.collect()
        bare.append(n / bare_replay(bodies))
        gc.collect()
        with ingesting():
            bare_tuned.append(n / bare_replay(bodies))
        gc.collect()
        ours_default.append(n / replay(bodies))
        gc.collect()
        ours_read.append(n / ours_replay(bodies, read=True))
        gc.collect()
        bare_read.append(n / bare_replay(bodies, read=True))
    med = statistics.median
    print(
        f"parse+apply: qtui {med(ours):,.0f} events/s vs json.loads + dict upsert "
        f"{med(bare):,.0f} events/s (medians of {rounds}, {n:,} events): "
        f"ratio {med(ours) / med(bare):.2f}; median of the rounds' ratios "
        f"{med(o / b for o, b in zip(ours, bare, strict=True)):.2f}"
    )
    print(
        f"  same collector settings on both sides: qtui default GC {med(ours_default):,.0f} "
        f"vs bare {med(bare):,.0f} (ratio {med(ours_default) / med(bare):.2f}); "
        f"qtui vs bare both in ingesting(): {med(ours):,.0f} vs {med(bare_tuned):,.0f} "
        f"(ratio {med(ours) / med(bare_tuned):.2f})"
    )
    print(
        f"  then every block read once (its model made; the bare side groups its dicts by "
        f"page, in order): qtui {med(ours_read):,.0f} vs bare {med(bare_read):,.0f} events/s "
        f"(ratio {med(ours_read) / med(bare_read):.2f})"
    )


def throughput(rounds: int = 3) -> None:
    pages = 2_500
    blocks = pages * 20
    bodies = make_stream(blocks=blocks, updates=100_000 - blocks - pages - 1)
    side_by_side(bodies, rounds)
    built = 1 + pages + blocks
    updates = len(bodies) - built
    elapsed = min(replay(bodies, freeze_after=built) for _ in range(3))
    print(
        f"  the {updates:,} updates after gc.freeze() of the built survey: "
        f"{updates / elapsed:,.0f} events/s"
    )


def memory() -> None:
    stream = make_stream(blocks=20_000, updates=0)
    tracemalloc.start()
    store = SurveyStore()
    for body in stream:
        store.apply(parse_event(body))
    checked, _ = tracemalloc.get_traced_memory()
    started = time.perf_counter()
    held = sum(len(store.blocks(p.id)) for p in store.pages("s1"))  # every model made
    first_read = time.perf_counter() - started
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"memory: {held:,} blocks held in {current / 2**20:.1f} MiB once read "
        f"({checked / 2**20:.1f} MiB checked but not yet built; peak {peak / 2**20:.1f} MiB)"
    )
    print(f"  first read of every page's blocks (models made): {first_read:.2f} s (traced)")
    elapsed = best_of(3, lambda: store.survey("s1"))
    print(f"snapshot: survey() of {held:,} blocks in {elapsed:.2f} s")


def snapshot_validation() -> None:
    document = full_survey(pages=1_000)
    raw = json.dumps(document).encode()
    count = sum(len(page["blocks"]) for page in document["pages"])
    elapsed = best_of(3, lambda: Survey.model_validate(document))
    print(
        f"FullSurvey of 1,000 pages / {count:,} blocks: "
        f"Survey.model_validate(dict) in {elapsed:.2f} s"
    )
    elapsed = best_of(3, lambda: SurveyStore().load_json(raw))
    print(
        f"  SurveyStore().load_json(bytes), {len(raw) / 2**20:.1f} MiB "
        f"(validate + merge) in {elapsed:.2f} s"
    )
    elapsed = best_of(3, lambda: SurveyStore().load(json.loads(raw)))
    print(f"  SurveyStore().load(json.loads(bytes)) (decode + validate + merge) in {elapsed:.2f} s")


def large_survey_json() -> bytes:
    """The sandbox's `large` questionnaire programmed at once, as its FullSurvey JSON."""
    import asyncio
    import random

    from qtui.sandbox import questionnaires
    from qtui.sandbox.questra.org import Clock, Org
    from qtui.sandbox.simulator import ProgrammingRun

    async def program() -> dict[str, Any]:
        clock = Clock()
        org = Org("org_bench", rng=random.Random(1), clock=clock, emit=lambda emitted: None)
        survey = org.create_survey("Large tracker")
        large = questionnaires.load("large")
        run = ProgrammingRun(
            org, survey["id"], large, seed=1, job=1, speed=float("inf"), advance=clock.advance
        )
        await run.run()
        return org.full_survey(org.survey(survey["id"]))

    return json.dumps(asyncio.run(program())).encode()


def large_snapshot() -> None:
    raw = large_survey_json()
    loaded = SurveyStore()
    survey = loaded.load_json(raw)
    blocks = sum(len(page.blocks) for page in survey.pages)
    ours = best_of(5, lambda: SurveyStore().load_json(raw))
    bare = best_of(5, lambda: json.loads(raw))
    print(
        f"large survey snapshot ({len(survey.pages):,} pages / {blocks:,} blocks, "
        f"{len(raw) / 2**20:.1f} MiB): SurveyStore().load_json(bytes) in {ours:.2f} s "
        f"vs json.loads(bytes) in {bare:.2f} s (ratio {bare / ours:.2f}; best of 5)"
    )


def main() -> None:
    import sys

    throughput()
    large_snapshot()
    if "--quick" in sys.argv:
        return
    memory()
    snapshot_validation()


if __name__ == "__main__":
    main()
