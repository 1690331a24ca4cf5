"""The Qualtrics sandbox's survey-definitions API, spoken to over HTTP (ASGI) under /API/v3."""

from __future__ import annotations

import copy
import re

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from qtui.sandbox.qualtrics import QualtricsSandbox

BASE = "http://sandbox.test/API/v3"


def mounted(sandbox: QualtricsSandbox) -> httpx.AsyncClient:
    app = Starlette(routes=[Mount("/API/v3", app=sandbox.app)])
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=BASE,
        headers={"X-API-TOKEN": sandbox.token},
    )


@pytest.fixture
def sandbox() -> QualtricsSandbox:
    return QualtricsSandbox()


@pytest.fixture
async def api(sandbox: QualtricsSandbox):
    async with mounted(sandbox) as client:
        yield client


async def new_survey(api: httpx.AsyncClient) -> tuple[str, str]:
    response = await api.post(
        "/survey-definitions",
        json={"SurveyName": "Test", "Language": "EN", "ProjectCategory": "CORE"},
    )
    assert response.status_code == 200
    result = response.json()["result"]
    return result["SurveyID"], result["DefaultBlockID"]


MC = {
    "QuestionText": "Pick one",
    "QuestionType": "MC",
    "Selector": "SAVR",
    "SubSelector": "TX",
    "Choices": {"1": {"Display": "Yes"}, "2": {"Display": "No"}},
    "ChoiceOrder": ["1", "2"],
}


def error_of(response: httpx.Response) -> dict:
    meta = response.json()["meta"]
    assert meta["httpStatus"].startswith(str(response.status_code))
    return meta["error"]


async def test_create_survey_returns_real_format_ids_and_a_default_block_in_the_flow(api):
    survey_id, block_id = await new_survey(api)
    assert re.fullmatch(r"SV_[A-Za-z0-9]{15}", survey_id)
    assert re.fullmatch(r"BL_[A-Za-z0-9]{15}", block_id)
    flow = (await api.get(f"/survey-definitions/{survey_id}/flow")).json()["result"]
    assert flow["Type"] == "Root"
    assert [(e["Type"], e["ID"]) for e in flow["Flow"]] == [("Block", block_id)]
    assert flow["Properties"]["Count"] >= 2


async def test_success_envelope_has_http_status_text_and_request_id(api):
    response = await api.post(
        "/survey-definitions",
        json={"SurveyName": "Env", "Language": "EN", "ProjectCategory": "CX"},
    )
    meta = response.json()["meta"]
    assert meta["httpStatus"] == "200 - OK"
    assert re.fullmatch(r"[0-9a-f-]{36}", meta["requestId"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"Language": "EN", "ProjectCategory": "CORE"}, "SurveyName"),
        ({"SurveyName": "x", "ProjectCategory": "CORE"}, "Language"),
        ({"SurveyName": "x", "Language": "EN"}, "ProjectCategory"),
        ({"SurveyName": "x", "Language": "EN", "ProjectCategory": "NOPE"}, "ProjectCategory"),
    ],
)
async def test_create_survey_without_a_required_field_is_a_400_naming_it(api, body, field):
    response = await api.post("/survey-definitions", json=body)
    assert response.status_code == 400
    error = error_of(response)
    assert field in error["errorMessage"]
    assert error["errorCode"] == "QVAL_1"


async def test_missing_or_wrong_token_is_401_with_auth_error_code(sandbox):
    async with mounted(sandbox) as api:
        response = await api.get("/survey-definitions/SV_x", headers={"X-API-TOKEN": "wrong"})
        assert response.status_code == 401
        assert error_of(response)["errorCode"] == "AUTH_6.0"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=Starlette(routes=[Mount("/API/v3", app=sandbox.app)])),
        base_url=BASE,
    ) as bare:
        assert (await bare.get("/survey-definitions/SV_x")).status_code == 401


async def test_token_header_name_is_case_insensitive(sandbox):
    async with mounted(sandbox) as api:
        response = await api.post(
            "/survey-definitions",
            json={"SurveyName": "x", "Language": "EN", "ProjectCategory": "CORE"},
            headers={"x-api-token": sandbox.token},
        )
    assert response.status_code == 200


async def test_unknown_survey_and_unknown_route_are_404_envelopes(api):
    response = await api.get("/survey-definitions/SV_doesnotexist123")
    assert response.status_code == 404
    assert "SV_doesnotexist123" in error_of(response)["errorMessage"]
    response = await api.get("/no/such/route")
    assert response.status_code == 404
    assert error_of(response)["errorCode"] == "GS_1"


