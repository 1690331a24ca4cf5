"""`qtui demo`, `qtui watch` and `qtui replay`: the commands that open the TUI.

Textual and the app are imported only once a command runs, so `qtui --help` stays quick.
Data goes to stdout, problems to stderr; without a terminal, demo and watch refuse with a
message instead of crashing, and replay prints the survey as text.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from qtui.text import one_line, printable

if TYPE_CHECKING:
    from qtui.config import Settings
    from qtui.tui.sources import EventSource


class _Speed(click.FloatRange):
    """A finite positive factor (a NaN or an infinity would stall or spin the clock)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


SPEED = _Speed(0, 10_000, min_open=True)
NO_TTY = "qtui needs a terminal; use `qtui replay FILE --print` or `--json` for scripts."


def _has_terminal() -> bool:
    # Under `qtui serve` the app talks to a browser through Textual's web driver, not a TTY.
    served = os.environ.get("TEXTUAL_DRIVER", "").endswith(":WebDriver")
    return served or (sys.stdin.isatty() and sys.stdout.isatty())


def _settings() -> Settings:
    from qtui.config import ConfigError, load_settings
    from qtui.exits import UsageFailure

    try:
        settings = load_settings()
    except ConfigError as exc:
        raise UsageFailure(str(exc)) from exc
    from qtui.tui import keys

    unknown = keys.unknown_ids(settings.keymap)
    if unknown:
        raise UsageFailure(f"keymap: {_unknown_binding(unknown[0])}")
    refused = keys.conflicts(settings.keymap)
    if refused:
        raise UsageFailure(f"keymap: {next(iter(refused.values()))}")
    if settings.theme != "qtui-dark":  # the default needs no check (and no Textual import)
        themes = _theme_names()
        if settings.theme not in themes:
            raise UsageFailure(
                f"theme: unknown theme '{one_line(settings.theme, 60)}'; "
                f"pick one of {', '.join(sorted(themes))}"
            )
    return settings


def _unknown_binding(binding_id: str) -> str:
    """A keymap id that names no binding, with the nearest id that does."""
    import difflib

    from qtui.tui import keys

    ids = [key.id for key in keys.KEYS]
    near = difflib.get_close_matches(binding_id, ids, n=1)
    hint = f"did you mean '{near[0]}'?" if near else "`?` in the app lists every binding id"
    return f"unknown binding id '{one_line(binding_id, 60)}'; {hint}"


def _theme_names() -> set[str]:
    from textual.theme import BUILTIN_THEMES

    from qtui.tui.themes import THEMES

    return set(BUILTIN_THEMES) | {theme.name for theme in THEMES}


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    getter = getattr(value, "get_secret_value", None)
    return getter() if getter else str(value)


def _run(source: EventSource, settings: Settings, survey_id: str | None = None) -> None:
    from qtui.tui.app import QtuiApp

    app = QtuiApp(source, survey_id=survey_id, settings=settings)
    app.run()
    if app.fatal_error:
        from qtui.exits import fail

        fail(app.fatal_error, app.return_code or 1)
    if app.return_code:
        sys.exit(app.return_code)


@click.command()
@click.option("--speed", type=SPEED, default=1.0, show_default=True, help="Programming speed.")
@click.option(
    "--seed", type=int, default=None, help="Seed of the run's ids and pacing (default: fresh)."
)
@click.option(
    "--questionnaire",
    type=click.Choice(["screener", "screener_sessions", "csat", "large"]),
    default="screener",
    show_default=True,
    help="Which questionnaire the sandbox programs.",
)
@click.option("--fail", is_flag=True, help="Make the programming job fail part-way.")
@click.option(
    "--fieldwork",
    "fieldwork_rate",
    type=click.FloatRange(min=0),
    default=2.0,
    show_default=True,
    metavar="RATE",
    help="Once pushed, simulated respondents a second through the survey (0: none).",
)
def demo(
    speed: float, seed: int | None, questionnaire: str, fail: bool, fieldwork_rate: float
) -> None:
    """Watch a survey being programmed live, on the embedded sandbox."""
    settings = _settings()  # a broken config is named first, terminal or not
    if not _has_terminal():
        raise click.ClickException(NO_TTY)
    from qtui.tui.sources import DemoSource

    source = DemoSource(
        speed=speed,
        seed=seed,
        questionnaire=questionnaire,
        fail=fail,
        fieldwork_rate=fieldwork_rate,
    )
    _run(source, settings)


