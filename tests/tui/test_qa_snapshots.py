"""SVG snapshots of the walkthrough screen (a divergence banner up) and the coverage screen.

Update with `pytest tests/tui/test_qa_snapshots.py --snapshot-update` and look at the report.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from textual.pilot import Pilot

from qtui.config import QualtricsSettings, Settings
from qtui.core.models import reference_names
from qtui.qualtrics.client import QualtricsClient
from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.serving import start_in_thread
from qtui.tui.qa_app import QaApp, QaSession
from qtui.tui.screens.coverage import CoverageScreen
from qtui.tui.screens.walkthrough import WalkthroughScreen
from tests.qa.conftest import bundled, invert_rule, push
from tests.qualtrics.conftest import mount
from tests.tui.conftest import until

AGE_RULE = "q1.value in ['under_18']"


@pytest.fixture
def running() -> Iterator[tuple[QualtricsSandbox, Any]]:
    sandbox = QualtricsSandbox(seed=7)
    server = start_in_thread(mount(sandbox))
    try:
        yield sandbox, server
    finally:
        server.stop()


LONG_REGION = (
    "Which of these regions of the country do you live in today, counting the place where "
    "you spend most of your nights during an ordinary working week, even if you travel?"
)


def qa_app(running: Any, tmp_path: Path, *, tamper: bool, long_region: bool = False) -> QaApp:
    sandbox, server = running
    survey = bundled("screener_sessions")
    if long_region:  # the question shown beside the banner, too long for one line
        names = reference_names(survey)
        [block] = [b for p in survey.pages for b in p.blocks if names.get(b.id) == "q2"]
        block.config.label = LONG_REGION
    rule = next(r for p in survey.pages for r in p.navigation_rules if r.condition == AGE_RULE)

    async def setup() -> str:
        async with QualtricsClient(server.url, sandbox.token) as client:
            survey_id = await push(client, survey, concurrency=1)
            if tamper:
                await invert_rule(client, survey_id, rule.id)
            return survey_id

    survey_id = asyncio.run(setup())
    source = tmp_path / "survey.json"
    source.write_text(json.dumps(survey.dump()))
    settings = Settings.model_construct(
        qualtrics=QualtricsSettings(base_url=server.url, token=SecretStr(sandbox.token)),
        theme="qtui-dark",
    )
    return QaApp(QaSession(settings, survey_id, str(source), record_dir=None))


def walk_of(pilot: Pilot[Any]) -> Any:
    screen = pilot.app.screen
    return screen.walk if isinstance(screen, WalkthroughScreen) else None


async def _opened(pilot: Pilot[Any]) -> None:
    await until(pilot, lambda: walk_of(pilot) is not None and bool(walk_of(pilot).visited))


async def _next(pilot: Pilot[Any], pages: int) -> None:
    await pilot.press("enter")
    await until(
        pilot,
        lambda: len(walk_of(pilot).visited) == pages and not pilot.app.screen.busy,
    )
    await pilot.pause()


def test_snapshot_walkthrough_divergence(snap_compare, running, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = qa_app(running, tmp_path, tamper=True)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _opened(pilot)
        await pilot.press("2")  # 18–24 goes on to Region; the tampered platform ends here
        await pilot.press("enter")
        await until(pilot, lambda: walk_of(pilot).disposition is not None)
        await pilot.pause(0.05)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_snapshot_walkthrough_forced_response_error(snap_compare, running, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = qa_app(running, tmp_path, tamper=False)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _opened(pilot)
        await pilot.press("2")
        await _next(pilot, 2)
        await pilot.press("enter")  # nothing chosen on Region: the platform refuses the page
        await until(pilot, lambda: bool(walk_of(pilot).errors) and not pilot.app.screen.busy)
        await pilot.pause(0.05)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_snapshot_coverage(snap_compare, running, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = qa_app(running, tmp_path, tamper=True)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _opened(pilot)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(pilot.app.screen, CoverageScreen))
        await until(pilot, lambda: pilot.app.screen.run is not None, rounds=1000)
        await pilot.pause(0.05)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


async def _diverged_on_long_region(pilot: Pilot[Any]) -> None:
    await _opened(pilot)
    await pilot.press("1")  # under 18 ends the survey; the tampered platform goes on to Region
    await _next(pilot, 2)
    await until(pilot, lambda: pilot.app.screen.query_one("#qa-banner").display)
    await pilot.pause(0.05)


def _question_inside_its_column(app: Any) -> None:
    """The question and every line of its text stay inside the left column's border."""
    screen = app.screen
    left = screen.query_one("#qa-left").content_region
    banner = screen.query_one("#qa-banner").region
    [question] = screen.query(".question")
    assert left.x <= question.region.x and question.region.right <= left.right
    # A border and a blank column between the text and the banner: they never touch.
    assert question.region.right + 2 <= banner.x, (question.region, banner)
    lines = [question.render_line(y).text.rstrip() for y in range(question.size.height)]
    text = " ".join(" ".join(line.replace("▊", "").split()) for line in lines)
    assert LONG_REGION in text, lines  # wrapped whole, nothing cut at the column's edge
    assert all(len(line) <= question.size.width for line in lines)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_snapshot_walkthrough_long_question_beside_the_banner(  # type: ignore[no-untyped-def]
    snap_compare, running, tmp_path, size
) -> None:
    app = qa_app(running, tmp_path, tamper=True, long_region=True)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _diverged_on_long_region(pilot)
        _question_inside_its_column(pilot.app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
