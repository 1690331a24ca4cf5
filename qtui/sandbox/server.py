"""The combined sandbox server: Questra at the root, Qualtrics under `/API/v3`.

Starlette does not run a mounted app's lifespan, so the combined app runs both itself:
the Questra sandbox's (webhook delivery, programming runs) and, if present, Qualtrics'.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount

from qtui.requestlog import RequestLog
from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.sandbox.questra import QuestraSandbox

QUALTRICS_PREFIX = "/API/v3"


def _lifespan_of(app: Any) -> Callable[[Any], contextlib.AbstractAsyncContextManager[Any]] | None:
    router = getattr(app, "router", None)
    return getattr(router, "lifespan_context", None)


def create_sandbox_app(
    questra: QuestraSandbox,
    qualtrics: QualtricsSandbox | None = None,
    *,
    log: Callable[[str], None] | None = None,
) -> Starlette:
    """Serve `questra` at `/` and `qualtrics` at `/API/v3`.

    With `log`, every request is written as one line through it.
    """
    routes = []
    if qualtrics is not None:
        routes.append(Mount(QUALTRICS_PREFIX, app=qualtrics.app))
    routes.append(Mount("/", app=questra.app))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for inner in (questra.app, qualtrics.app if qualtrics is not None else None):
                context = _lifespan_of(inner) if inner is not None else None
                if context is not None:
                    await stack.enter_async_context(context(inner))
            yield

    middleware = [Middleware(RequestLog, write=log, show_query=True)] if log is not None else []
    return Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
