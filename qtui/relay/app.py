"""The relay: signed webhooks in, a durable log, a resumable websocket stream out.

    POST /hooks/{source}   verify, parse, append to the log, then answer 2xx
    WS   /stream?after=SEQ[&survey=ID][&source=S,…][&token=T]   backlog, then live events
    GET  /events?after=SEQ&limit=N[&survey=ID][&source=S,…]      the same, a page at a time
    GET  /health                                    liveness; with read access, last seq,
                                                    event count, subscribers

Reading endpoints check the Host and Origin a browser would send and the subscriber
token (`qtui.relay.access`); webhooks are checked by their signature. Every bad input
gets a 4xx (or a 44xx close code) with a reason, never a 500: a 5xx makes Questra retry.

A delivery is answered only after its append has committed, so a 2xx means the event
is on disk; anything else makes the sender retry. Deliveries are written by one writer
thread in batches, one commit per batch (`qtui.relay.writer`); reads run in worker
threads, so the event loop keeps serving streams while deliveries are being written.

Stream protocol and the no-gap argument are in docs/relay.md.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from qtui.questra.signing import SignatureError
from qtui.relay.access import Access
from qtui.relay.envelope import EnvelopeError, parse_envelope
from qtui.relay.frames import (
    CLOSE_BAD_REQUEST,
    CLOSE_FORBIDDEN,
    CLOSE_OVERFLOW,
    CLOSE_UNAUTHORIZED,
    close_reason,
    event_frame_text,
    heartbeat_frame,
    overflow_frame,
)
from qtui.relay.hub import OVERFLOW, Hub, LiveEvent, Subscription
from qtui.relay.log import (
    AppendResult,
    Delivery,
    EventLog,
    LoggedEvent,
    LogUnavailableError,
)
from qtui.relay.sources import Source, questra_source
from qtui.relay.writer import GroupCommit
from qtui.requestlog import RequestLog, escape

logger = logging.getLogger("qtui.relay")

# Backlog is read and sent this many events (or this many bytes) at a time, so a long
# catch-up never holds more than one page in memory, however large the events.
BACKLOG_PAGE = 500
BACKLOG_PAGE_BYTES = 4 * 1024 * 1024
EVENTS_LIMIT_DEFAULT = 100
EVENTS_LIMIT_MAX = 1000
EVENTS_PAGE_BYTES = 4 * 1024 * 1024
# Per subscriber: live events waiting to be sent, by count and by bytes.
QUEUE_SIZE = 1000
QUEUE_BYTES = 16 * 1024 * 1024
MAX_BODY_BYTES = 5 * 1024 * 1024
# A webhook body must arrive within this long once its headers have.
BODY_TIMEOUT_S = 30.0
# The largest value `after` may take: seqs are SQLite integers (signed 64-bit).
MAX_SEQ = 2**63 - 1
# A survey id longer than this is not one (Questra's are uuids).
MAX_SURVEY_CHARS = 200


class QueryError(ValueError):
    """A malformed query parameter; the message names it."""


@dataclass
class RelayState:
    log: EventLog
    hub: Hub
    sources: dict[str, Source]
    access: Access
    heartbeat: float
    queue_size: int
    queue_bytes: int
    max_body_bytes: int
    body_timeout: float
    started: float = field(default_factory=time.monotonic)
    # What stores deliveries: one writer that hands stored events to the hub in seq order
    # (SQLite), or a log shared with other relays whose stream feeds the hub (JetStream).
    writer: Any = None
    following: bool = False


def create_relay_app(
    *,
    log: EventLog,
    secret: str | None,
    subscriber_token: str | None = None,
    heartbeat: float = 15.0,
    queue_size: int = QUEUE_SIZE,
    queue_bytes: int = QUEUE_BYTES,
    allow_unsigned: bool = False,
    extra_sources: Iterable[Source] = (),
    max_body_bytes: int = MAX_BODY_BYTES,
    body_timeout: float = BODY_TIMEOUT_S,
    allowed_origins: Iterable[str] = (),
    allowed_hosts: Iterable[str] = (),
    request_log: bool = True,
) -> Starlette:
    """Build the relay app around `log` (the caller opens and closes the log).

    `secret` verifies Questra deliveries; without one the relay refuses to start unless
    `allow_unsigned` is set, and then stores deliveries as unverified. Readers need
    `subscriber_token` when one is set; without it they must come from a loopback Host
    (or one of `allowed_hosts`). Browser pages may read only from a loopback origin or one
    of `allowed_origins` (`"*"`: any). Without `request_log` no line is written per
    request, and nothing is spent preparing one.
    """
    if secret is None and not allow_unsigned:
        raise ValueError(
            "no webhook secret: pass --secret or set QTUI_WEBHOOK_SECRET "
            "(or allow_unsigned=True to accept unsigned deliveries)"
        )
    if heartbeat <= 0:
        raise ValueError("heartbeat must be a positive number of seconds")
    sources = {s.name: s for s in (questra_source(secret), *extra_sources)}
    state = RelayState(
        log=log,
        hub=Hub(last_seq=log.last_seq()),
        sources=sources,
        access=Access.build(subscriber_token, allowed_origins, allowed_hosts),
        heartbeat=heartbeat,
        queue_size=queue_size,
        queue_bytes=queue_bytes,
        max_body_bytes=max_body_bytes,
        body_timeout=body_timeout,
    )
    if hasattr(log, "follow"):
        # Shared with other relays: live events come from the stream itself, all of them.
        state.writer = _SharedLogWriter(log)
    else:
        state.writer = GroupCommit(log, functools.partial(_publish, state))
    middleware = []
    if request_log:
        write = logging.getLogger("qtui.relay.requests").info
        middleware.append(Middleware(RequestLog, write=write))
    app = Starlette(
        routes=[
            Route("/hooks/{source}", functools.partial(receive_hook, state), methods=["POST"]),
            WebSocketRoute("/stream", functools.partial(stream, state)),
            Route("/events", functools.partial(list_events, state), methods=["GET"]),
            Route("/health", functools.partial(health, state), methods=["GET"]),
        ],
        middleware=middleware,
    )
    app.state.relay = state
    return app


# -- webhooks in -------------------------------------------------------------------


def _client(conn: HTTPConnection) -> str:
    return f"{conn.client.host}:{conn.client.port}" if conn.client else "unknown client"


def _error(request: Request, status: int, message: str) -> JSONResponse:
    request.state.note = message
    return JSONResponse({"error": message}, status_code=status)


class BodyProblem(Exception):
    """A body that could not be read whole; `status` and the message are the answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def _read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The raw body, or `BodyProblem` (too large, too slow) / `ClientDisconnect`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and len(declared) <= 20 and int(declared) > limit:
        raise BodyProblem(413, f"body larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    with anyio.move_on_after(timeout) as deadline:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyProblem(413, f"body larger than {limit} bytes")
            chunks.append(chunk)
    if deadline.cancelled_caught:
        raise BodyProblem(408, f"body not received within {timeout:g} s ({size} bytes came)")
    return b"".join(chunks)


async def receive_hook(state: RelayState, request: Request) -> Response:
    name = request.path_params["source"]
    source = state.sources.get(name)
    if source is None:
        known = ", ".join(sorted(state.sources))
        return _error(
            request,
            404,
            f"unknown webhook source {escape(name, 40)!r}; this relay accepts: {known}",
        )
    try:
        body = await _read_body(request, state.max_body_bytes, state.body_timeout)
    except BodyProblem as exc:
        return _error(request, exc.status, str(exc))
    except ClientDisconnect:
        # Nobody is left to answer; one line says what happened.
        logger.info(
            "POST %s: client %s left before sending the whole body",
            escape(request.url.path),
            _client(request),
        )
        return _error(request, 400, "client disconnected before the body was complete")
    if source.read is not None:
        return await _receive_read(state, request, source, body)
    delivery_id = request.headers.get(source.delivery_header) or None
    try:
        verified = source.verify(body, request.headers)
    except SignatureError as exc:
        logger.warning(
            "rejected %s delivery %s from %s: %s",
            name,
            escape(delivery_id or "(no delivery id)", 100),
            _client(request),
            escape(exc.reason),
        )
        return _error(request, 401, exc.reason)
    try:
        envelope = parse_envelope(body)
        event_type = source.event_type(envelope)
    except EnvelopeError as exc:
        return _error(request, 400, str(exc))

    delivery = Delivery(
        body,
        source=name,
        delivery_id=delivery_id,
        event_type=event_type,
        verified=verified,
        received_at=datetime.now(UTC),
        envelope=envelope,
    )
    return await _append(state, request, delivery)


async def _receive_read(
    state: RelayState, request: Request, source: Source, body: bytes
) -> Response:
    """A delivery from a source that reads it whole (Oktave, Qualtrics): see relay/sources."""
    name = source.name
    assert source.read is not None
    try:
        intake = source.read(body, request.headers, request.query_params)
    except SignatureError as exc:
        logger.warning(
            "rejected %s delivery from %s: %s", name, _client(request), escape(exc.reason)
        )
        return _error(request, 401, exc.reason)
    except EnvelopeError as exc:
        return _error(request, 400, str(exc))
    delivery = Delivery(
        intake.stored,
        source=name,
        delivery_id=intake.delivery_id,
        event_type=intake.event_type,
        verified=intake.verified,
        received_at=datetime.now(UTC),
        envelope=intake.envelope,
        survey_id=intake.survey_id,
    )
    return await _append(state, request, delivery)


async def _append(state: RelayState, request: Request, delivery: Delivery) -> Response:
    name, delivery_id, event_type = delivery.source, delivery.delivery_id, delivery.event_type
    _follow(state)
    try:
        result = await state.writer.append(delivery)
    except (sqlite3.Error, LogUnavailableError) as exc:
        # Not 2xx, so the sender retries; the log says what broke.
        logger.error(
            "event log write failed for %s delivery %s: %s",
            name,
            escape(delivery_id or "(no delivery id)", 100),
            exc,
        )
        return _error(request, 503, f"event log unavailable ({exc}); the sender should retry")

    status = "duplicate" if result.duplicate else "stored"
    request.state.note = f"{status} seq={result.seq} {escape(event_type, 100)}"
    return JSONResponse({"status": status, "seq": result.seq})


class _SharedLogWriter:
    """Appends to a log other relays write too (JetStream): no batching needed here."""

    def __init__(self, log: Any) -> None:
        self.log = log

    async def append(self, delivery: Delivery) -> AppendResult:
        return await self.log.append_async(delivery)


def _follow(state: RelayState) -> None:
    """Feed the hub from a shared log's stream, once, on the running loop."""
    if state.following or not hasattr(state.log, "follow"):
        return
    state.following = True
    loop = asyncio.get_running_loop()
    state.log.follow(loop, functools.partial(_publish_logged, state), state.hub.last_seq)


def _publish_logged(state: RelayState, logged: LoggedEvent) -> None:
    frame = event_frame_text(logged)
    state.hub.publish(LiveEvent(logged.seq, logged.survey_id, frame, logged.source))


def _publish(state: RelayState, delivery: Delivery, result: AppendResult) -> None:
    """Hand a newly stored event to the live subscribers (called in seq order)."""
    logged = LoggedEvent(
        seq=result.seq,
        source=delivery.source,
        delivery_id=delivery.delivery_id,
        event_type=delivery.event_type,
        survey_id=result.survey_id,
        verified=delivery.verified,
        received_at=delivery.received_at,
        envelope=delivery.envelope_bytes,
    )
    state.hub.publish(
        LiveEvent(result.seq, result.survey_id, event_frame_text(logged), delivery.source)
    )


# -- reading: shared by /stream and /events -----------------------------------------


def _int_param(
    conn: HTTPConnection, name: str, default: int, minimum: int = 0, maximum: int = MAX_SEQ
) -> int:
    """A whole-number query parameter in [minimum, maximum]; the reason fits a close frame."""
    raw = conn.query_params.get(name)
    if raw is None or raw == "":
        return default
    digits = raw.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):
        raise QueryError(f"{name} must be an integer, got {escape(raw, 20)!r}")
    if len(digits) > len(str(maximum)) or not minimum <= int(raw) <= maximum:
        raise QueryError(f"{name} must be from {minimum} to {maximum}, got {escape(raw, 20)}")
    return int(raw)


