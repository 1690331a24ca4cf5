"""TUI speed: first paint, a 21,000-block survey, and the flush cost under 500 events/s.

    python bench/tui.py [--seconds 5] [--rate 500]

Runs the real app headless (`App.run_test`) fed in-process: the stream comes from another
thread, each event its own message, as the relay subscriber posts them (so the sender never
shares the app's event loop). Prints figures beside bare Textual's; never passes or fails on
time. Aims: first paint < 1 s, large tree navigable < 1 s, flush < 50 ms, and
`qtui replay --print` start-up under 2x `python -c "import json"` + the work.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.message import Message
from textual.widgets import Tree

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


async def press(app: App[Any], key: str, done: Callable[[], bool]) -> float:
    """Send `key` as the terminal would and wait until `done()`: the time the key took.

    Not `Pilot.press`, which also waits for the whole process to go idle, i.e. for any
    work still going on in threads."""
    started = time.perf_counter()
    app.post_message(events.Key(key, None))
    while not done():
        await asyncio.sleep(0.001)
    return time.perf_counter() - started


async def navigate(app: App[Any], tree: Tree[Any]) -> float:
    """`end`, `home`, `down`, `enter` (moves and opens a page); the slowest key's time."""

    def last() -> bool:
        return tree.cursor_line == len(tree._tree_lines) - 1

    def opened() -> bool:
        return tree.cursor_node is not None and tree.cursor_node.is_expanded

    return max(
        [
            await press(app, "end", last),
            await press(app, "home", lambda: tree.cursor_line == 0),
            await press(app, "down", lambda: tree.cursor_line == 1),
            await press(app, "enter", opened),
        ]
    )


class BareTree(App[None]):
    """The baseline: Textual's own `Tree`, one plain line per page, filled from the raw
    snapshot (no validation, no store); a page's blocks (their ids) are added when it opens.
    """

    def compose(self) -> ComposeResult:
        yield Tree("survey")

    def show(self, snapshot: dict[str, Any]) -> None:
        tree = self.query_one(Tree)
        for number, page in enumerate(snapshot["pages"], start=1):
            label = f"{number}. {page['name']}  {len(page['blocks'])} blocks"
            tree.root.add(label, data=page["blocks"], allow_expand=True)
        tree.root.expand()
        tree.focus()

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Any]) -> None:
        node = event.node
        if node.data and not node.children:
            for block in node.data:
                node.add_leaf(block["id"])


class BareFrame(Message):
    def __init__(self, envelope: dict[str, Any]) -> None:
        super().__init__()
        self.envelope = envelope


class BareStream(BareTree):
    """The baseline of a flush: the same events, each its own message, coalesced as often,
    each relabelling its block's line with `set_label` (no parsing, no store)."""

    def __init__(self) -> None:
        super().__init__()
        self.queued: list[dict[str, Any]] = []
        self.flush_seconds: list[float] = []
        self.timer: Any = None
        self.nodes: dict[str, Any] = {}
        self.received = 0

    def show(self, snapshot: dict[str, Any]) -> None:
        super().show(snapshot)
        tree = self.query_one(Tree)
        for page in tree.root.children:
            for block in page.data:
                self.nodes[block["id"]] = page.add_leaf(block["id"])
            page.expand()

    def on_bare_frame(self, message: BareFrame) -> None:
        self.received += 1
        self.queued.append(message.envelope)
        if self.timer is None:
            self.timer = self.set_timer(settings().ui.coalesce_ms / 1000, self.flush)

    def flush(self) -> None:
        started = time.perf_counter()
        self.timer = None
        queued, self.queued = self.queued, []
        for envelope in queued:
            data = envelope["data"]
            self.nodes[data["id"]].set_label(f"{data['id']}  {data['config']['label']}")
        self.flush_seconds.append(time.perf_counter() - started)


async def bare_stream(seconds: float, rate: int) -> dict[str, float]:
    app = BareStream()
    async with app.run_test(size=(120, 40)) as pilot:
        app.show(large_survey())
        await pilot.pause()
        expected = int(seconds * rate)
        figures = await stream(
            lambda envelope: app.post_message(BareFrame(envelope)),
            seconds,
            rate,
            lambda: app.received == expected and app.timer is None,
        )
        figures["flush_ms_median"] = statistics.median(app.flush_seconds) * 1000
        figures["flush_ms_max"] = max(app.flush_seconds) * 1000
        return figures


