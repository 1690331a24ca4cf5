"""The programming simulator and the bundled questionnaires it programs."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from qtui.core.events import parse_event
from qtui.core.logic import parse, reference_roots
from qtui.core.models import KNOWN_BLOCK_TYPES, Survey
from qtui.core.routes import analyze, route
from qtui.sandbox import questionnaires
from qtui.sandbox.questra import QuestraSandbox
from qtui.sandbox.simulator import FAILURE_REASON
from qtui.serving import serving

KEY = "qk_test"
ORG = "org_test"
AUTH = {"Authorization": f"Bearer {KEY}", "X-Org-Id": ORG}

VARIABLE_NAMES = {"aware_count", "aware_brands", "is_heavy_viewer", "is_parent"}

TIMESTAMP_FIELDS = {
    "timestamp",
    "created_at",
    "updated_at",
    "programming_started_at",
    "programming_completed_at",
    "platform_ir_last_pushed_at",
    "failed_at",
}


@pytest.fixture
async def served() -> AsyncIterator[tuple[QuestraSandbox, httpx.AsyncClient]]:
    sandbox = QuestraSandbox(KEY, ORG, speed=math.inf, seed=1)
    async with (
        serving(sandbox.app) as server,
        httpx.AsyncClient(base_url=server.url, headers=AUTH) as http,
    ):
        yield sandbox, http


async def program(
    http: httpx.AsyncClient,
    sandbox: QuestraSandbox,
    name: str,
    *,
    destination: str | None = "qualtrics",
    **start: Any,
) -> dict[str, Any]:
    survey = (await http.post("/surveys", json={"name": name})).json()
    if destination is not None:
        await http.put(
            f"/surveys/{survey['id']}/destination", json={"target_platform": destination}
        )
    response = await http.post(f"/surveys/{survey['id']}/start-programming", json=start)
    assert response.status_code == 200, response.text
    assert await sandbox.drain(20)
    return (await http.get(f"/surveys/{survey['id']}")).json()


def names(events: list[dict[str, Any]]) -> list[str]:
    return [e["event"] for e in events]


def survey_updates(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["data"] for e in events if e["event"] == "survey.updated"]


# --- a whole run -------------------------------------------------------------------------


async def test_a_fast_run_builds_the_screener_and_ends_reviewing(served) -> None:
    sandbox, http = served
    survey = await program(http, sandbox, "Brand screener")
    events = sandbox.events
    for event in events:
        parse_event(event)
    start = names(events).index("programming.started")
    assert names(events)[start : start + 2] == ["programming.started", "survey.updated"]
    assert events[start + 1]["data"]["status"] == "programming"
    assert events[start + 1]["data"]["locked"] is True
    finished = names(events).index("programming.finished")
    assert events[finished]["data"]["status"] == "completed"
    after = survey_updates(events[finished:])
    assert [u["status"] for u in after] == ["compiling", "reviewing"]
    assert after[0]["locked"] is False and after[0]["programming_completed_at"]
    assert after[1]["target_platform"] == "qualtrics"
    assert after[1]["platform_ir_last_pushed_at"] == after[1]["updated_at"]

    expected = questionnaires.load("screener")
    assert survey["status"] == "reviewing" and survey["locked"] is False
    assert [p["name"] for p in survey["pages"]] == [p["name"] for p in expected["pages"]]
    assert {v["name"] for v in survey["variables"]} == {v["name"] for v in expected["variables"]}
    types = {b["config"]["type"] for p in survey["pages"] for b in p["blocks"]}
    assert types == set(KNOWN_BLOCK_TYPES)
    assert all(p["programming_completed_at"] and not p["locked"] for p in survey["pages"])


async def test_each_page_is_programmed_between_its_created_and_updated_events(served) -> None:
    sandbox, http = served
    await program(http, sandbox, "CSAT")
    open_page: str | None = None
    for event in sandbox.events:
        data = event["data"]
        if event["event"] == "page.created":
            assert open_page is None
            assert data["locked"] is True and data["programming_started_at"] == data["created_at"]
            open_page = data["id"]
        elif event["event"] == "page.updated" and open_page == data["id"]:
            assert data["locked"] is False and data["programming_completed_at"]
            open_page = None
        elif event["event"] == "block.created" and open_page is not None:
            assert data["page_id"] == open_page
    assert open_page is None


async def test_rules_are_created_once_their_target_and_variables_exist(served) -> None:
    sandbox, http = served
    await program(http, sandbox, "Screener")
    pages: set[str] = set()
    variables: set[str] = set()
    rules = 0
    for event in sandbox.events:
        data = event["data"]
        if event["event"] == "page.created":
            pages.add(data["id"])
        elif event["event"] == "variable.created":
            variables.add(data["name"])
        elif event["event"] == "navigation_rule.created":
            rules += 1
            assert data["target_page_id"] in pages
            assert data["targetPage"]["id"] == data["target_page_id"]
            if data["condition"]:
                read = reference_roots(parse(data["condition"]))
                assert read & VARIABLE_NAMES <= variables
    assert rules == 12


async def test_the_run_revises_its_work_like_an_ai(served) -> None:
    sandbox, http = served
    survey = await program(http, sandbox, "CSAT")
    finished = names(sandbox.events).index("programming.finished")
    revision_events = [
        e for e in sandbox.events[:finished] if e["event"] in ("block.updated", "block.deleted",
                                                              "navigation_rule.updated")
    ]  # fmt: skip
    kinds = [e["event"] for e in revision_events]
    assert kinds == ["block.updated", "block.updated", "block.deleted", "navigation_rule.updated"]
    reworded, moved = revision_events[0]["data"], revision_events[1]["data"]
    assert reworded["config"]["label"] == "Overall, how satisfied are you with Acme's service?"
    created = {e["data"]["id"]: e["data"] for e in sandbox.events if e["event"] == "block.created"}
    assert moved["page_id"] != created[moved["id"]]["page_id"]
    deleted = revision_events[2]["data"]["id"]
    recreated = [b for p in survey["pages"] for b in p["blocks"] if b["config"].get("name") == "q4"]
    assert len(recreated) == 1 and recreated[0]["id"] != deleted
    assert "Value for money" in [c["label"] for c in recreated[0]["config"]["choices"]]
    assert revision_events[3]["data"]["condition"] == "is_detractor or q2.value in ['1', '2']"


async def test_without_a_destination_the_survey_waits_then_pushes_once_one_is_set(served) -> None:
    sandbox, http = served
    survey = await program(http, sandbox, "CSAT", destination=None)
    assert survey["status"] == "waiting_for_destination"
    mark = len(sandbox.events)
    await http.put(f"/surveys/{survey['id']}/destination", json={"target_platform": "decipher"})
    assert await sandbox.drain(5)
    statuses = [u["status"] for u in survey_updates(sandbox.events[mark:])]
    assert statuses == ["waiting_for_destination", "compiling", "reviewing"]
    final = (await http.get(f"/surveys/{survey['id']}")).json()
    assert final["target_platform"] == "decipher" and final["platform_ir_last_pushed_at"]


async def test_a_failed_run_stops_part_way_and_says_why(served) -> None:
    sandbox, http = served
    survey = await program(http, sandbox, "Screener", fail=True)
    finished = [e["data"] for e in sandbox.events if e["event"] == "programming.finished"]
    assert [f["status"] for f in finished] == ["failed"]
    last = survey_updates(sandbox.events)[-1]
    assert last["status"] == "pending" and last["locked"] is False
    assert last["failure_reason"] == FAILURE_REASON and last["failed_at"]
    assert 0 < len(survey["pages"]) < len(questionnaires.load("screener")["pages"])
    assert not any(p["locked"] for p in survey["pages"])
    assert survey["failure_reason"] == FAILURE_REASON


async def test_a_sandbox_made_to_fail_fails_every_run() -> None:
    sandbox = QuestraSandbox(KEY, ORG, speed=math.inf, fail_programming=True)
    async with (
        serving(sandbox.app) as server,
        httpx.AsyncClient(base_url=server.url, headers=AUTH) as http,
    ):
        await program(http, sandbox, "CSAT")
    assert [
        e["data"]["status"] for e in sandbox.events if e["event"] == "programming.finished"
    ] == ["failed"]


async def test_start_programming_is_idempotent_while_running() -> None:
    sandbox = QuestraSandbox(KEY, ORG, speed=5)
    async with (
        serving(sandbox.app) as server,
        httpx.AsyncClient(base_url=server.url, headers=AUTH) as http,
    ):
        survey = (await http.post("/surveys", json={"name": "CSAT"})).json()
        first = (await http.post(f"/surveys/{survey['id']}/start-programming")).json()
        second = (await http.post(f"/surveys/{survey['slug']}/start-programming")).json()
        assert first == {"ok": True, "already_running": False, "status": "programming"}
        assert second == {"ok": True, "already_running": True, "status": "programming"}
        await http.delete(f"/surveys/{survey['id']}")
        assert await sandbox.drain(5)
    assert names(sandbox.events).count("programming.started") == 1


async def test_start_programming_after_completion_starts_nothing(served) -> None:
    sandbox, http = served
    survey = await program(http, sandbox, "CSAT")
    again = (await http.post(f"/surveys/{survey['id']}/start-programming")).json()
    assert again == {"ok": True, "already_running": False, "status": "reviewing"}
    assert await sandbox.drain(5)
    assert names(sandbox.events).count("programming.started") == 1


async def test_a_failed_survey_can_be_programmed_again(served) -> None:
    sandbox, http = served
    survey = await program(http, sandbox, "CSAT", fail=True)
    again = await http.post(f"/surveys/{survey['id']}/start-programming", json={"fail": False})
    assert again.json()["already_running"] is False
    assert await sandbox.drain(10)
    statuses = [e["data"]["status"] for e in sandbox.events if e["event"] == "programming.finished"]
    assert statuses == ["failed", "completed"]
    final = (await http.get(f"/surveys/{survey['id']}")).json()
    # the second run started over: one copy of each page, nothing left from the first
    assert [p["name"] for p in final["pages"]] == [
        p["name"] for p in questionnaires.load("csat")["pages"]
    ]
    assert final["failure_reason"] is None and final["status"] == "reviewing"


async def test_the_questionnaire_can_be_chosen_in_the_start_body(served) -> None:
    sandbox, http = served
    survey = await program(http, sandbox, "Anything", questionnaire="csat")
    assert [p["name"] for p in survey["pages"]][-1] == "Thank you"
    unknown = await http.post(
        f"/surveys/{(await http.post('/surveys', json={'name': 'x'})).json()['id']}"
        "/start-programming",
        json={"questionnaire": "nope"},
    )
    assert unknown.status_code == 422 and "csat" in unknown.json()["message"]


async def test_the_same_seed_gives_the_same_events() -> None:
    async def run(seed: int) -> list[dict[str, Any]]:
        sandbox = QuestraSandbox(KEY, ORG, speed=math.inf, seed=seed)
        async with (
            serving(sandbox.app) as server,
            httpx.AsyncClient(base_url=server.url, headers=AUTH) as http,
        ):
            await program(http, sandbox, "Screener")
        return [_without_times(e) for e in sandbox.events]

    first, second, other = await run(7), await run(7), await run(8)
    assert first == second
    assert len(first) > 100
    assert [e["event"] for e in other] == [e["event"] for e in first]
    assert other != first  # other ids


def _without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k not in TIMESTAMP_FIELDS}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


async def test_deleting_the_survey_cancels_its_run() -> None:
    sandbox = QuestraSandbox(KEY, ORG, speed=5)
    async with (
        serving(sandbox.app) as server,
        httpx.AsyncClient(base_url=server.url, headers=AUTH) as http,
    ):
        survey = (await http.post("/surveys", json={"name": "Screener"})).json()
        await http.post(f"/surveys/{survey['id']}/start-programming")
        while "page.created" not in names(sandbox.events):
            await sandbox.drain(0.05)
        await http.delete(f"/surveys/{survey['id']}")
        assert await sandbox.drain(5)
        count = len(sandbox.events)
        assert await sandbox.drain(0.3)
        assert len(sandbox.events) == count  # nothing more after the delete
    assert names(sandbox.events)[-2:] == ["programming.finished", "survey.deleted"]
    assert sandbox.events[-2]["data"]["status"] == "cancelled"


async def test_virtual_time_spaces_an_instant_run_like_a_real_one() -> None:
    from datetime import UTC, datetime

    start = datetime(2025, 4, 1, 10, 0, tzinfo=UTC)
    sandbox = QuestraSandbox(KEY, ORG, speed=math.inf, clock=lambda: start, virtual_time=True)
    survey = sandbox.org.create_survey("Screener")
    await sandbox.start_programming(survey["id"])
    assert await sandbox.drain(10)
    first, last = sandbox.events[0]["timestamp"], sandbox.events[-1]["timestamp"]
    assert first.startswith("2025-04-01T10:00:00")
    # the screener at speed 1.0 takes a minute or so, so its stamps span about that long
    assert "2025-04-01T10:00:50" < last < "2025-04-01T10:02:00"


# --- bundled questionnaires --------------------------------------------------------------


def _conditions(questionnaire: dict[str, Any]) -> list[str]:
    texts = [v["expression"] for v in questionnaire["variables"] if v.get("expression")]
    for page in questionnaire["pages"]:
        texts += [r["condition"] for r in page["navigation_rules"] if r.get("condition")]
        texts += [b["config"]["showIf"] for b in page["blocks"] if b["config"].get("showIf")]
    texts += [r["condition"] for r in questionnaire.get("revisions", []) if "condition" in r]
    return texts


def _as_survey(questionnaire: dict[str, Any]) -> Survey:
    ids = {page["name"]: f"page-{i}" for i, page in enumerate(questionnaire["pages"])}
    pages = []
    for i, page in enumerate(questionnaire["pages"]):
        pages.append(
            {
                "id": ids[page["name"]],
                "name": page["name"],
                "order": i,
                "assign_response_status": page.get("assign_response_status"),
                "blocks": [
                    {"id": f"b{i}.{j}", "order": j, "config": b["config"]}
                    for j, b in enumerate(page["blocks"])
                ],
                "navigation_rules": [
                    {
                        "id": f"r{i}.{j}",
                        "source_page_id": ids[page["name"]],
                        "target_page_id": ids[r["target"]],
                        "condition": r["condition"],
                        "order": j,
                    }
                    for j, r in enumerate(page["navigation_rules"])
                ],
            }
        )
    variables = [{"id": f"v{k}", **v} for k, v in enumerate(questionnaire["variables"])]
    return Survey.model_validate({"id": "s", "pages": pages, "variables": variables})


@pytest.mark.parametrize("name", questionnaires.names())
def test_every_condition_of_a_bundled_questionnaire_parses(name: str) -> None:
    texts = _conditions(questionnaires.load(name))
    assert texts
    for text in texts:
        parse(text)


@pytest.mark.parametrize("name", ["csat", "screener", "screener_sessions"])
def test_bundled_questionnaires_have_no_routing_problems(name: str) -> None:
    findings = analyze(_as_survey(questionnaires.load(name))).findings
    assert findings == []


def test_the_screener_is_a_realistic_thirty_page_study() -> None:
    screener = questionnaires.load("screener")
    pages = {p["name"]: p for p in screener["pages"]}
    assert 28 <= len(pages) <= 32
    types = Counter(b["config"]["type"] for p in screener["pages"] for b in p["blocks"])
    assert set(types) == set(KNOWN_BLOCK_TYPES)
    assert pages["Terminate"]["assign_response_status"] == "terminated"
    assert pages["Complete"]["assign_response_status"] == "completed"
    age_rule = pages["Age"]["navigation_rules"][0]
    assert age_rule == {"target": "Terminate", "condition": "q1.value in ['under_18']"}
    terminating = [p for p in screener["pages"] for r in p["navigation_rules"]
                   if r["target"] == "Terminate"]  # fmt: skip
    assert len(terminating) >= 6
    [autosum] = [b["config"] for p in screener["pages"] for b in p["blocks"]
                 if b["config"]["type"] == "Autosum"]  # fmt: skip
    assert autosum["target"] == 100
    [looped] = [b["config"] for p in screener["pages"] for b in p["blocks"]
                if b["config"]["type"] == "Loop"]  # fmt: skip
    assert looped["variable"] == "aware_brands"
    assert {v["name"] for v in screener["variables"]} >= {"aware_count", "aware_brands"}
    named = [b["config"]["name"] for p in screener["pages"] for b in p["blocks"]
             if b["config"]["type"] not in ("Text", "Loop")]  # fmt: skip
    assert named == [f"q{n}" for n in range(1, len(named) + 1)]


def test_the_screener_routes_qualified_and_unqualified_respondents_apart() -> None:
    survey = _as_survey(questionnaires.load("screener"))
    minor = route(survey, {"q1": "under_18"})
    assert [p.name for p in minor.pages] == ["Introduction", "Age", "Terminate"]
    qualified = route(
        survey,
        {
            "q1": "25_34", "q4": "west", "q6": ["none"], "q7": "never", "q8": "daily",
            "q10": "2", "q11": ["streamflix", "vidora"], "q23": "keep", "q28": "no",
        },
    )  # fmt: skip
    visited = [p.name for p in qualified.pages]
    assert visited[-1] == "Complete" and qualified.ended == "end"
    assert "Heavy viewing habits" in visited and "Brand evaluation" in visited
    for skipped in ("Terminate", "Light viewing", "Switching reasons", "Children's viewing"):
        assert skipped not in visited


def test_the_sessions_screener_uses_only_walkthrough_friendly_blocks() -> None:
    sessions = questionnaires.load("screener_sessions")
    types = {b["config"]["type"] for p in sessions["pages"] for b in p["blocks"]}
    assert types == {"Text", "TextInput", "MultipleChoice"}
    nps = [b["config"] for p in sessions["pages"] for b in p["blocks"]
           if len(b["config"].get("choices", [])) == 11]  # fmt: skip
    assert [c["value"] for c in nps[0]["choices"]] == [str(n) for n in range(11)]


def test_the_large_questionnaire_has_over_1000_pages_and_20000_blocks() -> None:
    large = questionnaires.load("large")
    assert len(large["pages"]) >= 1_000
    assert sum(len(p["blocks"]) for p in large["pages"]) >= 20_000
    assert sum(len(p["navigation_rules"]) for p in large["pages"]) >= 100
    assert len(large["variables"]) >= 20
    assert questionnaires.load("large") == large  # generated the same every time


def test_the_questionnaire_follows_the_survey_name() -> None:
    assert questionnaires.choose("Q4 CSAT") == "csat"
    assert questionnaires.choose("Screener sessions") == "screener_sessions"
    assert questionnaires.choose("Large tracker") == "large"
    assert questionnaires.choose("Anything", "brand-screener") == "screener"
    assert questionnaires.choose("Anything") == "screener"
    with pytest.raises(KeyError, match="choose one of"):
        questionnaires.load("nope")