async def test_question_goes_to_default_block_and_gets_a_data_export_tag(api):
    survey_id, default_block = await new_survey(api)
    response = await api.post(f"/survey-definitions/{survey_id}/questions", json=MC)
    qid = response.json()["result"]["QuestionID"]
    assert qid == "QID1"
    question = (await api.get(f"/survey-definitions/{survey_id}/questions/{qid}")).json()
    assert question["result"]["DataExportTag"] == "Q1"
    block = (await api.get(f"/survey-definitions/{survey_id}/blocks/{default_block}")).json()
    assert block["result"]["BlockElements"] == [{"Type": "Question", "QuestionID": "QID1"}]


async def test_question_with_block_id_goes_into_that_block(api):
    survey_id, _ = await new_survey(api)
    created = await api.post(
        f"/survey-definitions/{survey_id}/blocks",
        json={"Type": "Standard", "Description": "Second"},
    )
    block_id = created.json()["result"]["BlockID"]
    assert created.json()["result"]["FlowID"].startswith("FL_")
    await api.post(
        f"/survey-definitions/{survey_id}/questions",
        params={"blockId": block_id},
        json={**MC, "DataExportTag": "own"},
    )
    definition = (await api.get(f"/survey-definitions/{survey_id}")).json()["result"]
    assert definition["Blocks"][block_id]["BlockElements"][0]["QuestionID"] == "QID1"
    assert definition["Questions"]["QID1"]["DataExportTag"] == "own"
    flow_ids = [e["ID"] for e in definition["SurveyFlow"]["Flow"]]
    assert block_id in flow_ids


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ({**MC, "Selector": "Likert"}, "Selector"),
        ({**MC, "SubSelector": "Columns"}, "SubSelector"),
        ({**MC, "QuestionType": "Nope"}, "QuestionType"),
        ({"QuestionText": "t", "QuestionType": "TE", "Selector": "SAVR"}, "Selector"),
        (
            {
                "QuestionText": "t",
                "QuestionType": "Matrix",
                "Selector": "Likert",
                "SubSelector": "SingleAnswer",
                "Choices": {"1": {"Display": "r"}},
            },
            "Answers",
        ),
        ({"QuestionText": "t", "QuestionType": "Slider", "Selector": "TB"}, "Selector"),
        ({"QuestionText": "t", "QuestionType": "DB", "Selector": "SL"}, "Selector"),
        ({**MC, "Choices": {}}, "Choices"),
        ({**MC, "ChoiceOrder": ["1", "9"]}, "ChoiceOrder"),
        ({**MC, "Validation": {"Settings": {"ForceResponse": "MAYBE"}}}, "ForceResponse"),
        ({"QuestionType": "MC", "Selector": "SAVR"}, "QuestionText"),
        (
            {
                "QuestionText": "t",
                "QuestionType": "PGR",
                "Selector": "DragAndDrop",
                "SubSelector": "Columns",
                "Choices": {"1": {"Display": "a"}},
            },
            "Groups",
        ),
    ],
)
async def test_bad_question_definition_is_a_400_naming_the_field(api, question, named):
    survey_id, _ = await new_survey(api)
    response = await api.post(f"/survey-definitions/{survey_id}/questions", json=question)
    assert response.status_code == 400
    assert named in error_of(response)["errorMessage"]


@pytest.mark.parametrize(
    "question",
    [
        {"QuestionText": "t", "QuestionType": "TE", "Selector": "ML"},
        {"QuestionText": "t", "QuestionType": "DB", "Selector": "TB"},
        {"QuestionText": "t", "QuestionType": "MC", "Selector": "NPS"},
        {
            "QuestionText": "t",
            "QuestionType": "CS",
            "Selector": "VRTL",
            "SubSelector": "TX",
            "Choices": {"1": {"Display": "a"}},
            "Validation": {"Settings": {"Type": "ChoicesTotal", "ChoiceTotal": "100"}},
        },
        {
            "QuestionText": "t",
            "QuestionType": "RO",
            "Selector": "DND",
            "SubSelector": "TX",
            "Choices": {"1": {"Display": "a"}},
        },
        {
            "QuestionText": "t",
            "QuestionType": "Matrix",
            "Selector": "Likert",
            "SubSelector": "SingleAnswer",
            "Choices": {"1": {"Display": "r"}},
            "Answers": {"1": {"Display": "c"}},
        },
        {
            "QuestionText": "t",
            "QuestionType": "SBS",
            "Selector": "SBSMatrix",
            "Choices": {"1": {"Display": "r"}},
        },
        {
            "QuestionText": "t",
            "QuestionType": "Slider",
            "Selector": "HSLIDER",
            "Choices": {"1": {"Display": "s"}},
        },
    ],
)
async def test_valid_question_variants_are_accepted(api, question):
    survey_id, _ = await new_survey(api)
    response = await api.post(f"/survey-definitions/{survey_id}/questions", json=question)
    assert response.status_code == 200, response.json()


