"""push_survey against the sandbox on a real loopback server: create, compare, re-push, resume."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from qtui.core.models import Survey
from qtui.qualtrics.client import QualtricsClient
from qtui.qualtrics.compile import rebind
from qtui.qualtrics.errors import ServerError
from qtui.qualtrics.push import PushProgress, compile_for, push_survey
from qtui.qualtrics.state import PushState
from tests.qualtrics.surveys import block, csat_survey, page, screener_survey


def load(data: dict) -> Survey:
    return Survey.model_validate(data)


def state_for(tmp_path: Path, client: QualtricsClient, survey: dict) -> PushState:
    return PushState.load(survey["id"], client.base_url, directory=tmp_path)


async def test_push_creates_what_compile_produced_then_publishes_and_activates(
    client, sandbox, tmp_path
):
    data = screener_survey()
    steps: list[PushProgress] = []
    report = await push_survey(
        client, load(data), state=state_for(tmp_path, client, data), progress=steps.append
    )
    assert report.created == {"blocks": 5, "questions": 7}
    assert report.published and report.activated and report.version_number == 1
    assert report.issues == [] and report.retries == 0

    record = sandbox.surveys[report.qualtrics_survey_id]
    assert record.status == "Active" and record.published is not None
    definition = await client.get_definition(report.qualtrics_survey_id)
    state = state_for(tmp_path, client, data).target
    compiled = compile_for(load(data), state)  # compiled with the real ids now known
    for question in compiled.question_list():
        live = definition["Questions"][question.qid]
        assert {k: live[k] for k in question.definition} == question.definition
    for compiled_block in compiled.blocks:
        live = definition["Blocks"][compiled_block.block_id]
        assert [e["QuestionID"] for e in live["BlockElements"]] == compiled_block.question_ids
        assert live["Description"] == compiled_block.description
    assert definition["SurveyFlow"] == compiled.flow
    assert {s.step for s in steps} >= {"survey", "blocks", "questions", "flow", "publish"}
    assert all(0 <= s.done <= s.total for s in steps)


async def test_push_keeps_its_state_in_the_xdg_data_dir(client, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    data = screener_survey()
    await push_survey(client, load(data), state=PushState.load(data["id"], client.base_url))
    saved = tmp_path / "qtui" / "qualtrics-push" / "srv-screener.json"
    content = json.loads(saved.read_text())
    target = content["targets"][client.base_url]
    assert target["survey_id"].startswith("SV_")
    assert set(target["questions"]) == {
        "b-s1",
        "b-s2",
        "b-age",
        "b-nps",
        "b-why",
        "b-done",
        "b-term",
    }
    assert not saved.with_suffix(".journal").exists()


async def test_second_push_of_the_same_survey_changes_nothing(client, sandbox, tmp_path):
    data = csat_survey()
    first = await push_survey(client, load(data), state=state_for(tmp_path, client, data))
    questions_before = copy.deepcopy(sandbox.surveys[first.qualtrics_survey_id].questions)
    second = await push_survey(client, load(data), state=state_for(tmp_path, client, data))
    assert second.qualtrics_survey_id == first.qualtrics_survey_id
    assert second.created == {"blocks": 0, "questions": 0}
    assert second.updated == {"blocks": 0, "questions": 0}
    assert second.unchanged == {"questions": 8}
    assert not second.published and not second.flow_updated
    assert second.requests == 1  # one GET to check the survey is still there
    assert sandbox.surveys[first.qualtrics_survey_id].questions == questions_before
    assert len(sandbox.surveys) == 1


async def test_edited_label_is_updated_in_place_and_a_new_version_published(
    client, sandbox, tmp_path
):
    data = csat_survey()
    first = await push_survey(client, load(data), state=state_for(tmp_path, client, data))
    qids_before = set(sandbox.surveys[first.qualtrics_survey_id].questions)
    data["pages"][2]["blocks"][0]["config"]["label"] = "What did you like most?"
    second = await push_survey(client, load(data), state=state_for(tmp_path, client, data))
    assert second.updated["questions"] == 1 and second.created["questions"] == 0
    assert second.published and second.version_number == 2
    record = sandbox.surveys[first.qualtrics_survey_id]
    assert set(record.questions) == qids_before
    texts = [q["QuestionText"] for q in record.questions.values()]
    assert "What did you like most?" in texts and "What did you like?" not in texts
    assert record.published["Questions"] == record.questions  # the new version is live


async def test_removed_and_added_blocks_are_deleted_and_created_without_duplicates(
    client, sandbox, tmp_path
):
    data = screener_survey()
    first = await push_survey(client, load(data), state=state_for(tmp_path, client, data))
    record = sandbox.surveys[first.qualtrics_survey_id]
    kept_qid = state_for(tmp_path, client, data).target.questions["b-age"]
    data["pages"][0]["blocks"].pop(1)  # the job title question
    data["pages"][1]["blocks"].append(
        block(
            "b-gender",
            "p-age",
            1,
            type="MultipleChoice",
            name="gender",
            label="Gender",
            choices=[{"value": "f", "label": "F"}, {"value": "m", "label": "M"}],
        )
    )
    data["pages"].insert(
        3,
        page(
            "p-extra",
            "Extra",
            3,
            [
                block(
                    "b-extra", "p-extra", 0, type="TextInput", name="extra", label="Anything else?"
                )
            ],
        ),
    )
    second = await push_survey(client, load(data), state=state_for(tmp_path, client, data))
    assert second.deleted["questions"] == 1
    assert second.created == {"blocks": 1, "questions": 2}
    tags = sorted(q["DataExportTag"] for q in record.questions.values())
    assert len(tags) == len(set(tags))
    assert "title" not in tags and {"gender", "extra"} <= set(tags)
    assert state_for(tmp_path, client, data).target.questions["b-age"] == kept_qid
    age_block = record.blocks[state_for(tmp_path, client, data).target.blocks["p-age"]]
    assert [e["QuestionID"] for e in age_block["BlockElements"]][0] == kept_qid
    assert len(age_block["BlockElements"]) == 2


async def test_a_moved_question_keeps_its_qid_and_changes_block(client, sandbox, tmp_path):
    data = screener_survey()
    first = await push_survey(client, load(data), state=state_for(tmp_path, client, data))
    moved = data["pages"][0]["blocks"].pop(1)
    moved["page_id"] = "p-age"
    data["pages"][1]["blocks"].append(moved)
    await push_survey(client, load(data), state=state_for(tmp_path, client, data))
    target = state_for(tmp_path, client, data).target
    record = sandbox.surveys[first.qualtrics_survey_id]
    age_elements = [e["QuestionID"] for e in record.blocks[target.blocks["p-age"]]["BlockElements"]]
    first_elements = [
        e["QuestionID"] for e in record.blocks[target.blocks["p-screen"]]["BlockElements"]
    ]
    assert target.questions["b-s2"] in age_elements
    assert target.questions["b-s2"] not in first_elements


async def test_push_that_failed_half_way_resumes_without_creating_twice(server, sandbox, tmp_path):
    data = csat_survey()
    sandbox.fail_next(1, status=500, path_contains="/questions", after=4)
    async with QualtricsClient(server.url, sandbox.token, max_retries=0) as fragile:
        with pytest.raises(ServerError):
            await push_survey(fragile, load(data), state=state_for(tmp_path, fragile, data))
    [survey_id] = sandbox.surveys
    made_before = len(sandbox.surveys[survey_id].questions)
    assert 4 <= made_before < 8
    journal = tmp_path / "srv-csat.journal"
    assert journal.exists()

    async with QualtricsClient(server.url, sandbox.token) as client:
        report = await push_survey(client, load(data), state=state_for(tmp_path, client, data))
    assert report.qualtrics_survey_id == survey_id
    assert report.created["questions"] == 8 - made_before
    assert report.created["blocks"] == 0 and report.deleted["questions"] == 0
    record = sandbox.surveys[survey_id]
    assert len(record.questions) == 8
    placed = [e["QuestionID"] for b in record.blocks.values() for e in b["BlockElements"]]
    assert sorted(placed) == sorted(record.questions)  # each question in exactly one block
    assert len(sandbox.surveys) == 1


async def test_server_errors_during_a_push_are_retried_and_counted(client, sandbox, tmp_path):
    data = screener_survey()
    sandbox.fail_next(2, status=503, path_contains="/blocks")
    report = await push_survey(client, load(data), state=state_for(tmp_path, client, data))
    assert report.retries == 2
    assert report.created == {"blocks": 5, "questions": 7}


async def test_orphan_question_left_by_a_lost_answer_is_removed_on_the_next_push(
    client, sandbox, tmp_path
):
    data = screener_survey()
    first = await push_survey(client, load(data), state=state_for(tmp_path, client, data))
    target = state_for(tmp_path, client, data).target
    # A create whose answer never came back: the question exists but the state does not know it.
    await client.create_question(
        first.qualtrics_survey_id,
        {"QuestionText": "ghost", "QuestionType": "TE", "Selector": "SL"},
        block_id=target.blocks["p-age"],
    )
    second = await push_survey(client, load(data), state=state_for(tmp_path, client, data))
    assert second.deleted["questions"] == 1
    questions = sandbox.surveys[first.qualtrics_survey_id].questions
    texts = [q["QuestionText"] for q in questions.values()]
    assert "ghost" not in texts


async def test_survey_deleted_in_qualtrics_is_created_again(client, sandbox, tmp_path):
    data = screener_survey()
    first = await push_survey(client, load(data), state=state_for(tmp_path, client, data))
    await client.delete_survey(first.qualtrics_survey_id)
    second = await push_survey(client, load(data), state=state_for(tmp_path, client, data))
    assert second.qualtrics_survey_id != first.qualtrics_survey_id
    assert second.created == {"blocks": 5, "questions": 7}


async def test_push_into_a_target_survey_uses_it(client, sandbox, tmp_path):
    made = await client.create_survey("Existing")
    data = screener_survey()
    report = await push_survey(
        client, load(data), target=made.SurveyID, state=state_for(tmp_path, client, data)
    )
    assert report.qualtrics_survey_id == made.SurveyID
    assert len(sandbox.surveys) == 1
    assert len(sandbox.surveys[made.SurveyID].questions) == 7


async def test_push_into_a_target_leaves_its_existing_questions_alone(client, sandbox, tmp_path):
    made = await client.create_survey("Has content")
    theirs = await client.create_question(
        made.SurveyID, {"QuestionText": "theirs", "QuestionType": "TE", "Selector": "SL"}
    )
    data = screener_survey()
    for _ in range(2):  # the second push reconciles against what is there
        await push_survey(
            client, load(data), target=made.SurveyID, state=state_for(tmp_path, client, data)
        )
    record = sandbox.surveys[made.SurveyID]
    assert theirs in record.questions
    assert record.blocks[made.DefaultBlockID]["BlockElements"] == [
        {"Type": "Question", "QuestionID": theirs}
    ]


async def test_dry_run_sends_nothing_and_plans_the_changes(client, sandbox, tmp_path):
    data = screener_survey()
    before = sandbox.request_count
    plan = (
        await push_survey(client, load(data), state=state_for(tmp_path, client, data), dry_run=True)
    ).plan
    assert sandbox.request_count == before
    assert plan.create_survey and len(plan.create_questions) == 7
    await push_survey(client, load(data), state=state_for(tmp_path, client, data))
    data["pages"][1]["blocks"][0]["config"]["label"] = "Age now?"
    plan = (
        await push_survey(client, load(data), state=state_for(tmp_path, client, data), dry_run=True)
    ).plan
    assert plan.update_questions == ["b-age"] and not plan.create_questions
    assert len(plan.unchanged_questions) == 6


async def test_display_logic_reading_a_later_question_is_put_once_that_exists(
    client, sandbox, tmp_path
):
    data = {
        "id": "fwd",
        "name": "Forward",
        "pages": [
            page(
                "p",
                "P",
                0,
                [
                    block(
                        "b1",
                        "p",
                        0,
                        type="TextInput",
                        name="first",
                        label="First",
                        showIf="later == 'x'",
                    ),
                    block(
                        "b2",
                        "p",
                        1,
                        type="MultipleChoice",
                        name="later",
                        label="Later",
                        choices=[{"value": "x", "label": "X"}],
                    ),
                ],
            )
        ],
    }
    report = await push_survey(client, load(data), state=state_for(tmp_path, client, data))
    target = state_for(tmp_path, client, data).target
    question = sandbox.surveys[report.qualtrics_survey_id].questions[target.questions["b1"]]
    locator = question["DisplayLogic"]["0"]["0"]["LeftOperand"]
    assert locator == f"q://{target.questions['b2']}/SelectableChoice/1"


def test_rebind_changes_locators_and_exact_ids_only():
    value = {
        "LeftOperand": "q://QID1/SelectableChoice/2",
        "QuestionID": "QID1",
        "QuestionText": "QID1 is mentioned",
        "ID": "BL_a",
    }
    assert rebind(value, {"QID1": "QID9"}, {"BL_a": "BL_b"}) == {
        "LeftOperand": "q://QID9/SelectableChoice/2",
        "QuestionID": "QID9",
        "QuestionText": "QID1 is mentioned",
        "ID": "BL_b",
    }


async def test_logic_reading_an_earlier_page_waits_for_that_question_when_sent_in_parallel(
    client, sandbox, tmp_path
):
    pages = [
        page(
            "p0",
            "First",
            0,
            [
                block(
                    "b0",
                    "p0",
                    0,
                    type="MultipleChoice",
                    name="gate",
                    label="Gate",
                    choices=[{"value": "y", "label": "Y"}, {"value": "n", "label": "N"}],
                ),
            ],
        )
    ]
    for i in range(1, 9):
        pages.append(
            page(
                f"p{i}",
                f"P{i}",
                i,
                [
                    block(
                        f"b{i}",
                        f"p{i}",
                        0,
                        type="TextInput",
                        name=f"t{i}",
                        label=f"T{i}",
                        showIf="gate == 'y'",
                    ),
                ],
            )
        )
    data = {"id": "parallel", "name": "Parallel", "pages": pages}
    report = await push_survey(
        client, load(data), state=state_for(tmp_path, client, data), concurrency=8
    )
    target = state_for(tmp_path, client, data).target
    gate = target.questions["b0"]
    record = sandbox.surveys[report.qualtrics_survey_id]
    for i in range(1, 9):
        logic = record.questions[target.questions[f"b{i}"]]["DisplayLogic"]
        assert logic["0"]["0"]["LeftOperand"] == f"q://{gate}/SelectableChoice/1"
    assert report.requests == 1 + 9 + 9 + 1 + 1 + 1  # survey, blocks, questions, flow, …


async def test_question_loop_is_bound_to_the_real_qid_of_its_source(client, sandbox, tmp_path):
    from qtui.sandbox.questionnaires import load as load_questionnaire
    from tests.qualtrics.surveys import materialize

    data = materialize(load_questionnaire("screener"), "srv-loop")
    report = await push_survey(client, load(data), state=state_for(tmp_path, client, data))
    record = sandbox.surveys[report.qualtrics_survey_id]
    looped = [b for b in record.blocks.values() if (b.get("Options") or {}).get("Looping")]
    assert len(looped) == 1
    source = looped[0]["Options"]["LoopingOptions"]["QID"]
    assert record.questions[source]["DataExportTag"] == "q11"
