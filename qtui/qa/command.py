"""`qtui qa SV_…`: take a pushed survey — by hand in the TUI, scripted, or every route.

* `qtui qa SV_…` on a terminal opens the walkthrough screen;
* `--answers FILE` walks once with scripted answers and prints each page (and, when the
  source survey is known, checks the route against its prediction);
* `--cover` plans the fewest answer sets that cover every page, rule and outcome, walks them
  all and reports (`--junit`, `--markdown`, `--json`).

`--engine local` walks the definition fetched from the platform in the sandbox's engine
instead of through the sessions API (for surveys with questions sessions cannot take).
Exit codes: 0 all agree (and, with --cover, coverage complete); 1 a divergence or the
platform refused; 2 usage or configuration; 3 coverage incomplete.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click

from qtui.text import printable

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3


def _fail(message: str, code: int) -> None:
    click.echo(f"qtui: {message}", err=True)
    sys.exit(code)


class SourceError(ValueError):
    """The source survey cannot be found or read; `str()` is one line saying what to do.

    `exit_code` is 2 (usage) when the user must say more, 1 (failed) when a service failed.
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _survey_of(data: Any, where: str) -> Any:
    from pydantic import ValidationError

    from qtui.core.models import Survey
    from qtui.core.rule_placement import placement_problem

    if isinstance(data, dict) and "pages" not in data and isinstance(data.get("survey"), dict):
        data = data["survey"]  # the `{"survey": FullSurvey}` import form
    try:
        survey = Survey.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        at = ".".join(str(p) for p in first["loc"]) or "(top)"
        raise SourceError(f"{where} is not a valid survey: {at}: {first['msg']}") from None
    problem = placement_problem(survey, where)
    if problem is not None:
        raise SourceError(problem, EXIT_USAGE)
    return survey


def read_survey_file(source: str | None) -> tuple[Any, str] | None:
    """The survey in the file `--survey` names, read before anything is asked of a
    platform (so a mistyped or broken file is said first); None for a Questra survey id."""
    if source is None:
        return None
    path = Path(source)
    if not path.exists():
        if source.endswith(".json") or "/" in source or "\\" in source:
            raise SourceError(f"--survey {source}: no such file", EXIT_USAGE)
        return None  # a Questra survey id
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SourceError(f"cannot read {source} as JSON: {error}") from None
    return _survey_of(data, source), source


async def load_source(
    source: str | None, survey_id: str, settings: Any, base_url: str | None
) -> tuple[Any, str]:
    """The source survey (a `Survey`) and where it came from, for predictions."""
    from qtui.qa.source import pushed_to
    from qtui.qualtrics.commands import _fetch_from_questra

    from_file = read_survey_file(source)
    if from_file is not None:
        return from_file
    questra_id = source
    if questra_id is None:
        pushed = pushed_to(survey_id, base_url)
        if pushed is None:
            raise SourceError(
                f"qtui has no record of pushing {survey_id}; pass --survey FILE (a FullSurvey "
                "JSON) or a Questra survey id"
            )
        if pushed.survey is not None:
            return _survey_of(pushed.survey, "the push record"), f"what qtui pushed to {survey_id}"
        questra_id = pushed.questra_survey_id
        questra = getattr(settings, "questra", None)
        if not (getattr(questra, "api_key", None) and getattr(questra, "org_id", None)):
            # Pushed from a file, with no copy kept: only the user knows the file.
            raise SourceError(
                f"qtui kept no copy of what it pushed to {survey_id}: pass --survey FILE "
                "(the survey file that was pushed)"
            )
    try:
        data = await _fetch_from_questra(settings, questra_id)
    except SystemExit:
        raise SourceError(
            f"fetching {questra_id!r} from Questra needs QTUI_QUESTRA_API_KEY and "
            "QTUI_QUESTRA_ORG_ID; or pass --survey FILE"
        ) from None
    except Exception as error:  # noqa: BLE001 - any failure to fetch is one line
        raise SourceError(
            f"could not fetch survey {questra_id!r} from Questra: {error}; "
            "pass --survey FILE (the survey file that was pushed)",
            EXIT_FAILED,
        ) from None
    return _survey_of(data, questra_id), f"Questra survey {questra_id}"


