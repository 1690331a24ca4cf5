"""Servers in their own processes for the bench scripts (and the tests that run them alike).

`qtui relay` as users run it, the bare baselines on uvicorn, and the Qualtrics sandbox in a
child process: each tells its port on stdout, or through a queue, and is stopped the same way.
"""

from __future__ import annotations

import multiprocessing
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any

QTUI = [sys.executable, "-c", "from qtui.cli import main; main()"]

SANDBOX_TOKEN = "bench-token"


def qtui_relay(*options: str) -> list[str]:
    """The command line of `qtui relay` on a free port, with `options`."""
    return [*QTUI, "relay", "--port", "0", *options]


def listening_port(lines: Iterable[str]) -> int | None:
    """The port a server says it listens on, reading its startup lines to `Ctrl-C stops`."""
    port = None
    for line in lines:
        if found := re.search(r"listening on 127\.0\.0\.1:(\d+)", line):
            port = int(found.group(1))
        if line.startswith("Ctrl-C stops"):
            break
    return port


def interrupt(proc: subprocess.Popen[str]) -> None:
    """Ctrl-C, as a person stops it; killed if it has not ended within 10 s."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def kill(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()


@contextmanager
def server_process(
    command: list[str],
    env: dict[str, str],
    *,
    stderr: int | IO[Any] = subprocess.DEVNULL,
    stop: Callable[[subprocess.Popen[str]], None] = interrupt,
) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """Run a server that prints `listening on 127.0.0.1:PORT`; yields (port, process)."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
    try:
        assert proc.stdout is not None
        port = listening_port(proc.stdout)
        if port is None:
            raise RuntimeError(f"did not start: {' '.join(command)}")
        yield port, proc
    finally:
        stop(proc)


def serve_on_free_port(app: Any, lifespan: str = "off") -> None:
    """Child process entry: `app` on uvicorn's defaults (as the relay) on a free port."""
    import socket

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    print(f"listening on 127.0.0.1:{sock.getsockname()[1]}", flush=True)
    print("Ctrl-C stops.", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan=lifespan)
    uvicorn.Server(config).run(sockets=[sock])


def _serve_sandbox(ports: multiprocessing.Queue) -> None:
    """The child process: a sandbox served until the parent ends the process."""
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from qtui.sandbox.qualtrics import QualtricsSandbox
    from qtui.serving import start_in_thread

    sandbox = QualtricsSandbox(token=SANDBOX_TOKEN)
    server = start_in_thread(Starlette(routes=[Mount("/API/v3", app=sandbox.app)]))
    ports.put(server.port)
    threading.Event().wait()


@contextmanager
def sandbox_process() -> Iterator[str]:
    """The Qualtrics sandbox in a child process (its own interpreter lock); yields its URL."""
    ports: multiprocessing.Queue = multiprocessing.Queue()
    child = multiprocessing.Process(target=_serve_sandbox, args=(ports,), daemon=True)
    child.start()
    try:
        yield f"http://127.0.0.1:{ports.get(timeout=30)}"
    finally:
        child.terminate()
        child.join(timeout=10)
