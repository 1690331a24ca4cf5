"""Run an ASGI app (relay, sandbox) on loopback with uvicorn, in this loop or in a thread.

Used by the CLI, the demo, the tests and the benchmarks alike, so every one of them
speaks real HTTP and websockets to the same servers — with the same limits: a cap on
open connections, idle keep-alive connections closed after a few seconds, request heads
and incoming websocket messages bounded in size, and a deadline for request headers.
All but the last are uvicorn's own settings; uvicorn has no header deadline, so
`HeadGuard` adds one to uvicorn's own HTTP protocol class (the `http=` setting), and a
head size cap that works with httptools as well as h11.
`WebSocketProtocol` (the `ws=` setting) is uvicorn's websockets-sansio protocol with one
fix: a handshake that websockets refuses (a request line over 8 KiB, too many headers)
is answered with websockets' own 414/431 instead of hanging until the client gives up.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

# Connections (HTTP and websocket) served at once; beyond it uvicorn answers 503.
LIMIT_CONCURRENCY = 512
# An idle keep-alive connection is closed after this long.
TIMEOUT_KEEP_ALIVE_S = 5
# Request line plus headers; larger heads get 431 (or h11's 400).
MAX_HEAD_BYTES = 16 * 1024
# Largest websocket message a client may send (subscribers send nothing).
WS_MAX_SIZE = 64 * 1024
# A request's headers must arrive within this long of its first byte (or the connection).
HEADER_TIMEOUT_S = 10.0


def _refusal(status: str, message: str) -> bytes:
    body = message.encode() + b"\r\n"
    return (
        f"HTTP/1.1 {status}\r\ncontent-type: text/plain\r\nconnection: close\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode() + body


class HeadGuard(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol (httptools or h11), with a deadline and a size cap on heads.

    uvicorn has no deadline for request headers: a client can open connections and
    trickle header bytes for ever (each byte only resets the keep-alive timer), holding
    a slot of the connection cap. And only its h11 parser bounds the head's size
    (`h11_max_incomplete_event_size`); httptools buffers headers without limit. Both are
    checked here, the same for either parser: from a connection's (or a new request's)
    first byte until uvicorn has the whole head, at most `header_timeout` seconds and
    `MAX_HEAD_BYTES` bytes, else 408 / 431 and the connection is closed.
    """

    header_timeout = HEADER_TIMEOUT_S

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._header_deadline: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._waiting_for_head():
            self._head_bytes = 0
            self._disarm()
            return
        self._arm()
        self._head_bytes += len(data)
        if self._head_bytes > MAX_HEAD_BYTES and self._serving_http():
            self._refuse("431 Request Header Fields Too Large", "request head too large")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _waiting_for_head(self) -> bool:
        cycle = self.cycle
        return cycle is None or cycle.response_complete

    def _serving_http(self) -> bool:
        transport = self.transport
        return not transport.is_closing() and transport.get_protocol() is self

    def _arm(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _too_slow(self) -> None:
        self._header_deadline = None
        # Closed already, or handed to the websocket protocol, or a request in progress.
        if self._serving_http() and self._waiting_for_head():
            self._refuse("408 Request Timeout", "request headers not received in time")

    def _refuse(self, status: str, message: str) -> None:
        self._disarm()
        self.transport.write(_refusal(status, message))
        self.transport.close()


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio protocol, sending the answer to a refused handshake.

    websockets queues a 414 or 431 when it cannot parse the upgrade request; uvicorn
    (0.54) never writes it, so the client waits for ever and uvicorn's shutdown later
    fails on that connection. Send it and close, as websockets intends.
    """

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self.handshake_initiated and self.conn.handshake_exc is not None:
            self.handshake_complete = True
            self.close_sent = True
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.transport.close()


@dataclass
class RunningServer:
    """A uvicorn server that is up; `port` is the real port when 0 was asked for."""

    server: uvicorn.Server
    host: str
    port: int
    _thread: threading.Thread | None = field(default=None, repr=False)
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop a server started with `start_in_thread` and wait for its thread."""
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    async def aclose(self) -> None:
        """Stop a server started with `serve_in_loop` and wait for it."""
        self.server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def server_config(
    app: object,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    log_level: str = "warning",
    access_log: bool = False,
    lifespan: str = "on",
) -> uvicorn.Config:
    """The uvicorn settings every qtui server runs with (limits in the module docstring)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        lifespan=lifespan,  # type: ignore[arg-type]
        http=HeadGuard,
        ws=WebSocketProtocol,
        ws_max_size=WS_MAX_SIZE,
        limit_concurrency=LIMIT_CONCURRENCY,
        timeout_keep_alive=TIMEOUT_KEEP_ALIVE_S,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        timeout_graceful_shutdown=2,
    )


def _config(app: object, host: str, port: int, log_level: str, access_log: bool) -> uvicorn.Config:
    return server_config(app, host, port, log_level=log_level, access_log=access_log)


def _bound_port(server: uvicorn.Server) -> int:
    for srv in server.servers:
        for sock in srv.sockets:
            return int(sock.getsockname()[1])
    raise RuntimeError("uvicorn started without a listening socket")


async def serve_in_loop(
    app: object,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    log_level: str = "warning",
    access_log: bool = False,
) -> RunningServer:
    """Start `app` as a task of the running loop; returns once it listens."""
    server = uvicorn.Server(_config(app, host, port, log_level, access_log))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError(f"server on {host}:{port} stopped before it started")
        await asyncio.sleep(0.01)
    return RunningServer(server, host, _bound_port(server), _task=task)


def start_in_thread(
    app: object,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    log_level: str = "warning",
    access_log: bool = False,
    timeout: float = 10.0,
) -> RunningServer:
    """Start `app` in a thread with its own event loop; returns once it listens."""
    server = uvicorn.Server(_config(app, host, port, log_level, access_log))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            errors.append(exc)

    thread = threading.Thread(target=run, name=f"server-{host}:{port}", daemon=True)
    thread.start()
    waited = 0.0
    while not server.started:
        if errors or not thread.is_alive():
            raise RuntimeError(f"server on {host}:{port} failed to start: {errors[:1]}")
        if waited > timeout:
            raise TimeoutError(f"server on {host}:{port} did not start in {timeout}s")
        threading.Event().wait(0.01)
        waited += 0.01
    return RunningServer(server, host, _bound_port(server), _thread=thread)


@contextlib.asynccontextmanager
async def serving(
    app: object, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[RunningServer]:
    """`async with serving(app) as srv:` — for tests: a real server for the block's duration."""
    running = await serve_in_loop(app, host, port)
    try:
        yield running
    finally:
        await running.aclose()
