"""Apps driven by an in-process feed, with a fixed clock and no animation, for Pilot tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from textual.pilot import Pilot

from qtui.config import Settings, UISettings
from qtui.tui.app import QtuiApp
from qtui.tui.clock import Clock
from qtui.tui.sources import EventSource, FeedSource
from tests.tui.envelopes import SURVEY, T0, screener_stream


def quiet_settings(**overrides: Any) -> Settings:
    """Defaults, but flushes every 16 ms and nothing flashes (stable screenshots)."""
    ui = UISettings(coalesce_ms=16, flash_ms=0)
    return Settings.model_construct(ui=overrides.pop("ui", ui), **overrides)


def make_app(
    source: EventSource | None = None, *, survey_id: str | None = SURVEY, **settings: Any
) -> QtuiApp:
    return QtuiApp(
        source or FeedSource(),
        survey_id=survey_id,
        settings=quiet_settings(**settings),
        clock=Clock.fixed(T0.replace(minute=1)),
        check_interval=0.05,  # the route check's throttle, short so tests do not wait
    )


async def settle(pilot: Pilot[Any], app: QtuiApp, *, rounds: int = 250) -> None:
    """Wait until every received event has reached the widgets, and the route check too."""
    for _ in range(rounds):
        await pilot.pause(0.02)
        if app.view_is_current and app.problems_idle:
            # Scrolling to the newest log row happens after a refresh; let it land.
            await pilot.pause()
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()
            return
    raise AssertionError("the view never caught up with the received events")


async def until(pilot: Pilot[Any], condition: Callable[[], bool], *, rounds: int = 500) -> None:
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition never became true")


@asynccontextmanager
async def pushed_app(
    feed: FeedSource, *batches: Sequence[dict[str, Any]], size: tuple[int, int] = (120, 40)
) -> AsyncIterator[tuple[QtuiApp, Pilot[Any]]]:
    """The app (120×40 unless `size`), each batch of envelopes pushed in turn, all on screen."""
    app = make_app(feed)
    async with app.run_test(size=size) as pilot:
        for batch in batches:
            feed.push(*batch)
        await settle(pilot, app)
        yield app, pilot


def screener_app(feed: FeedSource) -> AbstractAsyncContextManager[tuple[QtuiApp, Pilot[Any]]]:
    """The app at 120×40, the small screener stream pushed and on screen."""
    return pushed_app(feed, screener_stream())


@pytest.fixture
def feed() -> FeedSource:
    return FeedSource()
