"""`qtui relay`: run the webhook relay in the foreground until Ctrl-C."""

from __future__ import annotations

import logging
import os
import secrets
import shlex
import signal
import socket
import sys
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import click
import uvicorn

from qtui.relay.app import create_relay_app
from qtui.relay.log import EventLog
from qtui.relay.loopback import is_loopback
from qtui.relay.sources import Source, oktave_source, qualtrics_source
from qtui.serving import server_config


def fieldwork_sources(
    oktave_secret: str | None, oktave_window: float, qualtrics_secrets: tuple[str, ...]
) -> list[Source]:
    """The fieldwork sources the given secrets enable (none without secrets)."""
    sources = []
    if oktave_secret:
        sources.append(oktave_source(oktave_secret, window_s=oktave_window))
    secrets_given = [s for s in qualtrics_secrets if s]
    if secrets_given:
        sources.append(qualtrics_source(secrets_given))
    return sources


def default_db_path() -> Path:
    """`$XDG_DATA_HOME/qtui/relay.db`, or `~/.local/share/qtui/relay.db`."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "qtui" / "relay.db"


def _fail(message: str) -> NoReturn:
    click.echo(f"qtui: relay: {message}", err=True)
    sys.exit(2)


def _secrets_from_files(paths: tuple[Path, ...]) -> tuple[str, ...]:
    from qtui.qualtrics.hook_secrets import read_secret

    found = []
    for path in paths:
        try:
            found.append(read_secret(path))
        except ValueError as exc:
            _fail(f"--qualtrics-secret-file: {exc}")
    return tuple(found)


def listen_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that say they are
    # TCP, and without it every response waits ~40 ms on Nagle + delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        # Listening now means connections made as soon as the URLs are printed wait in
        # the backlog instead of being refused while uvicorn starts.
        sock.listen(128)
    except OSError as exc:
        sock.close()
        _fail(f"cannot listen on {host}:{port} ({exc.strerror}); pass another --port")
    return sock


def _configure_logging() -> None:
    # One readable line per request on stderr, instead of uvicorn's access log.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
    relay_logger = logging.getLogger("qtui.relay")
    relay_logger.handlers[:] = [handler]
    relay_logger.setLevel(logging.INFO)
    relay_logger.propagate = False


class _Stopper:
    """SIGTERM handling until uvicorn takes it over, and again after it gives it back.

    Raising KeyboardInterrupt from the handler (as Ctrl-C does) is not safe: a signal that
    lands while Python runs a weakref callback or a finaliser has its exception swallowed,
    and the relay would then start and run for ever. So the handler only records the
    request and tells the server, which checks `should_exit` as soon as it runs.
    """

    def __init__(self) -> None:
        self.requested = False
        self.server: uvicorn.Server | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        if self.server is not None:
            self.server.should_exit = True

    def serve(self, config: uvicorn.Config, sock: socket.socket) -> None:
        self.server = uvicorn.Server(config)
        self.server.should_exit = self.requested
        self.server.run(sockets=[sock])


def watch_hint(ws_url: str, http_url: str, token: str | None, secret_arg: str | None) -> list[str]:
    """The commands that follow this relay from a terminal: sandbox as Questra, then watch."""
    sandbox = f"qtui sandbox --relay {http_url}"
    if secret_arg is not None:
        sandbox += f" --relay-secret {secret_arg}"
    watch = f"qtui watch --relay {ws_url} --survey SURVEY_ID"
    if token is not None:
        watch = f"QTUI_RELAY_TOKEN={shlex.quote(token)} {watch}"
    return [
        "To watch a survey being programmed (the sandbox prints the survey id and the",
        "watch command with its Questra settings filled in):",
        f"  {sandbox} --create screener --start",
        f"  {watch}",
    ]


def _open_log(log_url: str | None, path: Path, synchronous: str) -> Any:
    if log_url:
        if not log_url.startswith(("nats://", "tls://")):
            raise ValueError("--log takes a nats:// URL, e.g. nats://127.0.0.1:4222/QTUI")
        from qtui.relay.jetstream import JetStreamLog  # nats-py only when asked for

        return JetStreamLog(log_url)
    return EventLog(path, synchronous=synchronous)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8700,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port (0: any free one).",
)
@click.option(
    "--secret",
    envvar="QTUI_WEBHOOK_SECRET",
    help="Questra webhook secret that signs deliveries [env QTUI_WEBHOOK_SECRET].",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Event log file [default: $XDG_DATA_HOME/qtui/relay.db].",
)
@click.option(
    "--token",
    envvar="QTUI_RELAY_TOKEN",
    help="Token subscribers must present; required off loopback [env QTUI_RELAY_TOKEN].",
)
@click.option(
    "--keep-last",
    type=click.IntRange(min=0),
    default=None,
    help="At start, prune the log to its newest N events.",
)
@click.option(
    "--oktave-secret",
    envvar="QTUI_OKTAVE_SECRET",
    help="Oktave webhook secret; enables POST /hooks/oktave [env QTUI_OKTAVE_SECRET].",
)
@click.option(
    "--oktave-window",
    type=click.FloatRange(min=1),
    default=300.0,
    show_default=True,
    help="Seconds an Oktave-Timestamp may be off before a delivery is refused.",
)
@click.option(
    "--qualtrics-secret",
    "qualtrics_secrets",
    multiple=True,
    envvar="QTUI_QUALTRICS_HOOK_SECRET",
    help="A Qualtrics subscription secret (repeatable); enables POST /hooks/qualtrics "
    "[env QTUI_QUALTRICS_HOOK_SECRET].",
)
@click.option(
    "--qualtrics-secret-file",
    "qualtrics_secret_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="A file holding a Qualtrics subscription secret, as `qtui qualtrics subscribe` "
    "writes it (repeatable).",
)
@click.option(
    "--allow-unsigned",
    is_flag=True,
    help="Accept deliveries without a secret (stored as unverified; loopback only).",
)
@click.option(
    "--synchronous",
    type=click.Choice(["full", "normal"], case_sensitive=False),
    default="full",
    show_default=True,
    help="full: a 2xx survives a power loss; normal: faster commits, the last ones may not.",
)
@click.option(
    "--allow-origin",
    "allowed_origins",
    multiple=True,
    metavar="ORIGIN",
    help="A browser origin (https://host:port) that may read the stream; repeatable.",
)
@click.option(
    "--allow-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="A Host name other than loopback that may read without a token; repeatable.",
)
@click.option(
    "--log",
    "log_url",
    envvar="QTUI_RELAY_LOG",
    metavar="nats://HOST:PORT[,HOST:PORT…][/STREAM]",
    help="Keep the log in a NATS JetStream stream shared by several relays, instead of "
    "--db (docs/relay.md) [env QTUI_RELAY_LOG].",
)
@click.option(
    "--request-log/--no-request-log",
    default=True,
    show_default=True,
    help="One line per request on stderr (off: nothing is spent on it).",
)
def relay(
    host: str,
    port: int,
    secret: str | None,
    db: Path | None,
    token: str | None,
    keep_last: int | None,
    oktave_secret: str | None,
    oktave_window: float,
    qualtrics_secrets: tuple[str, ...],
    qualtrics_secret_files: tuple[Path, ...],
    allow_unsigned: bool,
    synchronous: str,
    allowed_origins: tuple[str, ...],
    allowed_hosts: tuple[str, ...],
    log_url: str | None,
    request_log: bool,
) -> None:
    """Receive signed webhooks, keep them in a durable log, stream them to viewers."""
    secret = secret or None
    token = token or None
    qualtrics_secrets = qualtrics_secrets + _secrets_from_files(qualtrics_secret_files)
    if secret is None and not allow_unsigned:
        _fail("no webhook secret: pass --secret or set QTUI_WEBHOOK_SECRET")
    if not is_loopback(host):
        if token is None:
            _fail(
                f"--host {host} lets other machines read the stream: pass --token or set "
                f"QTUI_RELAY_TOKEN (for example --token {secrets.token_urlsafe(24)})"
            )
        if allow_unsigned:
            _fail(f"--allow-unsigned is for loopback only; pass --secret to listen on {host}")

    path = db or default_db_path()
    if log_url and db is not None:
        _fail("--db and --log name two event logs: pass one of them")
    sock = listen_socket(host, port)
    try:
        log = _open_log(log_url, path, synchronous)
    except Exception as exc:  # noqa: BLE001 - any open failure is reported the same way
        sock.close()
        if log_url:
            _fail(f"cannot open the JetStream log {log_url} ({exc}); is nats-server -js running?")
        _fail(f"cannot open the event log {path} ({exc}); pass another --db")
    # SIGTERM stops as cleanly as Ctrl-C (uvicorn takes over both while it runs).
    stopper = _Stopper()
    previous_sigterm = signal.signal(signal.SIGTERM, stopper)
    try:
        if keep_last is not None:
            pruned = log.prune(keep_last)
            click.echo(f"pruned {pruned} old events (kept the newest {keep_last})")
        app = create_relay_app(
            log=log,
            secret=secret,
            subscriber_token=token,
            allow_unsigned=allow_unsigned,
            extra_sources=fieldwork_sources(oktave_secret, oktave_window, qualtrics_secrets),
            request_log=request_log,
            allowed_origins=allowed_origins,
            allowed_hosts=allowed_hosts,
        )
        bound_port = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        http, ws = f"http://{shown}:{bound_port}", f"ws://{shown}:{bound_port}"
        click.echo(f"qtui relay listening on {shown}:{bound_port}")
        click.echo(f"  webhook  {http}/hooks/questra   (register it in Questra, behind HTTPS)")
        if oktave_secret:
            click.echo(f"  oktave   {http}/hooks/oktave   (signed; window {oktave_window:.0f}s)")
        if any(qualtrics_secrets):
            click.echo(f"  qualtrics {http}/hooks/qualtrics?secret=…   (qtui qualtrics subscribe)")
        click.echo(f"  stream   {ws}/stream?after=0" + ("   (token required)" if token else ""))
        click.echo(f"  events   {http}/events?after=0")
        click.echo(f"  health   {http}/health")
        click.echo(
            f"  log      {log_url or path}  ({log.count()} events, last seq {log.last_seq()})"
        )
        if secret is None:
            click.echo("  unsigned deliveries accepted (stored as unverified)")
        from_env = (
            click.get_current_context().get_parameter_source("secret")
            == click.core.ParameterSource.ENVIRONMENT
        )
        secret_arg = None
        if secret is not None:
            secret_arg = '"$QTUI_WEBHOOK_SECRET"' if from_env else shlex.quote(secret)
        for line in watch_hint(ws, http, token, secret_arg):
            click.echo(line)
        click.echo("Ctrl-C stops.")
        sys.stdout.flush()

        _configure_logging()
        stopper.serve(server_config(app, lifespan="off"), sock)
    except KeyboardInterrupt:
        pass
    finally:
        log.close()
        sock.close()
        signal.signal(signal.SIGTERM, previous_sigterm)
    click.echo("relay stopped", err=True)
