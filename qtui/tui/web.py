"""`qtui serve`: the same app in a browser, through textual-serve.

Each browser tab gets its own `qtui demo|watch|replay …` process, run with Textual's web
driver; the page and its websocket come from textual-serve's aiohttp server, which this
module guards the way the relay guards its readers (`qtui.relay.access`):

- a loopback bind without a token serves only loopback `Host` values (no DNS rebinding);
- the websocket that drives the app accepts no `Origin` but the page's own (a page on
  another site cannot type into qtui);
- any other bind needs `--token`: the page is opened as `/?token=…`, which sets a
  same-site cookie the websocket then carries.
"""

from __future__ import annotations

import hmac
import shlex
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import click
from aiohttp import web
from textual_serve.server import Server

from qtui.relay.access import host_name
from qtui.relay.loopback import is_loopback

COOKIE = "qtui_serve_token"
SERVED = ("demo", "watch", "replay")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def served_command(command: str, args: Sequence[str]) -> str:
    """The shell command textual-serve runs for each browser tab: this Python, this qtui."""
    return shlex.join([sys.executable, "-m", "qtui", command, *args])


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
        super().__init__(command, host=host, port=port, title="qtui")
        self.token = token

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._guard)
        return app

    async def on_startup(self, app: web.Application) -> None:
        where = f"http://{self.host}:{self.port}/"
        shown = f"{where}?token=…" if self.token else where
        served = shlex.join(shlex.split(self.command)[3:])  # without `python -m qtui`
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
    QtuiServer(served_command(command, args), host=host, port=port, token=token).serve()
