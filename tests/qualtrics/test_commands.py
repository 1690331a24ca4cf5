"""`qtui push` and `qtui qa` end to end: a sandbox in a thread, the CLI in-process."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from qtui.cli import main
from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.serving import start_in_thread
from tests.qualtrics.conftest import mount
from tests.qualtrics.surveys import csat_survey, screener_survey


@pytest.fixture
def sandbox_server():
    sandbox = QualtricsSandbox()
    running = start_in_thread(mount(sandbox))
    try:
        yield sandbox, running
    finally:
        running.stop()


@pytest.fixture
def env(sandbox_server, tmp_path: Path) -> dict[str, str]:
    sandbox, running = sandbox_server
    return {
        "QTUI_QUALTRICS_BASE_URL": running.url,
        "QTUI_QUALTRICS_TOKEN": sandbox.token,
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }


def write(tmp_path: Path, name: str, data: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def run(args: list[str], env: dict[str, str]):
    return CliRunner().invoke(main, args, env=env)


def test_push_prints_progress_on_stderr_and_the_report_on_stdout(env, tmp_path, sandbox_server):
    sandbox, _ = sandbox_server
    result = run(["push", write(tmp_path, "s.json", screener_survey()), "--to", "qualtrics"], env)
    assert result.exit_code == 0, result.output
    assert "Pushed 'Panel screener' to Qualtrics survey SV_" in result.stdout
    assert "questions" in result.stderr and "Pushed" not in result.stderr
    assert len(sandbox.surveys) == 1


def test_push_with_compile_issues_exits_3_and_lists_them(env, tmp_path):
    data = csat_survey()
    data["variables"].append({"id": "v-size", "name": "size", "expression": "len(q2)"})
    result = run(["push", write(tmp_path, "c.json", data)], env)
    assert result.exit_code == 3
    assert "Compile issues (1):" in result.stdout and "variable size  [variable]" in result.stdout


def test_push_json_report_is_parseable_and_repush_is_idempotent(env, tmp_path, sandbox_server):
    sandbox, _ = sandbox_server
    path = write(tmp_path, "s.json", screener_survey())
    first = json.loads(run(["push", path, "--json"], env).stdout)
    second = json.loads(run(["push", path, "--json"], env).stdout)
    assert first["created"] == {"blocks": 5, "questions": 7}
    assert second["qualtrics_survey_id"] == first["qualtrics_survey_id"]
    assert second["created"] == {"blocks": 0, "questions": 0}
    assert second["unchanged"] == {"questions": 7}
    assert len(sandbox.surveys) == 1


def test_dry_run_prints_the_plan_and_sends_nothing(env, tmp_path, sandbox_server):
    sandbox, _ = sandbox_server
    result = run(["push", write(tmp_path, "s.json", screener_survey()), "--dry-run"], env)
    assert result.exit_code == 0
    assert "would create: 5 blocks, 7 questions" in result.stdout
    assert sandbox.surveys == {} and sandbox.request_count == 0


def test_dry_run_names_each_question_as_people_know_it_not_by_block_id(env, tmp_path):
    survey = screener_survey()
    result = run(["push", write(tmp_path, "s.json", survey), "--dry-run"], env)
    listed = [line.strip() for line in result.stdout.splitlines() if "question for" in line]
    assert "create question for industry MultipleChoice on 'Screener'" in listed
    assert "create question for title TextInput on 'Screener'" in listed
    assert not any("b-s1" in line for line in listed)


def test_push_of_an_unreadable_file_is_a_usage_error(env, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = run(["push", str(bad)], env)
    assert result.exit_code == 2 and "bad.json: not JSON" in result.stderr


def test_push_of_an_invalid_survey_names_the_field(env, tmp_path):
    result = run(["push", write(tmp_path, "x.json", {"name": "no id", "pages": []})], env)
    assert result.exit_code == 2 and "id" in result.stderr


def test_push_without_a_token_is_a_config_error_naming_the_variable(env, tmp_path):
    env = {**env, "QTUI_QUALTRICS_TOKEN": ""}
    result = run(["push", write(tmp_path, "s.json", screener_survey())], env)
    assert result.exit_code == 2 and "QTUI_QUALTRICS_TOKEN" in result.stderr


def test_push_of_an_id_without_questra_credentials_is_a_usage_error(env):
    result = run(["push", "some-slug"], env)
    assert result.exit_code == 2 and "QTUI_QUESTRA_API_KEY" in result.stderr


def test_push_to_another_platform_is_refused(env, tmp_path):
    result = run(["push", write(tmp_path, "s.json", screener_survey()), "--to", "decipher"], env)
    assert result.exit_code == 2


def test_push_refused_by_qualtrics_exits_1_with_one_line(env, tmp_path, sandbox_server):
    sandbox, _ = sandbox_server
    sandbox.fail_next(1, status=403, path_contains="/blocks")
    result = run(["push", write(tmp_path, "s.json", screener_survey())], env)
    assert result.exit_code == 1
    [line] = [x for x in result.stderr.splitlines() if x.startswith("qtui:")]
    assert line.startswith("qtui: push failed: Qualtrics refused access (403")


def pushed_survey_id(env: dict[str, str], tmp_path: Path) -> str:
    report = json.loads(
        run(
            ["push", write(tmp_path, "s.json", screener_survey()), "--json", "--for-sessions"], env
        ).stdout
    )
    return report["qualtrics_survey_id"]


def test_qa_prints_each_page_and_the_response(env, tmp_path):
    survey_id = pushed_survey_id(env, tmp_path)
    answers = write(tmp_path, "a.json", {"industry": "no", "title": "Chef", "age": "u18"})
    result = run(["qa", survey_id, "--answers", answers], env)
    assert result.exit_code == 0, result.output
    out = result.stdout
    # Pushed for sessions: the terminate page is text only, so the walk ends after page 2.
    assert "Page 1" in out and "Page 2" in out and "Page 3" not in out
    assert 'answer: "Chef"' in out
    assert re.search(r"→ page 2: QID\d+ \(age\)", out)
    assert "Done: response R_" in out and "(Screenout)" in out


def test_qa_json_for_scripts(env, tmp_path):
    survey_id = pushed_survey_id(env, tmp_path)
    answers = write(
        tmp_path,
        "a.json",
        {
            "answers": {"industry": "no", "title": "Chef", "age": "35-54", "nps": 10},
            "embeddedData": {"panel": "p7"},
        },
    )
    result = run(["qa", survey_id, "--answers", answers, "--json"], env)
    walk = json.loads(result.stdout)
    assert result.exit_code == 0
    assert walk["done"] and walk["end_reason"] == "Completed"
    assert [p["page"] for p in walk["pages"]] == [1, 2, 3]  # the text-only end page is not shown
    assert walk["pages"][-1]["next"] == "end of survey"


def test_qa_with_a_missing_forced_answer_exits_1_with_one_line(env, tmp_path):
    survey_id = pushed_survey_id(env, tmp_path)
    answers = write(tmp_path, "a.json", {"industry": "no"})
    result = run(["qa", survey_id, "--answers", answers], env)
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert "requires a response" in line and "add an answer for 'title'" in line


def test_qa_of_an_unknown_survey_fails_cleanly(env, tmp_path):
    answers = write(tmp_path, "a.json", {})
    result = run(["qa", "SV_000000000000000", "--answers", answers], env)
    assert result.exit_code == 1 and "walkthrough failed" in result.stderr
