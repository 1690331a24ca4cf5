"""`qtui export SURVEY --qsf FILE` and `qtui import FILE.qsf (--to sandbox | --json)`.

Exit codes as `qtui push`: 0 done, 1 the platform refused or failed, 2 usage or
configuration error, 3 done with things that could not be expressed (listed on stderr).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click

from qtui.core.outline import item_title
from qtui.qualtrics.commands import (
    EXIT_FAILED,
    EXIT_ISSUES,
    EXIT_OK,
    EXIT_USAGE,
    _client,
    _fail,
    _fetch_from_questra,
    _read_survey_file,
    _settings,
    _survey_model,
)
from qtui.text import printable


@click.command("export")
@click.argument("survey")
@click.option(
    "--qsf",
    "qsf_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the compiled survey to this QSF file (Qualtrics' Import survey takes it).",
)
@click.option(
    "--for-sessions",
    is_flag=True,
    help="Compile for session walks: text blocks fold into their page's question.",
)
def export(survey: str, qsf_path: Path, for_sessions: bool) -> None:
    """Compile SURVEY (a FullSurvey JSON file, or a Questra survey id or slug) into a QSF.

    No Qualtrics token is needed: import the file in Qualtrics (Create project → Survey →
    Import a QSF file).
    """
    from qtui.qsf.export import to_qsf
    from qtui.qualtrics.compile import compile_survey

    path = Path(survey)
    if path.exists():
        data = _read_survey_file(path)
    else:
        try:
            data = asyncio.run(_fetch_from_questra(_settings(), survey))
        except Exception as error:  # noqa: BLE001 - any failure to fetch is one line to the user
            _fail(f"could not fetch survey {survey!r} from Questra: {error}", EXIT_FAILED)
    model = _survey_model(data, survey)
    compiled = compile_survey(model, for_sessions=for_sessions)
    document = to_qsf(compiled)
    try:
        qsf_path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    except OSError as error:
        _fail(f"could not write {qsf_path}: {error}; choose another path", EXIT_USAGE)
    questions = len(compiled.question_list())
    click.echo(
        f"Wrote {qsf_path}: {questions} questions in {len(compiled.blocks)} blocks "
        f"from {compiled.name!r}."
    )
    for issue in compiled.issues:
        title = item_title(model, issue.item_id)
        click.echo(printable(f"  {title}  [{issue.kind}]  {issue.reason}"), err=True)
    sys.exit(EXIT_ISSUES if compiled.issues else EXIT_OK)


@click.command("import")
@click.argument("qsf_file", metavar="FILE.qsf", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--to",
    "target",
    type=click.Choice(["sandbox"]),
    help="Load the survey as it is into the Qualtrics sandbox (QTUI_QUALTRICS_BASE_URL), "
    "publish and activate it, so `qtui qa` can walk it.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the survey as a Questra FullSurvey and what did not map, as JSON.",
)
def import_(qsf_file: Path, target: str | None, as_json: bool) -> None:
    """Read a QSF exported from Qualtrics: into the sandbox, or as a FullSurvey."""
    from qtui.qsf.convert import to_full_survey
    from qtui.qsf.document import QsfError, read

    if (target is None) == (not as_json):
        _fail("give one of --to sandbox or --json", EXIT_USAGE)
    try:
        document = read(qsf_file)
    except QsfError as error:
        _fail(str(error), EXIT_USAGE)
    if as_json:
        conversion = to_full_survey(document)
        unmapped = [{"where": u.where, "reason": u.reason} for u in conversion.unmapped]
        click.echo(json.dumps({"survey": conversion.survey, "unmapped": unmapped}, indent=2))
        for item in unmapped:
            click.echo(printable(f"  not mapped: {item['where']}  {item['reason']}"), err=True)
        sys.exit(EXIT_ISSUES if unmapped else EXIT_OK)
    survey_id = asyncio.run(_load_into_sandbox(document))
    name = document["SurveyEntry"].get("SurveyName") or qsf_file.stem
    click.echo(f"Imported {name!r} as {survey_id} (published and active).")


async def _load_into_sandbox(document: dict[str, Any]) -> str:
    from qtui.qualtrics.errors import QualtricsError

    client = _client(_settings(), json_mode=False)
    try:
        async with client:
            created = await client.import_qsf(document)
            await client.publish(created.SurveyID, "qtui import")
            await client.set_active(created.SurveyID, True)
            return created.SurveyID
    except QualtricsError as error:
        _fail(f"import failed: {error}", EXIT_FAILED)
        raise AssertionError from error  # unreachable: _fail exits
