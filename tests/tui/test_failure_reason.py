"""A failed programming run shows its reason wherever Questra sends it: on the job
(`programming.finished`) or on the survey (`survey.updated` carries `failure_reason`)."""

from __future__ import annotations

from qtui.core.events import parse_event
from qtui.core.store import SurveyStore
from qtui.tui.sources import FeedSource
from qtui.tui.widgets.status_bar import ProgressRow
from tests.tui.conftest import make_app, settle
from tests.tui.envelopes import Clocked, programming, screener_stream, survey
from tests.tui.test_screen import detail_text

REASON = "source file [unreadable] [/] 📄"


def _failed_run(*, on_survey: bool) -> list[dict]:
    c = Clocked()
    c.now = c.now.replace(minute=2)
    events = [*screener_stream()]
    if on_survey:
        events.append(programming(c.tick(), "finished", "failed"))
        events.append(
            survey(c.tick(), "pending", failure_reason=REASON, programming_status="failed")
        )
    else:
        events.append(programming(c.tick(), "finished", "failed", reason=REASON))
    return events


async def test_the_reason_on_the_survey_shows_in_the_status_row_and_the_detail() -> None:
    feed = FeedSource()
    app = make_app(feed)
    async with app.run_test(size=(120, 40)) as pilot:
        feed.push(*_failed_run(on_survey=True))
        await settle(pilot, app)
        progress = app.query_one(ProgressRow)
        assert "-failed" in progress.classes
        info = progress.query_one("#progress-info").render()
        assert str(info).endswith(f"failed: {REASON}")  # shown as written, never as markup
        app.tree.select_item("survey", app.survey_id)
        await pilot.pause()
        text = detail_text(app)
        assert "no reason given" not in text
        assert REASON in " ".join(text.split())


def _store(events) -> SurveyStore:
    store = SurveyStore()
    for body in events:
        store.apply(parse_event(body))
    return store


def test_progress_takes_the_reason_from_the_job_or_the_survey():
    for on_survey in (True, False):
        store = _store(_failed_run(on_survey=on_survey))
        (survey_id,) = store.survey_ids()
        assert store.progress(survey_id).failure_reason == REASON


def test_a_stale_reason_is_not_shown_once_a_later_run_completes():
    c = Clocked()
    c.now = c.now.replace(minute=5)
    events = [
        *_failed_run(on_survey=True),
        programming(c.tick(), "started"),
        programming(c.tick(), "finished", "completed"),
    ]
    store = _store(events)
    (survey_id,) = store.survey_ids()
    assert store.progress(survey_id).failure_reason is None


def test_a_reason_shows_when_watching_started_after_the_job():
    c = Clocked()
    store = _store([survey(c.tick(), "pending", failure_reason=REASON)])
    (survey_id,) = store.survey_ids()
    assert store.progress(survey_id).job is None
    assert store.progress(survey_id).failure_reason == REASON
