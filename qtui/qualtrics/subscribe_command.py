"""`qtui qualtrics subscribe SV_… --relay URL` (and `subscriptions`, `unsubscribe`).

Registers the relay for a survey's response callbacks. The secret put in the callback URL
is never printed (it would stay in scrollback and CI logs): it is written to a file only its
owner can read (`--secret-file`, by default `$XDG_DATA_HOME/qtui/qualtrics-hooks/SV_….secret`)
and the command prints where, and the relay command that reads it
(`qtui relay --qualtrics-secret-file FILE`). `--json` gives the file as `secret_file`.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"qtui: qualtrics: {message}", err=True)
    sys.exit(code)


def _client() -> Any:
    from qtui.config import ConfigError, load_settings
    from qtui.qualtrics.client import QualtricsClient
    from qtui.qualtrics.errors import ConfigurationError

    try:
        return QualtricsClient.from_settings(load_settings())
    except (ConfigError, ConfigurationError) as error:
        _fail(str(error), EXIT_USAGE)


def _run(work: Any) -> Any:
    from qtui.qualtrics.errors import QualtricsError

    async def go() -> Any:
        client = _client()
        try:
            return await work(client)
        finally:
            await client.aclose()

    try:
        return asyncio.run(go())
    except QualtricsError as error:
        _fail(str(error), EXIT_FAILED)


@click.group("qualtrics")
def qualtrics() -> None:
    """Qualtrics account jobs: event subscriptions for fieldwork."""


@qualtrics.command("subscribe")
@click.argument("survey_id", metavar="SV_…")
@click.option("--relay", "relay_url", required=True, metavar="URL", help="The relay's base URL.")
@click.option(
    "--secret",
    envvar="QTUI_QUALTRICS_HOOK_SECRET",
    help="Secret for the callback URL (default: a new one) [env QTUI_QUALTRICS_HOOK_SECRET].",
)
@click.option(
    "--secret-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the secret here, mode 0600 [default: "
    "$XDG_DATA_HOME/qtui/qualtrics-hooks/SV_….secret].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def subscribe_cmd(
    survey_id: str, relay_url: str, secret: str | None, secret_file: Path | None, as_json: bool
) -> None:
    """Send SV_…'s started, partial and completed responses to the relay.

    The callback URL's secret is written to a file only you can read, never printed; the
    relay reads it with `qtui relay --qualtrics-secret-file FILE`.
    """
    from qtui.qualtrics.hook_secrets import default_secret_file, write_secret
    from qtui.qualtrics.subscriptions import new_secret, subscribe

    if not survey_id.startswith("SV_"):
        _fail(f"{survey_id!r} is not a Qualtrics survey id (SV_…)", EXIT_USAGE)
    if not relay_url.startswith(("http://", "https://")):
        _fail("--relay must be the relay's http(s):// URL (Qualtrics posts to it)", EXIT_USAGE)
    secret = secret or new_secret()
    path = secret_file or default_secret_file(survey_id)
    try:  # before subscribing: a secret Qualtrics holds and nobody can find is no use
        write_secret(path, secret)
    except OSError as exc:
        _fail(
            f"cannot write the secret to {path} ({exc.strerror or exc}); pass --secret-file",
            EXIT_USAGE,
        )
    done = _run(lambda client: subscribe(client, survey_id, relay_url, secret=secret))
    callback = done.publication_url.split("?")[0]
    relay_command = f"qtui relay --qualtrics-secret-file {shlex.quote(str(path))}"
    if as_json:
        click.echo(
            json.dumps(
                {
                    "survey": done.survey_id,
                    "callbackUrl": callback,
                    "secret_file": str(path),
                    "relay_command": relay_command,
                    "subscriptions": done.subscription_ids,
                },
                indent=2,
            )
        )
        return
    for topic, sub_id in done.subscription_ids.items():
        click.echo(f"{sub_id}  {topic}.{survey_id}")
    click.echo(f"callbacks go to {callback}?secret=…")
    click.echo(f"the secret is in {path} (mode 0600)")
    click.echo(f"start the relay with: {relay_command}")


@qualtrics.command("subscriptions")
def list_cmd() -> None:
    """List the account's event subscriptions."""
    from qtui.qualtrics.subscriptions import list_subscriptions

    for sub in _run(list_subscriptions):
        url = str(sub.get("publicationUrl", "")).split("?")[0]
        click.echo(f"{sub.get('id')}  {sub.get('topics')}  → {url}")


@qualtrics.command("unsubscribe")
@click.argument("subscription_id", metavar="SUB_…")
def unsubscribe_cmd(subscription_id: str) -> None:
    """Delete one event subscription."""
    from qtui.qualtrics.subscriptions import unsubscribe

    _run(lambda client: unsubscribe(client, subscription_id))
    click.echo(f"deleted {subscription_id}")
