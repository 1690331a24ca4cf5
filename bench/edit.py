"""Editing speed: keypress-to-screen in a form on a 1,000-page survey under 200 events/s, and
the time from an edit sent to its confirming webhook through the sandbox and relay.

    python bench/edit.py [--keys 60] [--rate 200] [--edits 20]

Runs the real app headless (`App.run_test`). Prints figures and ratios against a bare
baseline of the same stack, run side by side: a plain Textual app with one Input (the same
keys, no survey, no stream), and for confirmation the REST answer alone (what the edit costs
without waiting for the webhook). Never passes or fails on time. Aim: p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Input

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `python bench/edit.py`

from bench.tui import BLOCKS_PER_PAGE, SURVEY, T0, block, large_survey, settings, stamp
from qtui.core import edits
from qtui.editing.local import LocalEditor
from qtui.tui.app import QtuiApp
from qtui.tui.clock import Clock
from qtui.tui.sources import DemoSource, FeedSource

PAGES = 1_000
TEXT = "Which streaming services do you pay for yourself? "


class BareInput(App[None]):
    """The baseline: Textual and one Input, nothing of qtui."""

    def compose(self) -> ComposeResult:
        yield Input(id="field")


def quantiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    return (
        statistics.median(ordered) * 1000,
        ordered[int(len(ordered) * 0.95)] * 1000,
        ordered[-1] * 1000,
    )


async def type_keys(app: App[Any], field: Input, count: int) -> list[float]:
    """Time each key from its arrival at the app to the field's first line drawn with it.

    The key is posted as the terminal driver posts it; a spy on the field's `render_line`
    notes when the line holding the new text is rendered for the screen.
    """
    out: list[float] = []
    original = field.render_line
    drawn: list[float] = []
    watching = {"before": field.value}

    def spy(y: int) -> Any:
        if field.value != watching["before"]:
            drawn.append(time.perf_counter())
        return original(y)

    field.render_line = spy  # type: ignore[method-assign]
    try:
        for i in range(count):
            char = TEXT[i % len(TEXT)]
            watching["before"] = field.value
            drawn.clear()
            started = time.perf_counter()
            app.post_message(events.Key("space" if char == " " else char, char))
            while not drawn:
                await asyncio.sleep(0.0005)
            out.append(drawn[0] - started)
            await asyncio.sleep(0.02)  # a typist's pace, not a flood
    finally:
        field.render_line = original  # type: ignore[method-assign]
    return out


async def bare_keys(count: int) -> list[float]:
    app = BareInput()
    async with app.run_test(size=(120, 40)) as pilot:
        field = app.query_one(Input)
        field.focus()
        await pilot.pause()
        return await type_keys(app, field, count)


async def stream(feed: FeedSource, rate: int, stop: asyncio.Event) -> int:
    """`rate` block updates a second in 20 batches, paced by the clock."""
    moment = T0 + timedelta(seconds=1)
    per_batch = max(1, rate // 20)
    sent, n, tick = 0, 0, 0
    started = time.perf_counter()
    while not stop.is_set():
        batch = []
        for _ in range(per_batch):
            moment += timedelta(milliseconds=1)
            page = (n * 7) % PAGES
            data = block(page, n % BLOCKS_PER_PAGE, moment, f"Reworded {n}")
            batch.append({"event": "block.updated", "timestamp": stamp(moment), "data": data})
            n += 1
        feed.push(*batch)
        sent += len(batch)
        tick += 1
        await asyncio.sleep(max(0.0, started + tick * 0.05 - time.perf_counter()))
    return sent


async def form_keys(count: int, rate: int) -> dict[str, Any]:
    feed = FeedSource()
    app = QtuiApp(feed, survey_id=SURVEY, settings=settings(), clock=Clock())
    snapshot = large_survey()
    snapshot["pages"] = snapshot["pages"][:PAGES]
    figures: dict[str, Any] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        feed.load(snapshot)
        while len(app.tree.labels()) < PAGES:
            await pilot.pause(0.01)
        app.editing.attach(LocalEditor(app.editing.item_dump, SURVEY))
        stop = asyncio.Event()
        sender = asyncio.create_task(stream(feed, rate, stop))
        started = time.perf_counter()
        app.go_to_item("block", f"b{PAGES // 2}-3")
        await pilot.press("E")
        while type(app.screen).__name__ != "BlockForm":
            await pilot.pause(0.005)
        figures["open_form_ms"] = (time.perf_counter() - started) * 1000
        label = app.screen.query_one("#f-label", Input)
        label.focus()
        await pilot.pause()
        figures["label"] = await type_keys(app, label, count)
        condition = app.screen.query_one("#f-showIf", Input)
        condition.focus()
        await pilot.pause()
        figures["condition"] = await type_keys(app, condition, count)
        stop.set()
        figures["events_sent"] = await sender
        figures["seconds"] = time.perf_counter() - started
    return figures


async def confirmations(count: int) -> dict[str, list[float]]:
    """Edits sent through the app to the demo's sandbox; answered vs confirmed by webhook."""
    source = DemoSource(speed=200, questionnaire="screener")
    app = QtuiApp(source, settings=settings(), clock=Clock())
    answered: list[float] = []
    confirmed: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        while True:
            record = app.store.survey_record(app.survey_id or "")
            if record is not None and record.status == "reviewing" and not record.locked:
                break
            await pilot.pause(0.05)
        survey = app.store.survey(app.survey_id or "")
        assert survey is not None
        question = next(b for b in survey.blocks() if b.is_question)
        for i in range(count):
            before = app.editing.item_dump("block", question.id) or {}
            config = {**before["config"], "label": f"Edited {i}"}
            edit = edits.update("block", before, {**before, "config": config})
            assert edit is not None
            sent = time.monotonic()
            outcome = await app.editing.submit(edit)
            answer = time.monotonic()
            assert outcome.status == "sent", outcome.message
            while ("block", question.id) in app.editing.pending:
                await asyncio.sleep(0.0005)
            seen = app.editing.seen_at.get(("block", question.id), answer)
            answered.append(answer - sent)
            confirmed.append(max(seen, sent) - sent if seen >= sent else answer - sent)
            await pilot.pause(0.01)
    return {"answered": answered, "confirmed": confirmed}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=60)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    bare = await bare_keys(args.keys)
    form = await form_keys(args.keys, args.rate)
    sent = await confirmations(args.edits)
    b50, b95, bmax = quantiles(bare)
    rate = form["events_sent"] / form["seconds"]
    print(f"keypress → screen, {PAGES} pages × {BLOCKS_PER_PAGE} blocks, {rate:.0f} events/s live")
    print(f"  open the block form (E)               {form['open_form_ms']:8.1f} ms")
    print(f"  bare Textual Input (baseline)  p50 {b50:6.1f}  p95 {b95:6.1f}  max {bmax:6.1f} ms")
    for what in ("label", "condition"):
        p50, p95, worst = quantiles(form[what])
        print(
            f"  form field: {what:<10}          p50 {p50:6.1f}  p95 {p95:6.1f}  max {worst:6.1f} ms"
            f"   p95 ×{p95 / b95:.1f} baseline   (aim p95 < 50 ms)"
        )
    a50, a95, _ = quantiles(sent["answered"])
    c50, c95, cmax = quantiles(sent["confirmed"])
    print(f"edit sent → confirmed through sandbox + relay (loopback), {args.edits} edits")
    print(f"  REST answer alone (baseline)   p50 {a50:6.1f}  p95 {a95:6.1f} ms")
    print(
        f"  confirming webhook in the app  p50 {c50:6.1f}  p95 {c95:6.1f}  max {cmax:6.1f} ms"
        f"   p50 ×{c50 / a50:.1f} baseline"
    )


if __name__ == "__main__":
    asyncio.run(main())
