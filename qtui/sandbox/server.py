"""The combined sandbox server: Questra at the root, Qualtrics under `/API/v3`.

Starlette does not run a mounted app's lifespan, so the combined app runs both itself:
the Questra sandbox's (webhook delivery, programming runs) and, if present, Qualtrics'.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qtui.sandbox.questra import QuestraSandbox

QUALTRICS_PREFIX = "/API/v3"


class RequestLog:
    """Writes one line per HTTP request: time, method, path, status, duration."""

    def __init__(self, app: ASGIApp, write: Callable[[str], None]) -> None:
        self.app = app
        self.write = write

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            ms = (time.perf_counter() - started) * 1000
            path = scope["path"] + (
                f"?{scope['query_string'].decode()}" if scope.get("query_string") else ""
            )
            stamp = datetime.now().strftime("%H:%M:%S")
            self.write(f"{stamp}  {scope['method']:<6} {path}  {status}  {ms:.0f} ms")


def make_qualtrics(token: str) -> Any | None:
    """A Qualtrics sandbox, or None when this build has none."""
    try:
        from qtui.sandbox.qualtrics import QualtricsSandbox
    except ImportError:
        return None
    return QualtricsSandbox(token=token)


def _lifespan_of(app: Any) -> Callable[[Any], contextlib.AbstractAsyncContextManager[Any]] | None:
    router = getattr(app, "router", None)
    return getattr(router, "lifespan_context", None)


def create_sandbox_app(
    questra: QuestraSandbox,
    qualtrics: Any | None = None,
    *,
    log: Callable[[str], None] | None = None,
) -> Starlette:
    """Serve `questra` at `/` and `qualtrics` (anything with `.app`) at `/API/v3`.

    With `log`, every request is written as one line through it.
    """
    routes = []
    if qualtrics is not None:
        routes.append(Mount(QUALTRICS_PREFIX, app=qualtrics.app))
    routes.append(Mount("/", app=questra.app))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for inner in (questra.app, getattr(qualtrics, "app", None)):
                context = _lifespan_of(inner) if inner is not None else None
                if context is not None:
                    await stack.enter_async_context(context(inner))
            yield

    middleware = [Middleware(RequestLog, write=log)] if log is not None else []
    return Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
