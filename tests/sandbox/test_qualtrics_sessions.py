"""The Qualtrics sandbox's survey-taking sessions: the engine that walks a published flow."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.sandbox.qualtrics.logic import Answer, Respondent, evaluate

BASE = "http://sandbox.test/API/v3"


@pytest.fixture
def sandbox() -> QualtricsSandbox:
    return QualtricsSandbox()


@asynccontextmanager
async def client_of(sandbox: QualtricsSandbox) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the sandbox's API, in process, with the sandbox's token."""
    app = Starlette(routes=[Mount("/API/v3", app=sandbox.app)])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=BASE,
        headers={"X-API-TOKEN": sandbox.token},
    ) as client:
        yield client


@pytest.fixture
async def api(sandbox: QualtricsSandbox):
    async with client_of(sandbox) as client:
        yield client


def mc(text: str, *labels: str, selector: str = "SAVR", forced: bool = True, **extra: Any) -> dict:
    return {
        "QuestionText": text,
        "QuestionType": "MC",
        "Selector": selector,
        "SubSelector": "TX",
        "Choices": {str(i): {"Display": label} for i, label in enumerate(labels, 1)},
        "ChoiceOrder": [str(i) for i in range(1, len(labels) + 1)],
        "Validation": {"Settings": {"ForceResponse": "ON" if forced else "OFF"}},
        **extra,
    }


def te(text: str, forced: bool = False, **extra: Any) -> dict:
    return {
        "QuestionText": text,
        "QuestionType": "TE",
        "Selector": "SL",
        "Validation": {"Settings": {"ForceResponse": "ON" if forced else "OFF"}},
        **extra,
    }


def likert(text: str, rows: list[str], columns: list[str]) -> dict:
    """A single-answer Likert matrix: `rows` are its statements, `columns` its scale."""
    return {
        "QuestionText": text,
        "QuestionType": "Matrix",
        "Selector": "Likert",
        "SubSelector": "SingleAnswer",
        "Choices": {str(i): {"Display": row} for i, row in enumerate(rows, 1)},
        "Answers": {str(i): {"Display": column} for i, column in enumerate(columns, 1)},
    }


def cond(
    locator: str,
    operator: str = "Selected",
    right: str | None = None,
    conj: str | None = None,
    logic_type: str = "Question",
) -> dict:
    c = {
        "LogicType": logic_type,
        "LeftOperand": locator,
        "Operator": operator,
        "Type": "Expression",
    }
    if right is not None:
        c["RightOperand"] = right
    if conj:
        c["Conjuction"] = conj
    return c


def logic(*groups: list[dict]) -> dict:
    out: dict[str, Any] = {"Type": "BooleanExpression"}
    for g, conditions in enumerate(groups):
        out[str(g)] = {str(i): c for i, c in enumerate(conditions)} | {"Type": "If"}
    return out