async def test_nps_question_without_choices_gets_eleven_points(api):
    survey_id, _ = await new_survey(api)
    await api.post(
        f"/survey-definitions/{survey_id}/questions",
        json={"QuestionText": "t", "QuestionType": "MC", "Selector": "NPS"},
    )
    question = (await api.get(f"/survey-definitions/{survey_id}/questions/QID1")).json()["result"]
    assert question["ChoiceOrder"] == [str(i) for i in range(11)]


async def test_update_question_replaces_it_and_needs_its_tag(api):
    survey_id, _ = await new_survey(api)
    await api.post(f"/survey-definitions/{survey_id}/questions", json=MC)
    url = f"/survey-definitions/{survey_id}/questions/QID1"
    untagged = await api.put(url, json={**MC, "QuestionText": "Changed"})
    assert untagged.status_code == 400
    error = error_of(untagged)
    assert "DataExportTag is required" in error["errorMessage"] and "'Q1'" in error["errorMessage"]
    response = await api.put(url, json={**MC, "QuestionText": "Changed", "DataExportTag": "Q1"})
    assert response.status_code == 200
    assert "result" not in response.json()
    question = (await api.get(url)).json()["result"]
    assert question["QuestionText"] == "Changed"
    assert question["DataExportTag"] == "Q1"


async def test_delete_question_removes_it_from_its_block(api):
    survey_id, default_block = await new_survey(api)
    await api.post(f"/survey-definitions/{survey_id}/questions", json=MC)
    await api.post(f"/survey-definitions/{survey_id}/questions", json=MC)
    assert (await api.delete(f"/survey-definitions/{survey_id}/questions/QID1")).status_code == 200
    block = (await api.get(f"/survey-definitions/{survey_id}/blocks/{default_block}")).json()
    assert [e["QuestionID"] for e in block["result"]["BlockElements"]] == ["QID2"]
    missing = await api.get(f"/survey-definitions/{survey_id}/questions/QID1")
    assert missing.status_code == 404


async def test_update_block_sets_page_breaks_and_rejects_unknown_questions(api):
    survey_id, block_id = await new_survey(api)
    await api.post(f"/survey-definitions/{survey_id}/questions", json=MC)
    await api.post(f"/survey-definitions/{survey_id}/questions", json=MC)
    body = {
        "Type": "Standard",
        "Description": "Two pages",
        "BlockElements": [
            {"Type": "Question", "QuestionID": "QID2"},
            {"Type": "Page Break"},
            {"Type": "Question", "QuestionID": "QID1"},
        ],
    }
    assert (
        await api.put(f"/survey-definitions/{survey_id}/blocks/{block_id}", json=body)
    ).status_code == 200
    block = (await api.get(f"/survey-definitions/{survey_id}/blocks/{block_id}")).json()["result"]
    assert block["Type"] == "Default"  # the default block stays the default
    assert [e.get("QuestionID", e["Type"]) for e in block["BlockElements"]] == [
        "QID2",
        "Page Break",
        "QID1",
    ]
    body["BlockElements"].append({"Type": "Question", "QuestionID": "QID99"})
    response = await api.put(f"/survey-definitions/{survey_id}/blocks/{block_id}", json=body)
    assert response.status_code == 400
    assert "QID99" in error_of(response)["errorMessage"]


async def test_delete_block_takes_it_out_of_the_flow(api):
    survey_id, _ = await new_survey(api)
    created = await api.post(
        f"/survey-definitions/{survey_id}/blocks", json={"Type": "Standard", "Description": "Gone"}
    )
    block_id = created.json()["result"]["BlockID"]
    assert (
        await api.delete(f"/survey-definitions/{survey_id}/blocks/{block_id}")
    ).status_code == 200
    flow = (await api.get(f"/survey-definitions/{survey_id}/flow")).json()["result"]
    assert block_id not in [e.get("ID") for e in flow["Flow"]]