@click.command()
@click.option("--questra", "questra_url", metavar="URL", help="Questra API base URL.")
@click.option("--relay", "relay_url", metavar="WS_URL", help="Relay websocket URL.")
@click.option("--survey", required=True, metavar="ID_OR_SLUG", help="The survey to watch.")
@click.option(
    "--after",
    type=click.IntRange(0, 2**63 - 1),
    default=0,
    show_default=True,
    help="Start after this seq.",
)
def watch(questra_url: str | None, relay_url: str | None, survey: str, after: int) -> None:
    """Watch a survey live on a real Questra and relay.

    The API key, org id and relay token come from QTUI_QUESTRA_API_KEY, QTUI_QUESTRA_ORG_ID
    and QTUI_RELAY_TOKEN, or from the config file.
    """
    settings = _settings()  # a broken config is named first, terminal or not
    if not _has_terminal():
        raise click.ClickException(NO_TTY)
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


class _BadLines:
    """Bad lines of a recording: the first few named, the rest counted, a non-recording refused.

    A file whose first `GIVE_UP` lines are all unreadable is not a recording (a log, a JSON
    document, a binary): the replay stops there with one line saying so, instead of
    listing every line of it.
    """

    SHOWN = 5
    GIVE_UP = 20

    def __init__(self, file: Path, *, quiet: bool = False) -> None:
        self.file = file
        self.quiet = quiet
        self.count = 0
        self.good = 0
        self.reasons: list[str] = []
        self.truncated: str | None = None  # the line saying the recording was cut off

    def add(self, lineno: int, reason: str, *, truncated: bool = False) -> None:
        from qtui.exits import UsageFailure
        from qtui.text import one_line

        self.count += 1
        if truncated and self.good:
            # Said whatever the count shown so far: the last thing a person reads.
            events = f"{self.good} event{'s' if self.good != 1 else ''}"
            self.truncated = (
                f"{self.file} line {lineno}: the recording looks truncated — its last line "
                f"ends mid-event with no newline ({one_line(reason, 120)}); the {events} "
                "before it were replayed"
            )
            if not self.quiet:
                click.echo(f"qtui: {self.truncated}", err=True)
            return
        if len(self.reasons) < self.SHOWN:
            self.reasons.append(f"{self.file} line {lineno}: {one_line(reason, 200)}")
            if not self.quiet and self.good:
                click.echo(f"qtui: {self.reasons[-1]} (skipped)", err=True)
        if self.good == 0 and self.count >= self.GIVE_UP:
            raise UsageFailure(
                f"{self.file} is not a recording: its first {self.GIVE_UP} lines are not "
                f"events ({self.reasons[0].split(': ', 1)[1]}); a recording holds one "
                "webhook body or relay frame (JSON) per line"
            )

    def finish(self) -> None:
        """At the end of the file: refuse it if not one line of it was an event (or it is empty)."""
        from qtui.exits import UsageFailure

        if not self.count and not self.good:
            raise UsageFailure(
                f"{self.file} holds no events (it is empty); a recording holds one webhook body "
                "or relay frame (JSON) per line"
            )
        if self.count and not self.good:
            raise UsageFailure(
                f"{self.file} is not a recording: none of its {self.count} lines is an event "
                f"({self.reasons[0].split(': ', 1)[1]}); a recording holds one webhook body "
                "or relay frame (JSON) per line"
            )

    def ok(self) -> None:
        """A line that is an event: from now on the file is a recording."""
        if not self.good and not self.quiet:
            for reason in self.reasons:  # held back until the file proved a recording
                click.echo(f"qtui: {reason} (skipped)", err=True)
        self.good += 1

    def report(self) -> None:
        """After the replay: every bad line shown (TUI), or the count of those not shown."""
        if self.quiet:
            for reason in self.reasons:
                click.echo(f"qtui: {reason} (skipped)", err=True)
            if self.truncated:
                click.echo(f"qtui: {self.truncated}", err=True)
        if self.count > len(self.reasons) + bool(self.truncated):
            click.echo(
                f"qtui: {self.file}: {self.count} bad lines skipped in all "
                f"(the first {len(self.reasons)} shown)",
                err=True,
            )


