"""Property: for random forward-routed surveys and random answers, the sandbox engine walking
the compiled Qualtrics flow shows the pages `qtui.core.routes.route()` predicts."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from qtui.core.models import Survey
from qtui.core.routes import route
from qtui.qualtrics.compile import compile_survey
from qtui.sandbox.qualtrics.engine import Session

VALUES = ["a", "b", "c"]


@st.composite
def surveys(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, str]]:
    count = draw(st.integers(2, 7))
    pages = []
    for i in range(count):
        rules = []
        for order in range(draw(st.integers(0, 2)) if i < count - 1 else 0):
            target = draw(st.integers(i + 1, count - 1))
            asked = draw(st.integers(0, i))
            kind = draw(st.sampled_from(["eq", "ne", "in", "and", "not", "always"]))
            value = draw(st.sampled_from(VALUES))
            other = draw(st.sampled_from(VALUES))
            condition = {
                "eq": f"q{asked + 1}.value == '{value}'",
                "ne": f"q{asked + 1} != '{value}'",
                "in": f"q{asked + 1} in ['{value}', '{other}']",
                "and": f"q{asked + 1} == '{value}' and q{i + 1} != '{other}'",
                "not": f"not (q{asked + 1} == '{value}' or q{i + 1} == '{other}')",
                "always": None,
            }[kind]
            rules.append(
                {
                    "id": f"r{i}-{order}",
                    "target_page_id": f"p{target}",
                    "condition": condition,
                    "order": order,
                }
            )
        pages.append(
            {
                "id": f"p{i}",
                "name": f"Page {i}",
                "order": i,
                "blocks": [
                    {
                        "id": f"b{i}",
                        "page_id": f"p{i}",
                        "order": 0,
                        "config": {
                            "type": "MultipleChoice",
                            "label": f"Q{i}",
                            "choices": [{"value": v, "label": v.upper()} for v in VALUES],
                        },
                    }
                ],
                "navigation_rules": rules,
            }
        )
    answers = {f"q{i + 1}": draw(st.sampled_from(VALUES)) for i in range(count)}
    return {"id": "random", "name": "Random", "pages": pages}, answers


def walk_compiled(data: dict[str, Any], answers: dict[str, str]) -> list[str]:
    survey = Survey.model_validate(data)
    compiled = compile_survey(survey)
    snapshot = {
        "Questions": {q.qid: q.definition for q in compiled.question_list()},
        "Blocks": {b.block_id: {**b.definition(), "ID": b.block_id} for b in compiled.blocks},
        "SurveyFlow": compiled.flow,
        "SurveyLanguage": "EN",
    }
    page_of = {q.qid: q.page_id for q in compiled.question_list()}
    tag_of = {q.qid: q.tag for q in compiled.question_list()}
    session = Session(
        "FS_test",
        "SV_test",
        snapshot,
        language="EN",
        embedded={},
        rng=random.Random(0),
        presentations=Counter(),
    )
    visited = []
    while not session.done:
        assert session.page is not None
        visited.append(page_of[session.page.questions[0]])
        responses = {}
        for qid in session.page.questions:
            choice = str(VALUES.index(answers[tag_of[qid]]) + 1)
            responses[qid] = {choice: {"selected": True}}
        session.answer(responses)
        session.advance()
    return visited


def predicted(data: dict[str, Any], answers: dict[str, str]) -> list[str]:
    """route()'s pages when only the pages seen have answers (as for a real respondent)."""
    survey = Survey.model_validate(data)
    given = dict(answers)
    while True:
        pages = [p.id for p in route(survey, given).pages]
        seen = {f"q{int(p[1:]) + 1}" for p in pages}
        narrowed = {k: v for k, v in answers.items() if k in seen}
        if narrowed == given:
            return pages
        given = narrowed


@settings(max_examples=300, deadline=None)
@given(surveys())
def test_compiled_flow_visits_the_pages_route_predicts(case):
    data, answers = case
    assert walk_compiled(data, answers) == predicted(data, answers)