def _read_first(source: str | None) -> tuple[Any, str] | None:
    """`read_survey_file`, ending the command with its message if the file is bad."""
    try:
        return read_survey_file(source)
    except SourceError as error:
        _fail(str(error), error.exit_code)
        raise  # not reached: _fail exits


def _blocked(survey_id: str, found: list[str]) -> str:
    listed = "\n".join(f"  {b}" for b in found)
    return (
        f"{survey_id} cannot be walked through the sessions API; {len(found)} "
        f"question{'s' if len(found) != 1 else ''} stand in the way:\n{listed}\n"
        "Run with --engine local to walk the platform's definition in the local engine."
    )


@click.command()
@click.argument("survey_id", metavar="SV_…")
@click.option(
    "--answers",
    "answers_path",
    type=click.Path(path_type=Path),
    help="Walk once with these answers: {name or QID: answer} or {answers, embeddedData}.",
)
@click.option("--cover", is_flag=True, help="Walk every route and check it against its prediction.")
@click.option(
    "--survey",
    "source",
    metavar="SRC",
    help="The source survey: a FullSurvey JSON file or a Questra id (default: what qtui pushed).",
)
@click.option(
    "--engine",
    type=click.Choice(["platform", "local"]),
    default="platform",
    show_default=True,
    help="platform: Qualtrics' sessions API; local: the platform's definition in qtui's engine.",
)
@click.option("--junit", "junit_path", type=click.Path(path_type=Path), help="Write JUnit XML.")
@click.option(
    "--markdown", "markdown_path", type=click.Path(path_type=Path), help="Write a Markdown report."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Walks at a time (--cover).",
)
@click.option(
    "--record",
    "record_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("qtui-walks"),
    show_default=True,
    help="Where the walkthrough screen records each walk.",
)
def qa(
    survey_id: str,
    answers_path: Path | None,
    cover: bool,
    source: str | None,
    engine: str,
    junit_path: Path | None,
    markdown_path: Path | None,
    as_json: bool,
    concurrency: int,
    record_dir: Path,
) -> None:
    """Take SV_… on Qualtrics: by hand, scripted (--answers), or every route (--cover)."""
    from qtui.qualtrics.commands import _settings

    settings = _settings()
    if cover:
        _cover(
            settings,
            survey_id,
            source,
            engine,
            junit_path,
            markdown_path,
            as_json,
            concurrency,
        )
    elif answers_path is not None:
        _scripted(settings, survey_id, answers_path, source, engine, as_json)
    else:
        _read_first(source)  # a bad --survey file is said here, not as "no source survey"
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            _fail(
                "the walkthrough screen needs a terminal; use --answers FILE or --cover for "
                "scripts",
                EXIT_USAGE,
            )
        from qtui.tui.qa_app import run_walkthrough

        sys.exit(run_walkthrough(settings, survey_id, source, engine, record_dir))


# --- --cover -----------------------------------------------------------------------------------


