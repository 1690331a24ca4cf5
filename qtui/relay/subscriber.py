"""Follow the relay's `/stream`: resume from the last seq seen, reconnect with backoff.

    async with RelaySubscriber("ws://127.0.0.1:8700", after=saved_seq, on_state=show) as sub:
        async for frame in sub:          # event frames only, seq strictly increasing
            store.apply(frame["envelope"]); saved_seq = frame["seq"]

Every (re)connection asks for `after=<last seq yielded>`, and frames at or below it are
dropped, so a relay restart, an overflow or a network drop loses nothing and repeats
nothing. Heartbeats and overflow notices are handled here and surface only through
`ConnectionState`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from qtui.relay.frames import (
    CLOSE_BAD_REQUEST,
    CLOSE_FORBIDDEN,
    CLOSE_OVERFLOW,
    CLOSE_UNAUTHORIZED,
)
from qtui.relay.loopback import is_loopback

logger = logging.getLogger("qtui.relay.subscriber")

Status = Literal["connecting", "live", "reconnecting", "offline"]

# Frames can carry a whole webhook body; the relay accepts bodies up to 5 MiB.
MAX_FRAME_BYTES = 16 * 1024 * 1024
# While catching up, lag changes with every frame; tell the UI at most this often.
STATE_EVERY_S = 1.0


@dataclass(frozen=True)
class ConnectionState:
    status: Status
    retry_in: float | None = None
    last_seq: int = 0
    lag_s: float | None = None
    error: str | None = None


class SubscriberRejected(Exception):
    """The relay refused this subscriber (token, URL, parameters); retrying will not help."""


def stream_url(base: str, *, after: int, survey: str | None) -> str:
    """`base` (ws://host:port, http://host:port or a full /stream URL) with the query set."""
    parts = urlsplit(base)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    path = parts.path if parts.path not in ("", "/") else "/stream"
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("after", "survey", "token")]
    query.append(("after", str(after)))
    if survey:
        query.append(("survey", survey))
    return urlunsplit((scheme, parts.netloc, path, urlencode(query), ""))


def _age_s(iso: object) -> float | None:
    if not isinstance(iso, str):
        return None
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - moment).total_seconds())


