"""Screenshots of the QA screens, as SVG, into screenshots/ (`qa-*.svg`).

    python scripts/qa_screenshots.py

The Qualtrics sandbox runs on loopback with a fixed seed; the bundled sessions screener is
pushed to it (once as compiled, once with its age rule inverted on purpose), and the real
screens are driven headless with `App.run_test`.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qtui.config import QualtricsSettings, Settings  # noqa: E402
from qtui.qualtrics.client import QualtricsClient  # noqa: E402
from qtui.sandbox.qualtrics import QualtricsSandbox  # noqa: E402
from qtui.serving import serving  # noqa: E402
from qtui.tui.qa_app import QaApp, QaSession  # noqa: E402
from qtui.tui.screens.coverage import CoverageScreen  # noqa: E402
from tests.qa.conftest import bundled, invert_rule, push  # noqa: E402
from tests.qualtrics.conftest import mount  # noqa: E402
from tests.tui.conftest import until  # noqa: E402

OUT = ROOT / "screenshots"


async def shoot(name: str, tamper: bool, steps: Callable[[Any], Awaitable[None]]) -> None:
    sandbox = QualtricsSandbox(seed=7)
    survey = bundled("screener_sessions")
    rule = next(
        r
        for p in survey.pages
        for r in p.navigation_rules
        if r.condition == "q1.value in ['under_18']"
    )
    async with serving(mount(sandbox)) as running:
        async with QualtricsClient(running.url, sandbox.token) as client:
            survey_id = await push(client, survey, concurrency=1)
            if tamper:
                await invert_rule(client, survey_id, rule.id)
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "survey.json"
            source.write_text(json.dumps(survey.dump()))
            settings = Settings.model_construct(
                qualtrics=QualtricsSettings(base_url=running.url, token=SecretStr(sandbox.token)),
                theme="qtui-dark",
            )
            app = QaApp(QaSession(settings, survey_id, str(source), record_dir=None))
            async with app.run_test(size=(120, 40)) as pilot:
                await until(
                    pilot, lambda: app.screen.walk is not None and bool(app.screen.walk.visited)
                )
                await steps(pilot)
                await pilot.pause(0.1)
                (OUT / f"{name}.svg").write_text(app.export_screenshot(title=f"qtui — {name}"))
    print(f"screenshots/{name}.svg")


async def answering(pilot: Any) -> None:
    await pilot.press("2", "enter")
    await until(
        pilot, lambda: len(pilot.app.screen.walk.visited) == 2 and not pilot.app.screen.busy
    )
    await pilot.press("enter")  # nothing chosen: the platform refuses the page
    await until(pilot, lambda: bool(pilot.app.screen.walk.errors))


async def diverging(pilot: Any) -> None:
    await pilot.press("2", "enter")
    await until(pilot, lambda: pilot.app.screen.walk.disposition is not None)


async def covering(pilot: Any) -> None:
    await pilot.press("c")
    await until(pilot, lambda: isinstance(pilot.app.screen, CoverageScreen))
    await until(pilot, lambda: pilot.app.screen.run is not None, rounds=1000)


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    await shoot("qa-walkthrough", False, answering)
    await shoot("qa-divergence", True, diverging)
    await shoot("qa-coverage", True, covering)


if __name__ == "__main__":
    asyncio.run(main())
