"""`qtui push SURVEY --to qualtrics`, and the helpers `qtui qa` shares with it.

Progress and errors go to stderr, the report to stdout (`--json` for scripts).
Exit codes — push: 0 pushed, 1 push failed, 2 usage or configuration error, 3 pushed with
compile issues.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
from pydantic import ValidationError

from qtui.core.models import Survey
from qtui.core.outline import item_title
from qtui.exits import EXIT_FAILED, EXIT_ISSUES, EXIT_OK, EXIT_USAGE, fail
from qtui.jsonfile import JsonFileError, read_json_file
from qtui.text import printable


def _fail(message: str, code: int) -> NoReturn:
    fail(message, code)


def _settings() -> Any:
    from qtui.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as error:
        _fail(str(error), EXIT_USAGE)


def _client(settings: Any, json_mode: bool) -> Any:
    from qtui.qualtrics.client import QualtricsClient, RetryInfo
    from qtui.qualtrics.errors import ConfigurationError

    def on_retry(info: RetryInfo) -> None:
        if not json_mode:
            what = f"HTTP {info.status}" if info.status else info.reason
            click.echo(
                f"  retrying {info.method} after {what}: waiting {info.delay:.1f} s", err=True
            )

    try:
        return QualtricsClient.from_settings(settings, on_retry=on_retry)
    except ConfigurationError as error:
        _fail(str(error), EXIT_USAGE)


async def _fetch_from_questra(settings: Any, id_or_slug: str) -> dict[str, Any]:
    from qtui.questra.client import QuestraClient  # imported only when a survey is fetched

    questra = settings.questra
    api_key = questra.api_key.get_secret_value() if questra.api_key else ""
    if not api_key or not questra.org_id:
        _fail(
            f"{id_or_slug!r} is not a file, and fetching it from Questra needs "
            "QTUI_QUESTRA_API_KEY and QTUI_QUESTRA_ORG_ID",
            EXIT_USAGE,
        )
    client = QuestraClient(questra.url, api_key, questra.org_id)
    try:
        result = client.get_survey(id_or_slug)
        if inspect.isawaitable(result):
            result = await result
        return dict(result)
    finally:
        closing = getattr(client, "aclose", None)
        if closing is not None:
            await closing()


def _read_survey_file(path: Path) -> dict[str, Any]:
    try:
        data = read_json_file(path)
    except JsonFileError as error:
        _fail(str(error), EXIT_USAGE)
    if isinstance(data, dict) and "pages" not in data and isinstance(data.get("survey"), dict):
        data = data["survey"]  # the `{"survey": FullSurvey}` import form
    if not isinstance(data, dict):
        _fail(f"{path} does not hold a survey (a FullSurvey JSON object)", EXIT_USAGE)
    return data


def _survey_model(data: dict[str, Any], source: str) -> Any:
    from qtui.core.models import Survey
    from qtui.core.rule_placement import placement_problem

    try:
        model = Survey.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top)"
        _fail(f"{source} is not a valid survey: {where}: {first['msg']}", EXIT_USAGE)
    problem = placement_problem(model, source)
    if problem is not None:
        _fail(problem, EXIT_USAGE)
    return model


class _Progress:
    """Step lines on stderr: one when a step starts, then every tenth of a long step."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.step: str | None = None
        self.shown = -1

    def __call__(self, progress: Any) -> None:
        if not self.enabled:
            return
        if progress.step != self.step:
            self.step = progress.step
            self.shown = -1
        if progress.total <= 1:
            if progress.done == 0:
                click.echo(f"  {progress.step}…", err=True)
            return
        tenth = progress.done * 10 // progress.total
        if tenth != self.shown:
            self.shown = tenth
            click.echo(f"  {progress.step}: {progress.done}/{progress.total}", err=True)


def _count(parts: dict[str, int]) -> str:
    return ", ".join(f"{n} {what}" for what, n in parts.items())


