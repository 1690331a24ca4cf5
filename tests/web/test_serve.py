"""`qtui serve`: the app in a real browser (headless Chromium), and who may reach it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from qtui.cli import main
from qtui.tui.web import COOKIE, bind_problem, failure_line, served_command
from tests.web.cdp import Browser, Page, chromium_path

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


def chromium() -> str:
    binary = chromium_path()
    if binary is None:
        pytest.skip("headless Chromium is not installed (apt-get install -y chromium)")
    return binary


@asynccontextmanager
async def terminal_page(binary: str, url: str) -> AsyncIterator[Page]:
    """The served page open in headless Chromium, with its terminal's text captured."""
    browser = Browser(binary)
    try:
        page = await browser.page()
        await page.send("Page.enable")
        await page.send("Page.addScriptToEvaluateOnNewDocument", source=CAPTURE_TERMINAL)
        await page.send("Page.navigate", url=url + "/")
        yield page
        await page.close()
    finally:
        browser.close()


async def screen_once(page: Page, holds: str, timeout: float) -> str:
    """The terminal's text `s` as soon as the JavaScript condition `holds` is true of it."""
    return await page.wait_for(
        f"(() => {{ const s = {SCREEN_TEXT.strip()}; return {holds} ? s : ''; }})()",
        timeout=timeout,
    )


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
    assert command.startswith(f"{sys.executable} -c ")
    assert command.endswith(" 'qtui serve' replay 'run file.jsonl' --speed 4")


def test_the_served_command_names_qtui_serve_in_its_errors(tmp_path: Path) -> None:
    # What a tab's process says when its app cannot start names the command the user typed.
    missing = tmp_path / "gone.jsonl"
    done = subprocess.run(
        served_command("replay", [str(missing)]),
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"qtui: Invalid value for 'FILE': File '{missing}' does not exist. "
        "(see `qtui serve replay --help`)"
    )