def _replayed_store(file: Path, bad: _BadLines) -> Any:
    """The store after every event of the recording, read line by line (never whole)."""
    from qtui.core.events import EventError, parse_event
    from qtui.core.ingest import ingesting
    from qtui.core.store import SurveyStore
    from qtui.recording import iter_stream

    store = SurveyStore()
    with ingesting():
        for line in iter_stream(file):
            if line.envelope is None:
                bad.add(line.lineno, line.error or "unreadable", truncated=line.truncated)
                continue
            try:
                event = parse_event(line.envelope)
            except EventError as exc:
                bad.add(line.lineno, str(exc))
                continue
            bad.ok()
            store.apply(event, line.survey_id)
    bad.finish()
    return store


def _check_recording(file: Path, bad: _BadLines) -> None:
    """Read until the first event: a file whose first lines are none is not a recording."""
    from qtui.core.events import EventError, parse_event
    from qtui.recording import iter_stream

    for line in iter_stream(file):
        if line.envelope is None:
            bad.add(line.lineno, line.error or "unreadable")
            continue
        try:
            parse_event(line.envelope)
        except EventError as exc:
            bad.add(line.lineno, str(exc))
            continue
        return
    bad.finish()


def _frame_window(file: Path, bad: _BadLines) -> Any:
    """The recording's frames for the screen, read as the replay reaches them."""
    from qtui.recording import count_lines, iter_stream
    from qtui.tui.sources import FrameWindow

    def seen(line: Any) -> None:
        if line.envelope is None:
            bad.add(line.lineno, line.error or "unreadable", truncated=line.truncated)
        else:
            bad.ok()

    return FrameWindow(iter_stream(file), count_lines(file), seen)


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--print", "as_text", is_flag=True, help="Print the final survey tree as text.")
@click.option("--json", "as_json", is_flag=True, help="Print the final FullSurvey JSON.")
@click.option("--speed", type=SPEED, default=1.0, show_default=True, help="Replay speed.")
@click.option("--survey", metavar="ID", help="Only this survey (default: the first one seen).")
def replay(file: Path, as_text: bool, as_json: bool, speed: float, survey: str | None) -> None:
    """Replay a recorded event stream (tree as text, JSON or TUI).

    In a terminal it opens the TUI: space plays or pauses, n or → steps, + and - change the
    speed. Piped, or with --print, it prints the survey tree as it stands at the end;
    --json prints the survey as FullSurvey JSON (an array if the file holds several).
    """
    from qtui.exits import EXIT_ISSUES

    if as_json and as_text:
        from qtui.exits import UsageFailure

        raise UsageFailure("--print and --json each print the survey: pick one")
    if as_json or as_text or not _has_terminal():
        bad = _BadLines(file)
        _print_replay(_replayed_store(file, bad), survey, as_json)
        bad.report()
    else:
        from qtui.tui.sources import ReplaySource

        settings = _settings()
        bad = _BadLines(file, quiet=True)
        _check_recording(file, bad)  # a file that is not one is refused before the screen opens
        bad = _BadLines(file, quiet=True)
        source = ReplaySource(_frame_window(file, bad), speed=speed)
        _run(source, settings, survey_id=survey)
        bad.report()
    if bad.count:
        sys.exit(EXIT_ISSUES)


