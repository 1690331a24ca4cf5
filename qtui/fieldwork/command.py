"""`qtui fieldwork SURVEY`: a survey's fieldwork figures from the relay's log, headless.

SURVEY is the id the platforms file responses under (a Qualtrics `SV_…`, or an Oktave
campaign's survey id). Recorded Qualtrics responses are read from Qualtrics when
QTUI_QUALTRICS_BASE_URL / QTUI_QUALTRICS_TOKEN are set (their end and pages); pages are
the Qualtrics survey's blocks. Figures on stdout (`--json` for scripts), problems on
stderr; exit 0 on success, 1 when the relay or Qualtrics cannot be read, 2 on bad usage,
3 when the relay holds no events for the survey (a mistyped id, or one not in the field
yet): said on stderr, and in `--json` as `"events": 0` with a `"message"`.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from typing import Any, NoReturn
from urllib.parse import urlsplit

import click

from qtui.text import printable

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ISSUES = 0, 1, 2, 3


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"qtui: fieldwork: {message}", err=True)
    sys.exit(code)


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def render_text(survey_id: str, figures: Any) -> str:
    """The figures as lines a person (or a chat bot) reads."""
    incidence = "—" if figures.incidence is None else f"{figures.incidence:.0%}"
    rate = "—" if figures.completes_per_hour is None else f"{figures.completes_per_hour:.1f}"
    lines = [
        f"fieldwork  {survey_id}   (relay seq {figures.last_seq})",
        f"  started {figures.started}   completed {figures.completed}   "
        f"screened out {figures.screened_out}   over quota {figures.over_quota}   "
        f"partial {figures.partial}   in progress {figures.in_progress}",
        f"  incidence {incidence}   completes/hour {rate}   "
        f"median LOI {_minutes(figures.median_loi_s)}",
        f"  incidents {len(figures.incidents)}   blacklisted {figures.blacklisted}",
    ]
    if any(p.reached for p in figures.pages):
        lines.append("  page                               reached   left   ended")
        for page in figures.pages:
            lines.append(
                f"  {page.name[:34]:<34} {page.reached:>7} {page.dropped:>6} {page.ended:>7}"
            )
    for incident in figures.incidents:
        lines.append(
            f"  incident [{incident.status}] {incident.title} ({len(incident.comments)} comments)"
        )
    return "\n".join(lines)


def no_events(survey_id: str, since: str | None) -> str:
    """What to say when the relay holds no fieldwork event for the survey."""
    shown = printable(survey_id)[:80]
    if since:
        return f"the relay holds no events for {shown} since {printable(since)[:40]}"
    return (
        f"the relay holds no events for {shown}: check the survey id, and that the survey "
        "is in the field with the relay subscribed (`qtui qualtrics subscribe`)"
    )


async def gather(
    survey_id: str,
    relay: str,
    *,
    token: str | None,
    since: datetime | None,
    qualtrics: Any | None,
) -> Any:
    """Read the log (and Qualtrics' responses) into figures."""
    from qtui.core.fieldwork import FieldworkTally, definition_shape
    from qtui.fieldwork.feed import fetch_details, read_log
    from qtui.qualtrics.errors import NotFoundError

    shape, missing = None, None
    if qualtrics is not None and survey_id.startswith("SV_"):
        try:
            shape = definition_shape(await qualtrics.get_definition(survey_id))
        except NotFoundError as error:
            missing = error  # said only if the relay has its events: else "no events" says more
    tally = FieldworkTally(shape)
    await read_log(relay, survey_id, tally, token=token, since=since)
    if missing is not None and sum(tally.figures().sources.values()):
        raise missing
    if qualtrics is not None and missing is None:
        await fetch_details(tally, qualtrics)
    return tally.figures()


@click.command("fieldwork")
@click.argument("survey_id", metavar="SURVEY")
@click.option("--relay", "relay_url", metavar="URL", help="Relay URL [env QTUI_RELAY_URL].")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option(
    "--since", metavar="T", help="Only deliveries received since T (ISO time, or 30m, 2h, 1d)."
)
@click.option(
    "--details/--no-details",
    default=True,
    show_default=True,
    help="Read recorded Qualtrics responses from Qualtrics (needs its URL and token).",
)
def fieldwork(
    survey_id: str, relay_url: str | None, as_json: bool, since: str | None, details: bool
) -> None:
    """Print a survey's fieldwork (starts, completes, screen-outs, pages, incidents)."""
    from qtui.config import ConfigError, load_settings
    from qtui.fieldwork.feed import FeedError, parse_since
    from qtui.qualtrics.client import QualtricsClient
    from qtui.qualtrics.errors import ConfigurationError, QualtricsError

    try:
        settings = load_settings()
    except ConfigError as error:
        _fail(str(error), EXIT_USAGE)
    relay = relay_url or settings.relay.url
    if not relay:
        _fail("no relay URL: pass --relay http://HOST:PORT or set QTUI_RELAY_URL", EXIT_USAGE)
    parts = urlsplit(relay)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        _fail(
            f"--relay {printable(relay)[:80]!r} is not the relay's URL: pass http://HOST:PORT",
            EXIT_USAGE,
        )
    try:
        since_at = parse_since(since) if since else None
    except ValueError as error:
        _fail(str(error), EXIT_USAGE)
    token = settings.relay.token.get_secret_value() if settings.relay.token else None

    async def run() -> Any:
        client = None
        if details and settings.qualtrics.base_url and settings.qualtrics.token:
            try:
                client = QualtricsClient.from_settings(settings, max_retries=2)
            except ConfigurationError as error:
                _fail(str(error), EXIT_USAGE)
        try:
            return await gather(survey_id, relay, token=token, since=since_at, qualtrics=client)
        finally:
            if client is not None:
                await client.aclose()

    try:
        figures = asyncio.run(run())
    except FeedError as error:
        _fail(str(error), EXIT_FAILED)
    except QualtricsError as error:
        _fail(f"{error} (or pass --no-details)", EXIT_FAILED)
    events = sum(figures.sources.values())
    message = no_events(survey_id, since) if events == 0 else None
    if as_json:
        head: dict[str, Any] = {"survey": survey_id, "events": events}
        if message:
            head["message"] = message
        click.echo(json.dumps({**head, **figures.to_json()}, indent=2))
    elif message is None:
        click.echo(printable(render_text(survey_id, figures)))  # page names are survey text
    if message:
        _fail(message, EXIT_ISSUES)
