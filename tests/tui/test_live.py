"""The TUI on a real relay over loopback: a restart mid-stream loses and doubles nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from qtui.questra.signing import sign
from qtui.relay.app import create_relay_app
from qtui.relay.log import EventLog
from qtui.serving import RunningServer, serve_in_loop
from qtui.tui.sources import LiveSource
from tests.tui.conftest import make_app, settle, until
from tests.tui.envelopes import SURVEY, screener_stream

SECRET = "tui-test-secret"


async def deliver(url: str, envelope: dict) -> None:  # type: ignore[type-arg]
    body = json.dumps(envelope).encode()
    headers = {"Content-Type": "application/json", "X-Questra-Signature": sign(body, SECRET)}
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.post("/hooks/questra", content=body, headers=headers)
    assert response.status_code == 200, response.text


@asynccontextmanager
async def questra_and_relay(
    tmp_path: Path,
) -> AsyncIterator[tuple[Any, RunningServer, RunningServer]]:
    """A Questra sandbox (key qk_test, org org_test) and a relay, both served on loopback;
    yields (the sandbox, its server, the relay's server)."""
    import math

    from qtui.sandbox.questra.sandbox import QuestraSandbox

    questra = QuestraSandbox("qk_test", "org_test", speed=math.inf)
    log = EventLog(tmp_path / "relay.db")
    relay = await serve_in_loop(create_relay_app(log=log, secret=SECRET))
    api = await serve_in_loop(questra.app)
    try:
        yield questra, api, relay
    finally:
        await api.aclose()
        await relay.aclose()
        log.close()


def live_source(
    api: RunningServer, relay: RunningServer, survey: str, **options: Any
) -> LiveSource:
    """`qtui watch` on that sandbox and relay, as org_test."""
    return LiveSource(
        questra_url=api.url,
        api_key="qk_test",
        org_id="org_test",
        relay_ws_url=relay.ws_url,
        relay_token=None,
        survey=survey,
        **options,
    )


async def test_relay_restart_mid_stream_loses_and_doubles_no_event(tmp_path: Path) -> None:
    stream = screener_stream()
    first, rest = stream[:8], stream[8:]
    log = EventLog(tmp_path / "relay.db")
    relay = await serve_in_loop(create_relay_app(log=log, secret=SECRET))
    source = LiveSource(
        questra_url=None,
        api_key=None,
        org_id=None,
        relay_ws_url=relay.ws_url,
        relay_token=None,
        survey=SURVEY,
        subscriber_options={"backoff_initial": 0.05, "backoff_max": 0.2},
    )
    app = make_app(source)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.connection.status == "live")
            for envelope in first:
                await deliver(relay.url, envelope)
            await until(pilot, lambda: app.received == len(first))
            port = relay.port
            await relay.aclose()
            await until(pilot, lambda: app.connection.status == "reconnecting")
            relay = await serve_in_loop(create_relay_app(log=log, secret=SECRET), port=port)
            for envelope in rest:
                await deliver(relay.url, envelope)
            await until(pilot, lambda: app.received == len(stream))
            await until(pilot, lambda: app.connection.status == "live")
            await settle(pilot, app)
            seqs = [entry.frame.seq for entry in app.query_one("#log").entries]  # type: ignore[attr-defined]
            assert seqs == list(range(1, len(stream) + 1))
            assert all(entry.frame.verified for entry in app.query_one("#log").entries)  # type: ignore[attr-defined]
            assert len(app.tree.labels()) == 4
            assert app.tree.labels()[2] == "⠋ 3. Satisfaction  1 block"
    finally:
        await relay.aclose()
        log.close()


async def test_demo_runs_to_reviewing_and_the_tree_matches_the_sandbox(
    tmp_path: Path,
) -> None:
    import pytest

    client_module = pytest.importorskip("qtui.questra.client")
    from qtui.core.models import Survey
    from qtui.tui.sources import DemoSource

    source = DemoSource(speed=200.0, seed=1, questionnaire="screener")
    app = make_app(source, survey_id=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: source.demo is not None, rounds=1500)
        await until(
            pilot,
            lambda: str(app.store.progress(app.survey_id or "").status) == "reviewing",
            rounds=3000,
        )
        await settle(pilot, app)
        demo = source.demo
        async with client_module.QuestraClient(demo.questra_url, demo.api_key, demo.org_id) as c:
            truth = Survey.model_validate(await c.get_survey(demo.survey_id))
        pages = truth.pages
        shown = app.tree.labels()
        assert [label.split(". ", 1)[1].split("  ")[0] for label in shown[: len(pages)]] == [
            p.name for p in pages
        ]
        for page in pages:
            assert app.tree.select_item("page", page.id)
            node = app.tree.node_for(("page", page.id))
            node.expand()  # type: ignore[union-attr]
            await pilot.pause()
            ids = [child.data.id for child in node.children]  # type: ignore[union-attr]
            assert ids == [b.id for b in page.blocks] + [r.id for r in page.navigation_rules]
        assert app.query_one("#progress").has_class("-completed")


