"""The demo: the Questra sandbox and the relay on free loopback ports, a survey being programmed.

Both servers run in background threads with their own event loops, so the UI's loop only
draws. Everything goes over real HTTP and websockets, exactly as against real services:
the sandbox signs its webhooks, the relay verifies and logs them, the TUI subscribes.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qtui.questra.client import QuestraClient
from qtui.relay.app import create_relay_app
from qtui.relay.log import EventLog
from qtui.relay.sources import oktave_source, qualtrics_source
from qtui.sandbox.fieldwork import FieldingState
from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.sandbox.questra import QuestraSandbox
from qtui.sandbox.server import create_sandbox_app
from qtui.serving import RunningServer, start_in_thread

SURVEY_NAMES = {
    "screener": "Streaming Habits Screener",
    "screener_sessions": "Streaming Screener (sessions)",
    "csat": "Q4 Customer Satisfaction (CSAT)",
    "large": "Large Tracker Study",
}


def subscribe_everything(qualtrics: QualtricsSandbox, relay_url: str, secret: str) -> None:
    """Every survey's response callbacks go to the relay (one subscription per topic)."""
    from qtui.qualtrics.subscriptions import TOPICS, publication_url

    url = publication_url(relay_url, secret)
    for topic in TOPICS:
        qualtrics.subscriptions.create({"topics": f"{topic}.*", "publicationUrl": url})


@dataclass
class Demo:
    questra_url: str
    api_key: str
    org_id: str
    relay_ws_url: str
    relay_token: str | None
    survey_id: str
    qualtrics_base_url: str
    qualtrics_token: str
    sandbox: QuestraSandbox = field(repr=False)
    qualtrics: QualtricsSandbox | None = field(default=None, repr=False)
    fielding: FieldingState | None = field(default=None, repr=False)
    _fieldwork: Any = field(default=None, repr=False)
    _servers: list[RunningServer] = field(default_factory=list, repr=False)
    _log: EventLog | None = field(default=None, repr=False)
    _workdir: Path | None = field(default=None, repr=False)

    @property
    def push_dir(self) -> Path | None:
        """Where the demo keeps the push state and record of its own push to Qualtrics."""
        return self._workdir / "push" if self._workdir is not None else None

    async def close(self) -> None:
        if self._fieldwork is not None:
            self._fieldwork.stop()
        for server in reversed(self._servers):
            server.stop()
        if self._log is not None:
            self._log.close()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)


async def start_demo(
    *,
    speed: float = 1.0,
    seed: int | None = None,
    questionnaire: str = "screener",
    fail: bool = False,
    fieldwork_rate: float = 0.0,
) -> Demo:
    """Start the sandbox and the relay, create the survey, start programming it.

    With `fieldwork_rate`, once Questra has pushed the programmed survey to its destination
    (status `reviewing`), the demo pushes it to the Qualtrics sandbox too (unless a push
    from the view got there first) and sends that many simulated respondents a second
    through it; their callbacks and Oktave events reach the relay like real ones.
    """
    if questionnaire not in SURVEY_NAMES:
        raise ValueError(
            f"unknown questionnaire {questionnaire!r}: use one of {sorted(SURVEY_NAMES)}"
        )
    workdir = Path(tempfile.mkdtemp(prefix="qtui-demo-"))
    secret = secrets.token_hex(16)
    log = EventLog(workdir / "relay.db")
    servers: list[RunningServer] = []
    try:
        oktave_secret, hook_secret = secrets.token_hex(16), secrets.token_urlsafe(16)
        fieldwork_sources = [oktave_source(oktave_secret), qualtrics_source([hook_secret])]
        relay = start_in_thread(
            create_relay_app(log=log, secret=secret, extra_sources=fieldwork_sources)
        )
        servers.append(relay)
        sandbox = QuestraSandbox(speed=speed, seed=seed, fail_programming=fail)
        qualtrics_token = "qualtrics-sandbox-token"
        # Lenient: respondents see text pages (descriptive text), as on the web; the strict
        # sessions API would refuse the whole survey for them.
        qualtrics = QualtricsSandbox(token=qualtrics_token, strict=False)
        subscribe_everything(qualtrics, relay.url, hook_secret)
        sandbox_server = start_in_thread(create_sandbox_app(sandbox, qualtrics))
        servers.append(sandbox_server)
        async with QuestraClient(sandbox_server.url, sandbox.api_key, sandbox.org_id) as client:
            await client.create_webhook(url=f"{relay.url}/hooks/questra", secret=secret)
            survey = await client.create_survey(SURVEY_NAMES[questionnaire])
            await client.set_destination(survey["id"], target_platform="qualtrics")
            await client.start_programming(survey["id"], questionnaire=questionnaire)
    except BaseException:
        for server in reversed(servers):
            server.stop()
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    fielding = FieldingState()
    runner = None
    if fieldwork_rate > 0:
        from qtui.fieldwork.demo import FieldworkThread

        runner = FieldworkThread(
            qualtrics=qualtrics,
            qualtrics_base_url=f"{sandbox_server.url}/API/v3",
            qualtrics_token=qualtrics_token,
            questra_url=sandbox_server.url,
            api_key=sandbox.api_key,
            org_id=sandbox.org_id,
            survey_id=survey["id"],
            oktave_url=f"{relay.url}/hooks/oktave",
            oktave_secret=oktave_secret,
            rate=fieldwork_rate,
            seed=seed,
            state=fielding,
            push_dir=workdir / "push",  # = Demo.push_dir
        )
        runner.start()
    return Demo(
        questra_url=sandbox_server.url,
        api_key=sandbox.api_key,
        org_id=sandbox.org_id,
        relay_ws_url=relay.ws_url,
        relay_token=None,
        survey_id=survey["id"],
        qualtrics_base_url=f"{sandbox_server.url}/API/v3",
        qualtrics_token=qualtrics_token,
        sandbox=sandbox,
        qualtrics=qualtrics,
        fielding=fielding,
        _fieldwork=runner,
        _servers=servers,
        _log=log,
        _workdir=workdir,
    )
