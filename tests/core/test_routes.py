"""Routes through pages and navigation rules, the graph checks, and route enumeration."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qtui.core.models import Survey
from qtui.core.routes import (
    RouteStep,
    analyze,
    enumerate_routes,
    route,
    untaken_rules,
    with_variables,
)

# --------------------------------------------------------------------------------------------
# building small surveys


def mc(
    block_id: str,
    values: list[str],
    *,
    name: str | None = None,
    multi: bool = False,
    show_if: str | None = None,
) -> dict:
    config: dict = {
        "type": "MultipleChoice",
        "label": block_id,
        "choices": [{"label": f"choice {v}", "value": v} for v in values],
        "allowMultiple": multi,
    }
    if name:
        config["name"] = name
    if show_if:
        config["showIf"] = show_if
    return {"id": block_id, "order": 0, "config": config}


def text_input(block_id: str, *, name: str | None = None) -> dict:
    config: dict = {"type": "TextInput", "label": block_id}
    if name:
        config["name"] = name
    return {"id": block_id, "order": 0, "config": config}


def rule(rule_id: str, target: str, condition: str | None = None, order: int = 0) -> dict:
    return {"id": rule_id, "target_page_id": target, "condition": condition, "order": order}


def page(
    page_id: str, order: int, blocks: list[dict] | None = None, rules: list[dict] | None = None
) -> dict:
    for i, block in enumerate(blocks or []):
        block["order"] = i
    return {
        "id": page_id,
        "name": page_id.title(),
        "order": order,
        "blocks": blocks or [],
        "navigation_rules": rules or [],
    }


def survey(*pages: dict, variables: list[dict] | None = None, **extra: object) -> Survey:
    return Survey.model_validate(
        {"id": "s1", "name": "Test", "pages": list(pages), "variables": variables or [], **extra}
    )


def variable(variable_id: str, name: str, expression: str | None) -> dict:
    return {"id": variable_id, "name": name, "expression": expression}


def screener() -> Survey:
    """Age screener: under 18 terminates, 65+ goes to a senior module, the rest to main."""
    return survey(
        page(
            "screen",
            0,
            [mc("b_age", ["1", "2", "3"])],
            [
                rule("r_minor", "term", "q1.value == '1'", order=0),
                rule("r_senior", "senior", "q1.value == '3'", order=1),
            ],
        ),
        page("main", 1, [text_input("b_why")], [rule("r_main_done", "end")]),
        page("senior", 2, [], [rule("r_senior_done", "end")]),
        page("term", 3),
        page("end", 4),
    )


# --------------------------------------------------------------------------------------------
# route()


def test_no_rule_true_falls_through_to_the_next_page_by_order_not_list_position() -> None:
    s = survey(page("c", 2), page("a", 0), page("b", 1))
    r = route(s, {})
    assert r.page_ids == ["a", "b", "c"]
    assert r.ended == "end"
    assert r.steps == [
        RouteStep("a", None, "b"),
        RouteStep("b", None, "c"),
        RouteStep("c", None, None),
    ]


def test_first_true_rule_by_order_wins_whatever_its_list_position() -> None:
    s = survey(
        page(
            "a",
            0,
            [mc("b1", ["1", "2"])],
            [
                rule("late", "c", "q1.value >= 1", order=5),
                rule("early", "b", "q1.value == 2", order=1),
            ],
        ),
        page("b", 1, [], [rule("b_end", "d")]),
        page("c", 2, [], [rule("c_end", "d")]),
        page("d", 3),
    )
    assert route(s, {"q1": "2"}).page_ids == ["a", "b", "d"]
    assert route(s, {"q1": "1"}).page_ids == ["a", "c", "d"]
    assert route(s, {"q1": "2"}).rule_ids == ["early", "b_end"]


def test_terminate_rule_sends_the_respondent_to_the_end_page() -> None:
    s = screener()
    assert route(s, {"q1": "1"}).page_ids == ["screen", "term", "end"]
    assert route(s, {"q1": "2"}).page_ids == ["screen", "main", "end"]
    assert route(s, {"q1": "3"}).page_ids == ["screen", "senior", "end"]
    assert route(s, {}).page_ids == ["screen", "main", "end"]


def test_missing_or_blank_condition_always_fires() -> None:
    s = survey(
        page("a", 0, [], [rule("blank", "c", "   ", order=0), rule("other", "b", None, order=1)]),
        page("b", 1),
        page("c", 2),
    )
    assert route(s, {}).steps[0] == RouteStep("a", "blank", "c")


def test_rule_whose_condition_does_not_parse_is_never_taken() -> None:
    s = survey(
        page("a", 0, [], [rule("broken", "c", "q1.value = '1'")]),
        page("b", 1),
        page("c", 2),
    )
    assert route(s, {"q1": "1"}).page_ids == ["a", "b", "c"]


def test_first_page_id_chooses_where_the_route_starts() -> None:
    s = survey(page("a", 0), page("b", 1), first_page_id="b")
    assert route(s, {}).page_ids == ["b"]
    s = survey(page("a", 0), page("b", 1), first_page_id="gone")
    assert route(s, {}).page_ids == ["a", "b"]


def test_variable_computed_from_answers_drives_a_condition() -> None:
    s = survey(
        page(
            "a",
            0,
            [mc("b_age", ["1", "2", "3", "4"])],
            [
                rule("teen", "teens", "isTeenager"),
            ],
        ),
        page("adults", 1, [], [rule("done", "end")]),
        page("teens", 2),
        page("end", 3),
        variables=[variable("v1", "isTeenager", "q1.value in ['1', '2']")],
    )
    assert route(s, {"q1": "2"}).page_ids == ["a", "teens", "end"]
    assert route(s, {"q1": "3"}).page_ids == ["a", "adults", "end"]


def test_variables_see_earlier_ones_and_an_explicit_answer_wins() -> None:
    s = survey(
        page("a", 0),
        variables=[
            variable("v1", "score", "q1.value"),
            variable("v2", "high", "score >= 4"),
            variable("v3", "early", "later == 1"),
            variable("v4", "later", "1"),
            variable("v5", "broken", "q1 =="),
        ],
    )
    ns = with_variables(s, {"q1": "5"})
    assert ns["score"] == "5"
    assert ns["high"] is True
    assert ns["early"] is True  # `later` is computed first: dependencies decide, not list order
    assert ns["later"] == 1
    assert ns["broken"] is None
    assert with_variables(s, {"q1": "5", "score": "1"})["high"] is False


def test_revisiting_a_page_stops_the_route_as_a_cycle() -> None:
    s = survey(
        page("a", 0),
        page("b", 1, [], [rule("back", "a", "true")]),
        page("c", 2),
    )
    r = route(s, {})
    assert r.ended == "cycle"
    assert r.page_ids == ["a", "b"]
    assert r.steps[-1] == RouteStep("b", "back", "a")


def test_rule_to_a_missing_page_ends_the_route_as_a_dead_end() -> None:
    s = survey(page("a", 0, [], [rule("lost", "nowhere")]), page("b", 1))
    r = route(s, {})
    assert r.ended == "dead_end"
    assert r.steps == [RouteStep("a", "lost", None)]


def test_empty_survey_has_an_empty_route() -> None:
    r = route(survey(), {})
    assert (r.pages, r.ended, r.steps) == ([], "end", [])


# --------------------------------------------------------------------------------------------
# analyze()


def kinds(result) -> list[tuple[str, str]]:
    return [(f.kind, f.item_id) for f in result.findings]


def test_a_sound_survey_has_no_findings() -> None:
    result = analyze(screener())
    assert result.ok, result.findings
    assert result.unreachable == [] and result.dead_ends == [] and result.cycles == []


def test_page_skipped_by_an_unconditional_rule_is_unreachable() -> None:
    s = survey(
        page("a", 0, [], [rule("skip", "c")]),
        page("b", 1),
        page("c", 2),
    )
    result = analyze(s)
    assert result.unreachable == ["b"]
    assert ("unreachable", "b") in kinds(result)


def test_conditional_rule_keeps_the_fall_through_reachable() -> None:
    s = survey(
        page("a", 0, [mc("b1", ["1"])], [rule("maybe", "c", "q1.value == '1'")]),
        page("b", 1),
        page("c", 2),
    )
    assert analyze(s).unreachable == []


def test_loop_without_exit_makes_dead_ends_and_a_cycle() -> None:
    s = survey(
        page("a", 0),
        page("b", 1, [], [rule("to_c", "c")]),
        page("c", 2, [], [rule("to_b", "b")]),
        page("d", 3),
    )
    result = analyze(s)
    assert result.dead_ends == ["a", "b", "c"]
    assert result.cycles == [["b", "c"]]
    assert result.unreachable == ["d"]
    cycle = next(f for f in result.findings if f.kind == "cycle")
    assert cycle.message == "pages loop: 'B' → 'C' → 'B'"


def test_loop_with_an_exit_is_a_cycle_but_not_a_dead_end() -> None:
    s = survey(
        page("a", 0, [mc("b1", ["1", "2"])]),
        page("b", 1, [], [rule("again", "a", "q1.value == '1'")]),
        page("c", 2),
    )
    result = analyze(s)
    assert result.cycles == [["a", "b"]]
    assert result.dead_ends == []


def test_self_loop_is_a_cycle() -> None:
    s = survey(page("a", 0, [mc("b1", ["1"])], [rule("self", "a", "q1 == '1'")]), page("b", 1))
    assert analyze(s).cycles == [["a"]]


def test_rule_to_a_missing_page_is_reported_and_can_make_a_dead_end() -> None:
    s = survey(page("a", 0, [], [rule("lost", "gone")]), page("b", 1))
    result = analyze(s)
    assert ("unknown_target", "lost") in kinds(result)
    assert result.dead_ends == ["a"]


def test_names_that_no_question_or_variable_has_are_unknown_references() -> None:
    s = survey(
        page(
            "a",
            0,
            [
                mc("b1", ["1"]),
                mc("b2", ["1"], name="age", show_if="q9.value == '1' or q1 == '1'"),
                {"id": "loop", "config": {"type": "Loop", "variable": "brands", "blocks": []}},
            ],
            [rule("r1", "b", "age.value == '1' and Q1.value == '1'")],
        ),
        page("b", 1),
        variables=[variable("v1", "combo", "q2 == '1' or age == '2'")],
    )
    result = analyze(s)
    assert result.unknown_references == {
        "r1": ["Q1"],
        "b2": ["q9"],
        "loop": ["brands"],
        "v1": ["q2"],  # the second question is called `age`, not q2
    }
    assert ("unknown_reference", "r1") in kinds(result)
    message = next(f.message for f in result.findings if f.item_id == "r1")
    assert message == "condition reads 'Q1', which no question or variable is called"


def test_syntax_errors_are_reported_per_item_with_their_column() -> None:
    s = survey(
        page(
            "a", 0, [mc("b1", ["1"], show_if="q1.value ==")], [rule("r1", "b", "(q1.value == '1'")]
        ),
        page("b", 1),
        variables=[variable("v1", "x", "count(q1, q1)")],
    )
    result = analyze(s)
    assert set(result.parse_errors) == {"r1", "b1", "v1"}
    assert result.parse_errors["r1"].column == 17
    assert result.parse_errors["b1"].column == 12
    assert result.parse_errors["v1"].column == 1
    finding = next(f for f in result.findings if f.item_id == "r1")
    assert finding.kind == "parse_error"
    assert finding.message == "condition: expected ')', but the expression ended at column 17"


def test_rules_that_can_never_be_taken_are_reported() -> None:
    s = survey(
        page(
            "a",
            0,
            [],
            [
                rule("never", "c", "1 == 2", order=0),
                rule("always", "b", "true", order=1),
                rule("shadowed", "c", "q1 == '1'", order=2),
            ],
        ),
        page("c", 1),
        page("b", 2),
    )
    result = analyze(s)
    assert [(f.kind, f.item_id) for f in result.findings if f.kind == "never_taken"] == [
        ("never_taken", "never"),
        ("never_taken", "shadowed"),
    ]
    assert result.unreachable == ["c"]


def test_variables_that_read_each_other_are_reported_as_a_cycle() -> None:
    s = survey(
        page("a", 0),
        variables=[
            variable("v1", "early", "later == 1"),
            variable("v2", "later", "early"),
            variable("v3", "fine", "1"),
        ],
    )
    result = analyze(s)
    assert kinds(result) == [("variable_cycle", "v1"), ("variable_cycle", "v2")]
    assert with_variables(s, {})["fine"] == 1


def test_two_blocks_with_one_name_are_reported() -> None:
    s = survey(page("a", 0, [mc("b1", ["1"], name="age"), mc("b2", ["1"], name="age")]))
    assert kinds(analyze(s)) == [("duplicate_name", "b2")]


# --------------------------------------------------------------------------------------------
# enumerate_routes()


def test_enumeration_covers_every_branch_of_a_three_way_screener() -> None:
    s = screener()
    plans = enumerate_routes(s)
    assert sorted(p.page_ids for p in plans) == [
        ["screen", "main", "end"],
        ["screen", "senior", "end"],
        ["screen", "term", "end"],
    ]
    assert untaken_rules(s, plans) == []
    by_path = {tuple(p.page_ids): p.answers for p in plans}
    assert by_path[("screen", "term", "end")] == {"q1": "1"}
    assert by_path[("screen", "senior", "end")] == {"q1": "3"}


def test_every_plan_answers_take_its_route() -> None:
    s = screener()
    for plan in enumerate_routes(s):
        walked = route(s, plan.answers)
        assert walked.page_ids == plan.page_ids
        assert walked.steps == plan.steps
        assert walked.ended == plan.ended


def test_enumeration_finds_free_text_branches_from_condition_literals() -> None:
    s = survey(
        page(
            "a",
            0,
            [text_input("b_age", name="age")],
            [
                rule("minor", "stop", "age.value < 18"),
                rule("exact", "bonus", "age.value == '40'", order=1),
            ],
        ),
        page("main", 1, [], [rule("done", "end")]),
        page("bonus", 2, [], [rule("bonus_done", "end")]),
        page("stop", 3),
        page("end", 4),
    )
    plans = enumerate_routes(s)
    assert untaken_rules(s, plans) == []
    for plan in plans:
        assert route(s, plan.answers).page_ids == plan.page_ids
        assert all(isinstance(v, str) for v in plan.answers.values())  # text answers stay text


def test_enumeration_handles_multi_select_conditions() -> None:
    s = survey(
        page(
            "a",
            0,
            [mc("b1", ["a", "b", "c"], multi=True)],
            [
                rule("many", "m", "count(q1) >= 2", order=0),
                rule("has_b", "hb", "contains(q1.values, 'b')", order=1),
            ],
        ),
        page("none", 1, [], [rule("n_end", "end")]),
        page("m", 2, [], [rule("m_end", "end")]),
        page("hb", 3, [], [rule("hb_end", "end")]),
        page("end", 4),
    )
    plans = enumerate_routes(s)
    assert untaken_rules(s, plans) == []
    assert len(plans) == 3


def test_enumeration_reads_through_variables_and_matrix_rows() -> None:
    s = survey(
        page(
            "a",
            0,
            [
                {
                    "id": "grid",
                    "config": {
                        "type": "Matrix",
                        "label": "Rate",
                        "rows": [
                            {"label": "Price", "value": "price"},
                            {"label": "Speed", "value": "speed"},
                        ],
                        "columns": [{"label": str(n), "value": str(n)} for n in range(1, 6)],
                    },
                },
            ],
            [rule("unhappy", "why", "unhappy")],
        ),
        page("thanks", 1, [], [rule("done", "end")]),
        page("why", 2, [], [rule("why_done", "end")]),
        page("end", 3),
        variables=[variable("v1", "unhappy", "q1.price <= 2 and q1.speed <= 2")],
    )
    plans = enumerate_routes(s)
    assert untaken_rules(s, plans) == []
    unhappy = next(p for p in plans if "why" in p.page_ids)
    assert route(s, unhappy.answers).page_ids == ["a", "why", "end"]


def test_question_read_on_two_pages_keeps_values_apart_for_the_later_rule() -> None:
    # page a sends both '1' and '2' to b; only on b does '2' branch off, so a must not
    # collapse them into one example
    s = survey(
        page("a", 0, [mc("b1", ["1", "2", "3"])], [rule("ok", "b", "q1.value in ['1', '2']")]),
        page("x", 1, [], [rule("x_end", "end")]),
        page("b", 2, [], [rule("two", "c", "q1.value == '2'")]),
        page("b2", 3, [], [rule("b2_end", "end")]),
        page("c", 4, [], [rule("c_end", "end")]),
        page("end", 5),
    )
    plans = enumerate_routes(s)
    assert untaken_rules(s, plans) == []
    assert sorted(p.page_ids for p in plans) == [
        ["a", "b", "b2", "end"],
        ["a", "b", "c", "end"],
        ["a", "x", "end"],
    ]


def test_enumeration_reports_cycles_and_dead_ends_as_plans() -> None:
    s = survey(
        page(
            "a",
            0,
            [mc("b1", ["1", "2", "3"])],
            [
                rule("loop", "a", "q1.value == '1'", order=0),
                rule("lost", "gone", "q1.value == '2'", order=1),
            ],
        ),
        page("b", 1),
    )
    endings = {p.ended: p for p in enumerate_routes(s)}
    assert set(endings) == {"cycle", "dead_end", "end"}
    assert endings["cycle"].answers == {"q1": "1"}
    assert endings["dead_end"].answers == {"q1": "2"}


def test_enumeration_stops_at_the_limit() -> None:
    pages = [
        page(
            f"p{i}", i, [mc(f"b{i}", ["1", "2"])], [rule(f"r{i}", f"p{i + 2}", f"q{i + 1} == '1'")]
        )
        for i in range(8)
    ]
    s = survey(*pages, page("p8", 8), page("p9", 9))
    assert len(enumerate_routes(s, limit=5)) == 5
    assert len(enumerate_routes(s, limit=1000)) > 5
    assert enumerate_routes(s, limit=0) == []


def test_enumeration_of_an_empty_survey_is_empty() -> None:
    assert enumerate_routes(survey()) == []


def test_rule_leading_where_the_fall_through_goes_still_gets_its_own_plan() -> None:
    s = survey(
        page("a", 0, [mc("b1", ["1", "2"])], [rule("same_way", "b", "q1.value == '2'")]),
        page("b", 1),
    )
    plans = enumerate_routes(s)
    assert untaken_rules(s, plans) == []
    assert [p.page_ids for p in plans] == [["a", "b"], ["a", "b"]]
    assert sorted(p.rule_ids for p in plans) == [[], ["same_way"]]


def test_enumeration_finds_autosum_totals_and_text_lengths_from_literals() -> None:
    s = survey(
        page(
            "a",
            0,
            [
                {
                    "id": "alloc",
                    "config": {
                        "type": "Autosum",
                        "label": "Split 100",
                        "items": [
                            {"label": "Rent", "value": "rent"},
                            {"label": "Food", "value": "food"},
                        ],
                    },
                },
                text_input("b_why"),
            ],
            [
                rule("full", "c", "sum(q1) == 100", order=0),
                rule("wordy", "c", "len(q2) > 20", order=1),
            ],
        ),
        page("b", 1),
        page("c", 2),
    )
    plans = enumerate_routes(s)
    assert untaken_rules(s, plans) == []
    for plan in plans:
        assert route(s, plan.answers).steps == plan.steps


def test_budget_bounds_the_search_and_plans_stay_truthful() -> None:
    pages = [
        page(
            f"p{i}",
            i,
            [mc(f"b{i}", ["1", "2", "3"])],
            [rule(f"r{i}", f"p{i + 2}", f"q{i + 1} == '1' or q1 == '{i % 3 + 1}'")],
        )
        for i in range(20)
    ]
    s = survey(*pages, page("p20", 20), page("p21", 21))
    plans = enumerate_routes(s, budget=300)
    assert 0 < len(plans) < 1000
    for plan in plans:
        assert route(s, plan.answers).steps == plan.steps


_CONDITIONS = [
    None,
    "q1.value == '1'",
    "q1.value in ['2', '3']",
    "q2.value != '1' and q1.value == '2'",
    "contains(q3, 'b')",
    "count(q3) >= 2",
    "flag",
    "q9 == 'x'",
    "q1.value ==",
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 5), st.sampled_from(_CONDITIONS)), max_size=3),
        min_size=1,
        max_size=5,
    )
)
def test_random_surveys_route_analyze_and_enumerate_consistently(layout) -> None:
    pages = []
    for i, rules in enumerate(layout):
        blocks = [mc(f"b{i}", ["1", "2", "3"])] if i < 2 else []
        if i == 2:
            blocks = [mc("b2", ["a", "b", "c"], multi=True)]
        pages.append(
            page(
                f"p{i}",
                i,
                blocks,
                [rule(f"r{i}_{k}", f"p{t}", c, order=k) for k, (t, c) in enumerate(rules)],
            )
        )
    s = survey(*pages, variables=[variable("v", "flag", "q1.value == '3'")])
    result = analyze(s)
    assert set(result.unreachable) <= {p["id"] for p in pages}
    plans = enumerate_routes(s, limit=50)
    assert plans
    for plan in plans:
        walked = route(s, plan.answers)
        assert (walked.page_ids, walked.steps, walked.ended) == (
            plan.page_ids,
            plan.steps,
            plan.ended,
        )
        assert not set(plan.page_ids) & set(result.unreachable)


def test_reaching_a_page_that_assigns_an_ending_status_ends_the_route():
    survey = Survey.model_validate(
        {
            "id": "s",
            "pages": [
                {
                    "id": "a",
                    "order": 0,
                    "blocks": [
                        {
                            "id": "b1",
                            "config": {
                                "type": "MultipleChoice",
                                "label": "Age",
                                "choices": [
                                    {"label": "Under 18", "value": "1"},
                                    {"label": "18+", "value": "2"},
                                ],
                            },
                        }
                    ],
                    "navigation_rules": [
                        {
                            "id": "r",
                            "source_page_id": "a",
                            "target_page_id": "t",
                            "condition": "q1.value == '1'",
                        }
                    ],
                },
                {"id": "c", "order": 1, "name": "Main"},
                {
                    "id": "done",
                    "order": 2,
                    "name": "Complete",
                    "assign_response_status": "complete",
                },
                {
                    "id": "t",
                    "order": 3,
                    "name": "Terminate",
                    "assign_response_status": "terminated",
                },
            ],
        }
    )
    assert [p.id for p in route(survey, {"q1": "1"}).pages] == ["a", "t"]
    assert route(survey, {"q1": "1"}).ended == "end"
    assert [p.id for p in route(survey, {"q1": "2"}).pages] == ["a", "c", "done"]