async def bare_large_tree() -> dict[str, float]:
    app = BareTree()
    snapshot = large_survey()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        tree = app.query_one(Tree)
        started = time.perf_counter()
        app.call_later(app.show, snapshot)
        while len(tree.root.children) < PAGES:
            await asyncio.sleep(0.001)
        shown = time.perf_counter() - started
        slowest_key = await navigate(app, tree)
        return {
            "rows_s": shown,
            "navigable_s": time.perf_counter() - started,
            "slowest_key_s": slowest_key,
        }


async def probe(lags: list[float], stop: asyncio.Event) -> None:
    """How late the event loop wakes from 10 ms sleeps, until `stop`."""
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append(time.perf_counter() - before - 0.01)


def updates(seconds: float, rate: int) -> list[dict[str, Any]]:
    """`rate` block updates a second for `seconds`, built before the clock starts."""
    moment = T0 + timedelta(seconds=1)
    envelopes = []
    for n in range(int(seconds * rate)):
        moment += timedelta(milliseconds=1)
        page = (n * 7) % PAGES
        envelopes.append(
            {
                "event": "block.updated",
                "timestamp": stamp(moment),
                "data": block(page, n % BLOCKS_PER_PAGE, moment, f"Reworded {n}"),
            }
        )
    return envelopes


def send(
    post: Callable[[dict[str, Any]], object], envelopes: list[dict[str, Any]], rate: int
) -> None:
    """Post each envelope as its own message at `rate` a second, from this (another) thread,
    as the relay subscriber posts each frame: paced by the clock, so a slow app cannot slow
    the sender down, and sending costs the app's event loop nothing."""
    started = time.perf_counter()
    for n, envelope in enumerate(envelopes):
        due = started + n / rate
        wait = due - time.perf_counter()
        if wait > 0.002:
            time.sleep(wait)
        post(envelope)


