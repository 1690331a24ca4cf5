"""`qtui fieldwork --json` and `qtui qualtrics subscribe`, run as commands against loopback."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx

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
    # With Qualtrics to read details from, which does not know the survey either: the
    # relay's answer is the one that says what is wrong.
    qualtrics = {
        "QTUI_QUALTRICS_BASE_URL": field.qualtrics.base_url,
        "QTUI_QUALTRICS_TOKEN": field.sandbox.token,
    }
    text = await asyncio.to_thread(run_cli, *args[:-1], env={**env, **qualtrics})
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
        "XDG_DATA_HOME": str(tmp_path / "data"),
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
    secret_file = Path(result["secret_file"])
    assert (
        secret_file == tmp_path / "data" / "qtui" / "qualtrics-hooks" / f"{field.survey_id}.secret"
    )
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    secret = secret_file.read_text().strip()
    assert len(secret) >= 20 and secret not in done.stdout + done.stderr
    assert result["relay_command"] == f"qtui relay --qualtrics-secret-file {secret_file}"
    assert set(result["subscriptions"]) == {
        "surveyengine.startedRecipientSession",
        "surveyengine.partialResponse",
        "surveyengine.completedResponse",
    }
    assert result["callbackUrl"] == "http://127.0.0.1:8700/hooks/qualtrics"
    subs = field.sandbox.subscriptions.subscriptions
    assert len(subs) == before + 3
    new = subs[result["subscriptions"]["surveyengine.completedResponse"]]
    assert new.topics == f"surveyengine.completedResponse.{field.survey_id}"
    assert new.publication_url == f"http://127.0.0.1:8700/hooks/qualtrics?secret={secret}"
    assert new.encrypt is False

    # Without --json: where the secret is and the relay command, never the secret itself.
    chosen = tmp_path / "hook.secret"
    text = await asyncio.to_thread(
        run_cli,
        "qualtrics",
        "subscribe",
        field.survey_id,
        "--relay",
        "http://127.0.0.1:8700",
        "--secret-file",
        str(chosen),
        env=env,
    )
    assert text.returncode == 0, text.stderr
    assert stat.S_IMODE(chosen.stat().st_mode) == 0o600
    assert chosen.read_text().strip() not in text.stdout + text.stderr
    assert f"the secret is in {chosen} (mode 0600)" in text.stdout
    assert f"start the relay with: qtui relay --qualtrics-secret-file {chosen}" in text.stdout

    listed = await asyncio.to_thread(run_cli, "qualtrics", "subscriptions", env=env)
    assert listed.stdout.count("/hooks/qualtrics") == before + 6  # two subscribe runs
    assert "secret=" not in listed.stdout
    gone = await asyncio.to_thread(run_cli, "qualtrics", "unsubscribe", new.id, env=env)
    assert gone.returncode == 0 and new.id not in field.sandbox.subscriptions.subscriptions

    bad = await asyncio.to_thread(
        run_cli, "qualtrics", "subscribe", "S_nope", "--relay", "http://x", env=env
    )
    assert bad.returncode == 2 and "not a Qualtrics survey id" in bad.stderr


def test_relay_reads_the_qualtrics_secret_from_the_file_subscribe_wrote(tmp_path):
    from qtui.qualtrics.hook_secrets import write_secret

    secret_file = write_secret(tmp_path / "hooks" / "SV_x.secret", "s3cret-from-file")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    relay = subprocess.Popen(
        [sys.executable, "-m", "qtui", "relay", "--port", str(port), "--db", str(tmp_path / "r.db")]
        + ["--secret", "questra", "--qualtrics-secret-file", str(secret_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        form = {
            "Topic": "surveyengine.startedRecipientSession.SV_x",
            "SurveyID": "SV_x",
            "BrandID": "sandbox",
            "RecipientID": "MLRP_1",
            "StartedDate": "2026-11-25 10:00:00",
        }
        good = httpx.post(f"{base}/hooks/qualtrics?secret=s3cret-from-file", data=form)
        wrong = httpx.post(f"{base}/hooks/qualtrics?secret=guess", data=form)
        assert good.status_code < 300, good.text
        assert wrong.status_code in (401, 403), wrong.text
    finally:
        relay.terminate()
        relay.wait(timeout=10)
    banner = relay.stdout.read() if relay.stdout else ""
    assert "/hooks/qualtrics" in banner and "s3cret-from-file" not in banner


def test_relay_names_a_missing_or_empty_secret_file(tmp_path):
    missing = run_cli(
        "relay", "--secret", "q", "--qualtrics-secret-file", str(tmp_path / "nope"), env={}
    )
    assert missing.returncode == 2
    assert "nope does not exist (qtui qualtrics subscribe writes it)" in missing.stderr
    empty = tmp_path / "empty.secret"
    empty.write_text("\n")
    done = run_cli("relay", "--secret", "q", "--qualtrics-secret-file", str(empty), env={})
    assert done.returncode == 2 and "does not hold one secret" in done.stderr
