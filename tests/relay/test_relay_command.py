"""`qtui relay` as a user runs it: a real process, real HTTP, Ctrl-C to stop."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from qtui.questra.signing import sign
from qtui.relay.command import default_db_path, listen_socket, relay
from qtui.relay.log import EventLog
from qtui.relay.loopback import is_loopback

SECRET = "cli-secret"
GUARD_S = 20  # guards against hangs only


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    code = "from qtui.cli import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "relay", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


class Lines:
    """Collects a pipe's lines in a thread so reading never blocks the test."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, pattern: str) -> re.Match[str]:
        with self._changed:
            found = None

            def match() -> bool:
                nonlocal found
                found = next((m for line in self.lines if (m := re.search(pattern, line))), None)
                return found is not None

            assert self._changed.wait_for(match, timeout=GUARD_S), (pattern, self.lines)
            assert found is not None
            return found


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Lines, Lines, Path]]:
    db = tmp_path / "relay.db"
    proc = run_cli("--port", "0", "--db", str(db), env={"QTUI_WEBHOOK_SECRET": SECRET})
    out, err = Lines(proc.stdout), Lines(proc.stderr)
    try:
        yield proc, out, err, db
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_relay_prints_urls_logs_requests_and_stops_on_ctrl_c(running) -> None:
    proc, out, err, db = running
    webhook = out.wait_for(r"webhook\s+(http://127\.0\.0\.1:\d+/hooks/questra)").group(1)
    out.wait_for(r"stream\s+ws://127\.0\.0\.1:\d+/stream\?after=0")
    out.wait_for("Ctrl-C stops")

    body = json.dumps({"event": "page.created", "data": {"id": "p1", "survey_id": "s1"}}).encode()
    response = httpx.post(
        webhook, content=body, headers={"X-Questra-Signature": sign(body, SECRET)}
    )
    assert response.json() == {"status": "stored", "seq": 1}
    forged = httpx.post(webhook, content=body, headers={"X-Questra-Signature": "sha256=00"})
    assert forged.status_code == 401

    err.wait_for(r"^\d\d:\d\d:\d\d POST /hooks/questra 200 stored seq=1 page\.created \(\d+ ms\)$")
    err.wait_for(r"^\d\d:\d\d:\d\d POST /hooks/questra 401 signature does not match")

    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=GUARD_S) == 0
    err.wait_for("relay stopped")
    with EventLog(db) as log:
        assert [e.event_type for e in log.read_after(0, 10)] == ["page.created"]


def test_sigterm_stops_cleanly_too(running) -> None:
    proc, out, err, _ = running
    out.wait_for("Ctrl-C stops")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=GUARD_S) == 0


def test_missing_secret_is_a_one_line_error_with_exit_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "QTUI_WEBHOOK_SECRET"}
    result = CliRunner().invoke(relay, ["--db", str(tmp_path / "r.db")], env=env)
    assert result.exit_code == 2
    assert result.output.strip() == (
        "qtui: relay: no webhook secret: pass --secret or set QTUI_WEBHOOK_SECRET"
    )


def test_non_loopback_host_without_token_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        relay,
        ["--host", "0.0.0.0", "--secret", "s", "--db", str(tmp_path / "r.db")],
        env={"QTUI_RELAY_TOKEN": ""},
    )
    assert result.exit_code == 2
    assert "pass --token or set QTUI_RELAY_TOKEN" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_unsigned_mode_is_refused_off_loopback(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        relay,
        ["--host", "0.0.0.0", "--token", "t", "--allow-unsigned", "--db", str(tmp_path / "r.db")],
        env={"QTUI_WEBHOOK_SECRET": ""},
    )
    assert result.exit_code == 2
    assert "--allow-unsigned is for loopback only" in result.output


def test_port_in_use_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            relay, ["--port", str(port), "--secret", "s", "--db", str(tmp_path / "r.db")]
        )
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "pass another --port" in result.output


def test_default_db_follows_xdg_data_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_db_path() == tmp_path / "qtui" / "relay.db"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_db_path() == Path.home() / ".local" / "share" / "qtui" / "relay.db"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.4", False),
        ("relay.example", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


async def test_connections_to_the_listening_socket_get_tcp_nodelay() -> None:
    # asyncio sets TCP_NODELAY only on sockets created as TCP; without it each response
    # waits on Nagle and delayed ACK.
    sock = listen_socket("127.0.0.1", 0)
    accepted: asyncio.Future[asyncio.StreamWriter] = asyncio.get_running_loop().create_future()
    server = await asyncio.start_server(lambda r, w: accepted.set_result(w), sock=sock)
    async with server:
        _, writer = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
        server_side = await asyncio.wait_for(accepted, GUARD_S)
        option = server_side.get_extra_info("socket").getsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY
        )
        assert option != 0
        writer.close()
        server_side.close()
