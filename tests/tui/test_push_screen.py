"""The push screen against the demo's sandboxes (Questra + relay + Qualtrics, on loopback):
plan, progress, result, a 500 then resume, a routing change refused until allowed."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from qtui.qualtrics.client import QualtricsClient
from qtui.qualtrics.compile import compile_survey
from qtui.qualtrics.state import load_last_push
from qtui.tui.app import QtuiApp
from tests.tui.conftest import settle, until
from tests.tui.edit_helpers import until_screen
from tests.tui.test_edit_live import demo_app, finished


@pytest.fixture(autouse=True)
def own_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def screen_text(app: QtuiApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def open_push(pilot: Pilot[Any], app: QtuiApp) -> Any:
    await pilot.press("P")
    await until_screen(pilot, "PushScreen")
    screen = app.screen
    await until(pilot, lambda: screen.state not in ("planning",))
    return screen


async def test_push_shows_the_plan_then_progress_then_the_result(tmp_path):
    async with demo_app() as (app, pilot, client):
        await finished(pilot, app)
        screen = await open_push(pilot, app)
        assert screen.state == "ready", screen_text(app, "#push-routing")
        plan = screen_text(app, "#push-plan")
        assert "into a new Qualtrics survey" in plan and "first push" in plan
        assert "create" in plan and "questions" in plan
        await pilot.press("y")
        await until(pilot, lambda: screen.state == "done", rounds=1500)
        result = screen_text(app, "#push-result")
        sid = screen.result.qualtrics_survey_id
        assert sid.startswith("SV_") and f"Pushed to {sid}" in result
        assert f"/jfe/preview/{sid}" in result and "requests" in result
        bar = app.screen.query_one("#push-progress")
        assert bar.percentage == 1.0
        await pilot.pause()
        shown = app.export_screenshot()
        assert "100%" in shown and "--:--:--" not in shown  # done: no time left to show
        demo = app.source.demo
        async with QualtricsClient(demo.qualtrics_base_url, demo.qualtrics_token) as qualtrics:
            definition = await qualtrics.get_definition(sid)
        assert len(definition["Questions"]) == screen.result.created["questions"]
        last = load_last_push(app.survey_id)
        assert last is not None and last.qualtrics_survey_id == sid
        assert load_last_push() == last  # "the survey last pushed", for QA
        # a second push sends only what changed: nothing
        await until(
            pilot, lambda: "No change since the last push" in screen_text(app, "#push-plan")
        )
        await pilot.press("y")
        await until(pilot, lambda: screen.state == "done" and screen.result.requests > 0)
        await until(pilot, lambda: screen.result.created["questions"] == 0, rounds=1000)
        assert screen.result.updated["questions"] == 0


async def test_an_injected_500_fails_the_push_and_resume_finishes_it():
    async with demo_app() as (app, pilot, client):
        await finished(pilot, app)
        app.push_client_options = {"max_retries": 1, "backoff_base": 0.01}
        app.source.demo.qualtrics.fail_next(10, status=500, path_contains="/questions", after=3)
        screen = await open_push(pilot, app)
        await pilot.press("y")
        await until(pilot, lambda: screen.state == "failed", rounds=1500)
        failure = screen_text(app, "#push-result")
        assert "Push failed" in failure and "500" in failure and "r resumes" in failure
        await pilot.press("r")
        await until(pilot, lambda: screen.state == "done", rounds=1500)
        demo = app.source.demo
        sid = screen.result.qualtrics_survey_id
        async with QualtricsClient(demo.qualtrics_base_url, demo.qualtrics_token) as qualtrics:
            definition = await qualtrics.get_definition(sid)
        compiled = compile_survey(screen.survey).question_list()
        assert len(definition["Questions"]) == len(compiled)  # nothing doubled by the resume
        assert len(demo.qualtrics.surveys) == 1


async def test_a_push_that_drops_a_route_is_refused_until_allowed():
    async with demo_app() as (app, pilot, client):
        await finished(pilot, app)
        screen = await open_push(pilot, app)
        await pilot.press("y")
        await until(pilot, lambda: screen.state == "done", rounds=1500)
        await pilot.press("escape")
        await until_screen(pilot, "MainScreen")
        # break a rule's condition on Questra: the compiler would have to leave it out
        rule = next(
            r
            for p in app.store.pages(app.survey_id or "")
            for r in app.store.rules(p.id)
            if r.condition
        )
        await client.update_rule(rule.id, condition="q1.value == '1' and (")
        await until(pilot, lambda: app.store.rule(rule.id).condition.endswith("("))
        await settle(pilot, app)
        screen = await open_push(pilot, app)
        assert screen.state == "refused"
        routing = screen_text(app, "#push-routing")
        assert "is left out" in routing and "allow them (A)" in routing
        requests = app.source.demo.qualtrics.request_count
        await pilot.press("y")
        await pilot.pause(0.2)
        assert screen.state == "refused" and app.source.demo.qualtrics.request_count == requests
        await pilot.press("A")
        await pilot.press("y")
        await until(pilot, lambda: screen.state == "done", rounds=1500)
        assert screen.result.flow_updated


async def test_enter_on_a_compile_issue_goes_to_its_item():
    async with demo_app() as (app, pilot, client):
        await finished(pilot, app)
        rule = next(
            r
            for p in app.store.pages(app.survey_id or "")
            for r in app.store.rules(p.id)
            if r.condition
        )
        await client.update_rule(rule.id, condition="q1.value == (")
        await until(pilot, lambda: app.store.rule(rule.id).condition == "q1.value == (")
        await settle(pilot, app)
        screen = await open_push(pilot, app)
        issues = screen.query_one("#push-issues")
        index = next(i for i, o in enumerate(issues.options) if o.id == rule.id)
        issues.focus()
        issues.highlighted = index
        await pilot.press("enter")
        await until_screen(pilot, "MainScreen")
        assert app.tree.item is not None and app.tree.item.key == ("rule", rule.id)


async def test_esc_cancels_between_requests_and_resume_finishes_the_push():
    async with demo_app() as (app, pilot, client):
        await finished(pilot, app)
        app.push_client_options = {"max_retries": 3, "backoff_base": 1.0, "backoff_max": 1.0}
        # a question is throttled once, so the push waits about a second mid-way
        app.source.demo.qualtrics.fail_next(1, status=429, path_contains="/questions", after=2)
        screen = await open_push(pilot, app)
        await pilot.press("y")
        await until(pilot, lambda: screen.transport is not None and screen.transport.requests > 3)
        await pilot.press("escape")
        await until(pilot, lambda: screen.state == "cancelled", rounds=1500)
        assert type(app.screen).__name__ == "PushScreen"  # esc while pushing only cancels
        assert "Cancelled" in screen_text(app, "#push-result")
        await pilot.press("r")
        await until(pilot, lambda: screen.state == "done", rounds=1500)
        demo = app.source.demo
        sid = screen.result.qualtrics_survey_id
        async with QualtricsClient(demo.qualtrics_base_url, demo.qualtrics_token) as qualtrics:
            definition = await qualtrics.get_definition(sid)
        assert len(definition["Questions"]) == len(compile_survey(screen.survey).question_list())


async def test_without_qualtrics_settings_the_screen_says_so_and_offers_no_push(feed):
    from tests.tui.conftest import make_app
    from tests.tui.test_edit_forms import opened

    app = make_app(feed)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot, app, feed)
        screen = await open_push(pilot, app)
        assert screen.state == "unavailable"
        assert "not configured" in screen_text(app, "#push-plan")
        for action in ("push", "allow_routing", "resume"):
            assert not screen.check_action(action, ())  # not offered: they would do nothing
        assert not screen.query_one("#push-issues").display
        await pilot.press("y")
        assert screen.state == "unavailable"
        await pilot.press("escape")
        await until_screen(pilot, "MainScreen")


async def test_at_80x24_the_outcome_scrolls_into_view_below_the_plan():
    async with demo_app() as (app, pilot, client):
        await finished(pilot, app)
        await pilot.resize_terminal(80, 24)
        screen = await open_push(pilot, app)
        await pilot.press("y")
        await until(pilot, lambda: screen.state == "done", rounds=1500)
        await settle(pilot, app)
        body = screen.query_one("#push-body")
        result = screen.query_one("#push-result")
        assert body.max_scroll_y > 0  # the plan and issues do not fit at this size
        await until(pilot, lambda: body.region.contains_region(result.region))
        assert "Pushed to SV_" in screen_text(app, "#push-result")
