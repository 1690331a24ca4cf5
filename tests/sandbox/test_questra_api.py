"""The Questra sandbox's REST API over real HTTP: auth, CRUD, errors, and the events emitted."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from qtui.core.events import parse_event
from qtui.sandbox.questra import QuestraSandbox
from qtui.serving import serving

KEY = "qk_test"
ORG = "org_test"
AUTH = {"Authorization": f"Bearer {KEY}", "X-Org-Id": ORG}

# Field sets of the documentation's example events (seeds 000 and 001).
SURVEY_CREATED_KEYS = {
    "id", "slug", "name", "user_id", "org_id", "status", "target_platform", "created_at",
    "updated_at",
}  # fmt: skip
PAGE_KEYS = {
    "id", "survey_id", "name", "order", "locked", "programming_started_at",
    "programming_completed_at", "created_at", "updated_at",
}  # fmt: skip
BLOCK_KEYS = {"id", "page_id", "order", "config", "created_at", "updated_at"}
VARIABLE_KEYS = {"id", "survey_id", "name", "expression"}
RULE_KEYS = {"id", "source_page_id", "target_page_id", "condition", "order", "sourcePage",
             "targetPage"}  # fmt: skip

MC = {
    "type": "MultipleChoice",
    "label": "How satisfied are you with our service?",
    "choices": [{"label": "Very satisfied", "value": "5"}, {"label": "Dissatisfied", "value": "2"}],
    "allowMultiple": False,
}


@dataclass
class Api:
    sandbox: QuestraSandbox
    http: httpx.AsyncClient

    def events(self, since: int = 0) -> list[dict[str, Any]]:
        return self.sandbox.events[since:]

    def mark(self) -> int:
        return len(self.sandbox.events)


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    sandbox = QuestraSandbox(KEY, ORG, speed=math.inf)
    async with (
        serving(sandbox.app) as server,
        httpx.AsyncClient(base_url=server.url, headers=AUTH) as http,
    ):
        yield Api(sandbox, http)


async def make_survey(api: Api, name: str = "Brand tracker") -> dict[str, Any]:
    response = await api.http.post("/surveys", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()


async def make_page(api: Api, survey_id: str, name: str) -> dict[str, Any]:
    response = await api.http.post(f"/surveys/{survey_id}/pages", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()


# --- authentication ----------------------------------------------------------------------


async def test_missing_api_key_is_401_with_a_json_error(api: Api) -> None:
    response = await api.http.get("/surveys", headers={"Authorization": ""})
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "unauthorized"
    assert "Authorization" in body["message"]


async def test_wrong_api_key_is_401(api: Api) -> None:
    response = await api.http.get("/surveys", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_wrong_or_missing_org_is_403(api: Api) -> None:
    wrong = await api.http.get("/surveys", headers={"X-Org-Id": "org_other"})
    missing = await api.http.get("/surveys", headers={"X-Org-Id": ""})
    assert wrong.status_code == missing.status_code == 403
    assert "org_other" in wrong.json()["message"]
    assert "X-Org-Id" in missing.json()["message"]


async def test_refused_request_changes_nothing(api: Api) -> None:
    response = await api.http.post(
        "/surveys", json={"name": "x"}, headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401
    assert api.sandbox.events == []
    assert api.sandbox.org.surveys == {}


# --- surveys -----------------------------------------------------------------------------


async def test_create_survey_answers_201_full_survey_and_emits_seed_shaped_event(
    api: Api,
) -> None:
    survey = await make_survey(api, "Q4 Customer Satisfaction Study")
    assert survey["slug"] == "q4-customer-satisfaction-study"
    assert survey["status"] == "pending"
    assert survey["pages"] == [] and survey["variables"] == []
    assert survey["locked"] is False and survey["target_platform"] is None
    [event] = api.events()
    assert event["event"] == "survey.created"
    assert set(event["data"]) == SURVEY_CREATED_KEYS
    assert event["data"]["id"] == survey["id"]
    assert event["timestamp"].endswith("Z") and event["data"]["created_at"].endswith("Z")


async def test_survey_is_found_by_id_or_slug_and_listed(api: Api) -> None:
    survey = await make_survey(api)
    by_slug = (await api.http.get(f"/surveys/{survey['slug']}")).json()
    by_id = (await api.http.get(f"/surveys/{survey['id']}")).json()
    assert by_slug == by_id
    listed = (await api.http.get("/surveys")).json()
    assert [s["id"] for s in listed] == [survey["id"]]
    assert "pages" not in listed[0]


async def test_generated_slugs_stay_unique(api: Api) -> None:
    first = await make_survey(api, "Wave")
    second = await make_survey(api, "Wave")
    assert first["slug"] == "wave" and second["slug"] != "wave"


async def test_put_and_patch_update_the_survey_and_emit_survey_updated(api: Api) -> None:
    survey = await make_survey(api)
    mark = api.mark()
    put = await api.http.put(f"/surveys/{survey['slug']}", json={"name": "Renamed"})
    patch = await api.http.patch(f"/surveys/{survey['id']}", json={"slug": "renamed-study"})
    assert put.status_code == patch.status_code == 200
    assert put.json()["name"] == "Renamed" and "pages" not in put.json()
    assert patch.json()["slug"] == "renamed-study" and "status_changeset" in patch.json()
    updates = api.events(mark)
    assert [e["event"] for e in updates] == ["survey.updated", "survey.updated"]
    assert updates[1]["data"]["slug"] == "renamed-study"
    assert updates[0]["data"]["updated_at"] < updates[1]["data"]["updated_at"]
    assert (await api.http.get("/surveys/renamed-study")).status_code == 200


async def test_taken_slug_is_409_and_malformed_slug_is_422(api: Api) -> None:
    await make_survey(api, "Taken")
    taken = await api.http.post("/surveys", json={"name": "x", "slug": "taken"})
    malformed = await api.http.post("/surveys", json={"name": "x", "slug": "9lives"})
    assert taken.status_code == 409 and taken.json()["error"] == "conflict"
    assert malformed.status_code == 422
    assert malformed.json()["message"].startswith("slug:")


async def test_delete_survey_emits_only_its_id(api: Api) -> None:
    survey = await make_survey(api)
    await make_page(api, survey["id"], "Intro")
    mark = api.mark()
    response = await api.http.delete(f"/surveys/{survey['id']}")
    assert response.status_code == 204
    assert api.events(mark) == [
        {
            "event": "survey.deleted",
            "data": {"id": survey["id"]},
            "timestamp": api.events(mark)[0]["timestamp"],
        }
    ]
    assert (await api.http.get(f"/surveys/{survey['id']}")).status_code == 404


# --- pages, blocks, variables, rules -----------------------------------------------------


async def test_resource_round_trip_emits_events_in_the_documented_shapes(api: Api) -> None:
    survey = await make_survey(api)
    mark = api.mark()
    screener = await make_page(api, survey["slug"], "Screener")
    disqualified = await make_page(api, survey["id"], "Disqualified")
    block = (await api.http.post(f"/pages/{screener['id']}/blocks", json={"config": MC})).json()
    variable = (
        await api.http.post(
            f"/surveys/{survey['id']}/variables",
            json={"name": "satisfaction_score", "expression": "q1.value"},
        )
    ).json()
    rule = (
        await api.http.post(
            f"/pages/{screener['id']}/navigation-rules",
            json={"target_page_id": disqualified["id"], "condition": "q1.value == '2'"},
        )
    ).json()
    created = api.events(mark)
    assert [e["event"] for e in created] == [
        "page.created",
        "page.created",
        "block.created",
        "variable.created",
        "navigation_rule.created",
    ]
    for event in created:
        parse_event(event)  # qtui's own parser accepts every one
    assert set(created[0]["data"]) == PAGE_KEYS
    assert created[0]["data"]["survey_id"] == survey["id"]
    assert set(created[2]["data"]) == BLOCK_KEYS  # page_id, not survey_id
    assert created[2]["data"]["config"] == MC
    assert set(created[3]["data"]) == VARIABLE_KEYS
    assert set(created[4]["data"]) == RULE_KEYS
    assert set(created[4]["data"]["sourcePage"]) == PAGE_KEYS
    assert created[4]["data"]["targetPage"]["name"] == "Disqualified"
    assert rule["sourcePage"]["id"] == screener["id"]

    full = (await api.http.get(f"/surveys/{survey['id']}")).json()
    assert [p["name"] for p in full["pages"]] == ["Screener", "Disqualified"]
    assert full["first_page_id"] == screener["id"]
    assert full["pages"][0]["blocks"][0]["id"] == block["id"]
    assert full["pages"][0]["navigation_rules"][0]["condition"] == "q1.value == '2'"
    assert full["variables"][0]["id"] == variable["id"]

    mark = api.mark()
    for path in (
        f"/navigation-rules/{rule['id']}",
        f"/variables/{variable['id']}",
        f"/blocks/{block['id']}",
        f"/pages/{disqualified['id']}",
    ):
        assert (await api.http.delete(path)).status_code == 204
    deleted = api.events(mark)
    assert [e["event"] for e in deleted] == [
        "navigation_rule.deleted",
        "variable.deleted",
        "block.deleted",
        "page.deleted",
    ]
    assert all(set(e["data"]) == {"id"} for e in deleted)


async def test_moving_a_block_emits_block_updated_with_the_new_page(api: Api) -> None:
    survey = await make_survey(api)
    first = await make_page(api, survey["id"], "First")
    second = await make_page(api, survey["id"], "Second")
    await api.http.post(f"/pages/{second['id']}/blocks", json={"config": MC})
    block = (await api.http.post(f"/pages/{first['id']}/blocks", json={"config": MC})).json()
    mark = api.mark()
    moved = await api.http.put(f"/blocks/{block['id']}", json={"page_id": second["id"]})
    assert moved.status_code == 200
    [event] = api.events(mark)
    assert event["event"] == "block.updated"
    assert event["data"]["page_id"] == second["id"]
    assert event["data"]["order"] == 1  # appended after the block already there
    assert event["data"]["updated_at"] > block["updated_at"]
    pages = (await api.http.get(f"/surveys/{survey['id']}/pages")).json()
    assert [len(p["blocks"]) for p in pages] == [0, 2]


async def test_page_update_keeps_what_is_left_out(api: Api) -> None:
    survey = await make_survey(api)
    page = await make_page(api, survey["id"], "End")
    response = await api.http.put(
        f"/pages/{page['id']}", json={"assign_response_status": "terminated"}
    )
    assert response.json()["name"] == "End"
    assert response.json()["assign_response_status"] == "terminated"
    assert "blocks" not in response.json()
    assert api.events()[-1]["data"]["assign_response_status"] == "terminated"


async def test_rule_condition_null_removes_it_and_omitted_keeps_it(api: Api) -> None:
    survey = await make_survey(api)
    source = await make_page(api, survey["id"], "A")
    target = await make_page(api, survey["id"], "B")
    rule = (
        await api.http.post(
            f"/pages/{source['id']}/navigation-rules",
            json={"target_page_id": target["id"], "condition": "q1.value == '1'"},
        )
    ).json()
    kept = (await api.http.put(f"/navigation-rules/{rule['id']}", json={"order": 3})).json()
    assert kept["condition"] == "q1.value == '1'" and kept["order"] == 3
    removed = (
        await api.http.put(f"/navigation-rules/{rule['id']}", json={"condition": None})
    ).json()
    assert removed["condition"] is None
    event = api.events()[-1]
    assert event["event"] == "navigation_rule.updated"
    assert event["data"]["condition"] is None and "targetPage" in event["data"]


async def test_variable_expression_null_removes_it(api: Api) -> None:
    survey = await make_survey(api)
    variable = (
        await api.http.post(
            f"/surveys/{survey['id']}/variables", json={"name": "isTeen", "expression": "q1.value"}
        )
    ).json()
    renamed = await api.http.put(f"/variables/{variable['id']}", json={"name": "isTeenager"})
    assert renamed.json()["expression"] == "q1.value"
    cleared = await api.http.put(f"/variables/{variable['id']}", json={"expression": None})
    assert cleared.json() == {**renamed.json(), "expression": None}
    assert api.events()[-1]["event"] == "variable.updated"


async def test_duplicate_variable_name_is_409(api: Api) -> None:
    survey = await make_survey(api)
    body = {"name": "score", "expression": "q1.value"}
    assert (await api.http.post(f"/surveys/{survey['id']}/variables", json=body)).status_code == 201
    again = await api.http.post(f"/surveys/{survey['id']}/variables", json=body)
    assert again.status_code == 409


async def test_deleting_a_page_deletes_its_blocks_and_the_rules_into_it(api: Api) -> None:
    survey = await make_survey(api)
    first = await make_page(api, survey["id"], "First")
    doomed = await make_page(api, survey["id"], "Doomed")
    block = (await api.http.post(f"/pages/{doomed['id']}/blocks", json={"config": MC})).json()
    rule = (
        await api.http.post(
            f"/pages/{first['id']}/navigation-rules", json={"target_page_id": doomed["id"]}
        )
    ).json()
    mark = api.mark()
    await api.http.delete(f"/pages/{doomed['id']}")
    assert [(e["event"], e["data"]["id"]) for e in api.events(mark)] == [
        ("navigation_rule.deleted", rule["id"]),
        ("block.deleted", block["id"]),
        ("page.deleted", doomed["id"]),
    ]


# --- errors ------------------------------------------------------------------------------


async def test_invalid_block_config_is_422_naming_the_field(api: Api) -> None:
    survey = await make_survey(api)
    page = await make_page(api, survey["id"], "P")
    bad_choice = await api.http.post(
        f"/pages/{page['id']}/blocks",
        json={"config": {"type": "MultipleChoice", "choices": [{"label": "no value"}]}},
    )
    bad_type = await api.http.post(
        f"/pages/{page['id']}/blocks", json={"config": {"type": "Slider"}}
    )
    assert bad_choice.status_code == bad_type.status_code == 422
    assert bad_choice.json()["field"] == "config.choices.0.value"
    assert "Slider" in bad_type.json()["message"] and "MultipleChoice" in bad_type.json()["message"]
    assert not [e for e in api.events() if e["event"].startswith("block.")]


async def test_rule_to_a_missing_page_is_422(api: Api) -> None:
    survey = await make_survey(api)
    page = await make_page(api, survey["id"], "P")
    response = await api.http.post(
        f"/pages/{page['id']}/navigation-rules", json={"target_page_id": "nope"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "target_page_id"


async def test_unknown_items_and_paths_are_json_404s(api: Api) -> None:
    for path in ("/surveys/nope", "/pages/nope", "/blocks/nope", "/variables/nope",
                 "/navigation-rules/nope", "/webhooks/nope", "/no/such/path"):  # fmt: skip
        response = await api.http.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"] == "not_found"


async def test_malformed_json_is_400(api: Api) -> None:
    response = await api.http.post(
        "/surveys", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["message"]


async def test_bad_destination_platform_is_422(api: Api) -> None:
    survey = await make_survey(api)
    response = await api.http.put(
        f"/surveys/{survey['id']}/destination", json={"target_platform": "surveymonkey"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "target_platform"


# --- locking while programming runs ------------------------------------------------------


async def test_edits_to_a_survey_being_programmed_are_409() -> None:
    sandbox = QuestraSandbox(KEY, ORG, speed=5)  # paced: the run is still going below
    async with (
        serving(sandbox.app) as server,
        httpx.AsyncClient(base_url=server.url, headers=AUTH) as http,
    ):
        survey = (await http.post("/surveys", json={"name": "CSAT"})).json()
        started = await http.post(f"/surveys/{survey['id']}/start-programming")
        assert started.json() == {"ok": True, "already_running": False, "status": "programming"}
        while not sandbox.org.pages:
            await sandbox.drain(0.05)
        page_id = next(iter(sandbox.org.pages))
        attempts = [
            await http.post(f"/surveys/{survey['id']}/pages", json={"name": "Mine"}),
            await http.put(f"/pages/{page_id}", json={"name": "Mine"}),
            await http.put(f"/surveys/{survey['id']}", json={"name": "Mine"}),
        ]
        assert [r.status_code for r in attempts] == [409, 409, 409]
        assert "locked" in attempts[0].json()["message"]
        # the destination may still be chosen while programming runs
        destination = await http.put(
            f"/surveys/{survey['id']}/destination", json={"target_platform": "qualtrics"}
        )
        assert destination.status_code == 200
        assert (await http.delete(f"/surveys/{survey['id']}")).status_code == 204
        assert await sandbox.drain(5)
        assert [e["event"] for e in sandbox.events[-2:]] == [
            "programming.finished",
            "survey.deleted",
        ]
        assert sandbox.events[-2]["data"]["status"] == "cancelled"


async def test_updated_at_strictly_increases_per_item_through_a_run(api: Api) -> None:
    survey = await make_survey(api, "Screener study")
    await api.http.post(f"/surveys/{survey['id']}/start-programming")
    assert await api.sandbox.drain(10)
    seen: dict[str, str] = {}
    previous_timestamp = ""
    for event in api.events():
        assert event["timestamp"] > previous_timestamp
        previous_timestamp = event["timestamp"]
        data = event["data"]
        if "updated_at" in data:
            assert data["updated_at"] > seen.get(data["id"], ""), event
            seen[data["id"]] = data["updated_at"]