def _print_replay(store: Any, survey: str | None, as_json: bool) -> None:
    from qtui.core.outline import outline

    ids = [survey] if survey else store.survey_ids()
    surveys = [s for s in (store.survey(i) for i in ids) if s is not None]
    if not surveys:
        deleted = [i for i in store.deleted_survey_ids() if survey in (None, i)]
        if deleted:  # the recording ends with its survey deleted: that is its result
            for survey_id in deleted:
                note = f"survey {one_line(survey_id, 80)}: deleted by the recording"
                click.echo(note, err=as_json)  # --json keeps stdout JSON: no survey is left
            if as_json:
                click.echo("[]")
            return
        from qtui.exits import UsageFailure

        what = f"survey {survey!r}" if survey else "any survey"
        raise UsageFailure(f"the recording holds no events for {what}.")
    if as_json:
        documents = [s.dump() for s in surveys]
        click.echo(json.dumps(documents[0] if len(documents) == 1 else documents, indent=2))
        return
    # survey text on the terminal: controls and bidi controls shown, as on the screen
    click.echo(printable("\n\n".join(outline(s, store.progress(s.id)) for s in surveys)))


@click.command(name="open")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def open_file(file: Path) -> None:
    """Open a FullSurvey JSON file to edit (w saves it atomically, keeping FILE.bak), or a
    QSF exported from Qualtrics (FILE.qsf) to read."""
    if file.suffix.lower() == ".qsf":
        if not _has_terminal():
            raise click.ClickException(NO_TTY)
        _open_qsf(file)
        return
    from qtui.editing.local import SurveyFile
    from qtui.exits import UsageFailure
    from qtui.tui.app import QtuiApp
    from qtui.tui.sources import FileSource

    try:
        survey = SurveyFile(file).load()
    except ValueError as exc:  # a file that is not a survey is a usage error, as for push
        raise UsageFailure(str(exc)) from exc
    problem = _rule_placement_problem(survey, file)
    if problem is not None:  # shown under one page, compiled from another: refused, as push
        raise UsageFailure(problem)
    if not _has_terminal():  # after the file check, so a script learns of a bad file first
        raise click.ClickException(NO_TTY)
    settings = _settings()
    app = QtuiApp(FileSource(survey, str(file)), survey_id=str(survey["id"]), settings=settings)
    app.editing.open_file(file)
    app.run()
    if app.return_code:
        sys.exit(app.return_code)


def _rule_placement_problem(document: dict[str, Any], file: Path) -> str | None:
    from pydantic import ValidationError

    from qtui.core.models import Survey
    from qtui.core.rule_placement import placement_problem

    try:
        survey = Survey.model_validate(document)
    except ValidationError:
        return None  # the screen reports what it cannot read, as before
    return placement_problem(survey, str(file))


def qsf_app(file: Path, settings: Any) -> tuple[Any, list[str]]:
    """The app showing a QSF read-only in the tree, and what of it did not map."""
    from qtui.qsf.convert import to_full_survey
    from qtui.qsf.document import QsfError, read
    from qtui.tui.app import QtuiApp
    from qtui.tui.sources import FileSource

    try:
        conversion = to_full_survey(read(file))
    except QsfError as exc:
        raise click.ClickException(str(exc)) from exc
    survey = conversion.survey
    app = QtuiApp(FileSource(survey, str(file)), survey_id=str(survey["id"]), settings=settings)
    app.editing.attach(None, QSF_READ_ONLY)
    return app, [f"{u.where}  {u.reason}" for u in conversion.unmapped]


QSF_READ_ONLY = "a QSF is read-only: `qtui import FILE.qsf --json` makes a FullSurvey to edit"


def _open_qsf(file: Path) -> None:
    app, unmapped = qsf_app(file, _settings())
    app.run()
    for line in unmapped:
        click.echo(f"qtui: not shown (did not map): {line}", err=True)
    if app.return_code:
        sys.exit(app.return_code)