def _print_report(report: Any, survey: Survey) -> None:
    name = survey.name or survey.id
    if report.dry_run and report.plan is not None:
        plan = report.plan
        click.echo(
            f"Dry run for {name!r} → "
            f"{report.qualtrics_survey_id or 'a new Qualtrics survey'} (nothing sent)"
        )
        click.echo(
            f"  would create: {len(plan.create_blocks)} blocks, "
            f"{len(plan.create_questions)} questions"
        )
        click.echo(
            f"  would update: {len(plan.update_questions)} questions "
            f"({len(plan.unchanged_questions)} unchanged)"
        )
        click.echo(
            f"  would delete: {len(plan.delete_blocks)} blocks, "
            f"{len(plan.delete_questions)} questions"
        )
        for label, items in (
            ("create", plan.create_questions),
            ("update", plan.update_questions),
            ("delete", plan.delete_questions),
        ):
            for item in items[:20]:
                title = item_title(survey, item)  # a deleted block is no longer there to name
                shown = printable(title) if title != item else f"block {item}"
                click.echo(f"    {label} question for {shown}")
            if len(items) > 20:
                click.echo(f"    … and {len(items) - 20} more to {label}")
    else:
        state = (
            ", ".join(
                part
                for part, on in (("published", report.published), ("activated", report.activated))
                if on
            )
            or "no change to publish"
        )
        click.echo(
            f"Pushed {name!r} to Qualtrics survey {report.qualtrics_survey_id} "
            f"(version {report.version_number or '?'}; {state})"
        )
        click.echo(
            f"  created: {_count(report.created)}; updated: {_count(report.updated)}; "
            f"deleted: {_count(report.deleted)}"
        )
        click.echo(
            f"  {report.requests} requests, {report.retries} retries, {report.duration:.2f} s"
        )
    if report.issues:
        click.echo(f"Compile issues ({len(report.issues)}):")
        for issue in report.issues:
            title = item_title(survey, issue.item_id)
            click.echo(printable(f"  {title}  [{issue.kind}]  {issue.reason}"))


@click.command()
@click.argument("survey")
@click.option(
    "--to",
    "platform",
    type=click.Choice(["qualtrics"]),
    default="qualtrics",
    show_default=True,
    help="The platform to push to.",
)
@click.option("--target", metavar="SV_…", help="Push into this existing Qualtrics survey.")
@click.option("--dry-run", is_flag=True, help="Print what would be created, updated, deleted.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--allow-routing-changes",
    is_flag=True,
    help="Push even if a navigation rule would be left out or a route would end elsewhere.",
)
@click.option(
    "--for-sessions",
    is_flag=True,
    help="Compile for session walks (qtui qa): text blocks fold into their page's question.",
)
def push(
    survey: str,
    platform: str,
    target: str | None,
    dry_run: bool,
    as_json: bool,
    allow_routing_changes: bool = False,
    for_sessions: bool = False,
) -> None:
    """Compile SURVEY (a FullSurvey JSON file, or a Questra survey id or slug) and push it.

    Re-pushing updates the same Qualtrics survey in place; a push that failed resumes.
    A push that would leave out a navigation rule, or change where a route ends since the
    last push, is refused (exit 3, nothing sent) unless --allow-routing-changes is given;
    --dry-run exits with the code the real push would have.
    """
    from qtui.qualtrics.client import api_base
    from qtui.qualtrics.errors import ConfigurationError, QualtricsError
    from qtui.qualtrics.push import dry_run_report, push_survey
    from qtui.qualtrics.state import PushState

    settings = _settings()
    path = Path(survey)
    if path.exists():
        data = _read_survey_file(path)
    else:
        try:
            data = asyncio.run(_fetch_from_questra(settings, survey))
        except Exception as error:  # noqa: BLE001 - any failure to fetch is one line to the user
            _fail(f"could not fetch survey {survey!r} from Questra: {error}", EXIT_FAILED)
    model = _survey_model(data, survey)
    if not allow_routing_changes:
        _refuse_routing_changes(model, settings, target, for_sessions)

    async def run() -> Any:
        if dry_run:
            base = settings.qualtrics.base_url
            try:
                key = api_base(base) if base else "(not configured)"
            except ConfigurationError:
                key = "(not configured)"
            return dry_run_report(
                model, PushState.load(model.id, key), target=target, for_sessions=for_sessions
            )
        client = _client(settings, as_json)
        async with client:
            state = PushState.load(model.id, client.base_url)
            return await push_survey(
                client,
                model,
                target=target,
                state=state,
                progress=_Progress(not as_json),
                for_sessions=for_sessions,
            )

    try:
        report = asyncio.run(run())
    except QualtricsError as error:
        _fail(f"push failed: {error}", EXIT_FAILED)
    except ValueError as error:  # an unreadable push state file
        _fail(str(error), EXIT_USAGE)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        _print_report(report, model)
    sys.exit(EXIT_ISSUES if report.issues else EXIT_OK)


