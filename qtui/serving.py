"""Run an ASGI app (relay, sandbox) on loopback with uvicorn, in this loop or in a thread.

Used by the CLI, the demo, the tests and the benchmarks alike, so every one of them
speaks real HTTP and websockets to the same servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import uvicorn


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


def _config(app: object, host: str, port: int, log_level: str, access_log: bool) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        lifespan="on",
        ws="websockets-sansio",
        timeout_graceful_shutdown=2,
    )


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