class RelaySubscriber:
    """An async iterator of the relay's event frames that survives disconnects."""

    def __init__(
        self,
        ws_url: str,
        *,
        after: int = 0,
        survey: str | None = None,
        token: str | None = None,
        backoff_initial: float = 0.5,
        backoff_max: float = 15.0,
        on_state: Callable[[ConnectionState], None] | None = None,
        open_timeout: float = 10.0,
    ) -> None:
        if after < 0:
            raise ValueError("after must be 0 or more")
        self.ws_url = ws_url
        self.survey = survey
        self._token = token
        self._backoff_initial = backoff_initial
        self._backoff_max = max(backoff_max, backoff_initial)
        self._on_state = on_state
        self._open_timeout = open_timeout
        self._last_seq = after
        self._state = ConnectionState("connecting", last_seq=after)
        self._state_sent_at = 0.0
        self._closed = False
        self._wake = asyncio.Event()
        self._ws: ClientConnection | None = None

    @property
    def last_seq(self) -> int:
        """The seq of the last event yielded (or `after` before the first)."""
        return self._last_seq

    @property
    def state(self) -> ConnectionState:
        return self._state

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._frames()

    async def __aenter__(self) -> RelaySubscriber:
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Leaving an `async for` early does not finalize the generator at once; closing
        # here drops the connection now rather than whenever it is garbage-collected.
        await self.close()

    async def close(self) -> None:
        """Stop: the iteration ends after the frame being handled, if any."""
        self._closed = True
        self._wake.set()
        if self._ws is not None:
            await self._ws.close()
        if self._state.status != "offline":  # keep the reason of an earlier stop
            self._set_state(ConnectionState("offline", last_seq=self._last_seq))

    # -- internals -------------------------------------------------------------------

    def _set_state(self, state: ConnectionState, *, throttle: bool = False) -> None:
        self._state = state
        now = time.monotonic()
        if throttle and now - self._state_sent_at < STATE_EVERY_S:
            return
        self._state_sent_at = now
        if self._on_state is not None:
            self._on_state(state)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    async def _frames(self) -> AsyncIterator[dict[str, Any]]:
        delay = self._backoff_initial
        first = True
        try:
            while not self._closed:
                status: Status = "connecting" if first else "reconnecting"
                self._set_state(replace(self._state, status=status, retry_in=None))
                error: str | None
                again_now = False
                try:
                    # aclosing: if our consumer stops early, the connection closes now,
                    # not whenever the inner generator is garbage-collected.
                    async with contextlib.aclosing(self._session()) as frames:
                        async for frame in frames:
                            delay = self._backoff_initial
                            first = False
                            yield frame
                    error = None
                    again_now = True
                except _Resume as resume:
                    delay = self._backoff_initial
                    first = False
                    error, again_now = resume.message, resume.now
                except SubscriberRejected as exc:
                    self._set_state(
                        ConnectionState("offline", last_seq=self._last_seq, error=str(exc))
                    )
                    raise
                except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed) as exc:
                    error = _describe(exc, self.ws_url)
                if self._closed:
                    break
                wait = 0.0 if again_now else delay * random.uniform(0.8, 1.0)
                if not again_now:
                    delay = min(delay * 2, self._backoff_max)
                self._set_state(
                    ConnectionState(
                        "reconnecting",
                        retry_in=round(wait, 3),
                        last_seq=self._last_seq,
                        lag_s=self._state.lag_s,
                        error=error,
                    )
                )
                if wait > 0:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(wait):
                            await self._wake.wait()
        finally:
            self._ws = None
            if self._state.status != "offline":
                self._set_state(ConnectionState("offline", last_seq=self._last_seq))

    async def _session(self) -> AsyncIterator[dict[str, Any]]:
        """One connection: yields new event frames; ends by raising `_Resume` or an error."""
        url = stream_url(self.ws_url, after=self._last_seq, survey=self.survey)
        host = urlsplit(url).hostname or ""
        try:
            connection = await connect(
                url,
                additional_headers=self._headers(),
                open_timeout=self._open_timeout,
                max_size=MAX_FRAME_BYTES,
                # A relay on this machine is never reached through an HTTP proxy, even
                # when the environment names one for everything else.
                proxy=None if is_loopback(host) else True,
            )
        except InvalidStatus as exc:
            code = exc.response.status_code
            if code == 401:
                raise SubscriberRejected(
                    f"relay refused the subscriber (HTTP {code}): set QTUI_RELAY_TOKEN "
                    "to the relay's --token"
                ) from None
            if code in (403, 404):
                # The relay refuses a bad token with close code 4401, after the
                # handshake; a refused handshake means this URL is not a relay stream.
                raise SubscriberRejected(
                    f"no relay stream at {url.split('?')[0]} (HTTP {code}): check the relay URL"
                ) from None
            raise
        except InvalidURI as exc:
            raise SubscriberRejected(f"bad relay URL {self.ws_url!r}: {exc}") from None
        self._ws = connection
        overflow_at: int | None = None
        try:
            self._set_state(
                ConnectionState("live", last_seq=self._last_seq, lag_s=self._state.lag_s)
            )
            async for message in connection:
                frame = _parse(message)
                if frame is None:
                    continue
                kind = frame.get("type")
                if kind == "event":
                    seq = frame.get("seq")
                    if not isinstance(seq, int) or seq <= self._last_seq:
                        continue
                    self._last_seq = seq
                    self._set_state(
                        ConnectionState(
                            "live", last_seq=seq, lag_s=_age_s(frame.get("received_at"))
                        ),
                        throttle=True,
                    )
                    yield frame
                    if self._closed:
                        return
                elif kind == "heartbeat":
                    self._set_state(self._heartbeat_state(frame))
                elif kind == "overflow":
                    overflow_at = frame.get("resume_after")
        except ConnectionClosed:
            pass  # the close code below says what happened
        finally:
            self._ws = None
            await connection.close()
        if self._closed:
            return
        code, reason = connection.close_code, connection.close_reason or ""
        if code == CLOSE_UNAUTHORIZED:
            raise SubscriberRejected(
                f"relay refused the subscriber token ({code}): set QTUI_RELAY_TOKEN "
                "to the relay's --token"
            )
        if code in (CLOSE_BAD_REQUEST, CLOSE_FORBIDDEN):
            raise SubscriberRejected(f"relay refused the stream request ({code}): {reason}")
        if code == CLOSE_OVERFLOW or overflow_at is not None:
            raise _Resume(f"fell behind the relay; resuming after seq {self._last_seq}", now=True)
        raise _Resume(_closed_because(code, reason), now=False)

    def _heartbeat_state(self, frame: dict[str, Any]) -> ConnectionState:
        relay_last = frame.get("last_seq")
        error = None
        if isinstance(relay_last, int) and relay_last < self._last_seq:
            # The relay's log is older than what this subscriber has already seen: its
            # database was replaced or wiped, and new events would reuse seen seqs.
            error = (
                f"relay's newest seq is {relay_last} but this view already has "
                f"{self._last_seq}: the relay database was replaced; restart with after=0"
            )
        return ConnectionState(
            "live",
            last_seq=self._last_seq,
            lag_s=_age_s(frame.get("server_time")),
            error=error,
        )


class _Resume(Exception):
    """This connection ended; reconnect (at once when `now`, else after backoff)."""

    def __init__(self, message: str, *, now: bool) -> None:
        super().__init__(message)
        self.message = message
        self.now = now


def _parse(message: str | bytes) -> dict[str, Any] | None:
    try:
        frame = json.loads(message)
    except ValueError:
        logger.warning("ignored a stream frame that is not JSON: %.80r", message)
        return None
    return frame if isinstance(frame, dict) else None


def _closed_because(code: int | None, reason: str) -> str:
    if code == 1012:
        return "relay is restarting"
    if code == 1001:
        return "relay went away"
    if code in (None, 1006):
        return "connection to the relay dropped"
    return f"relay closed the stream ({code}{': ' + reason if reason else ''})"


def _describe(exc: BaseException, url: str) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return f"relay at {url} is not answering (connection refused)"
    if isinstance(exc, TimeoutError):
        return f"relay at {url} did not answer in time"
    if isinstance(exc, InvalidStatus):
        return f"relay answered HTTP {exc.response.status_code} instead of a websocket"
    if isinstance(exc, ConnectionClosed):
        return "connection to the relay dropped"
    return f"relay connection failed: {exc}"
