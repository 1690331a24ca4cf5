"""Route coverage planned from the source survey alone (pure)."""

from __future__ import annotations

import pytest

from qtui.core.models import Survey
from qtui.core.routes import enumerate_routes, route
from qtui.qa.plan import (
    COMPLETE,
    SCREENED_OUT,
    Target,
    complete_answers,
    plan_coverage,
    predict,
)
from tests.qa.conftest import bundled
from tests.qualtrics.surveys import block, choices, page


@pytest.mark.parametrize("name", ["csat", "screener", "screener_sessions"])
def test_the_bundled_questionnaires_are_covered_whole(name):
    survey = bundled(name)
    plan = plan_coverage(survey)
    covered = set().union(*(r.covers for r in plan.routes))
    assert plan.uncoverable == []
    for kind, (got, of) in plan.totals(covered).items():
        assert got == of > 0, kind
    # both outcomes of every conditional rule
    outcomes = [t for t in plan.targets if t.kind == "outcome"]
    assert len(outcomes) == 2 * sum(
        1 for p in survey.pages for r in p.navigation_rules if r.condition
    )


@pytest.mark.parametrize("name", ["screener", "screener_sessions"])
def test_no_planned_route_can_be_dropped(name):
    survey = bundled(name)
    plan = plan_coverage(survey)
    everything = set().union(*(r.covers for r in plan.routes))
    assert len(plan.routes) <= len(enumerate_routes(survey))
    for dropped in plan.routes:
        rest = set().union(*(r.covers for r in plan.routes if r is not dropped))
        assert rest != everything, f"{dropped.name} adds nothing"


def test_completed_answers_answer_every_shown_question_without_changing_the_route():
    survey = bundled("screener_sessions")
    for plan in enumerate_routes(survey):
        answers = complete_answers(survey, plan.answers)
        prediction = predict(survey, answers)
        names = {b.id: b.config.name for b in survey.blocks()}
        for page_id in prediction.shown:
            shown = next(p for p in survey.pages if p.id == page_id)
            for b in shown.blocks:
                if b.is_question and not b.config.showIf:
                    assert names[b.id] in answers, (page_id, names[b.id])
        assert all(plan.answers[k] == answers[k] for k in plan.answers)


def test_prediction_names_the_deciding_rule_the_outcomes_tried_and_the_disposition():
    survey = bundled("screener_sessions")
    rules = {r.condition: r.id for p in survey.pages for r in p.navigation_rules}
    industry_rule = rules["q3.value in ['market_research', 'advertising']"]
    age_rule = rules["q1.value in ['under_18']"]
    screened = predict(survey, {"q1": "18_24", "q2": "west", "q3": ["advertising"]})
    assert screened.disposition == SCREENED_OUT
    assert screened.shown[-1] == "p11"  # Terminate
    assert screened.decision_after("p3").rule_id == industry_rule
    assert (age_rule, False) in screened.decision_after("p1").tried
    assert Target("outcome", industry_rule, True) in screened.targets()
    complete = predict(survey, complete_answers(survey, {"q1": "18_24", "q7": "9"}))
    assert complete.disposition == COMPLETE
    assert "p7" not in complete.shown  # the detractor page is skipped for a promoter
    assert complete.shown == [p.id for p in route(survey, complete.answers).pages]


def test_a_page_whose_blocks_are_all_hidden_is_not_expected_on_screen():
    survey = Survey.model_validate(
        {
            "id": "s",
            "pages": [
                page(
                    "p1",
                    "One",
                    0,
                    [
                        block(
                            "b1",
                            "p1",
                            0,
                            type="MultipleChoice",
                            name="q1",
                            choices=choices(("a", "A"), ("b", "B")),
                        )
                    ],
                ),
                page(
                    "p2",
                    "Two",
                    1,
                    [block("b2", "p2", 0, type="TextInput", name="q2", showIf="q1.value == 'a'")],
                ),
                page("p3", "Three", 2, [block("b3", "p3", 0, type="Text", content="bye")]),
            ],
        }
    )
    assert predict(survey, {"q1": "b"}).shown == ["p1", "p3"]
    assert predict(survey, {"q1": "a", "q2": "x"}).shown == ["p1", "p2", "p3"]


def test_what_cannot_be_covered_is_named_with_the_reason():
    mc = {"type": "MultipleChoice", "name": "q1", "choices": choices(("a", "A"), ("b", "B"))}
    survey = Survey.model_validate(
        {
            "id": "s",
            "pages": [
                page(
                    "p1",
                    "Start",
                    0,
                    [block("b1", "p1", 0, **mc)],
                    [
                        ("p2", "q1.value == 'a' and q1.value == 'b'"),
                        ("p3", "q1.value == 'a' or q1.value != 'a'"),
                        ("p3", None),
                        ("p2", "q1.value == 'b'"),
                    ],
                ),
                page("p2", "Never", 1, [block("b2", "p2", 0, type="Text", content="x")]),
                page("p3", "End", 2, [block("b3", "p3", 0, type="Text", content="y")]),
            ],
        }
    )
    plan = plan_coverage(survey)
    why = {u.target.key: u.reason for u in plan.uncoverable}
    assert why["page:p2"].startswith("unreachable")
    assert why["outcome:p1-r0:true"].startswith("contradictory")
    assert why["outcome:p1-r1:false"].startswith("always true")
    assert "never tried" in why["rule:p1-r3"]
    assert all(u.proven for u in plan.uncoverable)
    covered = set().union(*(r.covers for r in plan.routes))
    assert all(t in covered for t in plan.goal)
