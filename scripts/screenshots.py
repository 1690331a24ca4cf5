"""Screenshots of the real app, as SVG, into screenshots/.

    python scripts/screenshots.py [--png]

Drives the app headless (`App.run_test`) with a recorded stream pushed in-process and a fixed
clock, so the pictures are the same on every machine. `--png` also renders PNGs beside them
(needs `pip install -e ".[screenshots]"`), to look at them without a browser.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from qtui.config import Settings, UISettings
from qtui.recording import read_stream
from qtui.tui.app import QtuiApp
from qtui.tui.clock import Clock
from qtui.tui.sources import FeedSource

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots"
SERVERS = contextlib.AsyncExitStack()  # servers a shot starts, stopped after the last shot
SAMPLE = ROOT / "qtui" / "samples" / "screener-run.jsonl"


def envelopes() -> list[dict[str, Any]]:
    if SAMPLE.exists():
        return [line.envelope for line in read_stream(SAMPLE) if line.envelope is not None]
    from tests.tui.envelopes import screener_stream  # the tests' hand-built stream

    return screener_stream()


async def shoot(
    name: str,
    size: tuple[int, int],
    prepare: Callable[[QtuiApp, Any], Awaitable[None]],
    *,
    upto: int | None = None,
    theme: str = "qtui-dark",
    **settings: Any,
) -> Path:
    events = envelopes()[:upto]
    feed = FeedSource()
    from datetime import datetime

    last = datetime.fromisoformat(events[-1]["timestamp"])
    app = QtuiApp(
        feed,
        settings=Settings.model_construct(
            theme=theme, ui=UISettings(coalesce_ms=16, flash_ms=0), **settings
        ),
        clock=Clock.fixed(last),
    )
    async with app.run_test(size=size) as pilot:
        feed.push(*events)
        await caught_up(app, pilot)
        await prepare(app, pilot)
        await pilot.pause(0.2)
        path = OUT / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"qtui — {name}"))
    return path


async def caught_up(app: QtuiApp, pilot: Any) -> None:
    """Wait for the events to reach the view and for the route check that follows."""
    for _ in range(500):
        await pilot.pause(0.02)
        if app.view_is_current and app.problems_idle and app.survey_id:
            break
    await pilot.pause()


def first_page_with(app: QtuiApp, kind: str) -> str | None:
    for page in app.store.pages(app.survey_id or ""):
        items = app.store.blocks(page.id) if kind == "block" else app.store.rules(page.id)
        if items:
            return items[-1].id if kind == "block" else items[0].id
    return None


async def nothing(app: QtuiApp, pilot: Any) -> None:
    pages = app.store.pages(app.survey_id or "")
    if pages:
        app.tree.select_item("page", pages[0].id)
        app.tree.cursor_node.expand()  # type: ignore[union-attr]
        app.tree.move_cursor(app.tree.root)


async def block_detail(app: QtuiApp, pilot: Any) -> None:
    block = next(
        (
            b.id
            for p in app.store.pages(app.survey_id or "")
            for b in app.store.blocks(p.id)
            if b.config.options
        ),
        first_page_with(app, "block"),
    )
    if block:
        app.tree.select_item("block", block)


async def rule_detail(app: QtuiApp, pilot: Any) -> None:
    rule = next(
        (
            r.id
            for p in app.store.pages(app.survey_id or "")
            for r in app.store.rules(p.id)
            if r.condition
        ),
        None,
    )
    if rule:
        app.tree.select_item("rule", rule)


async def event_json(app: QtuiApp, pilot: Any) -> None:
    await nothing(app, pilot)
    app.query_one("#log").focus()
    await pilot.press("up", "up", "enter")


async def help_screen(app: QtuiApp, pilot: Any) -> None:
    await pilot.press("f1")


def page_named(app: QtuiApp, name: str) -> str:
    """The id of the sample's page called `name` ("" when the stream has no such page)."""
    return next((p.id for p in app.store.pages(app.survey_id or "") if p.name == name), "")


