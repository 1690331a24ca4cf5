"""An async client for Questra's REST API (and the sandbox, which speaks the same API).

    async with QuestraClient(url, api_key, org_id) as questra:
        survey = await questra.get_survey("q4-customer-satisfaction-study")

Every request sends `Authorization: Bearer <api key>` and `X-Org-Id`. Failures raise a
`QuestraError` subclass carrying the HTTP status and the server's own message. Requests are
retried with exponential backoff on 429, on 502/503/504, on other 5xx when the request is
safe to repeat, and on connection failures; `Retry-After` is honoured. Other 4xx answers
are never retried.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Sequence
from typing import Any, Final

import httpx


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()
"""Leave a field out of an update (keep it); `None` sends null (for conditions: remove it)."""

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "PATCH"})
ALWAYS_RETRIED = frozenset({429, 502, 503, 504})
# Responses larger than this are decoded in a thread, off the event loop (a TUI's, say).
DECODE_IN_THREAD_BYTES = 1 << 20
MAX_RETRY_AFTER = 60.0


class QuestraError(Exception):
    """A failed Questra call. `status` is the HTTP status (None if no answer came)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error = error
        self.body = body


class AuthError(QuestraError):
    """401/403: the API key or the organisation id is wrong."""


class NotFoundError(QuestraError):
    """404: no such survey, page, block, rule, variable, webhook or delivery."""


class ConflictError(QuestraError):
    """409: e.g. the survey is locked while AI programming runs, or a name is taken."""


class InvalidRequestError(QuestraError):
    """400/422: the request was malformed; the message names the field."""


class RateLimitedError(QuestraError):
    """429 after every retry."""


class ServerError(QuestraError):
    """5xx after every retry."""


class UnreachableError(QuestraError):
    """No answer: the server could not be reached, or did not answer in time."""


def _server_message(response: httpx.Response) -> tuple[str, str | None, Any]:
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return (text[:300] or response.reason_phrase or "no message"), None, text
    if isinstance(body, dict):
        message = body.get("message") or body.get("error") or str(body)
        return str(message), body.get("error") if isinstance(body.get("error"), str) else None, body
    return str(body)[:300], None, body


def error_for(response: httpx.Response) -> QuestraError:
    """The typed error for a failed response."""
    status = response.status_code
    message, code, body = _server_message(response)
    where = f"{response.request.method} {response.request.url.path}"
    if status in (401, 403):
        text = (
            f"Questra refused the credentials ({status}: {message}); "
            "check QTUI_QUESTRA_API_KEY and QTUI_QUESTRA_ORG_ID"
        )
        return AuthError(text, status=status, error=code, body=body)
    kind: type[QuestraError]
    if status == 404:
        kind = NotFoundError
    elif status == 409:
        kind = ConflictError
    elif status in (400, 422):
        kind = InvalidRequestError
    elif status == 429:
        kind = RateLimitedError
    elif status >= 500:
        kind = ServerError
    else:
        kind = QuestraError
    return kind(f"{message} ({status} on {where})", status=status, error=code, body=body)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from a `Retry-After` header (seconds or an HTTP date), if any."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _fields(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not UNSET}


class QuestraClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        org_id: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {api_key}",
                "X-Org-Id": org_id,
                "Accept": "application/json",
                "User-Agent": "qtui",
            },
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> QuestraClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- transport ----------------------------------------------------------------------

    def _delay(self, attempt: int) -> float:
        return min(self.max_backoff, self.backoff * 2**attempt)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one call (with retries); returns the decoded JSON, or None for an empty body."""
        safe = method.upper() in IDEMPOTENT_METHODS if idempotent is None else idempotent
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                response = await self._http.request(method, path, json=json, params=params)
            except httpx.TransportError as exc:
                # a request that never connected was not processed: always safe to resend
                unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if (unsent or safe) and not last:
                    await asyncio.sleep(self._delay(attempt))
                    continue
                reason = str(exc) or type(exc).__name__
                raise UnreachableError(
                    f"cannot reach Questra at {self.base_url} ({reason}); "
                    "check the URL and that the server is running"
                ) from exc
            status = response.status_code
            retryable = status in ALWAYS_RETRIED or (status >= 500 and safe)
            if retryable and not last:
                wait = retry_after(response)
                await asyncio.sleep(wait if wait is not None else self._delay(attempt))
                continue
            if response.is_success:
                if len(response.content) > DECODE_IN_THREAD_BYTES:
                    # a big survey's snapshot: decoding it here would stall the caller's loop
                    return await asyncio.to_thread(response.json)
                return response.json() if response.content else None
            raise error_for(response)
        raise AssertionError("unreachable")  # the loop returns or raises on its last pass

    # --- surveys ------------------------------------------------------------------------

    async def list_surveys(self) -> list[dict[str, Any]]:
        return await self.request("GET", "/surveys")

    async def get_survey(self, id_or_slug: str) -> dict[str, Any]:
        """The survey in FullSurvey form (pages → blocks and rules, variables)."""
        return await self.request("GET", f"/surveys/{id_or_slug}")

    async def create_survey(
        self, name: str, slug: str | None = None, order: int | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name}
        if slug is not None:
            body["slug"] = slug
        if order is not None:
            body["order"] = order
        return await self.request("POST", "/surveys", json=body)

    async def update_survey(
        self,
        id_or_slug: str,
        *,
        name: str | _Unset = UNSET,
        slug: str | _Unset = UNSET,
        order: int | _Unset = UNSET,
    ) -> dict[str, Any]:
        body = _fields(name=name, slug=slug, order=order)
        return await self.request("PUT", f"/surveys/{id_or_slug}", json=body)

    async def delete_survey(self, id_or_slug: str) -> None:
        await self.request("DELETE", f"/surveys/{id_or_slug}")

    async def set_destination(
        self,
        id_or_slug: str,
        target_platform: str,
        *,
        integration_id: str | None = None,
        existing_survey_id: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"target_platform": target_platform}
        if integration_id is not None:
            body["integration_id"] = integration_id
        if existing_survey_id is not None:
            body["existing_survey_id"] = existing_survey_id
        return await self.request("PUT", f"/surveys/{id_or_slug}/destination", json=body)

    async def start_programming(
        self,
        id_or_slug: str,
        qa: list[dict[str, Any]] | None = None,
        *,
        questionnaire: str | None = None,
        fail: bool | None = None,
    ) -> dict[str, Any]:
        """Start AI programming: `{ok, already_running, status}`. Safe to retry.

        `questionnaire` and `fail` are understood by the sandbox only.
        """
        body: dict[str, Any] = {}
        if qa is not None:
            body["qa"] = qa
        if questionnaire is not None:
            body["questionnaire"] = questionnaire
        if fail is not None:
            body["fail"] = fail
        return await self.request(
            "POST", f"/surveys/{id_or_slug}/start-programming", json=body, idempotent=True
        )

    # --- pages --------------------------------------------------------------------------

    async def list_pages(self, survey: str, query: str | None = None) -> list[dict[str, Any]]:
        params = {"query": query} if query else None
        return await self.request("GET", f"/surveys/{survey}/pages", params=params)

    async def get_page(self, page_id: str) -> dict[str, Any]:
        return await self.request("GET", f"/pages/{page_id}")

    async def create_page(
        self,
        survey: str,
        name: str,
        *,
        order: int | None = None,
        assign_response_status: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name}
        if order is not None:
            body["order"] = order
        if assign_response_status is not None:
            body["assign_response_status"] = assign_response_status
        return await self.request("POST", f"/surveys/{survey}/pages", json=body)

    async def update_page(
        self,
        page_id: str,
        *,
        name: str | _Unset = UNSET,
        order: int | _Unset = UNSET,
        assign_response_status: str | None | _Unset = UNSET,
    ) -> dict[str, Any]:
        body = _fields(name=name, order=order, assign_response_status=assign_response_status)
        return await self.request("PUT", f"/pages/{page_id}", json=body)

    async def delete_page(self, page_id: str) -> None:
        await self.request("DELETE", f"/pages/{page_id}")

    # --- blocks -------------------------------------------------------------------------

    async def list_blocks(self, page_id: str) -> list[dict[str, Any]]:
        return await self.request("GET", f"/pages/{page_id}/blocks")

    async def get_block(self, block_id: str) -> dict[str, Any]:
        return await self.request("GET", f"/blocks/{block_id}")

    async def create_block(
        self, page_id: str, config: dict[str, Any], *, order: int | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"config": config}
        if order is not None:
            body["order"] = order
        return await self.request("POST", f"/pages/{page_id}/blocks", json=body)

    async def update_block(
        self,
        block_id: str,
        *,
        config: dict[str, Any] | _Unset = UNSET,
        order: int | _Unset = UNSET,
        page_id: str | _Unset = UNSET,
    ) -> dict[str, Any]:
        """Change a block; a new `page_id` moves it to that page."""
        body = _fields(config=config, order=order, page_id=page_id)
        return await self.request("PUT", f"/blocks/{block_id}", json=body)

    async def delete_block(self, block_id: str) -> None:
        await self.request("DELETE", f"/blocks/{block_id}")

    # --- variables ----------------------------------------------------------------------

    async def list_variables(self, survey: str) -> list[dict[str, Any]]:
        return await self.request("GET", f"/surveys/{survey}/variables")

    async def get_variable(self, variable_id: str) -> dict[str, Any]:
        return await self.request("GET", f"/variables/{variable_id}")

    async def create_variable(
        self, survey: str, name: str, expression: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "expression": expression}
        return await self.request("POST", f"/surveys/{survey}/variables", json=body)

    async def update_variable(
        self,
        variable_id: str,
        *,
        name: str | _Unset = UNSET,
        expression: str | None | _Unset = UNSET,
    ) -> dict[str, Any]:
        """`expression=None` removes the expression; leaving it out keeps it."""
        body = _fields(name=name, expression=expression)
        return await self.request("PUT", f"/variables/{variable_id}", json=body)

    async def delete_variable(self, variable_id: str) -> None:
        await self.request("DELETE", f"/variables/{variable_id}")

    # --- navigation rules ---------------------------------------------------------------

    async def list_rules(self, page_id: str) -> list[dict[str, Any]]:
        return await self.request("GET", f"/pages/{page_id}/navigation-rules")

    async def get_rule(self, rule_id: str) -> dict[str, Any]:
        return await self.request("GET", f"/navigation-rules/{rule_id}")

    async def create_rule(
        self,
        page_id: str,
        target_page_id: str,
        condition: str | None = None,
        *,
        order: int | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"target_page_id": target_page_id}
        if condition is not None:
            body["condition"] = condition
        if order is not None:
            body["order"] = order
        return await self.request("POST", f"/pages/{page_id}/navigation-rules", json=body)

    async def update_rule(
        self,
        rule_id: str,
        *,
        source_page_id: str | _Unset = UNSET,
        target_page_id: str | _Unset = UNSET,
        condition: str | None | _Unset = UNSET,
        order: int | _Unset = UNSET,
    ) -> dict[str, Any]:
        """`condition=None` removes the condition (the rule then always fires)."""
        body = _fields(
            source_page_id=source_page_id,
            target_page_id=target_page_id,
            condition=condition,
            order=order,
        )
        return await self.request("PUT", f"/navigation-rules/{rule_id}", json=body)

    async def delete_rule(self, rule_id: str) -> None:
        await self.request("DELETE", f"/navigation-rules/{rule_id}")

    # --- webhooks -----------------------------------------------------------------------

    async def list_webhooks(self) -> list[dict[str, Any]]:
        return await self.request("GET", "/webhooks")

    async def get_webhook(self, webhook_id: str) -> dict[str, Any]:
        return await self.request("GET", f"/webhooks/{webhook_id}")

    async def create_webhook(
        self,
        url: str,
        events: Sequence[str] | None = None,
        description: str | None = None,
        *,
        secret: str | None = None,
    ) -> dict[str, Any]:
        """Register `url`; the answer holds the `secret` (shown only now and on rotate).

        `secret` chooses the secret — understood by the sandbox only.
        """
        body: dict[str, Any] = {"url": url, "events": list(events or [])}
        if description is not None:
            body["description"] = description
        if secret is not None:
            body["secret"] = secret
        return await self.request("POST", "/webhooks", json=body)

    async def update_webhook(
        self,
        webhook_id: str,
        *,
        url: str | _Unset = UNSET,
        events: Sequence[str] | _Unset = UNSET,
        description: str | None | _Unset = UNSET,
        active: bool | _Unset = UNSET,
    ) -> dict[str, Any]:
        body = _fields(url=url, description=description, active=active)
        if not isinstance(events, _Unset):
            body["events"] = list(events)
        return await self.request("PATCH", f"/webhooks/{webhook_id}", json=body)

    async def delete_webhook(self, webhook_id: str) -> None:
        await self.request("DELETE", f"/webhooks/{webhook_id}")

    async def rotate_webhook(self, webhook_id: str) -> dict[str, Any]:
        """A new secret; the old one stops working at once."""
        return await self.request("POST", f"/webhooks/{webhook_id}/rotate")

    async def test_webhook(self, webhook_id: str) -> dict[str, Any]:
        """Send a synthetic `survey.created`; returns the delivery attempt."""
        return await self.request("POST", f"/webhooks/{webhook_id}/test")

    async def list_deliveries(
        self, webhook_id: str, *, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """The webhook's delivery attempts, newest first (every page, or the first `limit`)."""
        out: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 100}
            if cursor:
                params["cursor"] = cursor
            page = await self.request("GET", f"/webhooks/{webhook_id}/deliveries", params=params)
            if isinstance(page, list):  # a server that answers with a plain array
                out.extend(page)
                break
            out.extend(page.get("data", []))
            cursor = page.get("nextCursor")
            if not cursor or (limit is not None and len(out) >= limit):
                break
        return out[:limit] if limit is not None else out

    async def get_delivery(self, webhook_id: str, delivery_id: str) -> dict[str, Any]:
        return await self.request("GET", f"/webhooks/{webhook_id}/deliveries/{delivery_id}")
