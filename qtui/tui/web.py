"""`qtui serve`: the same app in a browser, through textual-serve.

Each browser tab gets its own `qtui demo|watch|replay …` process, run with Textual's web
driver; the page and its websocket come from textual-serve's aiohttp server, which this
module guards the way the relay guards its readers (`qtui.relay.access`):

- a loopback bind without a token serves only loopback `Host` values (no DNS rebinding);
- the websocket that drives the app accepts no `Origin` but the page's own (a page on
  another site cannot type into qtui);
- any other bind needs `--token`: the page is opened as `/?token=…`, which sets a
  same-site cookie the websocket then carries.

Before serving, the sub-command's own parsing and checks run here (`check_served`), so a
missing file or config stops `qtui serve` with the sub-command's one-line error; a tab
whose app still fails to start shows that line instead of a blank page. The page is
textual-serve's own template less its Google Fonts link: it asks nothing of another host.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import shlex
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import click
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from qtui.relay.access import host_name
from qtui.relay.loopback import is_loopback

COOKIE = "qtui_serve_token"
SERVED = ("demo", "watch", "replay")
# textual-serve's page template, less its link to fonts.googleapis.com.
TEMPLATES = Path(__file__).with_name("web_templates")
# The environment textual-serve gives each tab's process (`AppService._build_environment`).
WEB_DRIVER = "textual.drivers.web_driver:WebDriver"
ERROR_BYTES = 4096  # of a failed app's stderr kept to show in its tab

log = logging.getLogger("textual-serve")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# Runs qtui's command line under the name the user typed (`qtui serve`), so that an error in
# a tab names `qtui serve replay --help`, not `python -m qtui replay --help`.
_LAUNCH = "import sys; from qtui.cli import main; main(sys.argv[2:], prog_name=sys.argv[1])"


def served_command(command: str, args: Sequence[str], prog: str = "qtui serve") -> str:
    """The shell command textual-serve runs for each browser tab: this Python, this qtui."""
    return shlex.join([sys.executable, "-c", _LAUNCH, prog, command, *args])


class _WouldStart(Exception):
    """The sub-command got as far as opening the app: its arguments and config are good."""


def _would_start(*args: Any, **kwargs: Any) -> NoReturn:
    raise _WouldStart


@contextmanager
def _as_served() -> Iterator[None]:
    """The sub-command as a tab runs it (web driver), stopped where the app would open."""
    from qtui.tui import commands

    before_driver = os.environ.get("TEXTUAL_DRIVER")
    before_run = commands._run
    os.environ["TEXTUAL_DRIVER"] = WEB_DRIVER
    commands._run = _would_start
    try:
        yield
    finally:
        commands._run = before_run
        if before_driver is None:
            os.environ.pop("TEXTUAL_DRIVER", None)
        else:
            os.environ["TEXTUAL_DRIVER"] = before_driver


def check_served(command: str, args: Sequence[str], prog: str = "qtui serve") -> None:
    """Run `qtui <command> <args>`'s own parsing and checks, without starting the app.

    Raises the sub-command's click error (a missing or unreadable file, a file that is not a
    recording, no relay or Questra settings, a bad option) as a usage error (exit 2) that
    names `qtui serve <command> --help`.
    """
    from qtui.exits import UsageFailure
    from qtui.tui import commands

    cmd: click.Command = getattr(commands, command)
    with _as_served():
        try:
            with cmd.make_context(f"{prog} {command}", list(args)) as ctx:
                if ctx.params.get("as_text") or ctx.params.get("as_json"):
                    raise click.UsageError(
                        "--print and --json print the survey instead of opening the app, so "
                        "there is nothing to serve; drop them",
                        ctx,
                    )
                cmd.invoke(ctx)
        except _WouldStart:
            return
        except click.UsageError:
            raise
        except click.ClickException as exc:  # before the app opens, every problem is ours
            help_ = f"see `{prog} {command} --help`"
            raise UsageFailure(f"{exc.format_message()} ({help_})") from exc
        except OSError as exc:  # e.g. a recording that exists but may not be read
            where = f"{exc.filename}: " if exc.filename else ""
            raise UsageFailure(
                f"{where}{exc.strerror or exc}; fix it, then run `{prog} {command}` again"
            ) from exc
    raise UsageFailure(f"`{prog} {command}` opened no app, so there is nothing to serve")


def bind_problem(host: str, token: str | None) -> str | None:
    """Why `host` may not be bound (a one-line message saying what to do), or None."""
    if token or is_loopback(host):
        return None
    return (
        f"refusing to serve on {host} without a token: anyone who can reach it could drive "
        "qtui; add --token SECRET (open the page as /?token=SECRET) or bind 127.0.0.1"
    )


class QtuiServer(Server):
    """textual-serve's server with qtui's access rules and URLs taken from the request."""

    def __init__(self, command: str, *, host: str, port: int, token: str | None) -> None:
        super().__init__(command, host=host, port=port, title="qtui", templates_path=TEMPLATES)
        self.token = token

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._guard)
        return app

    async def on_startup(self, app: web.Application) -> None:
        where = f"http://{self.host}:{self.port}/"
        shown = f"{where}?token=…" if self.token else where
        served = shlex.join(shlex.split(self.command)[4:])  # without `python -c … qtui serve`
        self.console.print(f"qtui serve: {served} at {shown}", highlight=False, soft_wrap=True)
        self.console.print("Ctrl+C stops the server.", highlight=False)

    # --- access -----------------------------------------------------------------------

    def problem(self, request: web.Request) -> tuple[int, str] | None:
        """(status, reason) when `request` may not be served, else None."""
        host = request.headers.get("Host", "")
        if request.path.startswith("/static/"):
            return None  # xterm.js, fonts and CSS: nothing of qtui's
        if self.token:
            given = request.query.get("token") or request.cookies.get(COOKIE) or ""
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return 401, "token missing or wrong: open the page as /?token=…"
        elif not is_loopback(host_name(host)):
            return 403, f"Host {host!r} is not loopback: open http://127.0.0.1:{self.port}/"
        if request.path == "/ws":
            origin = request.headers.get("Origin")
            if origin is not None and urlsplit(origin).netloc.lower() != host.lower():
                return 403, "websocket from another origin refused"
        return None

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        problem = self.problem(request)
        if problem is not None:
            status, reason = problem
            return web.Response(status=status, text=reason + "\n")
        response = await handler(request)
        if self.token and request.query.get("token") == self.token and request.path == "/":
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="Strict")
        return response

    async def handle_index(self, request: web.Request) -> Any:
        # textual-serve builds the page's URLs from the bind address (0.0.0.0 would be
        # useless to a browser); take them from the address the browser used instead.
        self.public_url = f"{request.scheme}://{request.host}"
        return await super().handle_index(request)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        # textual-serve 1.1's handler, with QtuiAppService in place of its AppService.
        websocket = web.WebSocketResponse(heartbeat=15)
        width = _int(request.query.get("width"), 80)
        height = _int(request.query.get("height"), 24)
        service: QtuiAppService | None = None
        try:
            await websocket.prepare(request)
            service = QtuiAppService(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # noqa: BLE001 - one tab's failure must not stop the server
            log.exception(error)
        finally:
            if service is not None:
                await service.stop()
        return websocket


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def failure_line(stderr: bytes, returncode: int | None) -> str:
    """The line a tab shows when its app did not start: the app's last `qtui:` line."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    said = [line for line in lines if line.startswith("qtui: ")] or [x for x in lines if x]
    if said:
        return said[-1]
    return f"qtui: the app did not start (exit code {returncode}); see the server's output"