def branch_flow(block_id: str, logic: dict, count: int = 4) -> dict:
    return {
        "FlowID": "FL_1",
        "Type": "Root",
        "Flow": [
            {"Type": "Block", "ID": block_id, "FlowID": "FL_2"},
            {
                "Type": "Branch",
                "FlowID": "FL_3",
                "BranchLogic": copy.deepcopy(logic),
                "Flow": [{"Type": "EndSurvey", "FlowID": "FL_4"}],
            },
        ],
        "Properties": {"Count": count},
    }


SELECTED_1 = {
    "Type": "BooleanExpression",
    "0": {
        "0": {
            "LogicType": "Question",
            "LeftOperand": "q://QID1/SelectableChoice/1",
            "Operator": "Selected",
            "Type": "Expression",
        },
        "Type": "If",
    },
}


async def test_put_flow_with_branch_and_end_survey_round_trips(api):
    survey_id, block_id = await new_survey(api)
    await api.post(f"/survey-definitions/{survey_id}/questions", json=MC)
    flow = branch_flow(block_id, SELECTED_1)
    assert (await api.put(f"/survey-definitions/{survey_id}/flow", json=flow)).status_code == 200
    assert (await api.get(f"/survey-definitions/{survey_id}/flow")).json()["result"] == flow


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (lambda f: f["Flow"][1].update(FlowID="FL_2"), "FL_2"),
        (lambda f: f["Properties"].update(Count=3), "Count"),
        (lambda f: f.pop("Properties"), "Properties.Count"),
        (lambda f: f["Flow"][0].update(ID="BL_nowhere000000"), "BL_nowhere000000"),
        (
            lambda f: f["Flow"][1]["BranchLogic"]["0"]["0"].update(
                LeftOperand="q://QID7/SelectableChoice/1"
            ),
            "QID7",
        ),
        (lambda f: f["Flow"][1]["BranchLogic"]["0"]["0"].update(Operator="Sorta"), "Operator"),
        (lambda f: f["Flow"][1]["BranchLogic"].update(Type="Expression"), "BooleanExpression"),
        (lambda f: f["Flow"][1].update(Type="Teleport"), "Teleport"),
        (
            lambda f: f["Flow"].append({"Type": "BlockRandomizer", "FlowID": "FL_5", "Flow": []}),
            "SubSet",
        ),
    ],
)
async def test_invalid_flow_is_a_400_naming_the_problem(api, mutate, named):
    survey_id, block_id = await new_survey(api)
    await api.post(f"/survey-definitions/{survey_id}/questions", json=MC)
    flow = branch_flow(block_id, SELECTED_1, count=5)
    mutate(flow)
    response = await api.put(f"/survey-definitions/{survey_id}/flow", json=flow)
    assert response.status_code == 400
    assert named in error_of(response)["errorMessage"]


async def test_put_of_one_flow_element_replaces_it_and_unknown_ids_are_404(api):
    survey_id, block_id = await new_survey(api)
    await api.post(f"/survey-definitions/{survey_id}/questions", json=MC)
    await api.put(f"/survey-definitions/{survey_id}/flow", json=branch_flow(block_id, SELECTED_1))
    element = {
        "Type": "EmbeddedData",
        "EmbeddedData": [{"Field": "arm", "Type": "Custom", "Value": "b"}],
    }
    response = await api.put(f"/survey-definitions/{survey_id}/flow/FL_3", json=element)
    assert response.status_code == 200
    flow = (await api.get(f"/survey-definitions/{survey_id}/flow")).json()["result"]
    assert flow["Flow"][1] == {**element, "FlowID": "FL_3"}
    missing = await api.put(f"/survey-definitions/{survey_id}/flow/FL_99", json=element)
    assert missing.status_code == 404


async def test_definition_names_the_datacenter_in_the_brand_url():
    sandbox = QualtricsSandbox(datacenter="fra1")
    async with mounted(sandbox) as api:
        survey_id, _ = await new_survey(api)
        definition = (await api.get(f"/survey-definitions/{survey_id}")).json()["result"]
    assert definition["BrandBaseURL"].endswith(".fra1.qualtrics.com")


async def test_publish_needs_description_and_published_and_returns_metadata(api):
    survey_id, _ = await new_survey(api)
    response = await api.post(
        f"/survey-definitions/{survey_id}/versions", json={"Description": "v1"}
    )
    assert response.status_code == 400
    assert "Published" in error_of(response)["errorMessage"]
    response = await api.post(
        f"/survey-definitions/{survey_id}/versions", json={"Description": "v1", "Published": True}
    )
    metadata = response.json()["result"]["metadata"]
    assert metadata["versionNumber"] == 1 and metadata["published"] is True
    assert metadata["surveyID"] == survey_id
    versions = (await api.get(f"/survey-definitions/{survey_id}/versions")).json()["result"]
    assert [v["versionID"] for v in versions["elements"]] == [metadata["versionID"]]


