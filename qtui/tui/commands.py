"""`qtui demo`, `qtui watch` and `qtui replay`: the commands that open the TUI.

Textual and the app are imported only once a command runs, so `qtui --help` stays quick.
Data goes to stdout, problems to stderr; without a terminal, demo and watch refuse with a
message instead of crashing, and replay prints the survey as text.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from qtui.config import Settings
    from qtui.tui.sources import EventSource

NO_TTY = "qtui needs a terminal; use `qtui replay FILE --print` or `--json` for scripts."


def _has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _settings() -> Settings:
    from qtui.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    getter = getattr(value, "get_secret_value", None)
    return getter() if getter else str(value)


def _run(source: EventSource, settings: Settings, survey_id: str | None = None) -> None:
    from qtui.tui.app import QtuiApp

    app = QtuiApp(source, survey_id=survey_id, settings=settings)
    app.run()
    if app.return_code:
        sys.exit(app.return_code)


@click.command()
@click.option("--speed", type=float, default=1.0, show_default=True, help="Programming speed.")
@click.option(
    "--seed", type=int, default=None, help="Seed of the run's ids and pacing (default: fresh)."
)
@click.option(
    "--questionnaire",
    type=click.Choice(["screener", "csat", "large"]),
    default="screener",
    show_default=True,
    help="Which questionnaire the sandbox programs.",
)
@click.option("--fail", is_flag=True, help="Make the programming job fail part-way.")
def demo(speed: float, seed: int | None, questionnaire: str, fail: bool) -> None:
    """Watch a survey being programmed live, on the embedded sandbox."""
    if not _has_terminal():
        raise click.ClickException(NO_TTY)
    if speed <= 0:
        raise click.BadParameter("must be more than 0", param_hint="--speed")
    from qtui.tui.sources import DemoSource

    settings = _settings()
    _run(DemoSource(speed=speed, seed=seed, questionnaire=questionnaire, fail=fail), settings)


@click.command()
@click.option("--questra", "questra_url", metavar="URL", help="Questra API base URL.")
@click.option("--relay", "relay_url", metavar="WS_URL", help="Relay websocket URL.")
@click.option("--survey", required=True, metavar="ID_OR_SLUG", help="The survey to watch.")
@click.option("--after", type=int, default=0, show_default=True, help="Start after this seq.")
def watch(questra_url: str | None, relay_url: str | None, survey: str, after: int) -> None:
    """Watch a survey live on a real Questra and relay.

    The API key, org id and relay token come from QTUI_QUESTRA_API_KEY, QTUI_QUESTRA_ORG_ID
    and QTUI_RELAY_TOKEN, or from the config file.
    """
    if not _has_terminal():
        raise click.ClickException(NO_TTY)
    settings = _settings()
    url = questra_url or settings.questra.url
    relay = relay_url or settings.relay.url
    if not relay:
        raise click.ClickException(
            "No relay URL: pass --relay ws://HOST:PORT or set QTUI_RELAY_URL."
        )
    api_key = _secret(settings.questra.api_key)
    if not api_key:
        raise click.ClickException(
            "No Questra API key: set QTUI_QUESTRA_API_KEY (or questra.api_key in the config)."
        )
    from qtui.tui.sources import LiveSource

    source = LiveSource(
        questra_url=url,
        api_key=api_key,
        org_id=settings.questra.org_id,
        relay_ws_url=relay,
        relay_token=_secret(settings.relay.token),
        survey=survey,
        after=after,
    )
    _run(source, settings)


def _report_bad_lines(lines: list[Any]) -> int:
    bad = [line for line in lines if line.error is not None]
    for line in bad:
        click.echo(f"line {line.lineno}: {line.error} (skipped)", err=True)
    return len(bad)


def _replayed_store(lines: list[Any]) -> Any:
    from qtui.core.events import EventError, parse_event
    from qtui.core.store import SurveyStore

    store = SurveyStore()
    for line in lines:
        if line.envelope is None:
            continue
        try:
            store.apply(parse_event(line.envelope), line.survey_id)
        except EventError as exc:
            click.echo(f"line {line.lineno}: {exc} (skipped)", err=True)
    return store


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--print", "as_text", is_flag=True, help="Print the final survey tree as text.")
@click.option("--json", "as_json", is_flag=True, help="Print the final FullSurvey JSON.")
@click.option("--speed", type=float, default=1.0, show_default=True, help="Replay speed.")
@click.option("--survey", metavar="ID", help="Only this survey (default: the first one seen).")
def replay(file: Path, as_text: bool, as_json: bool, speed: float, survey: str | None) -> None:
    """Replay a recorded event stream (tree as text, JSON or TUI).

    In a terminal it opens the TUI: space plays or pauses, n or → steps, + and - change the
    speed. Piped, or with --print, it prints the survey tree as it stands at the end;
    --json prints the survey as FullSurvey JSON (an array if the file holds several).
    """
    from qtui.recording import read_stream

    if speed <= 0:
        raise click.BadParameter("must be more than 0", param_hint="--speed")
    lines = read_stream(file)
    if as_json or as_text or not _has_terminal():
        _print_replay(lines, survey, as_json)
        return
    from qtui.tui.sources import ReplaySource

    settings = _settings()
    source = ReplaySource.from_lines(lines, speed=speed)
    _run(source, settings, survey_id=survey)
    bad = [line for line in lines if line.error is not None]
    if bad:
        click.echo(f"{file}: {len(bad)} bad line(s) skipped:", err=True)
        _report_bad_lines(lines)


def _print_replay(lines: list[Any], survey: str | None, as_json: bool) -> None:
    from qtui.core.outline import outline

    _report_bad_lines(lines)
    store = _replayed_store(lines)
    ids = [survey] if survey else store.survey_ids()
    surveys = [s for s in (store.survey(i) for i in ids) if s is not None]
    if not surveys:
        what = f"survey {survey!r}" if survey else "any survey"
        raise click.ClickException(f"the recording holds no events for {what}.")
    if as_json:
        documents = [s.dump() for s in surveys]
        click.echo(json.dumps(documents[0] if len(documents) == 1 else documents, indent=2))
        return
    click.echo("\n\n".join(outline(s, store.progress(s.id)) for s in surveys))


@click.command(name="open")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def open_file(file: Path) -> None:
    """Open a FullSurvey JSON file to edit (w saves it atomically, keeping FILE.bak)."""
    if not _has_terminal():
        raise click.ClickException(NO_TTY)
    from qtui.editing.local import SurveyFile
    from qtui.tui.app import QtuiApp
    from qtui.tui.sources import FileSource

    try:
        survey = SurveyFile(file).load()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    settings = _settings()
    app = QtuiApp(FileSource(survey, str(file)), survey_id=str(survey["id"]), settings=settings)
    app.editing.open_file(file)
    app.run()
    if app.return_code:
        sys.exit(app.return_code)