def _cover(
    settings: Any,
    survey_id: str,
    source: str | None,
    engine: str,
    junit_path: Path | None,
    markdown_path: Path | None,
    as_json: bool,
    concurrency: int,
) -> None:
    from qtui.qa.plan import plan_coverage
    from qtui.qa.report import json_report, markdown_report, text_report, write_junit
    from qtui.qa.run import (
        LocalTaker,
        PageLocator,
        PlatformTaker,
        WalkResult,
        blockers,
        run_coverage,
    )
    from qtui.qualtrics.commands import _client
    from qtui.qualtrics.errors import QualtricsError

    from_file = _read_first(source)

    async def run() -> Any:
        async with _client(settings, as_json) as client:
            definition = await client.get_definition(survey_id)
            blocking = blockers(definition)
            if engine == "platform" and blocking:
                _fail(_blocked(survey_id, blocking), EXIT_FAILED)
            survey, where = from_file or await load_source(
                source, survey_id, settings, client.base_url
            )
            plan = plan_coverage(survey)
            locator = PageLocator(survey, definition)
            if engine == "local":

                def make() -> Any:
                    return LocalTaker(definition)
            else:

                def make() -> Any:
                    return PlatformTaker(client, survey_id)

            if not as_json:
                label = "on the platform" if engine == "platform" else "in the local engine"
                click.echo(
                    f"  {len(plan.routes)} routes planned from {where}; walking {label}…",
                    err=True,
                )
            done = [0]

            def progress(result: WalkResult) -> None:
                done[0] += 1
                if not as_json:
                    verdict = (
                        "agrees" if result.agreed else "DIVERGED" if result.divergence else "error"
                    )
                    click.echo(
                        f"  {done[0]}/{len(plan.routes)} {result.route}: {verdict}", err=True
                    )

            before = client.requests_sent
            outcome = await run_coverage(
                plan, locator, make, concurrency=concurrency, progress=progress
            )
            outcome.blockers = blocking
            if engine == "platform":
                outcome.requests = client.requests_sent - before
            return outcome

    try:
        outcome = asyncio.run(run())
    except QualtricsError as error:
        _fail(f"route coverage failed: {error}", EXIT_FAILED)
    except SourceError as error:
        _fail(str(error), error.exit_code)
    if junit_path is not None:
        write_junit(outcome, junit_path)
    if markdown_path is not None:
        markdown_path.write_text(markdown_report(outcome), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(json_report(outcome), indent=2, ensure_ascii=False))
    else:
        click.echo(printable(text_report(outcome)))  # page names are survey text
    sys.exit(outcome.exit_code)


# --- --answers ---------------------------------------------------------------------------------


def _unknown_answers(answers: dict[str, Any], definition: Any, survey: Any) -> list[str]:
    """The answers' keys that name no question: neither a QID, an export tag (any case) nor,
    with the source survey, a reference name. A typo would otherwise leave a question
    unanswered and surface pages later as the platform's "requires a response"."""
    from qtui.core.models import reference_names

    known: set[str] = set()
    questions = definition.get("Questions") if isinstance(definition, dict) else None
    for qid, question in (questions or {}).items():
        known.add(str(qid).lower())
        if isinstance(question, dict) and question.get("DataExportTag"):
            known.add(str(question["DataExportTag"]).lower())
    if survey is not None:
        known |= {name.lower() for name in reference_names(survey).values()}
    return [key for key in answers if str(key).lower() not in known]


