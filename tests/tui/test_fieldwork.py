"""The fieldwork screen (F) against a real relay on loopback: live, paused, after a restart."""

from __future__ import annotations

import socket
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
from textual.widgets import DataTable, OptionList, Static

from qtui.relay.app import create_relay_app
from qtui.relay.log import EventLog
from qtui.relay.sources import oktave_source, qualtrics_source
from qtui.sandbox import oktave
from qtui.serving import serving
from qtui.tui.fieldwork import FieldworkAvailable, FieldworkConfig
from qtui.tui.screens.fieldwork import FieldworkScreen, IncidentScreen
from qtui.tui.sources import FeedSource
from tests.tui.conftest import make_app, settle, until
from tests.tui.envelopes import screener_stream

OKTAVE_SECRET = "ok-secret"
HOOK_SECRET = "hook-secret"
SV = "SV_fieldTest00001"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def relay_app(log: EventLog) -> Any:
    return create_relay_app(
        log=log,
        secret="questra",
        extra_sources=[oktave_source(OKTAVE_SECRET), qualtrics_source([HOOK_SECRET])],
    )


class Field:
    """Sends callbacks and Oktave events the way the platforms do."""

    def __init__(self, http: httpx.AsyncClient, base: str) -> None:
        self.http = http
        self.base = base
        self.emitter = oktave.OktaveEmitter(f"{base}/hooks/oktave", OKTAVE_SECRET, http)

    async def callback(self, topic: str, **fields: str) -> None:
        form = {"Topic": f"surveyengine.{topic}.{SV}", "SurveyID": SV, "BrandID": "b", **fields}
        answer = await self.http.post(
            f"{self.base}/hooks/qualtrics?secret={HOOK_SECRET}",
            content=urllib.parse.urlencode(form),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 200, answer.text

    async def respondent(self, n: int, end: str | None = "completedResponse") -> None:
        await self.callback("startedRecipientSession", RecipientID=f"M{n}")
        if end is not None:
            await self.callback(end, RecipientID=f"M{n}", ResponseID=f"R_{n}")


def totals(screen: FieldworkScreen) -> str:
    return str(screen.query_one("#fw-totals", Static).content)


def head(screen: FieldworkScreen) -> str:
    return str(screen.query_one("#fw-head", Static).content)


async def test_fieldwork_screen_is_live_pauses_and_survives_a_relay_restart(tmp_path: Path):
    port = free_port()
    log = EventLog(tmp_path / "relay.db")
    feed = FeedSource()
    app = make_app(feed)
    try:
        async with (
            httpx.AsyncClient() as http,
            app.run_test(size=(80, 24)) as pilot,
        ):
            feed.push(*screener_stream())
            await settle(pilot, app)
            async with serving(relay_app(log), port=port) as relay:
                field = Field(http, relay.url)
                app.post_message(FieldworkAvailable(FieldworkConfig(relay.ws_url)))
                await field.respondent(1)
                await field.respondent(2, end="partialResponse")
                await pilot.press("F")
                screen = app.screen
                assert isinstance(screen, FieldworkScreen)
                await until(pilot, lambda: "started 2" in totals(screen))
                assert "completed 1" in totals(screen) and "partial 1" in totals(screen)
                assert SV in head(screen) and "LIVE" in head(screen)

                await pilot.press("p")
                await field.respondent(3)
                await until(pilot, lambda: "+2 new" in head(screen))
                assert "started 2" in totals(screen)  # paused: figures held
                await pilot.press("p")
                await until(pilot, lambda: "started 3" in totals(screen))
                assert "completed 2" in totals(screen)

            # The relay goes away and comes back on the same port with the same log.
            await until(pilot, lambda: "LIVE" not in head(screen))
            async with serving(relay_app(log), port=port) as relay:
                field = Field(http, relay.url)
                await field.respondent(4)
                await field.callback(  # a redelivery of an old callback changes nothing
                    "completedResponse", RecipientID="M1", ResponseID="R_1"
                )
                await until(pilot, lambda: "started 4" in totals(screen), rounds=1000)
                assert "completed 3" in totals(screen) and "partial 1" in totals(screen)

                camp = oktave.campaign(SV)
                resp = oktave.response("R_4", camp, status="completed", started_at=1.7e9, now=1.7e9)
                note = oktave.comment("inc-1", "Called back", "opened", "Ann", now=1.7e9)
                incident = oktave.incident(
                    "inc-1",
                    "Unhappy",
                    "Low score",
                    resp,
                    comments=[note],
                    created_at=1.7e9,
                    now=1.7e9,
                )
                delivery = await field.emitter.send("incident.created", incident)
                assert delivery.delivered
                await until(pilot, lambda: "incidents 1" in totals(screen))
                await pilot.press("3")
                options = screen.query_one("#fw-incidents", OptionList)
                await until(pilot, lambda: options.option_count == 1)
                options.focus()
                await pilot.press("enter")
                await until(pilot, lambda: isinstance(app.screen, IncidentScreen))
                shown = " ".join(str(s.content) for s in app.screen.query(Static))
                assert "Unhappy" in shown and "Called back" in shown and "Ann" in shown
                await pilot.press("escape")
                await pilot.press("1")
                pages = screen.query_one("#fw-pages", DataTable)
                assert pages.row_count > 0  # the Questra survey's pages, in order
                await pilot.press("escape")
                assert not isinstance(app.screen, FieldworkScreen)
    finally:
        log.close()


async def test_the_watcher_shows_the_questra_surveys_own_fielded_survey_first():
    from qtui.tui.fieldwork import FieldworkWatcher

    watcher = FieldworkWatcher(lambda message: None, lambda: None)

    def frame(seq: int, survey: str, n: int) -> dict[str, Any]:
        fields = {
            "Topic": f"surveyengine.startedRecipientSession.{survey}",
            "SurveyID": survey,
            "RecipientID": f"M{n}",
        }
        return {
            "type": "event",
            "seq": seq,
            "source": "qualtrics",
            "survey_id": survey,
            "envelope": fields,
        }

    for n in range(3):
        await watcher.apply(frame(n + 1, "SV_busy", n))
    await watcher.apply(frame(9, "SV_ours", 9))
    assert watcher.fielded() == "SV_busy"  # nothing known: the busiest
    watcher.config = FieldworkConfig("ws://x", survey_id=lambda: "SV_ours")
    assert watcher.fielded() == "SV_ours"
    assert watcher.tally() is watcher.tallies["SV_ours"]
    watcher.config = FieldworkConfig("ws://x", survey_id=lambda: "SV_not_seen_yet")
    assert watcher.fielded() == "SV_busy"
