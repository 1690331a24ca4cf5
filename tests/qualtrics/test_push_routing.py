"""Routing safety of `qtui push`: a push that would leave out a rule, or change where a route
ends since the last push, is refused (exit 3, nothing sent) unless allowed; dry runs agree."""

from __future__ import annotations

import json
from pathlib import Path

from qtui.core.models import Survey
from qtui.qualtrics.compile import compile_survey
from qtui.qualtrics.route_safety import route_changes
from qtui.qualtrics.state import load_last_push
from tests.qualtrics.surveys import screener_survey
from tests.qualtrics.test_commands import env, run, sandbox_server, write  # noqa: F401


def broken(survey: dict) -> dict:
    """The under-18 screen-out with a condition that does not parse."""
    for page in survey["pages"]:
        for rule in page.get("navigation_rules", []):
            if rule["id"] == "p-age-r0":
                rule["condition"] = "age.value == 'u18' and ("
    return survey


def test_a_rule_the_compiler_must_leave_out_is_a_routing_change():
    survey = Survey.model_validate(broken(screener_survey()))
    changes = route_changes(survey, compile_survey(survey).issues, None)
    assert [c.item_id for c in changes] == ["p-age-r0"]
    assert changes[0].reason.startswith("rule Age → Terminate is left out")


def test_routing_changes_since_the_last_push_are_named():
    last = Survey.model_validate(screener_survey())
    now = screener_survey()
    now["pages"][0]["navigation_rules"] = []  # the industry screen-out is gone
    now["pages"][1]["navigation_rules"][0]["target_page_id"] = "p-done"
    now["pages"][4]["assign_response_status"] = None
    survey = Survey.model_validate(now)
    reasons = [c.reason for c in route_changes(survey, [], last)]
    assert "rule Screener → Terminate was pushed last time and is gone now" in reasons
    assert "rule Age → Terminate now leads to Complete instead" in reasons
    assert "page Terminate no longer ends the survey" in reasons


def test_push_that_drops_a_rule_is_refused_with_exit_3_and_nothing_sent(
    env,  # noqa: F811
    tmp_path: Path,
    sandbox_server,  # noqa: F811
):
    sandbox, _ = sandbox_server
    path = write(tmp_path, "s.json", broken(screener_survey()))
    dry = run(["push", path, "--dry-run"], env)
    result = run(["push", path], env)
    assert result.exit_code == 3 and dry.exit_code == 3
    assert "push refused" in result.stderr and "rule Age → Terminate is left out" in result.stderr
    assert "--allow-routing-changes" in result.stderr
    assert sandbox.surveys == {} and sandbox.request_count == 0
    allowed = run(["push", path, "--allow-routing-changes", "--json"], env)
    assert allowed.exit_code == 3  # pushed, with the compile issue listed
    assert json.loads(allowed.stdout)["qualtrics_survey_id"].startswith("SV_")
    assert len(sandbox.surveys) == 1


def test_a_clean_push_is_recorded_and_a_later_rule_change_is_refused(
    env,  # noqa: F811
    tmp_path: Path,
    sandbox_server,  # noqa: F811
):
    sandbox, _ = sandbox_server
    assert run(["push", write(tmp_path, "s.json", screener_survey())], env).exit_code == 0
    survey_id = screener_survey()["id"]
    data_dir = Path(env["XDG_DATA_HOME"]) / "qtui" / "qualtrics-push"
    last = load_last_push(survey_id, directory=data_dir)
    assert last is not None and last.qualtrics_survey_id in sandbox.surveys
    changed = screener_survey()
    changed["pages"][1]["navigation_rules"][0]["target_page_id"] = "p-nps"
    path = write(tmp_path, "s2.json", changed)
    requests = sandbox.request_count
    assert run(["push", path, "--dry-run"], env).exit_code == 3
    refused = run(["push", path], env)
    assert refused.exit_code == 3 and "now leads to NPS instead" in refused.stderr
    assert sandbox.request_count == requests
    assert run(["push", path, "--allow-routing-changes"], env).exit_code == 0
