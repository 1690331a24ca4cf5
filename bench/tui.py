"""TUI speed: first paint, a 21,000-block survey, and the flush cost under 500 events/s.

    python bench/tui.py [--seconds 5] [--rate 500]

Runs the real app headless (`App.run_test`) fed in-process. Prints figures; never passes or
fails on time. Aims: first paint < 1 s, large tree navigable < 1 s, flush < 50 ms, and
`qtui replay --print` start-up under 2x `python -c "import json"` + the work.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from qtui.config import Settings, UISettings
from qtui.tui.app import QtuiApp
from qtui.tui.clock import Clock
from qtui.tui.sources import FeedSource

SURVEY = "bench-survey"
PAGES = 1_050
BLOCKS_PER_PAGE = 20
T0 = datetime(2025, 4, 1, 10, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def block(page: int, n: int, moment: datetime, label: str = "") -> dict[str, Any]:
    return {
        "id": f"b{page}-{n}",
        "page_id": f"p{page}",
        "order": n,
        "config": {
            "type": "MultipleChoice",
            "label": label or f"Question {n} on page {page}",
            "choices": [{"value": str(v), "label": f"Choice {v}"} for v in range(1, 6)],
        },
        "updated_at": stamp(moment),
    }


def large_survey() -> dict[str, Any]:
    pages = []
    for p in range(PAGES):
        pages.append(
            {
                "id": f"p{p}",
                "survey_id": SURVEY,
                "name": f"Page {p}",
                "order": p,
                "programming_completed_at": stamp(T0),
                "blocks": [block(p, n, T0) for n in range(BLOCKS_PER_PAGE)],
                "navigation_rules": [
                    {
                        "id": f"r{p}",
                        "source_page_id": f"p{p}",
                        "target_page_id": f"p{(p + 2) % PAGES}",
                        "condition": f"q{p * BLOCKS_PER_PAGE + 1}.value == '1'",
                        "order": 0,
                    }
                ],
            }
        )
    return {
        "id": SURVEY,
        "name": "Large tracker",
        "status": "reviewing",
        "target_platform": "qualtrics",
        "updated_at": stamp(T0),
        "pages": pages,
        "variables": [],
    }


def settings() -> Settings:
    return Settings.model_construct(ui=UISettings(coalesce_ms=200, flash_ms=1200))


async def first_paint() -> float:
    started = time.perf_counter()
    app = QtuiApp(FeedSource(), survey_id=SURVEY, settings=settings(), clock=Clock())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        return time.perf_counter() - started


async def large_tree(seconds: float, rate: int) -> dict[str, Any]:
    feed = FeedSource()
    app = QtuiApp(feed, survey_id=SURVEY, settings=settings(), clock=Clock())
    figures: dict[str, Any] = {}
    snapshot = large_survey()
    async with app.run_test(size=(120, 40)) as pilot:
        started = time.perf_counter()
        feed.load(snapshot)
        while len(app.tree.labels()) < PAGES:
            await pilot.pause(0.001)
        await pilot.press("end", "home", "down", "enter")  # navigable: moves and opens a page
        await pilot.pause()
        figures["large_tree_s"] = time.perf_counter() - started
        figures["phases"] = dict(app.timings)
        figures["nodes_built"] = app.tree.node_count()

        started = time.perf_counter()
        app.tree.expand_all_pages()
        _ = app.tree._tree_lines  # lay out every line, as the screen must
        await pilot.pause()
        figures["expand_all_s"] = time.perf_counter() - started
        figures["nodes_after_expand_all"] = app.tree.node_count()
        app.tree.collapse_all_pages()
        await pilot.pause()

        # Stream: `rate` block updates per second, sent in 20 batches a second, while a
        # probe measures how late the event loop wakes up (what a key press would wait).
        app.flush_seconds.clear()
        lags: list[float] = []
        stop = asyncio.Event()

        async def probe() -> None:
            while not stop.is_set():
                before = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append(time.perf_counter() - before - 0.01)

        probe_task = asyncio.create_task(probe())
        moment = T0 + timedelta(seconds=1)
        per_batch = max(1, rate // 20)
        sent = 0
        t_start = time.perf_counter()
        t_end = t_start + seconds
        n = 0
        tick = 0
        while time.perf_counter() < t_end:
            batch = []
            for _ in range(per_batch):
                moment += timedelta(milliseconds=1)
                page = (n * 7) % PAGES
                batch.append(
                    {
                        "event": "block.updated",
                        "timestamp": stamp(moment),
                        "data": block(page, n % BLOCKS_PER_PAGE, moment, f"Reworded {n}"),
                    }
                )
                n += 1
            feed.push(*batch)
            sent += len(batch)
            tick += 1
            # Paced by the clock, not by sleeps, so a slow app cannot slow the sender down.
            await asyncio.sleep(max(0.0, t_start + tick * 0.05 - time.perf_counter()))
        while not app.view_is_current:
            await pilot.pause(0.01)
        stop.set()
        await probe_task
        figures["events_sent"] = sent
        figures["events_per_s"] = sent / (time.perf_counter() - t_start)
        figures["flushes"] = len(app.flush_seconds)
        figures["flush_ms_median"] = statistics.median(app.flush_seconds) * 1000
        figures["flush_ms_max"] = max(app.flush_seconds) * 1000
        figures["loop_lag_ms_median"] = statistics.median(lags) * 1000
        figures["loop_lag_ms_p95"] = sorted(lags)[int(len(lags) * 0.95)] * 1000
        figures["loop_lag_ms_max"] = max(lags) * 1000
    return figures


def startup(runs: int = 5) -> dict[str, float]:
    """`qtui replay --print` of the bundled recording beside `python -c "import json"`.

    Interleaved runs, medians. "work" is the same replay done in this process once
    everything is imported and built: what start-up adds is the rest.
    """
    import subprocess
    import sys
    from pathlib import Path

    from click.testing import CliRunner

    from qtui.cli import main as cli

    recording = str(Path(__file__).resolve().parents[1] / "qtui/samples/screener-run.jsonl")
    bare: list[float] = []
    ours: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import json"], check=True)
        bare.append(time.perf_counter() - started)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "qtui", "replay", "--print", recording],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        ours.append(time.perf_counter() - started)
    runner = CliRunner()
    runner.invoke(cli, ["replay", "--print", recording])  # imports and validators built
    work: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        runner.invoke(cli, ["replay", "--print", recording])
        work.append(time.perf_counter() - started)
    med = statistics.median
    return {"json_s": med(bare), "replay_s": med(ours), "work_s": med(work)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=int, default=500)
    args = parser.parse_args()
    paint = await first_paint()
    f = await large_tree(args.seconds, args.rate)
    phases = f["phases"]
    blocks = PAGES * BLOCKS_PER_PAGE
    rows = [  # noqa: E501 - one row per figure reads better than wrapped calls
        ("first paint (headless, 120x40)", f"{paint * 1000:.0f} ms", "aim < 1000 ms"),
        (f"large survey: {PAGES} pages, {blocks} blocks", "", ""),
        ("  snapshot → tree built and navigable", f"{f['large_tree_s'] * 1000:.0f} ms", "aim < 1000 ms"),  # noqa: E501
        ("    validating the snapshot (core, in a thread)", f"{phases.get('validate_s', 0) * 1000:.0f} ms", ""),  # noqa: E501
        ("    merging it into the store (core)", f"{phases.get('store_load_s', 0) * 1000:.0f} ms", ""),  # noqa: E501
        ("    building the tree (TUI)", f"{phases.get('tree_build_s', 0) * 1000:.0f} ms", ""),
        ("  nodes built (pages are lazy)", str(f["nodes_built"]), ""),
        ("  expand all pages", f"{f['expand_all_s'] * 1000:.0f} ms", f"{f['nodes_after_expand_all']} nodes"),  # noqa: E501
        (f"streaming {f['events_per_s']:.0f} events/s for {args.seconds:g} s", f"{f['events_sent']} events", ""),  # noqa: E501
        ("  flushes", str(f["flushes"]), ""),
        ("  flush time median / max", f"{f['flush_ms_median']:.1f} / {f['flush_ms_max']:.1f} ms", "aim < 50 ms"),  # noqa: E501
        ("  event-loop lag median / p95 / max",
         f"{f['loop_lag_ms_median']:.1f} / {f['loop_lag_ms_p95']:.1f} / {f['loop_lag_ms_max']:.1f} ms", ""),  # noqa: E501
    ]  # fmt: skip
    up = startup()
    budget = 2 * up["json_s"] + up["work_s"]
    rows += [
        ("qtui replay --print (bundled recording)", f"{up['replay_s'] * 1000:.0f} ms", ""),
        ('  python -c "import json" / the work in-process',
         f"{up['json_s'] * 1000:.0f} / {up['work_s'] * 1000:.0f} ms", ""),
        ("  replay / (2 x import json + work)", f"{up['replay_s'] / budget:.2f}", "aim < 1"),
    ]  # fmt: skip
    for what, figure, note in rows:
        print(f"{what:<50} {figure:>22}  {note}")


if __name__ == "__main__":
    asyncio.run(main())
