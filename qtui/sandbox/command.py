"""`qtui sandbox`: run the Questra and Qualtrics emulators on one local port."""

from __future__ import annotations

import asyncio
import math
import os
import re
import shlex
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import click

from qtui.sandbox import questionnaires
from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.sandbox.questra import QuestraSandbox
from qtui.sandbox.questra.webhooks import Webhook
from qtui.sandbox.server import QUALTRICS_PREFIX, create_sandbox_app
from qtui.serving import serve_in_loop


def _log(line: str) -> None:
    click.echo(f"{datetime.now():%H:%M:%S} {line}", err=True)


_HOOK_PATH = re.compile(r"^(?P<prefix>.*?)/(?:hooks/[^/]*|stream)/?$")


def relay_base(url: str) -> str:
    """The relay's base URL from what a user may paste: the base, or any URL it prints.

    `http://127.0.0.1:8700`, `…/hooks/questra`, `…/hooks/oktave`, `ws://…/stream?after=0`
    all give `http://127.0.0.1:8700` (a path prefix before them, for a relay behind a
    proxy, is kept). Raises `click.BadParameter` for anything that is not a URL.
    """
    parts = urlsplit(url.strip())
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    if scheme not in ("http", "https") or not parts.netloc:
        raise click.BadParameter(
            f"{url!r} is not a relay URL; pass the one qtui relay prints, e.g. "
            "http://127.0.0.1:8700",
            param_hint="--relay",
        )
    path = parts.path.rstrip("/")
    hook = _HOOK_PATH.match(path + "/")
    prefix = hook.group("prefix") if hook else path
    return urlunsplit((scheme, parts.netloc, prefix, "", ""))


def watch_command(
    url: str, questra: QuestraSandbox, relay: str | None, survey_id: str, token: str | None
) -> str:
    """The `qtui watch` command for `survey_id`, every setting it needs spelled out."""
    env = [
        f"QTUI_QUESTRA_URL={url}",
        f"QTUI_QUESTRA_API_KEY={shlex.quote(questra.api_key)}",
        f"QTUI_QUESTRA_ORG_ID={shlex.quote(questra.org_id)}",
    ]
    if token:
        env.append(f"QTUI_RELAY_TOKEN={shlex.quote(token)}")
    ws = "ws" + relay.removeprefix("http") if relay else "ws://127.0.0.1:8700"
    return f"{' '.join(env)} qtui watch --relay {ws} --survey {survey_id}"


async def _create(
    questra: QuestraSandbox, name: str, start: bool, url: str, relay: str | None
) -> None:
    survey = questra.org.create_survey(name.replace("_", " ").capitalize())
    said = f"Survey {survey['id']} ({survey['slug']}) created from the {name} questionnaire"
    if start:
        await questra.start_programming(survey["id"], questionnaire=name)
        said += "; programming started"
    click.echo(said)
    token = os.environ.get("QTUI_RELAY_TOKEN") or None
    click.echo("Watch it with:")
    click.echo(f"  {watch_command(url, questra, relay, survey['id'], token)}")
    if relay is None:
        click.echo("  (start the sandbox with --relay URL so events reach a relay)")


def _log_failed_delivery(hook: Webhook, record: dict[str, object]) -> None:
    if record["status"] == "failed":
        retry = record.get("next_attempt_in_s")
        then = f"; retry in {retry:g} s" if isinstance(retry, int | float) else "; giving up"
        _log(
            f"webhook {hook.url}: {record['event']} attempt {record['attempt']} failed "
            f"({record['error']}){then}"
        )