class FullPasses:
    """The cyclic collector's full (oldest-generation) passes while counting: how many, and
    how long the slowest took."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds.append(time.perf_counter() - self._started)

    def __enter__(self) -> FullPasses:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


async def stream(
    post: Callable[[dict[str, Any]], object], seconds: float, rate: int, current: Callable[[], bool]
) -> dict[str, float]:
    """`rate` block updates per second, each posted from a thread as its own message, while
    a probe measures how late the event loop wakes up (what a key press would wait)."""
    envelopes = updates(seconds, rate)
    lags: list[float] = []
    stop = asyncio.Event()
    probe_task = asyncio.create_task(probe(lags, stop))
    t_start = time.perf_counter()
    with FullPasses() as passes:
        await asyncio.to_thread(send, post, envelopes, rate)
        sent_s = time.perf_counter() - t_start
        while not current():
            await asyncio.sleep(0.01)
    stop.set()
    await probe_task
    return {
        "events_sent": len(envelopes),
        "events_per_s": len(envelopes) / sent_s,
        "loop_lag_ms_median": statistics.median(lags) * 1000,
        "loop_lag_ms_p95": sorted(lags)[int(len(lags) * 0.95)] * 1000,
        "loop_lag_ms_max": max(lags) * 1000,
        "gc_full_passes": len(passes.seconds),
        "gc_full_ms_max": max(passes.seconds, default=0) * 1000,
    }


async def large_tree(seconds: float, rate: int, profile: bool = False) -> dict[str, Any]:
    feed = FeedSource()
    app = QtuiApp(feed, survey_id=SURVEY, settings=settings(), clock=Clock())
    figures: dict[str, Any] = {}
    snapshot = large_survey()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        load_lags: list[float] = []
        stop = asyncio.Event()
        probe_task = asyncio.create_task(probe(load_lags, stop))
        started = time.perf_counter()
        feed.load(snapshot)
        while len(app.tree.labels()) < PAGES:
            await asyncio.sleep(0.001)
        figures["rows_s"] = time.perf_counter() - started
        figures["slowest_key_s"] = await navigate(app, app.tree)
        figures["large_tree_s"] = time.perf_counter() - started
        while not app.view_is_current:
            await asyncio.sleep(0.001)
        figures["loaded_s"] = time.perf_counter() - started
        stop.set()
        await probe_task
        figures["load_lag_ms_p95"] = sorted(load_lags)[int(len(load_lags) * 0.95)] * 1000
        figures["load_lag_ms_max"] = max(load_lags) * 1000
        await pilot.pause()
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

        app.flush_seconds.clear()
        profiler = cProfile.Profile() if profile else None
        if profiler is not None:
            flush = app.flush

            def profiled() -> None:
                profiler.runcall(flush)

            app.flush = profiled  # type: ignore[method-assign]
        expected = app.received + int(seconds * rate)
        figures.update(
            await stream(
                feed.push, seconds, rate, lambda: app.received == expected and app.view_is_current
            )
        )
        figures["flushes"] = len(app.flush_seconds)
        figures["flush_ms_median"] = statistics.median(app.flush_seconds) * 1000
        figures["flush_ms_max"] = max(app.flush_seconds) * 1000
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
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


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--profile", action="store_true", help="print a profile of the flushes")
    args = parser.parse_args()
    paint = await first_paint()
    bare = await bare_large_tree()
    f = await large_tree(args.seconds, args.rate, args.profile)
    bare_f = await bare_stream(args.seconds, args.rate)
    phases = f["phases"]
    blocks = PAGES * BLOCKS_PER_PAGE

    def vs(ours: float, base: float, unit: str = "ms") -> str:
        return f"{ours:.0f} / {base:.0f} {unit}  x{ours / base:.1f}" if base else f"{ours:.0f}"

    lag = "loop_lag_ms"
    rows = [  # noqa: E501 - one row per figure reads better than wrapped calls
        ("first paint (headless, 120x40)", ms(paint), "aim < 1000 ms"),
        (f"large survey: {PAGES} pages, {blocks} blocks", "qtui / bare Textual", ""),
        ("  snapshot → page rows shown", vs(f["rows_s"] * 1000, bare["rows_s"] * 1000), ""),
        ("  snapshot → navigable (end home down enter)", vs(f["large_tree_s"] * 1000, bare["navigable_s"] * 1000), "aim < 1000 ms"),  # noqa: E501
        ("    slowest of those keys", vs(f["slowest_key_s"] * 1000, bare["slowest_key_s"] * 1000), ""),  # noqa: E501
        ("  snapshot → every page's contents loaded", ms(f["loaded_s"]), ""),
        ("    event-loop lag meanwhile p95 / max", f"{f['load_lag_ms_p95']:.0f} / {f['load_lag_ms_max']:.0f} ms", ""),  # noqa: E501
        ("    validating (core, in a thread, all parts)", ms(phases.get("validate_s", 0)), ""),
        ("    merging into the store (core, all parts)", ms(phases.get("store_load_s", 0)), ""),
        ("    building the page list (TUI)", ms(phases.get("tree_build_s", 0)), ""),
        ("    patching the tree once all arrived (TUI)", ms(phases.get("tree_resync_s", 0)), ""),
        ("  nodes built (pages are lazy)", str(f["nodes_built"]), ""),
        ("  expand all pages", ms(f["expand_all_s"]), f"{f['nodes_after_expand_all']} nodes"),
        (f"streaming {f['events_per_s']:.0f} events/s for {args.seconds:g} s", f"{f['events_sent']} events", f"bare: {bare_f['events_per_s']:.0f}/s"),  # noqa: E501
        ("  flushes", str(f["flushes"]), ""),
        ("  full GC passes, the slowest", f"{f['gc_full_passes']}, {f['gc_full_ms_max']:.0f} ms", f"bare: {bare_f['gc_full_passes']}, {bare_f['gc_full_ms_max']:.0f} ms"),  # noqa: E501
        ("  flush time median", vs(f["flush_ms_median"], bare_f["flush_ms_median"]), ""),
        ("  flush time max", vs(f["flush_ms_max"], bare_f["flush_ms_max"]), "aim < 50 ms"),
        ("  event-loop lag median", vs(f[f"{lag}_median"], bare_f[f"{lag}_median"]), ""),
        ("  event-loop lag p95", vs(f[f"{lag}_p95"], bare_f[f"{lag}_p95"]), ""),
        ("  event-loop lag max", vs(f[f"{lag}_max"], bare_f[f"{lag}_max"]), ""),
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
        print(f"{what:<50} {figure:>26}  {note}")


if __name__ == "__main__":
    asyncio.run(main())