async def with_problems(app: QtuiApp, pilot: Any) -> None:
    """Three slips a programmer makes: a misspelt variable, a missing bracket and a
    condition dropped (so the page after it can no longer be reached)."""
    from datetime import datetime, timedelta

    assert isinstance(app.source, FeedSource)
    moment = app.latest_event_at or datetime.now()
    edits = {
        "Brand usage": "is_heavy_viewr",
        "Price sensitivity": "q23.value not in ['cancel', 'switch'",
        "Household": None,
    }
    envelopes = []
    for name, condition in edits.items():
        rules = app.store.rules(page_named(app, name))
        if not rules:
            continue
        moment += timedelta(seconds=1)
        stamp = moment.isoformat().replace("+00:00", "Z")
        data = rules[0].dump() | {"condition": condition, "updated_at": stamp}
        envelopes.append({"event": "navigation_rule.updated", "timestamp": stamp, "data": data})
    app.source.push(*envelopes)
    await caught_up(app, pilot)


async def problems_tree(app: QtuiApp, pilot: Any) -> None:
    await with_problems(app, pilot)
    app.tree.collapse_all_pages()
    page_id = page_named(app, "Children's viewing")
    if page_id:
        app.go_to_item("page", page_id)


async def problems_list(app: QtuiApp, pilot: Any) -> None:
    await with_problems(app, pilot)
    await pilot.press("x")


async def edit_form(app: QtuiApp, pilot: Any, kind: str) -> None:
    from qtui.editing.local import LocalEditor

    app.editing.attach(LocalEditor(app.editing.item_dump, app.survey_id or ""))
    survey = app.store.survey(app.survey_id or "")
    assert survey is not None
    if kind == "block":
        item = next(b for b in survey.blocks() if b.type == "MultipleChoice")
        app.go_to_item("block", item.id)
    else:
        rule = next(r for r in survey.rules() if r.condition)
        app.go_to_item("rule", rule.id)
    await pilot.press("E")
    await pilot.pause(0.3)


async def edit_block(app: QtuiApp, pilot: Any) -> None:
    await edit_form(app, pilot, "block")


async def edit_rule(app: QtuiApp, pilot: Any) -> None:
    await edit_form(app, pilot, "rule")


async def push_screen(app: QtuiApp, pilot: Any, *, push: bool) -> None:
    await pilot.press("P")
    for _ in range(500):
        await pilot.pause(0.02)
        if getattr(app.screen, "state", "planning") not in ("planning",):
            break
    if push:
        await pilot.press("A")  # the recorded run has a rule the compiler leaves out
        await pilot.press("y")
        for _ in range(1500):
            await pilot.pause(0.02)
            if getattr(app.screen, "state", "") in ("done", "failed"):
                break
    await pilot.pause(0.2)


async def push_plan(app: QtuiApp, pilot: Any) -> None:
    await push_screen(app, pilot, push=False)


async def push_result(app: QtuiApp, pilot: Any) -> None:
    await push_screen(app, pilot, push=True)


async def push_shots() -> list[Path]:
    """The push screen against a Qualtrics sandbox on loopback, with its own push state."""
    import os
    import tempfile

    from pydantic import SecretStr
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from qtui.config import QualtricsSettings
    from qtui.sandbox.qualtrics import QualtricsSandbox
    from qtui.serving import start_in_thread

    sandbox = QualtricsSandbox()
    running = start_in_thread(Starlette(routes=[Mount("/API/v3", app=sandbox.app)]))
    qualtrics = QualtricsSettings(base_url=running.url, token=SecretStr(sandbox.token))
    with tempfile.TemporaryDirectory() as data:
        os.environ["XDG_DATA_HOME"] = data
        try:
            return [
                await shoot("push-plan", (120, 40), push_plan, qualtrics=qualtrics),
                await shoot("push-result", (120, 40), push_result, qualtrics=qualtrics),
            ]
        finally:
            running.stop()


