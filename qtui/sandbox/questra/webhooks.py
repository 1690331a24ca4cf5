"""Webhook subscriptions and their delivery, as Questra documents them.

Each delivery is a POST of the event's body bytes (serialised once, shared by every
subscriber) with `Content-Type: application/json`, `X-Questra-Signature: sha256=<hex>`
(HMAC-SHA256 of those bytes under the webhook's current secret), `X-Questra-Event` and
`X-Questra-Delivery`. The delivery id is made once per event and webhook and kept across
retries, so a receiver can de-duplicate on it.

An attempt fails on a non-2xx answer, a connection error, or no answer within
`delivery_timeout`; it is retried after each of `retry_delays` in turn and then given up.
Every attempt is a Delivery record (`attempt` 1, 2, …).

One worker per webhook sends one attempt at a time. First attempts leave in event order;
a failed one waits for its retry *beside* the queue, not at its head, so a receiver that
keeps failing one event still gets the events behind it (and a retry goes out as soon as
it is due, ahead of fresh events).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import secrets
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from qtui.questra.signing import sign

RESPONSE_BODY_LIMIT = 10 * 1024
DELIVERY_LOG_LIMIT = 10_000  # records kept per webhook; the oldest go first

# Every event type the documentation names; a subscription to anything else is refused.
EVENT_TYPES = (
    "survey.created",
    "survey.updated",
    "survey.deleted",
    "programming.started",
    "programming.finished",
    "page.created",
    "page.updated",
    "page.deleted",
    "block.created",
    "block.updated",
    "block.deleted",
    "variable.created",
    "variable.updated",
    "variable.deleted",
    "navigation_rule.created",
    "navigation_rule.updated",
    "navigation_rule.deleted",
    "changeset-started",
    "changeset-completed",
    "changeset-failed",
    "changeset-awaiting-approval",
    "changeset-operation-added",
)


def new_secret() -> str:
    return secrets.token_hex(32)


@dataclass
class Webhook:
    id: str
    org_id: str
    url: str
    events: list[str]
    description: str | None
    secret: str
    created_at: str
    updated_at: str
    active: bool = True

    def wants(self, event: str) -> bool:
        return self.active and (not self.events or event in self.events)

    def public(self, with_secret: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "org_id": self.org_id,
            "url": self.url,
            "events": list(self.events),
            "active": self.active,
            "description": self.description,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        if with_secret:
            out["secret"] = self.secret
        return out


@dataclass
class Pending:
    """One event on its way to one webhook."""

    delivery_id: str
    event: str
    body: bytes
    attempt: int = 1
    first_attempt: asyncio.Future[dict[str, Any]] | None = None


@dataclass
class _Queue:
    fresh: deque[Pending] = field(default_factory=deque)
    retries: list[tuple[float, int, Pending]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    sending: Pending | None = None  # the attempt in flight

    def __len__(self) -> int:
        return len(self.fresh) + len(self.retries) + (self.sending is not None)


class Dispatcher:
    """Fans events out to webhooks and delivers them, one worker per webhook."""

    def __init__(
        self,
        *,
        delivery_timeout: float,
        retry_delays: Sequence[float],
        now: Callable[[], str],
    ) -> None:
        self.delivery_timeout = delivery_timeout
        self.retry_delays = tuple(retry_delays)
        self._now = now
        self.hooks: dict[str, Webhook] = {}
        self.records: dict[str, deque[dict[str, Any]]] = {}
        self._queues: dict[str, _Queue] = {}
        self._client: httpx.AsyncClient | None = None
        self._outstanding = 0
        self._order = itertools.count()
        self._listeners: list[Callable[[Webhook, dict[str, Any]], None]] = []

    # --- subscriptions ----------------------------------------------------------------

    def add(self, hook: Webhook) -> None:
        self.hooks[hook.id] = hook
        self.records[hook.id] = deque(maxlen=DELIVERY_LOG_LIMIT)
        self._queues[hook.id] = _Queue()
        if self._client is not None:
            self._start_worker(hook.id)

    def remove(self, hook_id: str) -> None:
        self.hooks.pop(hook_id, None)
        self.records.pop(hook_id, None)
        queue = self._queues.pop(hook_id, None)
        if queue is not None:
            self._outstanding -= len(queue)
            waiting = [*queue.fresh, *(entry[2] for entry in queue.retries)]
            for item in [*waiting, *([queue.sending] if queue.sending else [])]:
                if item.first_attempt is not None and not item.first_attempt.done():
                    item.first_attempt.cancel()
            if queue.task is not None:
                queue.task.cancel()

    def on_delivery(self, listener: Callable[[Webhook, dict[str, Any]], None]) -> None:
        """Call `listener(webhook, record)` after every attempt (for logs)."""
        self._listeners.append(listener)

    # --- sending ----------------------------------------------------------------------

    def publish(self, event: str, body: bytes) -> None:
        for hook in self.hooks.values():
            if hook.wants(event):
                self._enqueue(hook.id, Pending(str(uuid.uuid4()), event, body))

    def send_test(self, hook_id: str, event: str, body: bytes) -> asyncio.Future[dict[str, Any]]:
        """Queue a synthetic event for one webhook; the future gets its first attempt's record."""
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._enqueue(hook_id, Pending(str(uuid.uuid4()), event, body, first_attempt=waiter))
        return waiter

    def _enqueue(self, hook_id: str, item: Pending) -> None:
        queue = self._queues[hook_id]
        queue.fresh.append(item)
        self._outstanding += 1
        queue.changed.set()

    @property
    def started(self) -> bool:
        return self._client is not None

    @property
    def outstanding(self) -> int:
        """Deliveries not yet settled (succeeded, or failed after their last retry)."""
        return self._outstanding

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        if self._client is not None:
            return
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.delivery_timeout),
            headers={"User-Agent": "Questra-Webhooks (qtui sandbox)"},
        )
        for hook_id in self._queues:
            self._start_worker(hook_id)

    async def stop(self) -> None:
        tasks = [q.task for q in self._queues.values() if q.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for queue in self._queues.values():
            queue.task = None
            if queue.sending is not None:  # interrupted mid-attempt: send it again on start
                queue.fresh.appendleft(queue.sending)
                queue.sending = None
            # a fresh Event: the next start may run in another event loop
            queue.changed = asyncio.Event()
            if queue:
                queue.changed.set()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _start_worker(self, hook_id: str) -> None:
        queue = self._queues[hook_id]
        queue.task = asyncio.create_task(self._work(hook_id, queue), name=f"webhook-{hook_id}")

    async def _work(self, hook_id: str, queue: _Queue) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            if queue.retries and queue.retries[0][0] <= now:
                item = heapq.heappop(queue.retries)[2]
            elif queue.fresh:
                item = queue.fresh.popleft()
            else:
                wait = queue.retries[0][0] - now if queue.retries else None
                queue.changed.clear()
                try:
                    async with asyncio.timeout(wait):
                        await queue.changed.wait()
                except TimeoutError:
                    pass
                continue
            hook = self.hooks.get(hook_id)
            if hook is None or not hook.active:
                self._settle(item)
                continue
            queue.sending = item
            record = await self._attempt(hook, item)
            queue.sending = None
            retry = record["status"] == "failed" and item.attempt <= len(self.retry_delays)
            if retry:
                delay = self.retry_delays[item.attempt - 1]
                record["next_attempt_in_s"] = delay
                heapq.heappush(
                    queue.retries,
                    (loop.time() + delay, next(self._order), _retry_of(item)),
                )
            for listener in self._listeners:
                listener(hook, record)
            if item.first_attempt is not None and not item.first_attempt.done():
                item.first_attempt.set_result(record)
            if not retry:
                self._settle(item)

    def _settle(self, item: Pending) -> None:
        self._outstanding -= 1
        if item.first_attempt is not None and not item.first_attempt.done():
            item.first_attempt.cancel()

    async def _attempt(self, hook: Webhook, item: Pending) -> dict[str, Any]:
        assert self._client is not None
        headers = {
            "Content-Type": "application/json",
            # signed at send time: after a rotation even a retry uses the new secret
            "X-Questra-Signature": sign(item.body, hook.secret),
            "X-Questra-Event": item.event,
            "X-Questra-Delivery": item.delivery_id,
        }
        created_at = self._now()
        started = time.perf_counter()
        status_code: int | None = None
        response_body: str | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(self.delivery_timeout):
                response = await self._client.post(hook.url, content=item.body, headers=headers)
            status_code = response.status_code
            response_body = response.text[:RESPONSE_BODY_LIMIT]
            if not 200 <= status_code < 300:
                error = f"receiver answered {status_code}"
        except TimeoutError:
            error = f"no answer within {self.delivery_timeout:g} s"
        except httpx.TimeoutException:
            error = f"no answer within {self.delivery_timeout:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        record: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "webhook_id": hook.id,
            "event": item.event,
            "status": "failed" if error else "succeeded",
            "attempt": item.attempt,
            "created_at": created_at,
            "status_code": status_code,
            "request_body": item.body.decode("utf-8"),
            "response_body": response_body,
            "duration_ms": round((time.perf_counter() - started) * 1000),
            # sandbox extensions: the delivery id sent, and why an attempt failed
            "delivery_id": item.delivery_id,
            "error": error,
        }
        log = self.records.get(hook.id)
        if log is not None:
            log.append(record)
        return record


def _retry_of(item: Pending) -> Pending:
    return Pending(item.delivery_id, item.event, item.body, item.attempt + 1)
