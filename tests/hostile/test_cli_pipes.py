"""Every command that writes to stdout, its reader gone (`qtui … | head -1`), through a real pipe.

The reader's end of the pipe is closed before the command writes, so its first write (or its
last flush) meets a broken pipe: the command stops there, exits 0, and says nothing on
stderr — as the README's "Errors and exit codes" says.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "qtui" / "samples" / "screener-run.jsonl"
QSF = ROOT / "tests" / "fixtures" / "qsf" / "sp_test_survey.qsf"
QTUI = [sys.executable, "-m", "qtui"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QTUI_")}
    env.update(XDG_DATA_HOME=str(tmp / "data"), XDG_CONFIG_HOME=str(tmp / "config"))
    env.update(extra)
    return env


def into_closed_pipe(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run qtui with stdout a pipe whose reader has already gone: (exit code, stderr)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            QTUI + args,
            stdout=write_end,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
            timeout=60,
            cwd=ROOT,
        )
    finally:
        os.close(write_end)
    return done.returncode, done.stderr.decode()


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        assert process.poll() is None, "the server stopped"
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture(scope="module")
def sandbox_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A `qtui sandbox` process with the sessions screener programmed, and env to reach it."""
    tmp = tmp_path_factory.mktemp("pipes")
    port = _free_port()
    process = subprocess.Popen(
        [*QTUI, "sandbox", "--port", str(port), "--create", "screener_sessions", "--start"]
        + ["--speed", "inf"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(tmp),
    )
    try:
        _wait_for_port(port, process)
        url = f"http://127.0.0.1:{port}"
        yield _env(
            tmp,
            QTUI_QUESTRA_URL=url,
            QTUI_QUESTRA_API_KEY="qk_sandbox",
            QTUI_QUESTRA_ORG_ID="org_sandbox",
            QTUI_QUALTRICS_BASE_URL=f"{url}/API/v3",
            QTUI_QUALTRICS_TOKEN="qualtrics-sandbox-token",
        )
    finally:
        process.terminate()
        process.wait(timeout=10)


def assert_quiet_exit(args: list[str], env: dict[str, str]) -> None:
    code, stderr = into_closed_pipe(args, env)
    errors = [line for line in stderr.splitlines() if not line.startswith("  ")]  # progress
    assert code == 0, (args, code, stderr)
    assert not errors, (args, stderr)
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["push", "--help"],
        ["replay", str(SAMPLE), "--print"],
        ["replay", str(SAMPLE), "--json"],
        ["import", str(QSF), "--json"],
    ],
)
def test_offline_commands_stop_quietly_when_the_reader_goes(args: list[str], tmp_path: Path):
    assert_quiet_exit(args, _env(tmp_path))


def test_export_to_stdout_stops_quietly(tmp_path: Path):
    survey = tmp_path / "screener.json"
    survey.write_text(
        subprocess.run(
            [*QTUI, "replay", str(SAMPLE), "--json"], capture_output=True, check=True, cwd=ROOT
        ).stdout.decode()
    )
    qsf = tmp_path / "screener.qsf"
    assert_quiet_exit(["export", str(survey), "--qsf", str(qsf)], _env(tmp_path))
    assert qsf.stat().st_size > 1000  # written before the line that says so


def test_push_and_qa_stop_quietly_when_the_reader_goes(sandbox_env: dict[str, str], tmp_path: Path):
    push = ["push", "screener-sessions", "--to", "qualtrics", "--for-sessions"]
    assert_quiet_exit(push, sandbox_env)
    assert_quiet_exit([*push, "--json"], sandbox_env)
    # The push did happen: a second one through an open pipe names the survey it made.
    report = json.loads(
        subprocess.run(
            QTUI + [*push, "--json"], capture_output=True, env=sandbox_env, cwd=ROOT, timeout=60
        ).stdout
    )
    survey_id = report["qualtrics_survey_id"]
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"q1": "under_18"}))
    qa = ["qa", survey_id, "--answers", str(answers), "--record", str(tmp_path / "walks")]
    code, stderr = into_closed_pipe(qa, sandbox_env)
    assert code == 0 and not stderr, (code, stderr)


def test_servers_stop_quietly_when_the_banners_reader_goes(tmp_path: Path):
    env = _env(tmp_path, QTUI_WEBHOOK_SECRET="s3cret")
    assert_quiet_exit(["relay", "--port", "0", "--db", str(tmp_path / "r.db")], env)
    assert_quiet_exit(["sandbox", "--port", "0"], env)


def test_fieldwork_json_stops_quietly_when_the_reader_goes(tmp_path: Path):
    port = _free_port()
    env = _env(tmp_path, QTUI_WEBHOOK_SECRET="s3cret")
    relay = subprocess.Popen(
        [*QTUI, "relay", "--port", str(port), "--db", str(tmp_path / "r.db")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        _wait_for_port(port, relay)
        url = f"http://127.0.0.1:{port}"
        # `--json` writes its object (which says the relay holds nothing) to the gone reader.
        assert_quiet_exit(["fieldwork", "SV_never", "--relay", url, "--json"], env)
    finally:
        relay.terminate()
        relay.wait(timeout=10)


def test_a_broken_pipe_that_is_not_stdout_is_not_taken_for_a_gone_reader(tmp_path: Path):
    # stdout is a file someone can read; the broken pipe is some other stream's: a failure.
    script = (
        "from qtui.exits import reader_gone_is_done\n"
        "with reader_gone_is_done():\n"
        "    raise BrokenPipeError(32, 'Broken pipe')\n"
    )
    with open(tmp_path / "out.txt", "wb") as out:
        done = subprocess.run(
            [sys.executable, "-c", script], stdout=out, stderr=subprocess.PIPE, cwd=ROOT
        )
    assert done.returncode != 0
    assert b"BrokenPipeError" in done.stderr