def serve_now(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """`qtui serve ARGS…` as a user runs it; (exit code, output) if it refuses to serve."""
    result = CliRunner().invoke(
        main, ["serve", "--port", str(free_port()), *args], prog_name="qtui", env=env
    )
    return result.exit_code, result.output


@pytest.mark.timeout(60)  # were the check missing, it would serve forever
def test_serve_refuses_a_missing_recording_before_serving(tmp_path: Path) -> None:
    missing = tmp_path / "nonexist.jsonl"
    code, output = serve_now("replay", str(missing))
    assert code == 2
    assert output == (
        f"qtui: Invalid value for 'FILE': File '{missing}' does not exist. "
        "(see `qtui serve replay --help`)\n"
    )


@pytest.mark.timeout(60)
def test_serve_refuses_a_file_that_is_not_a_recording(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("hello\nthis is not\na recording\n")
    code, output = serve_now("replay", str(bad))
    assert code == 2
    assert output.count("\n") == 1 and output.startswith(f"qtui: {bad} is not a recording: ")
    assert output.endswith("(see `qtui serve replay --help`)\n")


@pytest.mark.timeout(60)
def test_serve_refuses_watch_without_questra_or_relay_settings(tmp_path: Path) -> None:
    bare = {name: None for name in os.environ if name.upper().startswith("QTUI_")}
    bare.update(XDG_CONFIG_HOME=str(tmp_path))  # no config file either
    code, output = serve_now("watch", "--survey", "x", env=bare)
    assert (code, output) == (
        2,
        "qtui: No relay URL: pass --relay ws://HOST:PORT or set QTUI_RELAY_URL. "
        "(see `qtui serve watch --help`)\n",
    )
    code, output = serve_now("watch", "--survey", "x", env={**bare, "QTUI_RELAY_URL": "ws://h:1"})
    assert code == 2
    assert output.startswith("qtui: No Questra API key: set QTUI_QUESTRA_API_KEY")
    code, output = serve_now("watch", env=bare)
    assert (code, output) == (
        2,
        "qtui: Missing option '--survey'. (see `qtui serve watch --help`)\n",
    )


@pytest.mark.timeout(60)
def test_serve_refuses_replay_print_which_opens_no_app() -> None:
    sample = str(ROOT / "qtui" / "samples" / "screener-run.jsonl")
    code, output = serve_now("replay", sample, "--print")
    assert code == 2
    assert output.startswith("qtui: --print and --json print the survey instead")
    assert "Screener" not in output  # nothing was replayed on the way


def test_a_failed_app_is_named_by_its_last_qtui_line() -> None:
    stderr = b"Traceback...\nqtui: first\nqtui: File 'x' does not exist.\n\n"
    assert failure_line(stderr, 2) == "qtui: File 'x' does not exist."
    assert failure_line(b"", -9) == (
        "qtui: the app did not start (exit code -9); see the server's output"
    )


async def test_a_tab_whose_app_cannot_start_shows_the_error(tmp_path: Path) -> None:
    import websockets

    recording = tmp_path / "run.jsonl"
    recording.write_bytes((ROOT / "qtui" / "samples" / "screener-run.jsonl").read_bytes())
    with serving("replay", str(recording)) as url:
        recording.unlink()  # gone after the check, before the tab: its app cannot start
        ws_url = url.replace("http://", "ws://") + "/ws?width=100&height=30"
        async with websockets.connect(ws_url) as socket:
            shown = await asyncio.wait_for(socket.recv(), timeout=60)
            assert isinstance(shown, bytes)
            assert (  # `serving` runs `python -m qtui serve`: the tab names just that
                f"qtui: Invalid value for 'FILE': File '{recording}' does not exist. "
                "(see `python -m qtui serve replay --help`)"
            ) in shown.decode()
            # The socket stays open, so the page keeps the line instead of "Session ended".
            await socket.send('["ping", "1"]')
            assert await asyncio.wait_for(socket.recv(), timeout=10) == '["pong", "1"]'


async def test_in_chromium_a_failed_tab_shows_the_line_not_a_blank_page(tmp_path: Path) -> None:
    binary = chromium()
    recording = tmp_path / "run.jsonl"
    recording.write_bytes((ROOT / "qtui" / "samples" / "screener-run.jsonl").read_bytes())
    with serving("replay", str(recording)) as url:
        recording.unlink()
        async with terminal_page(binary, url) as page:
            text = await screen_once(page, "s.includes('does not exist')", timeout=60)
            assert text.splitlines()[0].startswith("qtui: Invalid value for 'FILE': File ")
            unwrapped = "".join(text.split())  # the line wraps at the terminal's width
            assert "(see`python-mqtuiservereplay--help`)" in unwrapped
            # The terminal is shown (first bytes came) and no "Session ended" covers it.
            shown = await page.evaluate("document.body.className")
            assert "-first-byte" in shown and "-closed" not in shown


def test_the_page_makes_no_request_to_another_host() -> None:
    sample = str(ROOT / "qtui" / "samples" / "screener-run.jsonl")
    with serving("replay", sample) as url:
        page = httpx.get(url + "/")
        assert page.status_code == 200 and "textual-terminal" in page.text
        here = url.split("://", 1)[1]
        urls = re.findall(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'()<>]*", page.text)
        assert urls, "the page names its own static files by absolute URL"
        assert all(u.split("://", 1)[1].startswith(here + "/") for u in urls), urls
        assert not re.search(r"""(?:src|href|url)\(?\s*=?\s*["']?//""", page.text)
        assert "googleapis" not in page.text
        # The font it names instead is served from here.
        fonts = [u for u in urls if u.endswith(".ttf")]
        assert fonts
        for font in fonts:
            assert httpx.get(font).status_code == 200


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
    binary = chromium()
    with serving("demo", "--speed", "20", "--seed", "1") as url:
        async with terminal_page(binary, url) as page:
            # The survey tree, its pages and the status bar, as the terminal would show them.
            text = await screen_once(
                page, "s.includes('1. Introduction') && s.includes(' LIVE ')", timeout=90
            )
            assert "Streaming Habits Screener" in text  # the demo's survey, from the sandbox
            assert "Survey" in text and "? Help" in text
            await page.evaluate("window.qtuiTerminal.focus()")
            await page.press("p", "KeyP", 80)  # pause: the key reaches the app
            paused = await screen_once(page, "s.includes(' PAUSED ')", timeout=30)
            assert " LIVE " not in paused.splitlines()[0]
            await asyncio.sleep(1.5)  # new lines flash for 1.2 s: let the picture settle
            await page.screenshot(shot)
            assert shot.stat().st_size > 10_000
