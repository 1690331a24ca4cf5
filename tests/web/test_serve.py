"""`qtui serve`: the app in a real browser (headless Chromium), and who may reach it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from qtui.cli import main
from qtui.tui.web import COOKIE, bind_problem, served_command
from tests.web.cdp import Browser, chromium_path

ROOT = Path(__file__).resolve().parents[2]
# The README's picture: rewritten only when asked (QTUI_UPDATE_SCREENSHOTS=1), so a test run
# never leaves the checkout modified.
README_SHOT = ROOT / "screenshots" / "serve-browser.png"

# Keeps a handle on xterm.js's Terminal, which textual-serve's page keeps to itself, so the
# test reads the text on screen: `this.terminal = new Terminal(…)` runs the setter below.
CAPTURE_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true});
    if (value && value.buffer) window.qtuiTerminal = value;
  },
});
"""
SCREEN_TEXT = """
(() => {
  const t = window.qtuiTerminal;
  if (!t) return "";
  const b = t.buffer.active, rows = [];
  for (let i = 0; i < t.rows; i++) {
    const line = b.getLine(i);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
})()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(*args: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "qtui", "serve", "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its app processes go with it
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(url + "/static/css/xterm.css", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    raise AssertionError(process.stderr.read().decode()) from None  # type: ignore[union-attr]
                time.sleep(0.1)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def test_a_non_loopback_bind_needs_a_token() -> None:
    assert bind_problem("127.0.0.1", None) is None
    assert bind_problem("::1", None) is None
    assert bind_problem("0.0.0.0", "s3cret") is None
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "refusing to serve on 0.0.0.0 without a token" in result.output
    assert "--token" in result.output


def test_the_served_command_is_this_qtui_with_the_same_arguments() -> None:
    command = served_command("replay", ["run file.jsonl", "--speed", "4"])
    assert command == f"{sys.executable} -m qtui replay 'run file.jsonl' --speed 4"


def test_loopback_server_refuses_foreign_hosts_and_origins() -> None:
    sample = str(ROOT / "qtui" / "samples" / "screener-run.jsonl")
    with serving("replay", sample) as url:
        page = httpx.get(url + "/")
        assert page.status_code == 200 and "textual-terminal" in page.text
        assert f"ws://127.0.0.1:{url.rsplit(':', 1)[1]}/ws" in page.text
        rebound = httpx.get(url + "/", headers={"Host": "evil.example"})
        assert rebound.status_code == 403 and "not loopback" in rebound.text
        hijack = httpx.get(url + "/ws", headers={"Origin": "http://evil.example"})
        assert hijack.status_code == 403 and "another origin" in hijack.text


def test_token_server_asks_for_the_token_then_remembers_it_in_a_cookie() -> None:
    with serving("--token", "s3cret", "demo") as url:
        assert httpx.get(url + "/").status_code == 401
        assert httpx.get(url + "/?token=wrong").status_code == 401
        page = httpx.get(url + "/?token=s3cret")
        assert page.status_code == 200
        assert page.cookies.get(COOKIE) == "s3cret"
        assert httpx.get(url + "/", cookies={COOKIE: "s3cret"}).status_code == 200


async def test_the_demo_in_headless_chromium_renders_the_tree_and_takes_keys(
    tmp_path: Path,
) -> None:
    shot = README_SHOT if os.environ.get("QTUI_UPDATE_SCREENSHOTS") else tmp_path / "serve.png"
    binary = chromium_path()
    if binary is None:
        pytest.skip("headless Chromium is not installed (apt-get install -y chromium)")
    with serving("demo", "--speed", "20", "--seed", "1") as url:
        browser = Browser(binary)
        try:
            page = await browser.page()
            await page.send("Page.enable")
            await page.send("Page.addScriptToEvaluateOnNewDocument", source=CAPTURE_TERMINAL)
            await page.send("Page.navigate", url=url + "/")
            # The survey tree, its pages and the status bar, as the terminal would show them.
            text = await page.wait_for(
                f"(() => {{ const s = {SCREEN_TEXT.strip()}; "
                "return s.includes('1. Introduction') && s.includes(' LIVE ') ? s : ''; })()",
                timeout=90,
            )
            assert "Streaming Habits Screener" in text  # the demo's survey, from the sandbox
            assert "Survey" in text and "? Help" in text
            await page.evaluate("window.qtuiTerminal.focus()")
            await page.press("p", "KeyP", 80)  # pause: the key reaches the app
            paused = await page.wait_for(
                f"(() => {{ const s = {SCREEN_TEXT.strip()}; "
                "return s.includes(' PAUSED ') ? s : ''; })()",
                timeout=30,
            )
            assert " LIVE " not in paused.splitlines()[0]
            await asyncio.sleep(1.5)  # new lines flash for 1.2 s: let the picture settle
            await page.screenshot(shot)
            assert shot.stat().st_size > 10_000
            await page.close()
        finally:
            browser.close()
