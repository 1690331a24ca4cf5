"""A Qualtrics sandbox on loopback, surveys pushed to it, and helpers to tamper with them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from qtui.core.models import Survey
from qtui.qualtrics.client import QualtricsClient
from qtui.qualtrics.push import push_survey
from qtui.qualtrics.state import PushState
from qtui.sandbox.questionnaires import load
from tests.qualtrics import conftest as qualtrics_fixtures
from tests.qualtrics.surveys import materialize
from tests.qualtrics.test_commands import env, sandbox_server  # noqa: F401 - fixtures

OPPOSITE = {
    "Selected": "NotSelected",
    "NotSelected": "Selected",
    "EqualTo": "NotEqualTo",
    "NotEqualTo": "EqualTo",
}

# The sandbox served on loopback and a client for it, as in the Qualtrics tests.
sandbox = qualtrics_fixtures.sandbox
server = qualtrics_fixtures.server
client = qualtrics_fixtures.client


def bundled(name: str) -> Survey:
    return Survey.model_validate(materialize(load(name), f"srv-{name}"))


async def push(client: QualtricsClient, survey: Survey, *, concurrency: int = 4) -> str:
    """Push `survey` compiled for session walks (text folded into questions); with
    concurrency 1 its QIDs are the same on every run."""
    state = PushState.in_memory(survey.id, client.base_url)
    report = await push_survey(
        client, survey, state=state, concurrency=concurrency, for_sessions=True
    )
    assert report.qualtrics_survey_id
    return report.qualtrics_survey_id


def _branches(elements: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for element in elements:
        if element.get("Type") == "Branch":
            yield element
        yield from _branches(element.get("Flow", []))


def _conditions(logic: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key, value in logic.items():
        if key.isdigit() and isinstance(value, dict):
            if "Operator" in value:
                yield value
            else:
                yield from _conditions(value)


async def invert_rule(client: QualtricsClient, survey_id: str, rule_id: str) -> None:
    """A seeded compiler bug: the branch compiled for `rule_id` gets its operators inverted,
    then the survey is published again, as a faulty push would leave it."""
    flow = await client.get_flow(survey_id)
    [branch] = [
        b
        for b in _branches(flow["Flow"])
        if b.get("Description", "").startswith(f"Rule {rule_id}:")
    ]
    for condition in _conditions(branch["BranchLogic"]):
        condition["Operator"] = OPPOSITE[condition["Operator"]]
    await client.put_flow(survey_id, flow)
    await client.publish(survey_id, "seeded bug")