class QtuiAppService(AppService):
    """One tab's app process; if it ends before drawing anything, its error goes to the tab."""

    started = False

    async def on_data(self, payload: bytes) -> None:
        self.started = True
        await super().on_data(payload)

    async def on_meta(self, data: bytes) -> None:
        self.started = True
        await super().on_meta(data)

    async def run(self) -> None:
        process = self._process
        assert process is not None and process.stderr is not None
        source, copy, kept = process.stderr, asyncio.StreamReader(), bytearray()

        async def tee() -> None:  # textual-serve reads (and logs) the copy; we keep the tail
            while chunk := await source.read(4096):
                kept.extend(chunk)
                del kept[:-ERROR_BYTES]
                copy.feed_data(chunk)
            copy.feed_eof()

        process.stderr = copy
        teeing = asyncio.create_task(tee())
        await super().run()
        if self.started:
            teeing.cancel()
            return
        try:
            await asyncio.wait_for(asyncio.gather(teeing, process.wait()), timeout=5)
        except TimeoutError:
            teeing.cancel()
        line = failure_line(bytes(kept), process.returncode)
        # Red, on a cleared screen; the socket stays open so the page keeps showing it.
        await self.remote_write_bytes(f"\x1b[2J\x1b[H\x1b[31m{line}\x1b[0m\r\n".encode())


@click.command(
    context_settings={
        "ignore_unknown_options": True,
        "allow_interspersed_args": False,
        "help_option_names": ["-h", "--help"],
    }
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8710, show_default=True, help="Port."
)
@click.option(
    "--token",
    envvar="QTUI_SERVE_TOKEN",
    help="Required to bind anything but loopback; open the page as /?token=… "
    "(or set QTUI_SERVE_TOKEN).",
)
@click.argument("command", type=click.Choice(SERVED), default="demo", required=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def serve(host: str, port: int, token: str | None, command: str, args: tuple[str, ...]) -> None:
    """Serve the app to a web browser: `qtui serve [demo|watch|replay] [ARGS…]`.

    The same app and arguments as in the terminal (`qtui serve replay run.jsonl`,
    `qtui serve watch --survey ID`), one process per browser tab. Listens on 127.0.0.1
    unless --host says otherwise, which then needs --token.
    """
    problem = bind_problem(host, token)
    if problem is not None:
        raise click.UsageError(problem)
    ctx = click.get_current_context()
    check_served(command, args, prog=ctx.command_path)
    command_line = served_command(command, args, prog=ctx.command_path)
    QtuiServer(command_line, host=host, port=port, token=token).serve()
