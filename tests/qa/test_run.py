"""Routes walked on the Qualtrics sandbox (and in the local engine) over loopback HTTP."""

from __future__ import annotations

import pytest

from qtui.qa.plan import CoveragePlan, Target, Uncoverable, plan_coverage
from qtui.qa.run import (
    LOCAL_ENGINE,
    PLATFORM,
    CoverageRun,
    LocalTaker,
    PageLocator,
    PlatformTaker,
    blockers,
    disposition_from_record,
    run_coverage,
)
from qtui.sandbox.qualtrics import QualtricsSandbox
from tests.qa.conftest import bundled, invert_rule, push


async def cover(client, survey, *, engine=PLATFORM, concurrency=4) -> CoverageRun:
    """Push `survey`, walk every planned route; the run keeps its locator for the checks."""
    survey_id = await push(client, survey)
    definition = await client.get_definition(survey_id)
    plan = plan_coverage(survey)
    locator = PageLocator(survey, definition)
    if engine == LOCAL_ENGINE:
        run = await run_coverage(plan, locator, lambda: LocalTaker(definition))
    else:
        run = await run_coverage(
            plan, locator, lambda: PlatformTaker(client, survey_id), concurrency=concurrency
        )
    run.locator = locator  # type: ignore[attr-defined]
    return run


@pytest.mark.parametrize("name", ["screener_sessions", "csat"])
async def test_every_route_of_a_sessions_survey_agrees_on_the_platform(client, name):
    run = await cover(client, bundled(name))
    assert run.engine == PLATFORM
    assert [r.route for r in run.results if not r.agreed] == []
    assert run.complete and run.exit_code == 0
    endings = {r.ending for r in run.results}
    assert endings == (
        {"complete", "screened out"} if name == "screener_sessions" else {"complete"}
    )
    for result in run.results:
        # pages of text alone are folded away when compiled for sessions
        assert result.visited == run.locator.expected(result.prediction.shown)
        assert result.visited[0] == "p1" and "p0" not in result.visited
        assert result.requests >= len(result.visited)


async def test_the_full_screener_names_its_blockers_and_is_covered_in_the_local_engine(client):
    survey = bundled("screener")
    survey_id = await push(client, survey)
    found = blockers(await client.get_definition(survey_id))
    assert any("matrix table (Matrix/Likert)" in b for b in found)
    assert any("rank order" in b for b in found)
    assert all("sessions API takes only" in b for b in found)
    run = await cover(client, survey, engine=LOCAL_ENGINE)
    assert run.engine == LOCAL_ENGINE
    assert run.complete and run.exit_code == 0, [r.error or r.divergence for r in run.results]
    assert run.requests == 0  # nothing but the definition was fetched


async def test_an_inverted_branch_is_caught_at_its_first_differing_page(client):
    survey = bundled("screener_sessions")
    survey_id = await push(client, survey)
    rule = next(
        r
        for p in survey.pages
        for r in p.navigation_rules
        if r.condition == "q2.value == 'outside_us'"
    )
    await invert_rule(client, survey_id, rule.id)
    definition = await client.get_definition(survey_id)
    plan = plan_coverage(survey)
    run = await run_coverage(
        plan, PageLocator(survey, definition), lambda: PlatformTaker(client, survey_id)
    )
    assert run.exit_code == 1
    diverged = run.divergences
    assert diverged, "the seeded bug went unnoticed"
    first = diverged[0].divergence
    assert first.after == "p2"  # the Region page, where the inverted rule decides
    # Industry on one side, the end (Terminate holds only text) on the other
    assert {first.expected, first.reached} == {"p3", None}
    assert first.answers["q2"] in ("outside_us", "northeast", "west", "midwest", "south")
    for result in diverged:
        # the walk stopped at the first difference: nothing after it was walked
        assert len(result.visited) == result.divergence.step or result.divergence.reached is None


async def test_sessions_as_the_postman_collection_shows_them_still_walk():
    """Updates answer `result: {}` and a finished session names no response."""
    from qtui.qualtrics.client import QualtricsClient
    from qtui.serving import serving
    from tests.qualtrics.conftest import mount

    sandbox = QualtricsSandbox(empty_session_updates=True, session_response_ids=False)
    async with serving(mount(sandbox)) as running:
        async with QualtricsClient(running.url, sandbox.token, backoff_base=0.01) as client:
            run = await cover(client, bundled("screener_sessions"))
    assert run.complete and run.exit_code == 0
    # the ending came from what the session recorded (its embedded status field)
    assert {r.ending for r in run.results} == {"complete", "screened out"}


async def test_rate_limits_are_waited_out_not_failed():
    from qtui.qualtrics.client import QualtricsClient
    from qtui.serving import serving
    from tests.qualtrics.conftest import mount

    sandbox = QualtricsSandbox(rate_limit=40, rate_window=0.5)
    async with serving(mount(sandbox)) as running:
        async with QualtricsClient(running.url, sandbox.token, backoff_base=0.01) as client:
            run = await cover(client, bundled("screener_sessions"), concurrency=6)
            assert client.retries > 0  # some requests met a 429 and waited its Retry-After
    assert run.complete and run.exit_code == 0


def test_the_ending_is_read_from_what_the_platform_records():
    assert disposition_from_record({"values": {"Q_TerminateFlag": "Screened"}}) == "screened out"
    assert disposition_from_record({"values": {"Q_TerminateFlag": "QuotaMet"}}) == "over quota"
    assert (
        disposition_from_record({"embeddedData": {"qtui_response_status": "terminated"}})
        == "screened out"
    )
    assert disposition_from_record({"values": {"finished": 1}}) == "complete"
    assert disposition_from_record({"values": {"finished": 0}}) is None  # said nothing: "ended"


def test_exit_codes_follow_agreement_and_coverage():
    survey = bundled("csat")
    plan = plan_coverage(survey)
    run = CoverageRun(plan, PLATFORM, [], 0.0, 0)
    assert run.exit_code == 3  # nothing walked: coverage incomplete
    unproven = CoveragePlan(
        plan.survey_id,
        plan.survey_name,
        [],
        [Target("page", "x")],
        [Uncoverable(Target("page", "x"), "no answers found", proven=False)],
    )
    assert CoverageRun(unproven, PLATFORM, [], 0.0, 0).exit_code == 3
    proven = CoveragePlan(
        plan.survey_id,
        plan.survey_name,
        [],
        [Target("page", "x")],
        [Uncoverable(Target("page", "x"), "unreachable", proven=True)],
    )
    assert CoverageRun(proven, PLATFORM, [], 0.0, 0).exit_code == 0


async def test_a_scripted_walk_needs_neither_an_update_result_nor_a_response_id():
    from qtui.qualtrics.client import QualtricsClient
    from qtui.qualtrics.session import SessionDriver, walkthrough
    from qtui.serving import serving
    from tests.qualtrics.conftest import mount

    sandbox = QualtricsSandbox(empty_session_updates=True, session_response_ids=False)
    async with serving(mount(sandbox)) as running:
        async with QualtricsClient(running.url, sandbox.token, backoff_base=0.01) as client:
            survey_id = await push(client, bundled("screener_sessions"))
            walk = await walkthrough(
                SessionDriver(client, survey_id), {"q1": "18_24", "q2": "outside_us"}
            )
    assert walk.done and walk.response_id is None
    assert [len(step.questions) for step in walk.steps] == [1, 1]  # Age, Region
    assert len(sandbox.responses) == 1  # it was recorded, only not named