class Builder:
    """Creates a survey through the API: blocks of questions, then a flow, publish, activate."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api
        self.flow_count = 1

    async def survey(self) -> str:
        response = await self.api.post(
            "/survey-definitions",
            json={"SurveyName": "S", "Language": "EN", "ProjectCategory": "CORE"},
        )
        self.sid = response.json()["result"]["SurveyID"]
        return self.sid

    async def block(self, *pages: list[dict]) -> tuple[str, list[list[str]]]:
        response = await self.api.post(
            f"/survey-definitions/{self.sid}/blocks", json={"Type": "Standard", "Description": "b"}
        )
        block_id = response.json()["result"]["BlockID"]
        elements: list[dict] = []
        qids: list[list[str]] = []
        for index, questions in enumerate(pages):
            if index:
                elements.append({"Type": "Page Break"})
            page_qids = []
            for question in questions:
                made = await self.api.post(
                    f"/survey-definitions/{self.sid}/questions",
                    params={"blockId": block_id},
                    json=question,
                )
                assert made.status_code == 200, made.json()
                qid = made.json()["result"]["QuestionID"]
                page_qids.append(qid)
                elements.append({"Type": "Question", "QuestionID": qid})
            qids.append(page_qids)
        put = await self.api.put(
            f"/survey-definitions/{self.sid}/blocks/{block_id}",
            json={"Type": "Standard", "Description": "b", "BlockElements": elements},
        )
        assert put.status_code == 200, put.json()
        return block_id, qids

    def fid(self) -> str:
        self.flow_count += 1
        return f"FL_{self.flow_count}"

    def b(self, block_id: str) -> dict:
        return {"Type": "Standard", "ID": block_id, "FlowID": self.fid()}

    async def publish(self, flow: list[dict], *, activate: bool = True) -> None:
        body = {
            "FlowID": "FL_1",
            "Type": "Root",
            "Flow": flow,
            "Properties": {"Count": self.flow_count},
        }
        put = await self.api.put(f"/survey-definitions/{self.sid}/flow", json=body)
        assert put.status_code == 200, put.json()
        await self.api.post(
            f"/survey-definitions/{self.sid}/versions", json={"Description": "v", "Published": True}
        )
        if activate:
            await self.api.put(
                f"/survey-definitions/{self.sid}/metadata", json={"SurveyStatus": "Active"}
            )

    async def start(self, **body: Any) -> dict:
        response = await self.api.post(f"/surveys/{self.sid}/sessions", json=body)
        assert response.status_code == 201, response.json()
        return response.json()["result"]

    async def update(self, session_id: str, **body: Any) -> httpx.Response:
        return await self.api.post(f"/surveys/{self.sid}/sessions/{session_id}", json=body)


def qids(result: dict) -> list[str]:
    return [q["questionId"] for q in result["questions"]]


def pick(*selected: str, of: int = 0) -> dict:
    chosen = {cid: {"selected": True} for cid in selected}
    for cid in range(1, of + 1):
        chosen.setdefault(str(cid), {"selected": False})
    return chosen


async def two_path_survey(api: httpx.AsyncClient) -> tuple[Builder, dict[str, str]]:
    """Q1 yes/no; a branch on "no" to an EndSurvey flagged Screened; otherwise Q2 and Q3."""
    builder = Builder(api)
    await builder.survey()
    first, [[q1]] = await builder.block([mc("Qualify?", "Yes", "No")])
    second, [[q2], [q3]] = await builder.block(
        [te("Name", forced=True)],
        [
            te(
                "Why?",
                DisplayLogic=logic([cond("q://QID2/ChoiceTextEntryValue", "EqualTo", "show")]),
            )
        ],
    )
    await builder.publish(
        [
            builder.b(first),
            {
                "Type": "Branch",
                "FlowID": builder.fid(),
                "BranchLogic": logic([cond(f"q://{q1}/SelectableChoice/2")]),
                "Flow": [
                    {
                        "Type": "EndSurvey",
                        "FlowID": builder.fid(),
                        "EndingType": "Advanced",
                        "Options": {"Advanced": "true", "ResponseFlag": "Screened"},
                    }
                ],
            },
            builder.b(second),
        ]
    )
    return builder, {"q1": q1, "q2": q2, "q3": q3}


async def test_start_returns_201_with_the_first_page_in_the_session_shape(api):
    builder, q = await two_path_survey(api)
    result = await builder.start(language="EN", embeddedData={"panel": "A"})
    assert re.fullmatch(r"FS_[A-Za-z0-9]{15}", result["sessionId"])
    assert result["done"] is False and result["responses"] == {}
    assert result["embeddedData"] == {"panel": "A"}
    [question] = result["questions"]
    assert question == {
        "questionId": q["q1"],
        "type": "MC",
        "display": "Qualify?",
        "choices": [{"choiceId": "1", "display": "Yes"}, {"choiceId": "2", "display": "No"}],
        "options": {"columnLabels": [], "multiSelect": False},
    }


async def test_branch_to_end_survey_ends_with_screenout_and_records_the_response(api, sandbox):
    builder, q = await two_path_survey(api)
    session = (await builder.start())["sessionId"]
    response = await builder.update(session, responses={q["q1"]: pick("2", of=2)}, advance=True)
    result = response.json()["result"]
    assert result["done"] is True
    response_id = result["responseId"]
    assert re.fullmatch(r"R_[A-Za-z0-9]{15}", response_id)
    stored = sandbox.responses[response_id]
    assert stored["values"]["Q_TerminateFlag"] == "Screened"
    assert stored["values"][q["q1"]] == 2 and stored["labels"][q["q1"]] == "No"
    assert stored["values"]["finished"] == 1
    got = await api.get(f"/surveys/{builder.sid}/responses/{response_id}")
    # The Responses API shape: nothing of the sandbox's own invention.
    assert set(got.json()["result"]) == {
        "responseId",
        "values",
        "labels",
        "displayedFields",
        "displayedValues",
    }
    assert sandbox.responses_of(builder.sid) == [got.json()["result"]]


async def test_answering_only_the_selected_choice_is_accepted(api):
    builder, q = await two_path_survey(api)
    session = (await builder.start())["sessionId"]
    result = (
        await builder.update(session, responses={q["q1"]: {"1": {"selected": True}}}, advance=True)
    ).json()["result"]
    assert qids(result) == [q["q2"]]


async def test_page_breaks_split_a_block_and_display_logic_hides_a_question(api, sandbox):
    builder, q = await two_path_survey(api)
    session = (await builder.start())["sessionId"]
    await builder.update(session, responses={q["q1"]: pick("1", of=2)}, advance=True)
    result = (await builder.update(session, responses={q["q2"]: "hide"}, advance=True)).json()[
        "result"
    ]
    # QID3 is on its own page and hidden by logic: the empty page is skipped, the flow ends.
    assert result["done"] is True
    stored = sandbox.responses[result["responseId"]]
    assert "Q_TerminateFlag" not in stored["values"] and stored["values"]["finished"] == 1
    assert q["q3"] not in stored["displayedFields"]
    assert q["q2"] in stored["displayedFields"]
    assert stored["values"][f"{q['q2']}_TEXT"] == "hide"


async def test_display_logic_true_shows_the_question_on_its_page(api):
    builder, q = await two_path_survey(api)
    session = (await builder.start())["sessionId"]
    await builder.update(session, responses={q["q1"]: pick("1", of=2)}, advance=True)
    result = (await builder.update(session, responses={q["q2"]: "show"}, advance=True)).json()[
        "result"
    ]
    assert qids(result) == [q["q3"]]


async def test_unanswered_forced_question_is_a_400_naming_it(api):
    builder, q = await two_path_survey(api)
    session = (await builder.start())["sessionId"]
    await builder.update(session, responses={q["q1"]: pick("1", of=2)}, advance=True)
    response = await builder.update(session, advance=True)
    assert response.status_code == 400
    error = response.json()["meta"]["error"]
    assert error["errorCode"] == "SESS_4"
    assert q["q2"] in error["errorMessage"] and "requires a response" in error["errorMessage"]
    blank = await builder.update(session, responses={q["q2"]: "   "}, advance=True)
    assert blank.status_code == 400


async def test_answers_given_without_advance_are_kept_for_the_page(api):
    builder, q = await two_path_survey(api)
    session = (await builder.start())["sessionId"]
    result = (await builder.update(session, responses={q["q1"]: pick("1", of=2)})).json()
    assert result["result"]["responses"] == {q["q1"]: {"1": {"selected": True}}}
    assert qids(result["result"]) == [q["q1"]]
    get = (await api.get(f"/surveys/{builder.sid}/sessions/{session}")).json()["result"]
    assert get["responses"] == result["result"]["responses"]
    moved = (await builder.update(session, advance="true")).json()["result"]
    assert qids(moved) == [q["q2"]]


async def test_advance_and_close_together_is_a_400(api):
    builder, _ = await two_path_survey(api)
    session = (await builder.start())["sessionId"]
    response = await builder.update(session, advance=True, close=True)
    assert response.status_code == 400
    assert response.json()["meta"]["error"]["errorCode"] == "SESS_5"


async def test_answering_a_question_not_on_the_page_is_a_400(api):
    builder, q = await two_path_survey(api)
    session = (await builder.start())["sessionId"]
    response = await builder.update(session, responses={q["q2"]: "early"})
    assert response.status_code == 400
    assert q["q2"] in response.json()["meta"]["error"]["errorMessage"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"9": {"selected": True}}, "not a choice"),
        ({"1": {"selected": True}, "2": {"selected": True}}, "single answer"),
        ("yes", "object keyed by choice id"),
        ({"1": {"selected": "perhaps"}}, "true or false"),
    ],
)
async def test_malformed_mc_answers_are_400s(api, answer, message):
    builder, q = await two_path_survey(api)
    session = (await builder.start())["sessionId"]
    response = await builder.update(session, responses={q["q1"]: answer})
    assert response.status_code == 400
    assert message in response.json()["meta"]["error"]["errorMessage"]


async def test_close_records_an_unfinished_response_and_accepts_the_string_true(api, sandbox):
    builder, q = await two_path_survey(api)
    session = (await builder.start())["sessionId"]
    result = (
        await builder.update(session, responses={q["q1"]: pick("1", of=2)}, close="true")
    ).json()["result"]
    assert result["done"] is True
    stored = sandbox.responses[result["responseId"]]
    assert stored["values"]["finished"] == 0 and stored["labels"]["finished"] == "False"
    again = await builder.update(session, advance=True)
    assert again.status_code == 409


async def test_delete_discards_the_session_without_a_response(api, sandbox):
    builder, q = await two_path_survey(api)
    session = (await builder.start())["sessionId"]
    await builder.update(session, responses={q["q1"]: pick("1", of=2)})
    assert (await api.delete(f"/surveys/{builder.sid}/sessions/{session}")).status_code == 200
    assert sandbox.responses == {}
    assert (await api.get(f"/surveys/{builder.sid}/sessions/{session}")).status_code == 404


async def test_unknown_session_is_404(api):
    builder, _ = await two_path_survey(api)
    response = await api.get(f"/surveys/{builder.sid}/sessions/FS_nope00000000000")
    assert response.status_code == 404


async def test_unpublished_survey_cannot_start_a_session(api):
    builder = Builder(api)
    await builder.survey()
    await builder.block([mc("Q", "A", "B")])
    response = await api.post(f"/surveys/{builder.sid}/sessions", json={})
    assert response.status_code == 400
    assert "published" in response.json()["meta"]["error"]["errorMessage"]


async def test_inactive_survey_cannot_start_a_session(api):
    builder = Builder(api)
    await builder.survey()
    block_id, _ = await builder.block([mc("Q", "A", "B")])
    await builder.publish([builder.b(block_id)], activate=False)
    response = await api.post(f"/surveys/{builder.sid}/sessions", json={})
    assert response.status_code == 400
    assert "not active" in response.json()["meta"]["error"]["errorMessage"]


async def test_sessions_run_the_published_version_not_later_edits(api):
    builder = Builder(api)
    await builder.survey()
    block_id, [[q1]] = await builder.block([mc("Published text", "A", "B")])
    await builder.publish([builder.b(block_id)])
    await api.put(
        f"/survey-definitions/{builder.sid}/questions/{q1}", json=mc("Draft text", "A", "B")
    )
    result = await builder.start()
    assert result["questions"][0]["display"] == "Published text"


async def test_survey_with_a_matrix_is_refused_as_unsupported_by_sessions(api):
    builder = Builder(api)
    await builder.survey()
    block_id, _ = await builder.block([mc("Q", "A"), likert("Grid", ["r"], ["c"])])
    await builder.publish([builder.b(block_id)])
    response = await api.post(f"/surveys/{builder.sid}/sessions", json={})
    assert response.status_code == 400
    message = response.json()["meta"]["error"]["errorMessage"]
    assert "not supported by the sessions API" in message and "Matrix" in message


async def test_descriptive_text_is_refused_by_strict_sessions(api):
    builder = Builder(api)
    await builder.survey()
    block_id, [[db]] = await builder.block(
        [{"QuestionText": "<p>Hello</p>", "QuestionType": "DB", "Selector": "TB"}]
    )
    await builder.publish([builder.b(block_id)])
    refused = await api.post(f"/surveys/{builder.sid}/sessions", json={"language": "EN"})
    assert refused.status_code == 400
    error = refused.json()["meta"]["error"]
    assert error["errorCode"] == "SESS_2" and f"{db} (DB/TB)" in error["errorMessage"]


async def test_lenient_sandbox_shows_unsupported_types_and_text_takes_no_answer():
    async with client_of(QualtricsSandbox(strict=False)) as client:
        builder = Builder(client)
        await builder.survey()
        matrix = likert("Rate", ["Speed"], ["Good", "Bad"])
        block_id, [[db, grid]] = await builder.block(
            [{"QuestionText": "<p>Hello</p>", "QuestionType": "DB", "Selector": "TB"}, matrix]
        )
        await builder.publish([builder.b(block_id)])
        result = await builder.start()
        assert [q["type"] for q in result["questions"]] == ["DB", "Matrix"]
        refused = await builder.update(result["sessionId"], responses={db: "x"})
        assert refused.status_code == 400
        done = (await builder.update(result["sessionId"], advance=True)).json()["result"]
        assert done["done"] is True


async def test_nps_takes_choice_ids_0_to_10_and_records_the_number(api, sandbox):
    builder = Builder(api)
    await builder.survey()
    nps = {
        "QuestionText": "Recommend?",
        "QuestionType": "MC",
        "Selector": "NPS",
        "ColumnLabels": [{"Display": "Never"}, {"Display": "Surely"}],
    }
    block_id, [[q]] = await builder.block([nps])
    await builder.publish([builder.b(block_id)])
    result = await builder.start()
    view = result["questions"][0]
    assert view["type"] == "NPS"
    assert [c["choiceId"] for c in view["choices"]] == [str(i) for i in range(11)]
    assert view["options"]["columnLabels"] == ["Never", "Surely"]
    done = (
        await builder.update(
            result["sessionId"], responses={q: {"9": {"selected": True}}}, advance=True
        )
    ).json()["result"]
    assert sandbox.responses[done["responseId"]]["values"][q] == 9


async def test_multi_select_records_every_chosen_recode_and_honours_exclusive(api, sandbox):
    builder = Builder(api)
    await builder.survey()
    question = mc(
        "Which?",
        "Red",
        "Blue",
        "None",
        selector="MAVR",
        RecodeValues={"1": "10", "2": "20", "3": "-99"},
    )
    question["Choices"]["3"]["ExclusiveAnswer"] = True
    block_id, [[q]] = await builder.block([question])
    await builder.publish([builder.b(block_id)])
    result = await builder.start()
    assert result["questions"][0]["options"]["multiSelect"] is True
    clash = await builder.update(result["sessionId"], responses={q: pick("1", "3")})
    assert clash.status_code == 400 and "exclusive" in clash.text
    done = (
        await builder.update(result["sessionId"], responses={q: pick("2", "1")}, advance=True)
    ).json()["result"]
    stored = sandbox.responses[done["responseId"]]
    assert stored["values"][q] == [10, 20]
    assert stored["labels"][q] == ["Red", "Blue"]


async def test_embedded_data_elements_set_fields_that_branches_read(api, sandbox):
    builder = Builder(api)
    await builder.survey()
    a, [[qa]] = await builder.block([mc("A", "x")])
    b, [[qb]] = await builder.block([mc("B", "x")])
    await builder.publish(
        [
            {
                "Type": "EmbeddedData",
                "FlowID": builder.fid(),
                "EmbeddedData": [
                    {"Field": "arm", "Type": "Custom", "Value": "${e://Field/source}-2"},
                    {"Field": "source", "Type": "Recipient"},
                ],
            },
            {
                "Type": "Branch",
                "FlowID": builder.fid(),
                "BranchLogic": logic(
                    [cond("arm", "EqualTo", "panel-2", logic_type="EmbeddedField")]
                ),
                "Flow": [builder.b(a)],
            },
            builder.b(b),
        ]
    )
    result = await builder.start(embeddedData={"source": "panel"})
    assert qids(result) == [qa]
    other = await builder.start(embeddedData={"source": "web"})
    assert qids(other) == [qb]
    assert other["embeddedData"]["arm"] == "web-2"


async def test_embedded_data_sent_in_an_update_is_seen_by_later_branches(api):
    builder = Builder(api)
    await builder.survey()
    a, [[qa]] = await builder.block([mc("A", "x")])
    b, [[qb]] = await builder.block([mc("B", "x")])
    await builder.publish(
        [
            builder.b(a),
            {
                "Type": "Branch",
                "FlowID": builder.fid(),
                "BranchLogic": logic([cond("flag", "NotEmpty", logic_type="EmbeddedField")]),
                "Flow": [builder.b(b)],
            },
        ]
    )
    result = await builder.start()
    moved = (
        await builder.update(
            result["sessionId"], embeddedData={"flag": "1"}, responses={qa: pick("1")}, advance=True
        )
    ).json()["result"]
    assert qids(moved) == [qb]


async def test_block_randomizer_shows_subset_deterministically_under_a_seed(api):
    async def shown_orders(seed: int) -> list[list[str]]:
        async with client_of(QualtricsSandbox(seed=seed)) as client:
            builder = Builder(client)
            await builder.survey()
            blocks = [await builder.block([mc(f"Q{i}", "x", forced=False)]) for i in range(3)]
            await builder.publish(
                [
                    {
                        "Type": "BlockRandomizer",
                        "FlowID": builder.fid(),
                        "SubSet": 2,
                        "EvenPresentation": True,
                        "Flow": [builder.b(b) for b, _ in blocks],
                    },
                ]
            )
            orders = []
            for _ in range(6):
                result = await builder.start()
                seen = []
                while not result["done"]:
                    seen += qids(result)
                    result = (await builder.update(result["sessionId"], advance=True)).json()[
                        "result"
                    ]
                orders.append(seen)
            return orders

    first = await shown_orders(7)
    assert first == await shown_orders(7)
    assert all(len(order) == 2 for order in first)
    counts = {qid: sum(qid in o for o in first) for qid in ("QID1", "QID2", "QID3")}
    assert counts == {"QID1": 4, "QID2": 4, "QID3": 4}  # even presentation over 6 sessions


async def test_group_is_walked_and_static_loop_repeats_its_block(api, sandbox):
    builder = Builder(api)
    await builder.survey()
    looped, [[q]] = await builder.block([mc("Rate ${e://Field/x}", "Good", "Bad")])
    await api.put(
        f"/survey-definitions/{builder.sid}/blocks/{looped}",
        json={
            "Type": "Standard",
            "Description": "loop",
            "BlockElements": [{"Type": "Question", "QuestionID": q}],
            "Options": {
                "Looping": "Static",
                "LoopingOptions": {"Static": {"1": {"1": "a"}, "2": {"1": "b"}}},
            },
        },
    )
    await builder.publish(
        [
            {
                "Type": "Group",
                "FlowID": builder.fid(),
                "Description": "g",
                "Flow": [builder.b(looped)],
            }
        ]
    )
    result = await builder.start()
    result = (
        await builder.update(result["sessionId"], responses={q: pick("1")}, advance=True)
    ).json()["result"]
    assert qids(result) == [q]  # the second iteration
    done = (
        await builder.update(result["sessionId"], responses={q: pick("2")}, advance=True)
    ).json()["result"]
    values = sandbox.responses[done["responseId"]]["values"]
    # Loop & merge answers are exported per iteration, the recode under `<loop>_QIDn`.
    assert values["1_" + q] == 1 and values["2_" + q] == 2 and q not in values


# --- the BooleanExpression evaluator -------------------------------------------------------


def field(name: str, value: str, conj: str | None = None) -> dict:
    return cond(name, "EqualTo", value, conj, logic_type="EmbeddedField")


@pytest.mark.parametrize(
    ("embedded", "expected"),
    [({"a": "1"}, True), ({"b": "1"}, False), ({"b": "1", "c": "1"}, True), ({}, False)],
)
def test_and_binds_tighter_than_or_within_a_group(embedded, expected):
    expression = logic([field("a", "1"), field("b", "1", "Or"), field("c", "1", "And")])
    assert evaluate(expression, Respondent(embedded=embedded)) is expected


def test_group_conjunction_on_the_first_condition_joins_groups_and_conjunction_spelling_works():
    either = logic([field("a", "1")], [{**field("b", "1"), "Conjunction": "Or"}])
    both = logic([field("a", "1")], [field("b", "1", "And")])
    assert evaluate(either, Respondent(embedded={"b": "1"}))
    assert not evaluate(both, Respondent(embedded={"b": "1"}))
    assert evaluate(both, Respondent(embedded={"a": "1", "b": "1"}))


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (cond("q://QID1/SelectableChoice/2"), True),
        (cond("q://QID1/SelectableChoice/1"), False),
        (cond("q://QID1/SelectableChoice/1", "NotSelected"), True),
        (cond("q://QID9/SelectableChoice/1", "NotSelected"), True),
        (cond("q://QID2/ChoiceTextEntryValue", "EqualTo", "12"), True),
        (cond("q://QID2/ChoiceTextEntryValue", "EqualTo", "12.0"), True),
        (cond("q://QID2/ChoiceTextEntryValue", "GreaterThan", "9"), True),
        (cond("q://QID2/ChoiceTextEntryValue", "LessThan", "9"), False),
        (cond("q://QID3/ChoiceTextEntryValue", "Contains", "ell"), True),
        (cond("q://QID3/ChoiceTextEntryValue", "DoesNotContain", "ell"), False),
        (cond("q://QID4/ChoiceTextEntryValue", "Empty"), True),
        (cond("q://QID3/ChoiceTextEntryValue", "NotEmpty"), True),
        (cond("q://QID1/ChoiceTextEntryValue/2", "EqualTo", "other"), True),
        (cond("q://QID1/QuestionDisplayed", "Displayed"), True),
        (cond("q://QID2/QuestionDisplayed", "NotDisplayed"), True),
        (cond("q://QID1/SelectedChoicesCount", "GreaterThanOrEqual", "1"), True),
        (
            {
                "LogicType": "GeoIP",
                "LeftOperand": "Country",
                "Operator": "EqualTo",
                "RightOperand": "US",
                "Type": "Expression",
            },
            False,
        ),
    ],
)
def test_question_conditions_read_answers_by_locator(condition, expected):
    respondent = Respondent(
        answers={
            "QID1": Answer(selected=["2"], texts={"2": "other"}),
            "QID2": Answer(text="12"),
            "QID3": Answer(text="hello"),
        },
        displayed={"QID1"},
    )
    assert evaluate(logic([condition]), respondent) is expected
