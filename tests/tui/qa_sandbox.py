"""A survey pushed to the Qualtrics sandbox on loopback, for screens that walk it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from qtui.config import QualtricsSettings, Settings
from qtui.core.models import Survey
from qtui.qualtrics.client import QualtricsClient
from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.serving import serving
from qtui.tui.qa_app import QaSession
from tests.qa.conftest import invert_rule, push
from tests.qualtrics.conftest import mount


@dataclass
class Pushed:
    sandbox: QualtricsSandbox
    settings: Settings
    survey_id: str
    source: Path  # the survey as a FullSurvey file, what `--survey` names

    def session(self, record_dir: Path) -> QaSession:
        return QaSession(self.settings, self.survey_id, str(self.source), record_dir=record_dir)


@asynccontextmanager
async def pushed_to_sandbox(
    survey: Survey, tmp_path: Path, *, tamper: str | None = None, **options: object
) -> AsyncIterator[Pushed]:
    """`survey` pushed to a Qualtrics sandbox served on loopback (with the rule `tamper`
    inverted on the platform, when given), and qtui's settings pointing at it."""
    sandbox = QualtricsSandbox(**options)  # type: ignore[arg-type]
    async with serving(mount(sandbox)) as running:
        async with QualtricsClient(running.url, sandbox.token) as client:
            survey_id = await push(client, survey)
            if tamper is not None:
                await invert_rule(client, survey_id, tamper)
        settings = Settings.model_construct(
            qualtrics=QualtricsSettings(base_url=running.url, token=SecretStr(sandbox.token)),
            theme="qtui-dark",
        )
        source = tmp_path / "survey.json"
        source.write_text(json.dumps(survey.dump()))
        yield Pushed(sandbox, settings, survey_id, source)