def _refuse_routing_changes(
    model: Survey, settings: Any, target: str | None, for_sessions: bool = False
) -> None:
    """Exit 3, before anything is sent, if the push would change where respondents go."""
    from qtui.qualtrics.client import api_base
    from qtui.qualtrics.errors import ConfigurationError
    from qtui.qualtrics.push import dry_run_report
    from qtui.qualtrics.route_safety import route_changes
    from qtui.qualtrics.state import PushState, load_last_push

    try:
        key = api_base(settings.qualtrics.base_url or "")
    except ConfigurationError:
        key = "(not configured)"
    try:
        state = PushState.load(model.id, key)
        plan = dry_run_report(model, state, target=target, for_sessions=for_sessions)
    except ValueError as error:  # an unreadable push state file
        _fail(str(error), EXIT_USAGE)
    last = load_last_push(model.id, key)
    last_survey = Survey.model_validate(last.survey) if last is not None else None
    changes = route_changes(model, plan.issues, last_survey)
    if not changes:
        return
    click.echo("qtui: push refused: it would change where respondents go:", err=True)
    for change in changes:
        click.echo(f"  {change.reason}", err=True)
    click.echo(
        "Nothing was sent. Fix the rules, or pass --allow-routing-changes to push anyway.",
        err=True,
    )
    sys.exit(EXIT_ISSUES)


def _read_answers(path: Path) -> tuple[dict[str, Any], dict[str, Any], str]:
    try:
        data = read_json_file(path)
    except JsonFileError as error:
        _fail(f"answers {error}", EXIT_USAGE)
    if not isinstance(data, dict):
        _fail(f"{path} must hold a JSON object of answers (name or QID → value)", EXIT_USAGE)
    if "answers" in data and not isinstance(data["answers"], dict):
        _fail(f"{path}: answers must be an object (name or QID → value)", EXIT_USAGE)
    if isinstance(data.get("answers"), dict):
        embedded = data.get("embeddedData") or {}
        if not isinstance(embedded, dict):
            _fail(f"{path}: embeddedData must be an object", EXIT_USAGE)
        return data["answers"], embedded, str(data.get("language") or "EN")
    return data, {}, "EN"


def _show_answer(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def _print_walk(walk: Any) -> None:
    for step in walk.steps:
        click.echo(printable(f"Page {step.page}"))
        for q in step.questions:
            name = f" {q['tag']}" if q["tag"] else ""
            line = f"  {q['questionId']}{name} [{q['type']}]  {q['display'][:70]}"
            click.echo(printable(line))  # the question's text is survey text
            if q["type"] != "DB":
                click.echo(printable(f"      answer: {_show_answer(q['answer'])}"))
        if step.next:
            click.echo(printable(f"  → {step.next}"))
    if walk.done:
        reason = f" ({walk.end_reason})" if walk.end_reason else ""
        if walk.response_id:
            click.echo(f"Done: response {walk.response_id}{reason}")
        else:
            click.echo(f"Done: ended{reason} (the platform named no response)")
