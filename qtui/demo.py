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

from qtui.questra.client import QuestraClient
from qtui.relay.app import create_relay_app
from qtui.relay.log import EventLog
from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.sandbox.questra import QuestraSandbox
from qtui.sandbox.server import create_sandbox_app
from qtui.serving import RunningServer, start_in_thread

SURVEY_NAMES = {
    "screener": "Streaming Habits Screener",
    "csat": "Q4 Customer Satisfaction (CSAT)",
    "large": "Large Tracker Study",
}


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
    _servers: list[RunningServer] = field(default_factory=list, repr=False)
    _log: EventLog | None = field(default=None, repr=False)
    _workdir: Path | None = field(default=None, repr=False)

    async def close(self) -> None:
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
) -> Demo:
    """Start the sandbox and the relay, create the survey, start programming it."""
    if questionnaire not in SURVEY_NAMES:
        raise ValueError(
            f"unknown questionnaire {questionnaire!r}: use one of {sorted(SURVEY_NAMES)}"
        )
    workdir = Path(tempfile.mkdtemp(prefix="qtui-demo-"))
    secret = secrets.token_hex(16)
    log = EventLog(workdir / "relay.db")
    servers: list[RunningServer] = []
    try:
        relay = start_in_thread(create_relay_app(log=log, secret=secret))
        servers.append(relay)
        sandbox = QuestraSandbox(speed=speed, seed=seed, fail_programming=fail)
        qualtrics_token = "qualtrics-sandbox-token"
        qualtrics = QualtricsSandbox(token=qualtrics_token)
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
        _servers=servers,
        _log=log,
        _workdir=workdir,
    )
