"""`qtui qa SV_… --cover` end to end: a sandbox in a thread, the CLI in-process."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml

from qtui.qualtrics.client import QualtricsClient
from qtui.sandbox.questionnaires import load
from tests.qa.conftest import bundled, invert_rule
from tests.qualtrics.surveys import materialize
from tests.qualtrics.test_commands import run, write


def pushed(env: dict[str, str], tmp_path: Path, name: str) -> tuple[str, str]:
    source = write(tmp_path, f"{name}.json", materialize(load(name), f"srv-{name}"))
    result = run(["push", source, "--json", "--for-sessions"], env)
    assert result.exit_code in (0, 3), result.output
    return json.loads(result.stdout)["qualtrics_survey_id"], source


def test_cover_writes_junit_markdown_and_exits_0_when_every_route_agrees(env, tmp_path):
    survey_id, source = pushed(env, tmp_path, "screener_sessions")
    junit, markdown = tmp_path / "qa.xml", tmp_path / "qa.md"
    result = run(
        [
            "qa",
            survey_id,
            "--cover",
            "--survey",
            source,
            "--junit",
            str(junit),
            "--markdown",
            str(markdown),
        ],
        env,
    )
    assert result.exit_code == 0, result.output
    assert "pages 12/12, rules 6/6, outcomes 10/10" in result.stdout
    assert "on the platform" in result.stdout
    suites = list(JUnitXml.fromfile(str(junit)))
    [suite] = suites
    cases = list(suite)
    assert len(cases) == len(bundled("screener_sessions").pages) // 2  # six routes
    assert all(case.is_passed for case in cases)
    assert any("Terminate" in case.name for case in cases)
    props = {p.name: p.value for p in suite.properties()}
    assert props["engine"] == "platform"
    text = markdown.read_text()
    assert "all routes agree" in text and "| pages | 12 | 12 |" in text


def test_cover_uses_what_qtui_pushed_when_no_survey_is_given(env, tmp_path):
    survey_id, source = pushed(env, tmp_path, "screener_sessions")
    record = {
        "questra_survey_id": "srv-screener_sessions",
        "qualtrics_survey_id": survey_id,
        "base_url": None,
        "survey": json.loads(Path(source).read_text()),
    }
    folder = Path(env["XDG_DATA_HOME"]) / "qtui" / "qualtrics-push"
    (folder / "last-push.json").write_text(json.dumps(record))
    result = run(["qa", survey_id, "--cover", "--json"], env)
    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert report["complete"] and report["engine"] == "platform"
    assert report["coverage"]["rules"] == {"covered": 6, "of": 6}


def test_a_seeded_compiler_bug_fails_the_route_that_names_the_page_and_rule(
    env, tmp_path, sandbox_server
):
    survey_id, source = pushed(env, tmp_path, "screener_sessions")
    survey = bundled("screener_sessions")
    rule = next(
        r
        for p in survey.pages
        for r in p.navigation_rules
        if r.condition == "q2.value == 'outside_us'"
    )

    async def tamper() -> None:
        sandbox, running = sandbox_server
        async with QualtricsClient(running.url, sandbox.token) as client:
            await invert_rule(client, survey_id, rule.id)

    asyncio.run(tamper())
    junit = tmp_path / "qa.xml"
    result = run(["qa", survey_id, "--cover", "--survey", source, "--junit", str(junit)], env)
    assert result.exit_code == 1, result.output
    assert "DIVERGED" in result.stdout
    [suite] = list(JUnitXml.fromfile(str(junit)))
    failed = [case for case in suite if not case.is_passed]
    assert failed
    messages = [r.message for case in failed for r in case.result if isinstance(r, Failure)]
    assert any("Region" in m and "outside_us" in m and "Terminate" in m for m in messages), messages
    assert suite.failures == len(failed)


def test_a_survey_sessions_cannot_take_names_its_blockers_then_walks_in_the_local_engine(
    env, tmp_path
):
    survey_id, source = pushed(env, tmp_path, "screener")
    refused = run(["qa", survey_id, "--cover", "--survey", source], env)
    assert refused.exit_code == 1
    assert "stand in the way" in refused.stderr and "Matrix/Likert" in refused.stderr
    assert "--engine local" in refused.stderr
    local = run(["qa", survey_id, "--cover", "--survey", source, "--engine", "local"], env)
    assert local.exit_code == 0, local.output
    assert "in the local engine" in local.stdout
    assert "pages 29/29, rules 12/12, outcomes 20/20" in local.stdout
    assert "on the platform" not in local.stdout


def test_scripted_answers_are_checked_against_the_route_when_the_source_is_known(env, tmp_path):
    survey_id, source = pushed(env, tmp_path, "screener_sessions")
    answers = write(tmp_path, "a.json", {"q1": "18_24", "q2": "outside_us"})
    result = run(["qa", survey_id, "--answers", answers, "--survey", source], env)
    assert result.exit_code == 0, result.output
    assert "Route agrees with the prediction (platform): Age → Region" in result.stdout


def test_an_answers_file_naming_no_question_is_refused_before_walking(env, tmp_path):
    survey_id, source = pushed(env, tmp_path, "screener_sessions")
    typo = write(tmp_path, "typo.json", {"Q1": "18_24", "qq2": "outside_us"})
    result = run(["qa", survey_id, "--answers", typo], env)
    assert result.exit_code == 2, result.output
    assert "no question is named 'qq2'" in result.stderr and "'Q1'" not in result.stderr
    assert result.stdout == ""  # nothing walked
    bad = write(tmp_path, "bad.json", {"answers": 5})
    result = run(["qa", survey_id, "--answers", bad], env)
    assert result.exit_code == 2 and "answers must be an object" in result.stderr


@pytest.mark.parametrize("flag", [[], ["--json"]])
def test_the_walkthrough_screen_needs_a_terminal(env, flag):
    result = run(["qa", "SV_000000000000000", *flag], env)
    assert result.exit_code == 2 and "needs a terminal" in result.stderr


def test_a_compiler_that_inverts_a_branch_operator_is_caught(env, tmp_path, monkeypatch):
    """The bug seeded in the compiler itself: every "is selected" it writes says "is not"."""
    from qtui.qualtrics.conditions import Cond

    compile_condition = Cond.to_qualtrics

    def inverted(self: Cond) -> dict:
        out = compile_condition(self)
        if self.kind == "choice" and out.get("Operator") == "Selected":
            out["Operator"] = "NotSelected"
        return out

    monkeypatch.setattr(Cond, "to_qualtrics", inverted)
    survey_id, source = pushed(env, tmp_path, "screener_sessions")
    junit = tmp_path / "qa.xml"
    result = run(["qa", survey_id, "--cover", "--survey", source, "--junit", str(junit)], env)
    assert result.exit_code == 1, result.output
    [suite] = list(JUnitXml.fromfile(str(junit)))
    messages = [
        r.message
        for case in suite
        if not case.is_passed
        for r in case.result
        if isinstance(r, Failure)
    ]
    assert any("Age → Terminate if q1.value in ['under_18']" in m for m in messages), messages
    assert all("expected" in m and "reached" in m for m in messages)


def test_cover_local_uses_the_pushed_file_or_asks_for_it_and_a_questra_404_is_failed(env, tmp_path):
    """Pushed from a file: the push record holds the survey; without it, `--survey FILE` is
    asked for (usage, 2), and a Questra that does not know the survey is a failure (1)."""
    import math

    from qtui.sandbox.questra import QuestraSandbox
    from qtui.serving import start_in_thread

    survey_id, source = pushed(env, tmp_path, "screener")
    recorded = run(["qa", survey_id, "--cover", "--engine", "local"], env)
    assert recorded.exit_code == 0, recorded.output
    assert "pages 29/29" in recorded.stdout
    folder = Path(env["XDG_DATA_HOME"]) / "qtui" / "qualtrics-push"
    for record in [folder / "last-push.json", *folder.glob("*.last.json")]:
        record.unlink()  # a push state with no copy of the survey (older qtui)
    asked = run(["qa", survey_id, "--cover", "--engine", "local"], env)
    assert asked.exit_code == 2, asked.output
    assert "pass --survey FILE" in asked.stderr and "Questra" not in asked.stderr
    questra = QuestraSandbox("qk_t", "org_t", speed=math.inf)
    running = start_in_thread(questra.app)
    try:
        with_questra = {
            **env,
            "QTUI_QUESTRA_URL": running.url,
            "QTUI_QUESTRA_API_KEY": "qk_t",
            "QTUI_QUESTRA_ORG_ID": "org_t",
        }
        missing = run(["qa", survey_id, "--cover", "--engine", "local"], with_questra)
    finally:
        running.stop()
    assert missing.exit_code == 1, missing.output
    assert "404" in missing.stderr and "pass --survey FILE" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    given = run(["qa", survey_id, "--cover", "--engine", "local", "--survey", source], env)
    assert given.exit_code == 0, given.output


def test_a_source_survey_with_a_rule_under_another_page_is_refused(env, tmp_path):
    survey_id, source = pushed(env, tmp_path, "screener_sessions")
    document = json.loads(Path(source).read_text())
    listing = next(page for page in document["pages"] if page["navigation_rules"])
    other = next(page for page in document["pages"] if page["id"] != listing["id"])
    rule = listing["navigation_rules"][0]
    rule["source_page_id"] = other["id"]
    edited = write(tmp_path, "edited.json", document)
    answers = write(tmp_path, "a.json", {"q1": "18_24", "q2": "outside_us"})
    result = run(["qa", survey_id, "--answers", answers, "--survey", edited], env)
    assert result.exit_code == 2, result.output
    assert f"navigation rule {rule['id']!r} is listed under page {listing['id']!r}" in result.stderr
    assert f"source_page_id is page {other['id']!r}" in result.stderr


@pytest.mark.parametrize("mode", ["--cover", "--answers", "the screen"])
def test_a_bad_survey_file_is_said_before_anything_about_the_platform(env, tmp_path, mode):
    """The screener cannot be walked on the platform (Matrix questions); a mistyped, broken
    or wrong `--survey` file is still the first thing said, as a usage error (the screen
    opened with "No source survey: pass --survey FILE" beside it)."""
    survey_id, _ = pushed(env, tmp_path, "screener")
    answers = write(tmp_path, "a.json", {"q1": "18_24"})
    extra = {"--answers": ["--answers", answers], "--cover": ["--cover"]}.get(mode, [])
    broken = tmp_path / "broken.json"
    broken.write_text('{"id": "s1", "pages": [')
    not_a_survey = write(tmp_path, "list.json", [1, 2])
    cases = {
        str(tmp_path / "srvey.json"): "no such file",
        str(broken): "cannot read",
        not_a_survey: "is not a valid survey",
    }
    for path, said in cases.items():
        result = run(["qa", survey_id, *extra, "--survey", path], env)
        assert result.exit_code == 2, result.output
        assert said in result.stderr and path in result.stderr
        assert "stand in the way" not in result.stderr
        assert result.stdout == ""