def _survey_param(conn: HTTPConnection) -> str | None:
    survey = conn.query_params.get("survey") or None
    if survey is not None and len(survey) > MAX_SURVEY_CHARS:
        raise QueryError(f"survey must be an id of at most {MAX_SURVEY_CHARS} characters")
    return survey


def _sources_param(conn: HTTPConnection) -> frozenset[str] | None:
    """`?source=oktave,qualtrics` (or repeated `source=`): only events from those sources."""
    values = conn.query_params.getlist("source")
    names = {n.strip() for v in values for n in v.split(",") if n.strip()}
    return frozenset(names) if names else None


def _read_frames(
    log: EventLog,
    after: int,
    limit: int,
    survey: str | None,
    sources: frozenset[str] | None = None,
    max_bytes: int | None = None,
) -> list[tuple[int, str]]:
    """(seq, frame text) for a page of the log; runs in a worker thread."""
    events = log.read_after(after, limit, survey, sources=sources, max_bytes=max_bytes)
    return [(e.seq, event_frame_text(e)) for e in events]


def _refused(request: Request, state: RelayState) -> Response | None:
    problem = state.access.problem(request)
    return _error(request, *problem) if problem is not None else None


async def list_events(state: RelayState, request: Request) -> Response:
    refusal = _refused(request, state)
    if refusal is not None:
        return refusal
    try:
        after = _int_param(request, "after", 0)
        limit = _int_param(request, "limit", EVENTS_LIMIT_DEFAULT, 1, EVENTS_LIMIT_MAX)
        survey = _survey_param(request)
        sources = _sources_param(request)
    except QueryError as exc:
        return _error(request, 400, str(exc))

    def read() -> tuple[list[tuple[int, str]], int]:
        frames = _read_frames(state.log, after, limit, survey, sources, EVENTS_PAGE_BYTES)
        return frames, state.log.last_seq()

    frames, last_seq = await anyio.to_thread.run_sync(read)
    request.state.note = f"{len(frames)} events after={after}"
    # Frames are already JSON text; join them rather than parse and re-encode.
    body = '{"events":[' + ",".join(text for _, text in frames) + f'],"last_seq":{last_seq}}}'
    return Response(body, media_type="application/json")