async def fieldwork(app: QtuiApp, pilot: Any) -> None:
    """The survey in the field: pushed to a Qualtrics sandbox on loopback, walked by
    simulated respondents along its routes, their callbacks and Oktave incidents through a
    relay; the screen follows the relay exactly as in the demo."""
    import tempfile

    import httpx
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from qtui.demo import subscribe_everything
    from qtui.fieldwork.demo import route_answers
    from qtui.qualtrics.client import QualtricsClient
    from qtui.qualtrics.push import push_survey
    from qtui.qualtrics.state import PushState
    from qtui.relay.app import create_relay_app
    from qtui.relay.log import EventLog
    from qtui.relay.sources import oktave_source, qualtrics_source
    from qtui.sandbox import oktave
    from qtui.sandbox.fieldwork import FieldworkSimulator
    from qtui.sandbox.qualtrics import QualtricsSandbox
    from qtui.serving import serving
    from qtui.tui.fieldwork import FieldworkAvailable, FieldworkConfig

    survey = app.store.survey(app.survey_id or "")
    assert survey is not None
    work = Path(tempfile.mkdtemp(prefix="qtui-shot-"))
    log = EventLog(work / "relay.db")
    relay_app = create_relay_app(
        log=log, secret="s", extra_sources=[oktave_source("ok"), qualtrics_source(["hs"])]
    )
    sandbox = QualtricsSandbox(strict=False, seed=3)
    sandbox.subscriptions.backoff_s = 0.01
    # The servers stay up until every shot is taken, so the screen is pictured live.
    enter = SERVERS.enter_async_context
    SERVERS.callback(log.close)
    relay = await enter(serving(relay_app))
    server = await enter(serving(Starlette(routes=[Mount("/API/v3", app=sandbox.app)])))
    client = await enter(QualtricsClient(server.url, sandbox.token))
    http = await enter(httpx.AsyncClient())
    subscribe_everything(sandbox, relay.url, "hs")
    state = PushState.load(survey.id, client.base_url, directory=work)
    report = await push_survey(client, survey, state=state)
    plan = route_answers(survey)
    plan.page_delay = (0.0, 0.0)
    emitter = oktave.OktaveEmitter(f"{relay.url}/hooks/oktave", "ok", http)
    simulator = FieldworkSimulator(
        client, report.qualtrics_survey_id or "", plan=plan, seed=5, emitter=emitter
    )
    await simulator.run(count=160, rate=400)
    await sandbox.subscriptions.drain()
    config = FieldworkConfig(relay.ws_url, None, client.base_url, sandbox.token)
    app.post_message(FieldworkAvailable(config))
    for _ in range(400):
        await pilot.pause(0.05)
        tally = app.fieldwork.tally()
        if tally and len(tally.respondents()) >= 160 and not tally.wants_detail():
            break
    await pilot.press("F")
    await pilot.pause(1.0)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--png", action="store_true", help="also write PNGs (needs cairosvg)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    total = len(envelopes())
    shots = [
        await shoot("programming", (120, 40), nothing, upto=max(total * 2 // 3, 1)),
        await shoot("block-detail", (120, 40), block_detail),
        await shoot("rule-condition", (120, 40), rule_detail),
        await shoot("event-json", (120, 40), event_json),
        await shoot("help", (120, 40), help_screen),
        await shoot("small-80x24", (80, 24), block_detail),
        await shoot("high-contrast", (120, 40), block_detail, theme="qtui-high-contrast"),
        await shoot("problems", (120, 40), problems_tree),
        await shoot("problems-list", (120, 40), problems_list),
        await shoot("edit-block", (120, 40), edit_block),
        await shoot("edit-rule", (120, 40), edit_rule),
        *await push_shots(),
        await shoot("fieldwork", (120, 40), fieldwork),
    ]
    await SERVERS.aclose()
    for path in shots:
        print(path.relative_to(ROOT))
        if args.png:
            import cairosvg

            # cairosvg does not read the font list Rich writes ("Fira Code, monospace") and
            # falls back to a proportional face, which makes columns look misaligned: name a
            # monospace face it can find instead.
            svg = path.read_text().replace(
                "font-family: Fira Code, monospace;", "font-family: DejaVu Sans Mono, monospace;"
            )
            cairosvg.svg2png(bytestring=svg.encode(), write_to=str(path.with_suffix(".png")))


if __name__ == "__main__":
    asyncio.run(main())
