"""Cancel a push between requests: an httpx transport that refuses the next request once asked.

A request already on the wire finishes; the push state has journaled everything before it,
so a later push resumes exactly there.
"""

from __future__ import annotations

import httpx


class PushCancelled(Exception):
    """The user cancelled the push; what was sent is recorded, a new push resumes."""


class CancellableTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.cancelled = False
        self.requests = 0

    def cancel(self) -> None:
        self.cancelled = True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.cancelled:
            raise PushCancelled("push cancelled; push again to resume where it stopped")
        self.requests += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def survey_links(base_url: str, survey_id: str) -> tuple[str, str]:
    """(preview URL, take URL) of a Qualtrics survey on the tenant of `base_url`."""
    root = base_url.rstrip("/").removesuffix("/API/v3")
    return f"{root}/jfe/preview/{survey_id}", f"{root}/jfe/form/{survey_id}"