async def health(state: RelayState, request: Request) -> Response:
    if state.access.problem(request) is not None:
        # Liveness for anyone (load balancers, probes); the figures only for readers.
        return JSONResponse({"status": "ok"})

    def read() -> tuple[int, int]:
        return state.log.last_seq(), state.log.count()

    last_seq, count = await anyio.to_thread.run_sync(read)
    return JSONResponse(
        {
            "status": "ok",
            "last_seq": last_seq,
            "events": count,
            "subscribers": len(state.hub),
            "uptime_s": round(time.monotonic() - state.started, 3),
        }
    )


# -- websocket stream ------------------------------------------------------------------


class StreamSession:
    """One subscriber: backlog after `after`, then live events, heartbeats, overflow.

    `last_seen` is the highest seq this session has dealt with — sent, or skipped by the
    survey filter. Live events at or below it are duplicates of the backlog and dropped;
    one above `last_seen + 1` means events were stored by someone else (another process
    on the same database), and the missing range is read from the log first.
    """

    def __init__(
        self,
        state: RelayState,
        websocket: WebSocket,
        subscription: Subscription,
        after: int,
        survey: str | None,
        sources: frozenset[str] | None = None,
    ) -> None:
        self.state = state
        self.websocket = websocket
        self.subscription = subscription
        self.survey = survey
        self.sources = sources
        self.last_seen = after
        self.sent = 0

    async def run(self) -> str:
        """Stream until the client leaves or falls behind; returns why it ended."""
        try:
            await self._backlog()
            return await self._live()
        except WebSocketDisconnect:
            return "client gone"

    async def _backlog(self) -> None:
        # The subscription was opened before the first read, so every event stored after
        # a read began is in the queue too. If the queue overflowed meanwhile, some of
        # those were dropped: forget the overflow and read again, since the log has them.
        while True:
            self.subscription.clear_overflow()
            await self._send_from_log(before=None)
            if not self.subscription.overflowed:
                return

    async def _send_from_log(self, before: int | None) -> None:
        """Send logged events after `last_seen` (and below `before`), a page at a time."""
        state = self.state
        while True:
            page = await anyio.to_thread.run_sync(
                _read_frames,
                state.log,
                self.last_seen,
                BACKLOG_PAGE,
                self.survey,
                self.sources,
                BACKLOG_PAGE_BYTES,
            )
            if not page:
                return
            for seq, text in page:
                if before is not None and seq >= before:
                    return
                await self.websocket.send_text(text)
                self.sent += 1
                self.last_seen = seq
            del page  # sent: let it go before the next page is read

    def _wanted(self, event: LiveEvent) -> bool:
        # Same rule as EventLog.read_after: events of unknown survey go to everyone.
        if self.sources is not None and event.source not in self.sources:
            return False
        return self.survey is None or event.survey_id in (None, self.survey)

    async def _live(self) -> str:
        interval = self.state.heartbeat
        next_beat = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= next_beat:
                await self.websocket.send_json(heartbeat_frame(self.state.hub.last_seq))
                next_beat = now + interval
            item = await self.subscription.get(next_beat - now)
            if item is None:
                continue
            if item is OVERFLOW:
                await self.websocket.send_json(overflow_frame(self.last_seen))
                await self.websocket.close(CLOSE_OVERFLOW, "subscriber fell behind; resume")
                return f"overflow, resume after {self.last_seen}"
            assert isinstance(item, LiveEvent)
            if item.seq <= self.last_seen:
                continue
            if item.seq > self.last_seen + 1:
                await self._send_from_log(before=item.seq)
            if self._wanted(item):
                await self.websocket.send_text(item.text)
                self.sent += 1
            self.last_seen = item.seq