async def test_a_reconnect_reloads_the_snapshot_so_events_the_relay_never_got_still_show(
    tmp_path: Path,
) -> None:
    """Questra gives up on a webhook after its retries; the REST snapshot fills the gap."""
    import math

    from qtui.questra.client import QuestraClient
    from qtui.sandbox.questra import QuestraSandbox
    from qtui.sandbox.server import create_sandbox_app

    sandbox = QuestraSandbox(speed=math.inf, seed=7, retry_delays=(0.01, 0.01))
    questra = await serve_in_loop(create_sandbox_app(sandbox))
    log = EventLog(tmp_path / "relay.db")
    relay = await serve_in_loop(create_relay_app(log=log, secret=SECRET))
    client = QuestraClient(questra.url, sandbox.api_key, sandbox.org_id, max_retries=0)
    try:
        await client.create_webhook(url=f"{relay.url}/hooks/questra", secret=SECRET)
        survey = await client.create_survey("CSAT")
        await client.start_programming(survey["id"], questionnaire="csat")
        assert await sandbox.drain()
        full = await client.get_survey(survey["id"])
        block = next(b for p in full["pages"] for b in p["blocks"] if b["config"].get("label"))
        source = LiveSource(
            questra_url=questra.url,
            api_key=sandbox.api_key,
            org_id=sandbox.org_id,
            relay_ws_url=relay.ws_url,
            relay_token=None,
            survey=survey["id"],
            subscriber_options={"backoff_initial": 0.05, "backoff_max": 0.2},
        )
        app = make_app(source, survey_id=None)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.connection.status == "live")
            await settle(pilot, app)
            port = relay.port
            await relay.aclose()
            await until(pilot, lambda: app.connection.status == "reconnecting")
            edited = {**block["config"], "label": "Edited while the relay was down"}
            await client.update_block(block["id"], config=edited)
            assert await sandbox.drain()  # every retry failed: the event never reaches the relay
            assert all(b"Edited while" not in e.envelope for e in log.read_after(0, 10_000))
            relay = await serve_in_loop(create_relay_app(log=log, secret=SECRET), port=port)
            await until(pilot, lambda: app.connection.status == "live")
            await until(
                pilot,
                lambda: (
                    app.store.block(block["id"]) is not None
                    and app.store.block(block["id"]).config.label == edited["label"]
                ),
            )
    finally:
        await client.aclose()
        await relay.aclose()
        await questra.aclose()
        log.close()


async def test_watching_an_unknown_survey_says_so_and_exits(tmp_path: Path) -> None:
    """Nothing would ever arrive for a survey Questra does not have: never wait silently."""
    async with questra_and_relay(tmp_path) as (_, api, relay):
        app = make_app(live_source(api, relay, "no-such-survey"), survey_id=None)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.fatal_error is not None)
            await pilot.pause()
        assert app.return_code == 1
        assert app.fatal_error.startswith("no survey 'no-such-survey' at ")
        assert "organisation org_test" in app.fatal_error


async def test_the_status_bar_says_why_nothing_arrives_when_deliveries_fail(
    tmp_path: Path,
) -> None:
    """The webhook points at the relay's URL with its path doubled: every delivery 404s.
    The watch screen says so (from Questra's delivery log) instead of waiting quietly."""
    from qtui.tui.widgets.status_bar import StatusBar

    async with questra_and_relay(tmp_path) as (questra, api, relay):
        wrong = f"{relay.url}/hooks/questra/hooks/questra"
        questra.create_webhook(wrong, secret=SECRET)
        async with httpx.AsyncClient(base_url=api.url) as http:
            created = await http.post(
                "/surveys",
                json={"name": "Nothing arrives"},
                headers={"Authorization": "Bearer qk_test", "X-Org-Id": "org_test"},
            )
        survey_id = created.json()["id"]
        source = live_source(api, relay, survey_id, delivery_check_s=0.1)
        app = make_app(source, survey_id=None)
        async with app.run_test(size=(160, 40)) as pilot:
            await until(pilot, lambda: app.delivery_problem is not None)
            await pilot.pause()
            assert app.delivery_problem == (
                f"Questra's deliveries to {wrong} fail: receiver answered 404"
            )
            bar = app.screen.query_one(StatusBar)
            assert "deliveries" in bar.shown
            assert "receiver answered 404" in bar.render().plain
            assert app.received == 0  # indeed nothing arrived
