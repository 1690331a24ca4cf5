"""`qtui relay` and `qtui sandbox` as a newcomer runs them: real processes, commands as printed.

The relay prints the sandbox and watch commands; the sandbox takes whichever relay URL is
pasted (base or full webhook URL), creates and starts a survey, prints its id and the
exact watch command, and stays quiet on stderr unless asked (-v).
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import click
import httpx
import pytest

from qtui.sandbox.command import relay_base
from tests.relay.test_relay_command import Lines

GUARD_S = 30  # guards against hangs only
SECRET = "walkthrough-secret"


def spawn(
    *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], Lines, Lines]:
    proc = subprocess.Popen(
        [sys.executable, "-c", "from qtui.cli import main; main()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    return proc, Lines(proc.stdout), Lines(proc.stderr)


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=GUARD_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def relay_proc(tmp_path: Path) -> Iterator[tuple[str, Lines, Lines]]:
    env = {"QTUI_WEBHOOK_SECRET": SECRET, "QTUI_RELAY_TOKEN": ""}
    proc, out, err = spawn("relay", "--port", "0", "--db", str(tmp_path / "r.db"), env=env)
    try:
        http = out.wait_for(r"webhook  (http://\S+)/hooks/questra").group(1)
        out.wait_for("Ctrl-C stops")
        yield http, out, err
    finally:
        stop(proc)


def _events(http: str) -> list[dict]:
    return httpx.get(f"{http}/events", params={"after": 0, "limit": 1000}).json()["events"]


# The full webhook URL is the form that used to double its path; `relay_base` below covers
# the others without starting processes.
@pytest.mark.parametrize("pasted", ["webhook URL"])
def test_sandbox_follows_the_commands_the_relay_prints(relay_proc, pasted: str) -> None:
    http, out, _ = relay_proc
    printed = out.wait_for(r"^  (qtui sandbox --relay \S+ .*--create screener --start)$").group(1)
    watch_template = out.wait_for(r"^  (qtui watch --relay \S+ --survey SURVEY_ID)$").group(1)
    args = shlex.split(printed.replace('"$QTUI_WEBHOOK_SECRET"', SECRET))[1:]
    url = {
        "base": http,
        "webhook URL": f"{http}/hooks/questra",
        "stream URL": http.replace("http", "ws") + "/stream?after=0",
    }[pasted]
    args[args.index("--relay") + 1] = url
    proc, sout, serr = spawn(*args, "--port", "0", "--speed", "inf")
    try:
        created = sout.wait_for(r"^Survey (\S+) \(screener\) created .*programming started$")
        survey = created.group(1)
        watch = sout.wait_for(r"^  (QTUI_QUESTRA_URL=.* qtui watch .*)$").group(1)
        assert watch.endswith(f"--survey {survey}")
        assert "QTUI_QUESTRA_API_KEY=qk_sandbox QTUI_QUESTRA_ORG_ID=org_sandbox" in watch
        assert watch_template.replace("SURVEY_ID", survey) in watch
        deadline = time.monotonic() + GUARD_S
        while time.monotonic() < deadline:
            types = [e["event_type"] for e in _events(http)]
            if "programming.finished" in types:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"programming never reached the relay: {types[-5:]}")
        assert all(e["verified"] for e in _events(http))
        assert types[0] == "survey.created"
        # Quiet by default: no per-request lines on stderr.
        assert not [line for line in serr.lines if "POST /surveys" in line or " 200 " in line]
    finally:
        stop(proc)


def test_sandbox_logs_requests_with_v(tmp_path: Path) -> None:
    proc, out, err = spawn("sandbox", "--port", "0", "-v")
    try:
        url = out.wait_for(r"^Questra sandbox\s+(\S+)$").group(1)
        out.wait_for("Ctrl-C stops")
        httpx.get(f"{url}/surveys", headers={"Authorization": "Bearer qk_sandbox"})
        err.wait_for(r"GET /surveys 403")
    finally:
        stop(proc)


@pytest.mark.parametrize(
    ("pasted", "base"),
    [
        ("http://127.0.0.1:8700", "http://127.0.0.1:8700"),
        ("http://127.0.0.1:8700/", "http://127.0.0.1:8700"),
        ("http://127.0.0.1:8700/hooks/questra", "http://127.0.0.1:8700"),
        ("http://127.0.0.1:8700/hooks/questra/", "http://127.0.0.1:8700"),
        ("https://relay.example/qtui/hooks/questra?x=1", "https://relay.example/qtui"),
        ("ws://127.0.0.1:8700/stream?after=0", "http://127.0.0.1:8700"),
        ("wss://relay.example/stream", "https://relay.example"),
        ("http://[::1]:8700/hooks/oktave", "http://[::1]:8700"),
    ],
)
def test_relay_base_takes_any_url_the_relay_prints(pasted: str, base: str) -> None:
    assert relay_base(pasted) == base


@pytest.mark.parametrize("pasted", ["127.0.0.1:8700", "ftp://x/", "http://", "hooks/questra"])
def test_relay_base_refuses_what_is_not_a_url(pasted: str) -> None:
    with pytest.raises(click.BadParameter, match="is not a relay URL"):
        relay_base(pasted)


def test_start_without_create_is_a_usage_error() -> None:
    proc, out, err = spawn("sandbox", "--port", "0", "--start")
    assert proc.wait(timeout=GUARD_S) == 2
    err.wait_for("--start needs --create QUESTIONNAIRE")
