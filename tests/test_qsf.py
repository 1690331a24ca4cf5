"""QSF export and import: real exports (tests/fixtures/qsf) are the reference."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from qtui.cli import main
from qtui.core.models import Survey
from qtui.core.routes import route
from qtui.qsf.convert import to_full_survey
from qtui.qsf.document import questions
from qtui.qsf.export import to_qsf
from qtui.qualtrics.compile import compile_survey
from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.sandbox.qualtrics.walk import Session, walk
from qtui.serving import start_in_thread
from tests.qualtrics.conftest import mount
from tests.qualtrics.surveys import screener_survey

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "qsf"
REAL = sorted(FIXTURES.glob("*.qsf"))


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def plain(text: object) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", str(text or ""))).split())


MIXED = 99  # the first choice for a page's first question, the second for the others


def pick_answers(pick: int):
    """Answer every choice question with its `pick`-th shown choice (MIXED: see above),
    text with "text"."""

    def choose(session: Session) -> dict[str, Any]:
        out: dict[str, Any] = {}
        assert session.page is not None
        for position, qid in enumerate(session.page.questions):
            view = session.question_view(qid)
            wanted = (0 if position == 0 else 1) if pick == MIXED else pick
            if view["type"] == "TE":
                out[qid] = "text"
            elif view["type"] in ("MC", "NPS") and view["choices"]:
                index = wanted if wanted < 0 else min(wanted, len(view["choices"]) - 1)
                out[qid] = {view["choices"][index]["choiceId"]: {"selected": True}}
        return out

    return choose


def texts_route(document: dict[str, Any], pick: int) -> tuple[list[list[str]], str | None]:
    """The pages a walk shows, as the plain texts of their questions, and how it ended."""
    result = walk(document, pick_answers(pick), strict=False)
    assert result.session is not None
    shown = result.session._questions
    pages = [[plain(shown[q]["QuestionText"]) for q in page] for page in result.pages]
    return pages, result.end_reason


# --- export ----------------------------------------------------------------------------------


def test_export_has_the_structure_of_real_exports():
    document = to_qsf(compile_survey(Survey.model_validate(screener_survey())))
    real = load(FIXTURES / "sp_test_survey.qsf")
    assert set(document["SurveyEntry"]) == set(real["SurveyEntry"])
    kinds = [e["Element"] for e in document["SurveyElements"]]
    assert kinds[:2] == ["BL", "FL"] and "SO" in kinds and "SQ" in kinds
    assert set(kinds) <= {e["Element"] for e in real["SurveyElements"]}
    [sq] = [e for e in real["SurveyElements"] if e["Element"] == "SQ"][:1]
    for element in document["SurveyElements"]:
        assert set(element) == set(sq)  # SurveyID, Element, Primary/Secondary/TertiaryAttribute
    [bl] = [e["Payload"] for e in document["SurveyElements"] if e["Element"] == "BL"]
    assert [b["Type"] for b in bl][0] == "Default" and bl[-1]["Type"] == "Trash"
    flow = next(e["Payload"] for e in document["SurveyElements"] if e["Element"] == "FL")
    assert flow["Flow"][1] == {**flow["Flow"][1], "Type": "Block", "ID": bl[0]["ID"]}


@pytest.mark.parametrize(
    ("answers", "ending"),
    [
        ({"industry": "yes", "title": "x"}, "Screenout"),
        ({"industry": "no", "title": "x", "age": "u18"}, "Screenout"),
        ({"industry": "no", "title": "x", "age": "18-34", "nps": "9"}, "Completed"),
    ],
)
def test_exported_survey_loads_and_walks_the_routes_qtui_predicts(answers, ending):
    survey = Survey.model_validate(screener_survey())
    compiled = compile_survey(survey)
    document = to_qsf(compiled)
    tag_of = {q.qid: q.tag for q in compiled.question_list()}
    page_of = {q.qid: q.page_id for q in compiled.question_list()}

    def choose(session: Session) -> dict[str, Any]:
        out: dict[str, Any] = {}
        assert session.page is not None
        for qid in session.page.questions:
            value = answers.get(tag_of[qid])
            view = session.question_view(qid)
            if value is None or view["type"] == "DB":
                continue
            if view["type"] == "TE":
                out[qid] = value
            else:
                info = compiled.question_list()[
                    [q.qid for q in compiled.question_list()].index(qid)
                ]
                choices = info.definition.get("VariableNaming") or {}
                choices = {**(info.definition.get("RecodeValues") or {}), **choices}
                cid = next((c for c, v in choices.items() if v == value), value)
                out[qid] = {cid: {"selected": True}}
        return out

    result = walk(document, choose, strict=False)
    visited = [page_of[page[0]] for page in result.pages]
    predicted = [p.id for p in route(survey, answers).pages]
    assert visited == predicted and result.end_reason == ending


# --- import ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", REAL, ids=[p.stem for p in REAL])
def test_import_maps_every_question_or_says_why_not(path):
    document = load(path)
    conversion = to_full_survey(document)
    survey = Survey.model_validate(conversion.survey)
    imported = {b.id.split("-")[0] for b in survey.blocks()}
    named = {u.where for u in conversion.unmapped}
    in_flow = {
        e["QuestionID"]
        for element in document["SurveyElements"]
        if element["Element"] == "BL"
        for block in element["Payload"]
        if block.get("Type") != "Trash"
        for e in block.get("BlockElements", [])
        if e.get("Type") == "Question"
    }
    for qid in in_flow:
        assert qid in imported or qid in named, qid
    compiled = compile_survey(survey)  # the imported survey compiles back
    assert len(compiled.question_list()) == len(list(survey.blocks()))


@pytest.mark.parametrize("path", REAL, ids=[p.stem for p in REAL])
@pytest.mark.parametrize("pick", [0, 1, 2, -1, MIXED])
async def test_round_trip_walks_the_same_routes_as_the_original(path, pick):
    """import → FullSurvey → compile → export: the QSF loads and every walk shows the same
    pages as the original, less the questions the import lists as not mapped."""
    original = load(path)
    conversion = to_full_survey(original)
    dropped = {u.where for u in conversion.unmapped if u.where.startswith("QID")}
    dropped_texts = {
        plain(q["QuestionText"])
        for qid, q in questions(original).items()
        if qid in dropped and _reasons(conversion, qid).startswith("question ")
    }
    exported = to_qsf(compile_survey(Survey.model_validate(conversion.survey)))
    sandbox = QualtricsSandbox()  # the round-tripped QSF loads with no refusal
    transport = httpx.ASGITransport(app=mount(sandbox))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as api:
        created = await api.post(
            "/API/v3/survey-definitions", json=exported, headers={"X-API-TOKEN": sandbox.token}
        )
    assert created.status_code == 200, created.text
    pages, ending = texts_route(original, pick)
    expected = [kept for page in pages if (kept := [t for t in page if t not in dropped_texts])]
    again, again_ending = texts_route(exported, pick)
    assert again == expected and again_ending == ending


def _reasons(conversion: Any, where: str) -> str:
    return " ".join(u.reason for u in conversion.unmapped if u.where == where)


def test_import_of_branches_and_skip_logic_makes_page_rules():
    conversion = to_full_survey(load(FIXTURES / "survey_logic_everywhere.qsf"))
    pages = {p["id"]: p for p in conversion.survey["pages"]}
    first = pages["BL_0P1SjKivQSwVclT"]
    conditions = [(r["condition"], r["target_page_id"]) for r in first["navigation_rules"]]
    # Skip logic to the end of the survey, then the device-type branch around the block's
    # second showing.
    assert conditions == [
        ("Q3.value == '2' and not (Q1.value == '1') and not (Q2.value == '1')", "end-complete"),
        ("not (device_type == 'mobile')", "BL_0P1SjKivQSwVclT-r3"),
    ]
    assert pages["end-complete"]["assign_response_status"] == "complete"
    reasons = [u.reason for u in conversion.unmapped]
    assert any("BlockRandomizer" in r for r in reasons) and any("WebService" in r for r in reasons)


# --- the commands ----------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path: Path):
    sandbox = QualtricsSandbox()
    running = start_in_thread(mount(sandbox))
    try:
        yield (
            sandbox,
            {
                "QTUI_QUALTRICS_BASE_URL": running.url,
                "QTUI_QUALTRICS_TOKEN": sandbox.token,
                "XDG_DATA_HOME": str(tmp_path / "data"),
                "XDG_CONFIG_HOME": str(tmp_path / "config"),
            },
        )
    finally:
        running.stop()


def test_export_command_writes_a_qsf_the_sandbox_imports(env, tmp_path):
    sandbox, variables = env
    source = tmp_path / "s.json"
    source.write_text(json.dumps(screener_survey()))
    out = tmp_path / "s.qsf"
    result = CliRunner().invoke(main, ["export", str(source), "--qsf", str(out)], env=variables)
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.stdout
    imported = CliRunner().invoke(main, ["import", str(out), "--to", "sandbox"], env=variables)
    assert imported.exit_code == 0, imported.output
    [record] = sandbox.surveys.values()
    assert record.status == "Active" and record.published is not None
    assert {q["DataExportTag"] for q in record.questions.values()} >= {"industry", "age"}


def test_export_names_what_it_could_not_express_as_push_does(env, tmp_path):
    _, variables = env
    survey = screener_survey()
    survey["variables"] = [{"id": "v9", "name": "n_age", "expression": "count(age.value)"}]
    source = tmp_path / "s.json"
    source.write_text(json.dumps(survey))
    out = tmp_path / "s.qsf"
    result = CliRunner().invoke(main, ["export", str(source), "--qsf", str(out)], env=variables)
    assert result.exit_code == 3, result.output
    assert "  variable n_age  [variable]  variable 'n_age' = 'count(age.value)'" in result.stderr
    assert "v9" not in result.stderr


def test_import_json_prints_the_survey_and_what_did_not_map(env):
    _, variables = env
    path = FIXTURES / "sp_test_survey.qsf"
    result = CliRunner().invoke(main, ["import", str(path), "--json"], env=variables)
    assert result.exit_code == 3
    printed = json.loads(result.stdout)
    Survey.model_validate(printed["survey"])
    assert {u["where"] for u in printed["unmapped"]} >= {"QID22", "QID6", "QID16"}
    assert "not mapped: QID22" in result.stderr


def test_import_of_a_file_that_is_not_a_qsf_says_what_is_wrong(env, tmp_path):
    _, variables = env
    path = tmp_path / "x.qsf"
    path.write_text(json.dumps({"SurveyElements": []}))
    result = CliRunner().invoke(main, ["import", str(path), "--json"], env=variables)
    assert result.exit_code == 2
    assert "SurveyEntry is missing" in result.stderr


def test_import_of_a_fullsurvey_says_it_is_one_and_what_reads_it(env, tmp_path):
    _, variables = env
    path = tmp_path / "s.json"
    path.write_text(json.dumps(screener_survey()))
    for target in (["--json"], ["--to", "sandbox"]):
        result = CliRunner().invoke(main, ["import", str(path), *target], env=variables)
        assert result.exit_code == 2
        assert "this is a FullSurvey, not a QSF; `qtui open`" in result.stderr
        assert "export the survey again" not in result.stderr


@pytest.mark.parametrize("pick", [0, -1, MIXED])
def test_loop_and_merge_round_trips_static_and_question_loops(pick):
    """The excerpts' loop shapes on blocks of a real export: both loop after the round trip."""
    document = load(FIXTURES / "sp_test_survey.qsf")
    excerpts = json.loads((FIXTURES / "excerpts.json").read_text(encoding="utf-8"))
    [bl] = [e for e in document["SurveyElements"] if e["Element"] == "BL"]
    by_name = {b["Description"]: b for b in bl["Payload"]}
    by_name["Block 2"]["Options"] = excerpts["static_loop_options"]
    over_qid4 = json.loads(json.dumps(excerpts["question_loop_options"]).replace("QID13", "QID4"))
    by_name["Block 3"]["Options"] = over_qid4
    conversion = to_full_survey(document)
    survey = Survey.model_validate(conversion.survey)
    loops = [b.config for b in survey.blocks() if b.config.type == "Loop"]
    assert [loop.variable for loop in loops] == ["loop_BL_cZmBNWuCEsNWDPf", "Q4"]
    compiled = compile_survey(survey)
    assert [b.options.get("Looping") for b in compiled.blocks] == [
        None,
        None,
        "Static",
        "Question",
        None,
    ]
    dropped = {
        plain(q["QuestionText"])
        for qid, q in questions(document).items()
        if _reasons(conversion, qid).startswith("question ")
    }
    pages, ending = texts_route(document, pick)
    expected = [kept for page in pages if (kept := [t for t in page if t not in dropped])]
    again, again_ending = texts_route(to_qsf(compiled), pick)
    assert again == expected and again_ending == ending
    assert sum(1 for p in pages if "Form" in p) == 2  # the static loop ran twice


def test_import_takes_choice_values_from_variable_naming_and_export_tags():
    survey = Survey.model_validate(to_full_survey(load(FIXTURES / "sp_test_survey.qsf")).survey)
    configs = {b.id: b.config for b in survey.blocks()}
    coded = configs["QID19"]
    assert [(c.value, c.label) for c in coded.choices][:2] == [
        ("choice1", "Click to write Choice 1 (ordered 1st)"),
        ("choice3", "Click to write Choice 3 (ordered 2nd)"),
    ]
    grid = configs["QID5"]
    assert [r.value for r in grid.rows] == ["statement1", "statement2", "statement3", "other"]
    assert [c.value for c in grid.columns] == ["scale1", "scale2", "scale3", "scale.na"]
    assert [c.value for c in configs["QID15"].choices] == [str(i) for i in range(11)]
    assert configs["QID17"].type == "CardSort" and len(configs["QID17"].categories) == 3
    assert configs["QID23"].type == "Autosum" and configs["QID9"].type == "InputList"
