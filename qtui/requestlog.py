"""One readable log line per HTTP request, for the relay and the sandbox alike.

    POST /hooks/questra 200 stored seq=42 page.created (3 ms)

Endpoints may put their outcome in `request.state.note`; this middleware adds the method,
path, status and duration once the response is sent (the writer adds the time). Query
strings are shown only when asked for: the relay's may hold a subscriber token.

Paths, queries and notes come from whoever sent the request: `escape` shows control
characters as `\x1b`, `\u202e`… and cuts long values, so no request can move the
cursor, recolour or rewrite the terminal the log is read in, or flood it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qtui.text import escaped


def escape(value: object, limit: int = 200) -> str:
    """`value` as text safe for one log line: unsafe characters escaped, cut at `limit`."""
    text = value if isinstance(value, str) else str(value)
    cut = len(text) - limit
    if cut > 0:
        text = text[:limit]
    shown = escaped(text)
    return f"{shown}…(+{cut} chars)" if cut > 0 else shown


class RequestLog:
    def __init__(
        self, app: ASGIApp, write: Callable[[str], None], *, show_query: bool = False
    ) -> None:
        self.app = app
        self.write = write
        self.show_query = show_query

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            ms = (time.perf_counter() - started) * 1000
            path = escape(scope["path"], 200)
            if self.show_query and scope.get("query_string"):
                path += "?" + escape(scope["query_string"].decode("latin-1"), 200)
            note = escape(scope.get("state", {}).get("note", ""), 300)
            line = f"{scope['method']} {path} {status}"
            self.write(f"{line} {note} ({ms:.0f} ms)" if note else f"{line} ({ms:.0f} ms)")
