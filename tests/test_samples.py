"""The sample event streams: parseable, current, and a faithful record of a sandbox run."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from qtui import samples
from qtui.core.events import parse_event
from qtui.core.models import KNOWN_BLOCK_TYPES, Survey
from qtui.core.store import SurveyStore
from qtui.samples.generate import SEED_EVENTS, screener_run, seed_event_lines
from tests.core.seed_events import SEED_EVENTS as DOCUMENTED


@pytest.mark.parametrize("name", [samples.SEED_EVENTS, samples.SCREENER_RUN])
def test_every_sample_line_parses_as_an_event(name: str) -> None:
    lines = samples.lines(name)
    assert lines
    for line in lines:
        event = parse_event(line)
        assert event.is_known, line[:80]


def test_the_seed_sample_is_the_documentation_examples_verbatim() -> None:
    assert samples.lines(samples.SEED_EVENTS) == seed_event_lines()
    # checked against the copy the core tests keep, made separately from the docs
    assert [json.loads(line) for line in samples.lines(samples.SEED_EVENTS)] == DOCUMENTED
    assert SEED_EVENTS == DOCUMENTED


@pytest.fixture(scope="module")
def run() -> Any:
    import asyncio

    return asyncio.run(screener_run())


def test_the_screener_sample_is_what_the_generator_makes_today(run: Any) -> None:
    # regenerating gives the same bytes: the file is current and the run deterministic
    assert samples.lines(samples.SCREENER_RUN) == run.bodies


def test_the_screener_sample_covers_a_whole_run(run: Any) -> None:
    events = [json.loads(line) for line in samples.lines(samples.SCREENER_RUN)]
    kinds = Counter(e["event"] for e in events)
    assert kinds["page.created"] >= 10
    types = {e["data"]["config"]["type"] for e in events if e["event"] == "block.created"}
    assert types == set(KNOWN_BLOCK_TYPES)
    wanted = (
        "variable.created",
        "navigation_rule.created",
        "navigation_rule.updated",
        "block.updated",
        "block.deleted",
        "navigation_rule.deleted",
        "page.updated",
    )
    for kind in wanted:
        assert kinds[kind] >= 1, kind
    created_on = {e["data"]["id"]: e["data"]["page_id"] for e in events
                  if e["event"] == "block.created"}  # fmt: skip
    moves = [e for e in events if e["event"] == "block.updated"
             and e["data"]["page_id"] != created_on.get(e["data"]["id"])]  # fmt: skip
    assert moves, "no block moved to another page"
    assert events[-1]["event"] == "navigation_rule.deleted"
    statuses = [e["data"]["status"] for e in events if e["event"] == "survey.updated"]
    assert "reviewing" in statuses


def comparable(survey: Survey) -> dict[str, Any]:
    """What both the store and the sandbox know about a survey, in one canonical form."""
    data = survey.dump()
    return {
        "survey": {
            k: data.get(k)
            for k in (
                "id",
                "slug",
                "name",
                "status",
                "target_platform",
                "locked",
                "platform_ir_last_pushed_at",
            )
        },  # fmt: skip
        "pages": [
            {
                **{
                    k: page.get(k)
                    for k in (
                        "id",
                        "survey_id",
                        "name",
                        "order",
                        "locked",
                        "assign_response_status",
                        "programming_started_at",
                        "programming_completed_at",
                        "created_at",
                        "updated_at",
                    )
                },  # fmt: skip
                "blocks": page.get("blocks", []),
                "rules": [
                    {
                        k: r.get(k)
                        for k in ("id", "source_page_id", "target_page_id", "condition", "order")
                    }  # fmt: skip
                    for r in page.get("navigation_rules", [])
                ],
            }
            for page in data.get("pages", [])
        ],
        "variables": sorted(
            (
                {k: v.get(k) for k in ("id", "survey_id", "name", "expression")}
                for v in data.get("variables", [])
            ),  # fmt: skip
            key=lambda v: v["name"],
        ),
    }


def test_replaying_the_screener_sample_rebuilds_the_sandbox_survey(run: Any) -> None:
    store = SurveyStore()
    for line in samples.lines(samples.SCREENER_RUN):
        store.apply(parse_event(line))
    rebuilt = store.survey(run.survey["id"])
    assert rebuilt is not None
    expected = comparable(Survey.model_validate(run.survey))
    assert comparable(rebuilt) == expected
    assert len(expected["pages"]) == 29


def test_every_sample_file_replays_to_a_survey_or_says_what_it_demonstrates() -> None:
    from click.testing import CliRunner

    from qtui.cli import main

    readme = (samples.DIRECTORY / "README.md").read_text()
    listed: dict[str, str] = {}  # file name → its README entry (continuation lines joined)
    entry = ""
    for line in readme.splitlines():
        if line.startswith("- `"):
            entry = line.split("`")[1]
            listed[entry] = line
        elif entry and line.startswith("  "):
            listed[entry] += " " + line.strip()
        else:
            entry = ""
    files = {p.name for p in samples.DIRECTORY.iterdir() if p.is_file()}
    assert files - {"__pycache__"} <= set(listed), "every file has its README line"
    for name in sorted(files):
        if not name.endswith(".jsonl"):
            assert "demonstrates" in listed[name] or name == "README.md"
            continue
        result = CliRunner().invoke(main, ["replay", str(samples.path(name)), "--print"])
        if "replays to a visible survey" in listed[name]:
            assert result.exit_code == 0, result.output
            assert "1. " in result.output and "pages" in result.output
        else:
            assert "demonstrates" in listed[name] and "replays to an empty tree" in listed[name]
            # Its survey is deleted by the recording's last events: that is the result, exit 0.
            assert result.exit_code == 0, result.output
            assert "deleted by the recording" in result.output
