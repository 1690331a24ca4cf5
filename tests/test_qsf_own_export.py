"""qtui reads back its own QSF export: the qtui_next_page routing becomes page rules again."""

from __future__ import annotations

from typing import Any

import pytest

from qtui.core.models import Survey
from qtui.core.routes import enumerate_routes, route, with_variables
from qtui.qsf.convert import to_full_survey
from qtui.qsf.export import to_qsf
from qtui.qsf.pointer import split_guard
from qtui.qualtrics.compile import compile_survey
from qtui.sandbox.questionnaires import csat, screener
from tests.qualtrics.surveys import csat_survey, materialize, screener_survey

SURVEYS = {  # the bundled questionnaires, and the compiler tests' small surveys
    "screener": lambda: materialize(screener.questionnaire()),
    "csat": lambda: materialize(csat.questionnaire()),
    "small-screener": screener_survey,
    "small-csat": csat_survey,
}


def round_trip(make) -> tuple[Survey, Survey, list[Any]]:
    original = Survey.model_validate(make())
    conversion = to_full_survey(to_qsf(compile_survey(original)))
    return original, Survey.model_validate(conversion.survey), conversion.unmapped


def fallthrough(survey: Survey, page: Any, rule: Any) -> bool:
    """An unconditional last rule to the next page by order: the same as no rule (the flow
    cannot tell them apart, and the import leaves it out)."""
    pages = sorted(survey.pages, key=lambda p: p.order)
    index = pages.index(page)
    following = pages[index + 1].id if index + 1 < len(pages) else None
    last = max(r.order for r in page.navigation_rules)
    return not rule.condition and rule.order == last and rule.target_page_id == following


def rules_by_name(survey: Survey) -> list[tuple[str, int, str | None, str | None]]:
    """Rules by page names; the id of a conditional rule (the flow writes an unconditional
    rule as a bare EmbeddedData element, which carries no id)."""
    names = {page.id: page.name for page in survey.pages}
    return sorted(
        (
            names[page.id],
            rule.order,
            names.get(rule.target_page_id or ""),
            rule.id if rule.condition else None,
        )
        for page in survey.pages
        for rule in page.navigation_rules
        if not fallthrough(survey, page, rule)
    )


def page_names(survey: Survey, ids: list[str]) -> list[str]:
    names = {page.id: page.name for page in survey.pages}
    return [names[i] for i in ids]


def rules_taken(survey: Survey, rule_ids: list[str]) -> list[tuple[str, int]]:
    """The rules taken, as (page name, order): unconditional rules carry no id in the flow."""
    where = {
        rule.id: (page.name, rule.order)
        for page in survey.pages
        for rule in page.navigation_rules
        if not fallthrough(survey, page, rule)
    }
    return [where[i] for i in rule_ids if i in where]


@pytest.mark.parametrize("name", sorted(SURVEYS))
def test_import_of_an_export_gives_back_the_navigation_rules(name):
    original, back, unmapped = round_trip(SURVEYS[name])
    assert sum(len(p.navigation_rules) for p in original.pages) > 0
    # Same rules: source and target pages (by name), order and (when conditional) id.
    assert rules_by_name(back) == rules_by_name(original)
    # Same pages in the same order, with the same endings.
    assert [(p.name, p.ends_survey) for p in back.pages] == [
        (p.name, p.ends_survey) for p in original.pages
    ]
    # What does not map is a short summary, never qtui's own routing fields.
    assert len(unmapped) <= 1, unmapped
    assert not any("qtui_next_page" in u.reason or u.where.startswith("FL_") for u in unmapped)


@pytest.mark.parametrize("name", sorted(SURVEYS))
def test_import_of_an_export_takes_the_same_routes(name):
    """Every distinct route of the original (and of the import) is taken alike by both:
    the conditions are equivalent, not just the rules' ends."""
    original, back, _ = round_trip(SURVEYS[name])
    if name == "screener":
        assert {v.name for v in back.variables} == {"is_heavy_viewer", "is_parent"}
    plans = enumerate_routes(original) + enumerate_routes(back)
    assert len(enumerate_routes(original)) > 1
    for plan in plans:
        a, b = route(original, plan.answers), route(back, plan.answers)
        assert page_names(original, a.page_ids) == page_names(back, b.page_ids), plan.answers
        assert rules_taken(original, a.rule_ids) == rules_taken(back, b.rule_ids), plan.answers
        assert a.ended == b.ended
        # Variables the flow computes come back with the same values.
        mine, theirs = with_variables(original, plan.answers), with_variables(back, plan.answers)
        for variable in back.variables:
            assert theirs[variable.name] == mine[variable.name], variable


def test_the_pointer_guard_is_dropped_from_every_group_of_a_rule():
    guard = {
        "LogicType": "EmbeddedField",
        "LeftOperand": "qtui_next_page",
        "Operator": "EqualTo",
        "RightOperand": "p2",
    }
    a = {"LogicType": "Question", "LeftOperand": "q://QID1/SelectableChoice/1"}
    b = {"LogicType": "Question", "LeftOperand": "q://QID1/SelectableChoice/2"}
    logic = {
        "Type": "BooleanExpression",
        "0": {"0": guard, "1": {**a, "Conjuction": "And"}, "Type": "If"},
        "1": {"0": {**guard, "Conjuction": "Or"}, "1": {**b, "Conjuction": "And"}, "Type": "If"},
    }
    page, rest = split_guard(logic)
    assert page == "p2"
    assert rest is not None
    assert rest["0"]["0"]["LeftOperand"] == a["LeftOperand"]
    assert rest["1"]["0"]["LeftOperand"] == b["LeftOperand"]
    assert rest["1"]["0"]["Conjuction"] == "Or"
    assert split_guard({"Type": "BooleanExpression", "0": {"0": guard}}) == ("p2", None)