def _banner(url: str, questra: QuestraSandbox, qualtrics_token: str, relay: str | None) -> str:
    lines = [
        f"Questra sandbox    {url}",
        f"  org id           {questra.org_id}",
        f"  API key          {questra.api_key}",
        f"Qualtrics sandbox  {url}{QUALTRICS_PREFIX}",
        f"  token            {qualtrics_token}",
    ]
    if relay is not None:
        lines.append(f"Webhook            every event → {relay}")
    speed = "instant" if math.isinf(questra.speed) else f"{questra.speed:g}×"
    fail = " · programming runs fail" if questra.fail_programming else ""
    lines += [
        f"Programming speed  {speed} · seed {questra.seed}{fail}",
        "",
        "To point qtui at it:",
        f"  export QTUI_QUESTRA_URL={url} QTUI_QUESTRA_API_KEY={questra.api_key} "
        f"QTUI_QUESTRA_ORG_ID={questra.org_id}",
        f"  export QTUI_QUALTRICS_BASE_URL={url}{QUALTRICS_PREFIX} "
        f"QTUI_QUALTRICS_TOKEN={qualtrics_token}",
        "Ctrl-C stops the sandbox.",
    ]
    return "\n".join(lines)


async def _serve(
    app: object,
    host: str,
    port: int,
    banner: Callable[[str], str],
    background: Callable[[str], Callable[[], Awaitable[None]] | None] | None = None,
    ready: Callable[[str], Awaitable[None]] | None = None,
) -> None:
    server = await serve_in_loop(app, host, port)
    try:
        click.echo(banner(server.url))
        if ready is not None:
            await ready(server.url)
        work = background(server.url) if background is not None else None
        if work is not None:
            await work()
        await asyncio.Event().wait()
    finally:
        await server.aclose()


def _subscribe_relay(qualtrics: QualtricsSandbox, relay: str, secret: str) -> None:
    """Every survey's callbacks to the relay (as `qtui qualtrics subscribe` does per survey)."""
    from qtui.qualtrics.subscriptions import TOPICS, publication_url

    url = publication_url(relay, secret)
    for topic in TOPICS:
        qualtrics.subscriptions.create({"topics": f"{topic}.*", "publicationUrl": url})