def _scripted(
    settings: Any,
    survey_id: str,
    answers_path: Path,
    source: str | None,
    engine: str,
    as_json: bool,
) -> None:
    from qtui.qa.plan import predict
    from qtui.qa.report import divergence_text
    from qtui.qa.run import LocalTaker, PageLocator, blockers, walk_route
    from qtui.qa.source import pushed_to
    from qtui.qualtrics.commands import _client, _print_walk, _read_answers
    from qtui.qualtrics.errors import QualtricsError
    from qtui.qualtrics.session import SessionDriver, WalkError, walkthrough

    answers, embedded, language = _read_answers(answers_path)
    from_file = _read_first(source)

    async def run() -> tuple[Any, Any, Any]:
        async with _client(settings, as_json) as client:
            definition = await client.get_definition(survey_id)
            pushed = pushed_to(survey_id, client.base_url)
            # Without --survey, the route is checked when qtui recorded what it pushed.
            known = source is not None or (pushed is not None and pushed.survey is not None)
            survey = None
            if from_file is not None:
                survey = from_file[0]
            elif known:
                survey, _ = await load_source(source, survey_id, settings, client.base_url)
            unknown = _unknown_answers(answers, definition, survey)
            if unknown:
                _fail(
                    f"answers {answers_path}: no question is named "
                    f"{', '.join(repr(name) for name in unknown)}; name a question by its "
                    "reference name (export tag) or its QID",
                    EXIT_USAGE,
                )
            blocking = blockers(definition)
            if engine == "local":
                if survey is None:
                    _fail(
                        "--engine local compares with the source survey: pass --survey FILE",
                        EXIT_USAGE,
                    )
                taker = LocalTaker(definition)
                locator = PageLocator(survey, definition)
                result = await walk_route(
                    taker, locator, predict(survey, answers), embedded=embedded
                )
                return None, result, locator
            if blocking:
                _fail(_blocked(survey_id, blocking), EXIT_FAILED)
            driver = SessionDriver(client, survey_id, definition=definition)
            walk = await walkthrough(driver, answers, language=language, embedded_data=embedded)
            if survey is None:
                return walk, None, None
            locator = PageLocator(survey, definition)
            taker = _ReplayTaker(walk)
            result = await walk_route(taker, locator, predict(survey, answers))
            return walk, result, locator

    try:
        walk, checked, locator = asyncio.run(run())
    except SourceError as error:
        _fail(str(error), error.exit_code)
    except WalkError as error:
        if as_json:
            click.echo(
                json.dumps(
                    {**error.walk.to_json(), "error": str(error)}, indent=2, ensure_ascii=False
                )
            )
        else:
            _print_walk(error.walk)
        _fail(str(error), EXIT_FAILED)
    except QualtricsError as error:
        _fail(f"walkthrough failed: {error}", EXIT_FAILED)
    route_json: dict[str, Any] | None = None
    message = None
    if checked is not None:
        from qtui.qa.plan import CoveragePlan

        survey_plan = CoveragePlan("", "", [], [], [], labels=dict(locator.names))
        names = " → ".join(locator.name(p) for p in checked.visited)
        if checked.divergence is not None:
            message = "DIVERGED: " + divergence_text(survey_plan, checked.divergence)
        elif checked.error is not None:
            message = f"ERROR: {checked.error}"
        else:
            message = f"Route agrees with the prediction ({checked.engine}): {names}"
        route_json = {
            "engine": checked.engine,
            "agreed": checked.agreed,
            "visited_pages": checked.visited,
            "expected_pages": checked.prediction.shown,
            "ending": checked.ending,
            "expected_ending": checked.prediction.disposition,
            "message": message,
        }
    if as_json:
        out = walk.to_json() if walk is not None else {}
        if route_json is not None:
            out["route"] = route_json
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        if walk is not None:
            _print_walk(walk)
        if message is not None:
            click.echo(printable(message))
    if checked is not None and not checked.agreed:
        sys.exit(EXIT_FAILED)


class _ReplayTaker:
    """Replays a finished scripted walk's pages so `walk_route` can check them: no requests."""

    label = "platform"

    def __init__(self, walk: Any) -> None:
        from qtui.qualtrics.payloads import SessionQuestion, SessionState

        self._states = [
            SessionState(
                questions=[
                    SessionQuestion(questionId=q["questionId"], type=q["type"])
                    for q in step.questions
                ]
            )
            for step in walk.steps
        ]
        self._states.append(SessionState(done=True))
        self._ending = walk.end_reason
        self._at = 0
        self.requests = 0

    async def start(self, embedded: Any = None) -> Any:
        return self._states[0]

    async def submit(self, responses: Any, *, advance: bool) -> Any:
        self._at += 1
        return self._states[self._at]

    async def close(self) -> Any:
        from qtui.qualtrics.payloads import SessionState

        return SessionState(done=True)

    async def disposition(self, state: Any) -> str:
        from qtui.qa.plan import ENDED
        from qtui.qa.run import disposition_from_record

        return disposition_from_record({"endReason": self._ending}) or ENDED