async def _refuse(websocket: WebSocket, code: int, reason: str) -> None:
    # Accept first so the client sees our close code and reason, not a bare HTTP 403.
    await websocket.accept()
    await websocket.close(code, close_reason(reason))


async def stream(state: RelayState, websocket: WebSocket) -> None:
    client = _client(websocket)
    problem = state.access.problem(websocket)
    if problem is not None:
        status, reason = problem
        logger.warning("WS /stream refused from %s: %s", client, reason)
        await _refuse(websocket, CLOSE_UNAUTHORIZED if status == 401 else CLOSE_FORBIDDEN, reason)
        return
    try:
        after = _int_param(websocket, "after", 0)
        survey = _survey_param(websocket)
        sources = _sources_param(websocket)
    except QueryError as exc:
        logger.info("WS /stream refused from %s: %s", client, exc)
        await _refuse(websocket, CLOSE_BAD_REQUEST, str(exc))
        return

    await websocket.accept()
    _follow(state)
    subscription = state.hub.subscribe(state.queue_size, state.queue_bytes)
    session = StreamSession(state, websocket, subscription, after, survey, sources)
    logger.info(
        "WS /stream open after=%d survey=%s from %s", after, escape(survey or "(all)"), client
    )
    ended = "client closed"
    try:
        async with anyio.create_task_group() as group:

            async def watch_for_disconnect() -> None:
                # Nothing is expected from the client; this only notices it leaving, so
                # a silent subscriber is not kept until the next heartbeat fails.
                while (await websocket.receive())["type"] != "websocket.disconnect":
                    pass
                group.cancel_scope.cancel()

            group.start_soon(watch_for_disconnect)
            ended = await session.run()
            group.cancel_scope.cancel()
    finally:
        state.hub.unsubscribe(subscription)
        logger.info(
            "WS /stream closed (%s) sent=%d last_seq=%d", ended, session.sent, session.last_seen
        )
