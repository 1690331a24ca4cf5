"""`qtui fieldwork --json` and `qtui qualtrics subscribe`, run as commands against loopback."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from qtui.core.fieldwork import FieldworkTally, definition_shape
from qtui.fieldwork.feed import fetch_details, parse_since, read_log
from qtui.sandbox.fieldwork import FieldworkPlan, FieldworkSimulator


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qtui", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


async def test_headless_json_prints_the_figures_the_tally_computes(field, tmp_path):
    simulator = FieldworkSimulator(
        field.qualtrics,
        field.survey_id,
        plan=FieldworkPlan(drop=0.1, incident=0.5, blacklist=0.2),
        seed=3,
        emitter=field.emitter,
    )
    await simulator.run(count=15, rate=500)
    await field.sandbox.subscriptions.drain()

    env = {
        "QTUI_QUALTRICS_BASE_URL": field.qualtrics.base_url,
        "QTUI_QUALTRICS_TOKEN": field.sandbox.token,
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    done = await asyncio.to_thread(
        run_cli, "fieldwork", field.survey_id, "--relay", field.relay.url, "--json", env=env
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["events"] > 0 and "message" not in printed

    tally = FieldworkTally(definition_shape(field.definition))
    await read_log(field.relay.url, field.survey_id, tally)
    await fetch_details(tally, field.qualtrics)
    expected = tally.figures().to_json()
    for key in ("started", "completed", "screened_out", "partial", "in_progress", "blacklisted"):
        assert printed[key] == expected[key], key
    assert printed["started"] == len(field.sandbox.sessions) == 15
    assert printed["pages"] == expected["pages"]
    assert printed["pages"][0]["reached"] == len(field.sandbox.responses)
    assert [i["id"] for i in printed["incidents"]] == [i["id"] for i in expected["incidents"]]

    text = await asyncio.to_thread(
        run_cli, "fieldwork", field.survey_id, "--relay", field.relay.url, env=env
    )
    assert text.returncode == 0, text.stderr
    assert f"started {len(field.sandbox.sessions)}" in text.stdout

    future = await asyncio.to_thread(
        run_cli,
        "fieldwork",
        field.survey_id,
        "--relay",
        field.relay.url,
        "--json",
        "--since",
        "2999-01-01T00:00",
        env=env,
    )
    assert future.returncode == 3
    assert json.loads(future.stdout)["started"] == 0
    assert "no events for" in json.loads(future.stdout)["message"]


async def test_headless_says_the_relay_holds_nothing_for_an_unknown_survey(field, tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    args = ("fieldwork", "SV_neverSeen", "--relay", field.relay.url, "--no-details")
    text = await asyncio.to_thread(run_cli, *args, env=env)
    assert text.returncode == 3, text.stderr
    assert text.stdout == ""  # no table of zeros
    assert text.stderr.startswith("qtui: fieldwork: the relay holds no events for SV_neverSeen")
    done = await asyncio.to_thread(run_cli, *args, "--json", env=env)
    assert done.returncode == 3, done.stderr
    printed = json.loads(done.stdout)
    assert printed["survey"] == "SV_neverSeen" and printed["events"] == 0
    assert "no events for SV_neverSeen" in printed["message"]


def test_headless_says_what_to_do_without_a_relay(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path), "QTUI_RELAY_URL": ""}
    done = run_cli("fieldwork", "SV_x", env=env)
    assert done.returncode == 2
    assert "pass --relay" in done.stderr
    down = run_cli("fieldwork", "SV_x", "--relay", "http://127.0.0.1:9", env=env)
    assert down.returncode == 1
    assert "cannot reach the relay" in down.stderr
    bad = run_cli("fieldwork", "SV_x", "--relay", "http://127.0.0.1:9", "--since", "soon", env=env)
    assert bad.returncode == 2 and "--since 'soon'" in bad.stderr


def test_since_takes_an_age_or_a_time():
    from datetime import UTC, datetime

    now = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    assert parse_since("30m", now) == datetime(2026, 11, 25, 13, 30, tzinfo=UTC)
    assert parse_since("2h", now) == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_since("2026-11-25T09:00") == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def test_subscribe_command_registers_three_topics_on_the_sandbox(field, tmp_path):
    env = {
        "QTUI_QUALTRICS_BASE_URL": field.qualtrics.base_url,
        "QTUI_QUALTRICS_TOKEN": field.sandbox.token,
        "XDG_CONFIG_HOME": str(tmp_path),
        "QTUI_QUALTRICS_HOOK_SECRET": "",
    }
    before = len(field.sandbox.subscriptions.subscriptions)
    done = await asyncio.to_thread(
        run_cli,
        "qualtrics",
        "subscribe",
        field.survey_id,
        "--relay",
        "http://127.0.0.1:8700",
        "--json",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result["subscriptions"]) == {
        "surveyengine.startedRecipientSession",
        "surveyengine.partialResponse",
        "surveyengine.completedResponse",
    }
    assert result["publicationUrl"] == (
        f"http://127.0.0.1:8700/hooks/qualtrics?secret={result['secret']}"
    )
    subs = field.sandbox.subscriptions.subscriptions
    assert len(subs) == before + 3
    new = subs[result["subscriptions"]["surveyengine.completedResponse"]]
    assert new.topics == f"surveyengine.completedResponse.{field.survey_id}"
    assert new.encrypt is False

    listed = await asyncio.to_thread(run_cli, "qualtrics", "subscriptions", env=env)
    assert listed.stdout.count("/hooks/qualtrics") == before + 3
    assert "secret=" not in listed.stdout
    gone = await asyncio.to_thread(run_cli, "qualtrics", "unsubscribe", new.id, env=env)
    assert gone.returncode == 0 and new.id not in field.sandbox.subscriptions.subscriptions

    bad = await asyncio.to_thread(
        run_cli, "qualtrics", "subscribe", "S_nope", "--relay", "http://x", env=env
    )
    assert bad.returncode == 2 and "not a Qualtrics survey id" in bad.stderr