async def test_metadata_put_activates_and_validates_status_and_dates(api, sandbox):
    survey_id, _ = await new_survey(api)
    response = await api.put(
        f"/survey-definitions/{survey_id}/metadata", json={"SurveyStatus": "Running"}
    )
    assert response.status_code == 400 and "SurveyStatus" in error_of(response)["errorMessage"]
    response = await api.put(
        f"/survey-definitions/{survey_id}/metadata",
        json={"SurveyStartDate": "2026-01-01T00:00:00Z"},
    )
    assert response.status_code == 400 and "MySQL" in error_of(response)["errorMessage"]
    await api.put(f"/survey-definitions/{survey_id}/metadata", json={"SurveyStatus": "Active"})
    metadata = (await api.get(f"/survey-definitions/{survey_id}/metadata")).json()["result"]
    assert metadata["SurveyStatus"] == "Active"
    assert sandbox.surveys[survey_id].status == "Active"


async def test_legacy_is_active_put_also_activates(api, sandbox):
    survey_id, _ = await new_survey(api)
    assert (await api.put(f"/surveys/{survey_id}", json={"isActive": True})).status_code == 200
    assert sandbox.surveys[survey_id].status == "Active"


async def test_question_list_pages_with_next_page_urls_that_work_when_mounted(sandbox):
    sandbox.page_size = 2
    async with mounted(sandbox) as api:
        survey_id, _ = await new_survey(api)
        for _ in range(5):
            await api.post(f"/survey-definitions/{survey_id}/questions", json=MC)
        first = (await api.get(f"/survey-definitions/{survey_id}/questions")).json()["result"]
        seen = [q["QuestionID"] for q in first["elements"]]
        next_page = first["nextPage"]
        assert next_page.startswith(f"{BASE}/survey-definitions/{survey_id}/questions?")
        while next_page:
            page = (await api.get(next_page)).json()["result"]
            seen += [q["QuestionID"] for q in page["elements"]]
            next_page = page["nextPage"]
    assert seen == ["QID1", "QID2", "QID3", "QID4", "QID5"]


async def test_full_definition_has_the_spec_keys_and_qsf_format(api):
    survey_id, _ = await new_survey(api)
    await api.post(f"/survey-definitions/{survey_id}/questions", json=MC)
    definition = (await api.get(f"/survey-definitions/{survey_id}")).json()["result"]
    for key in (
        "SurveyID",
        "SurveyName",
        "SurveyStatus",
        "SurveyOptions",
        "Questions",
        "Blocks",
        "SurveyFlow",
        "ProjectInfo",
        "LastModified",
    ):
        assert key in definition
    qsf = (await api.get(f"/survey-definitions/{survey_id}", params={"format": "qsf"})).json()
    elements = {e["Element"] for e in qsf["result"]["SurveyElements"]}
    assert {"BL", "FL", "SQ"} <= elements


async def test_delete_survey_makes_it_404(api):
    survey_id, _ = await new_survey(api)
    assert (await api.delete(f"/survey-definitions/{survey_id}")).status_code == 200
    assert (await api.get(f"/survey-definitions/{survey_id}")).status_code == 404


async def test_rate_limit_answers_429_with_retry_after_in_seconds():
    sandbox = QualtricsSandbox(rate_limit=2, rate_window=30.0)
    async with mounted(sandbox) as api:
        await api.get("/surveys")
        await api.get("/surveys")
        response = await api.get("/surveys")
    assert response.status_code == 429
    assert error_of(response)["errorCode"] == "RATE_1"
    assert 1 <= int(response.headers["Retry-After"]) <= 30


async def test_fail_next_injects_server_errors_only_on_matching_paths(api, sandbox):
    survey_id, _ = await new_survey(api)
    sandbox.fail_next(1, status=503, path_contains="/questions")
    assert (await api.get(f"/survey-definitions/{survey_id}/flow")).status_code == 200
    response = await api.post(f"/survey-definitions/{survey_id}/questions", json=MC)
    assert response.status_code == 503
    assert error_of(response)["errorCode"] == "SERVER_1"
    assert sandbox.surveys[survey_id].questions == {}  # the failed request changed nothing
    assert (
        await api.post(f"/survey-definitions/{survey_id}/questions", json=MC)
    ).status_code == 200
