"""One readable log line per HTTP request: `POST /hooks/questra 200 stored seq=42 page.created`.

Endpoints put their outcome in `request.state.note`; this middleware adds method, path
and status once the response is sent. The query string is left out on purpose: it may
hold a subscriber token. Websocket sessions log their own open and close lines.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("qtui.relay.requests")


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            note = scope.get("state", {}).get("note", "")
            line = f"{scope['method']} {scope['path']} {status}"
            logger.info(f"{line} {note}" if note else line)
