"""A relay that takes fieldwork, a Qualtrics sandbox with a pushed survey, all on loopback."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from qtui.core.models import Survey
from qtui.qualtrics.client import QualtricsClient
from qtui.qualtrics.push import push_survey
from qtui.qualtrics.state import PushState
from qtui.qualtrics.subscriptions import subscribe
from qtui.relay.app import create_relay_app
from qtui.relay.log import EventLog
from qtui.relay.sources import oktave_source, qualtrics_source
from qtui.sandbox import oktave
from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.sandbox.questionnaires import load as load_questionnaire
from qtui.serving import RunningServer, serving
from tests.qualtrics.surveys import materialize

OKTAVE_SECRET = "oktave-test-secret"
HOOK_SECRET = "qualtrics-sub-secret"


@dataclass
class Field:
    relay: RunningServer
    log: EventLog
    sandbox: QualtricsSandbox
    qualtrics: QualtricsClient
    survey: Survey
    survey_id: str
    emitter: oktave.OktaveEmitter
    definition: dict
    push_state: PushState


@contextlib.asynccontextmanager
async def open_field(
    db: Path, state_dir: Path, questionnaire: str = "screener_sessions"
) -> AsyncIterator[Field]:
    log = EventLog(db)
    relay_app = create_relay_app(
        log=log,
        secret="questra-secret",
        extra_sources=[oktave_source(OKTAVE_SECRET), qualtrics_source([HOOK_SECRET])],
    )
    # Lenient: the survey keeps its text pages (descriptive text), which strict sessions
    # refuse as the sessions API documents only MC, TE and NPS.
    sandbox = QualtricsSandbox(strict=False)
    sandbox.subscriptions.backoff_s = 0.01
    try:
        async with (
            serving(relay_app) as relay,
            serving(Starlette(routes=[Mount("/API/v3", app=sandbox.app)])) as qualtrics_server,
            QualtricsClient(qualtrics_server.url, sandbox.token, backoff_base=0.01) as client,
            httpx.AsyncClient() as http,
        ):
            data = materialize(load_questionnaire(questionnaire))
            survey = Survey.model_validate(data)
            state = PushState.load(data["id"], client.base_url, directory=state_dir)
            report = await push_survey(client, survey, state=state)
            assert report.qualtrics_survey_id
            survey_id = report.qualtrics_survey_id
            await subscribe(client, survey_id, relay.url, secret=HOOK_SECRET)
            emitter = oktave.OktaveEmitter(
                f"{relay.url}/hooks/oktave", OKTAVE_SECRET, http, backoff_s=0.01
            )
            yield Field(
                relay,
                log,
                sandbox,
                client,
                survey,
                survey_id,
                emitter,
                await client.get_definition(survey_id),
                PushState.load(data["id"], client.base_url, directory=state_dir),
            )
            await sandbox.subscriptions.aclose()
    finally:
        log.close()


@pytest.fixture
async def field(tmp_path: Path) -> AsyncIterator[Field]:
    async with open_field(tmp_path / "relay.db", tmp_path / "push") as opened:
        yield opened