async def _field(
    qualtrics: QualtricsSandbox,
    url: str,
    token: str,
    rate: float,
    relay: str | None,
    oktave_secret: str | None,
    seed: int | None,
) -> None:
    import httpx

    from qtui.qualtrics.client import QualtricsClient
    from qtui.sandbox import oktave
    from qtui.sandbox.fieldwork import keep_fielding

    async with (
        QualtricsClient(url + QUALTRICS_PREFIX, token) as client,
        httpx.AsyncClient(timeout=5.0) as http,
    ):
        emitter = None
        if relay and oktave_secret:
            emitter = oktave.OktaveEmitter(f"{relay.rstrip('/')}/hooks/oktave", oktave_secret, http)
        await keep_fielding(qualtrics, client, rate, emitter=emitter, seed=seed or 0, log=_log)


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8701,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on.",
)
@click.option("--api-key", default="qk_sandbox", show_default=True, help="API key to accept.")
@click.option("--org-id", default="org_sandbox", show_default=True, help="Organisation id.")
@click.option(
    "--speed",
    default=1.0,
    show_default=True,
    type=float,
    help="Programming speed: 1 is about 80 s for the screener; 'inf' is instant.",
)
@click.option(
    "--seed", default=None, type=int, help="Seed for ids and pacing (default: a fresh one per run)."
)
@click.option("--fail", is_flag=True, help="Make every programming run fail part-way.")
@click.option(
    "--relay",
    metavar="URL",
    help="Send every event to this relay: its base URL or any URL `qtui relay` prints.",
)
@click.option(
    "--relay-secret",
    metavar="S",
    envvar="QTUI_WEBHOOK_SECRET",
    help="The relay's webhook secret (with --relay) [env QTUI_WEBHOOK_SECRET].",
)
@click.option(
    "--create",
    "create",
    type=click.Choice(questionnaires.names()),
    metavar="QUESTIONNAIRE",
    help=f"Create a survey at start ({', '.join(questionnaires.names())}); prints its id.",
)
@click.option("--start", is_flag=True, help="With --create: start programming it at once.")
@click.option("-v", "--verbose", is_flag=True, help="Log one line per request on stderr.")
@click.option(
    "--qualtrics-token",
    default="qualtrics-sandbox-token",
    show_default=True,
    help="X-API-TOKEN the Qualtrics sandbox accepts.",
)
@click.option(
    "--postman-sessions",
    is_flag=True,
    help="Session updates answer an empty result and name no response id, as Qualtrics' "
    "published Postman collection shows.",
)
@click.option(
    "--fieldwork",
    "fieldwork_rate",
    type=click.FloatRange(min=0, min_open=True),
    metavar="RATE",
    help="Send RATE simulated respondents a second into the live Qualtrics survey.",
)
@click.option(
    "--oktave-secret",
    metavar="S",
    help="With --relay: send Oktave incidents and blacklist items, signed with S.",
)
@click.option(
    "--qualtrics-hook-secret",
    metavar="S",
    help="With --relay: subscribe the relay to every survey's response callbacks (?secret=S).",
)
@click.option(
    "--lenient",
    is_flag=True,
    help="Let Qualtrics sessions show question types the sessions API does not support.",
)
def sandbox(
    host: str,
    port: int,
    api_key: str,
    org_id: str,
    speed: float,
    seed: int | None,
    fail: bool,
    relay: str | None,
    relay_secret: str | None,
    create: str | None,
    start: bool,
    verbose: bool,
    qualtrics_token: str,
    postman_sessions: bool = False,
    fieldwork_rate: float | None = None,
    oktave_secret: str | None = None,
    qualtrics_hook_secret: str | None = None,
    lenient: bool = False,
) -> None:
    """Run the Questra sandbox (with Qualtrics under /API/v3) until Ctrl-C.

    Create a survey with POST /surveys, then POST /surveys/{id}/start-programming: the
    simulator builds it page by page, sending every change as a signed webhook.
    """
    if not speed > 0:
        raise click.BadParameter(
            "must be greater than 0 (use 'inf' for instant)", param_hint="--speed"
        )
    if start and not create:
        raise click.UsageError("--start needs --create QUESTIONNAIRE (the survey to program)")
    relay = relay_base(relay) if relay else None
    if relay and not relay_secret:
        raise click.UsageError(
            "--relay needs --relay-secret (or QTUI_WEBHOOK_SECRET): the secret the relay "
            "checks signatures with"
        )
    questra = QuestraSandbox(api_key, org_id, speed=speed, seed=seed, fail_programming=fail)
    hook_url = None
    if relay:
        hook_url = f"{relay}/hooks/questra"
        questra.create_webhook(hook_url, secret=relay_secret, description="qtui relay")
    questra.dispatcher.on_delivery(_log_failed_delivery)
    # Simulated fieldwork stands for respondents on the survey link, who see every question
    # type (text pages included): its sessions are lenient.
    qualtrics = QualtricsSandbox(
        token=qualtrics_token,
        strict=not (lenient or fieldwork_rate),
        empty_session_updates=postman_sessions,
        session_response_ids=not postman_sessions,
    )
    if (oktave_secret or qualtrics_hook_secret) and not relay:
        raise click.UsageError("--oktave-secret and --qualtrics-hook-secret need --relay URL")
    if relay and qualtrics_hook_secret:
        _subscribe_relay(qualtrics, relay, qualtrics_hook_secret)
    app = create_sandbox_app(questra, qualtrics, log=_log if verbose else None)
    _check_port(host, port)

    def banner(url: str) -> str:
        text = _banner(url, questra, qualtrics_token, hook_url)
        if fieldwork_rate:
            text += f"\nFieldwork          {fieldwork_rate:g} respondents/s into the live survey"
        return text

    def field(url: str) -> Callable[[], Awaitable[None]] | None:
        if not fieldwork_rate:
            return None
        return lambda: _field(
            qualtrics, url, qualtrics_token, fieldwork_rate, relay, oktave_secret, seed
        )

    try:
        ready = None
        if create is not None:
            questionnaire = create

            async def ready(url: str) -> None:
                await _create(questra, questionnaire, start, url, relay)

        asyncio.run(_serve(app, host, port, banner, field, ready))
    except KeyboardInterrupt:
        _log("sandbox stopped")


def _check_port(host: str, port: int) -> None:
    """Fail with one line, before uvicorn would fail with a traceback, if the port is taken."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise click.ClickException(
                f"cannot listen on {host}:{port} ({exc.strerror}); choose another with --port"
            ) from None
