"""The demo end to end: programmed, pushed by Questra's destination step, then fielded.

The app is the real one with the demo source; after the fielding stops, every figure the
fieldwork screen shows equals what the Qualtrics sandbox recorded and what the Oktave
emulator sent.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from qtui.tui.screens.fieldwork import FieldworkScreen
from qtui.tui.sources import DemoSource
from tests.fieldwork.test_simulator import recorded_dispositions
from tests.tui.conftest import make_app


async def until(pilot: Pilot[Any], condition: Callable[[], bool], seconds: float = 120) -> None:
    """Wait for `condition` (a generous bound: the machine may be busy)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        await pilot.pause(0.05)


async def test_demo_fields_the_pushed_survey_and_the_screen_shows_what_was_recorded():
    source = DemoSource(speed=float("inf"), seed=11, fieldwork_rate=15)
    app = make_app(source, survey_id=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: source.demo is not None)
        demo = source.demo
        qualtrics = demo.qualtrics
        await until(pilot, lambda: len(qualtrics.responses) >= 12)
        demo._fieldwork.stop()  # no more respondents: the record is now final
        survey_id = demo.fielding.survey_id
        expected = recorded_dispositions(qualtrics, survey_id)

        await pilot.press("F")
        screen = app.screen
        assert isinstance(screen, FieldworkScreen)

        def shown() -> dict[str, Any]:
            figures = screen.figures
            if figures is None:
                return {}
            return {
                "started": figures.started,
                "completed": figures.completed,
                "screened_out": figures.screened_out,
                "partial": figures.partial,
                "in_progress": figures.in_progress,
            }

        wanted = {
            "started": len(qualtrics.sessions),
            **{k: expected[k] for k in ("completed", "screened_out", "partial", "in_progress")},
        }
        await until(pilot, lambda: shown() == wanted)
        assert screen.watcher.fielded() == survey_id
        assert wanted["screened_out"] and wanted["completed"] + wanted["partial"]
        # Pages: the first page was reached by every recorded response.
        assert screen.figures.pages[0].reached == len(qualtrics.responses)
        sent: Counter[str] = Counter()
        # The Oktave emulator's record lives in the demo's fieldwork thread; what the relay
        # stored is what it sent and got a 2xx for.
        for event in demo._log.read_after(0, 100_000, sources={"oktave"}):
            sent[event.event_type] += 1
        assert len(screen.figures.incidents) == sent["incident.created"]
        assert screen.figures.blacklisted == sent["blacklist_item.created"]
