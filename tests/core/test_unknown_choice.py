"""analyze() flags a comparison of a choice question with a value none of its choices has."""

from __future__ import annotations

from qtui.core.routes import analyze
from tests.core.test_routes import mc, page, rule, survey, variable


def unknown_choices(s):
    return [(f.item_id, f.message) for f in analyze(s).findings if f.kind == "unknown_choice"]


def test_a_screen_out_reading_a_renamed_choice_is_flagged_with_the_choices_it_has():
    s = survey(
        page("age", 0, [mc("b_age", ["xunder_18", "adult"], name="age")],
             [rule("r_term", "term", "age.value in ['under_18']")]),
        page("main", 1),
        page("term", 2),
    )  # fmt: skip
    ((item, message),) = unknown_choices(s)
    assert item == "r_term"
    assert "'age'" in message and "'under_18'" in message and "'xunder_18'" in message
    assert "never matches" in message


def test_every_way_of_comparing_is_checked_and_real_choices_pass():
    questions = [mc("b1", ["1", "2"], name="q1"), mc("b2", ["a", "b"], name="q2", multi=True)]
    s = survey(
        page("p1", 0, questions,
             [rule("r1", "p2", "q1 == '1' or q1 != '2' or q1 == 2 or contains(q2, 'b')"),
              rule("r2", "p2", "q1 == '3'", order=1),
              rule("r3", "p2", "'c' in q2.values", order=2),
              rule("r4", "p2", "contains(q2.values, 'z')", order=3),
              rule("r5", "p2", "count(q2) == 9", order=4)]),
        page("p2", 1, [mc("b3", ["y"], name="q3", show_if="q2 == 'q'")]),
        variables=[variable("v1", "fan", "q1 == 7")],
    )  # fmt: skip
    found = {item: message for item, message in unknown_choices(s)}
    assert set(found) == {"r2", "r3", "r4", "b3", "v1"}
    assert "'3'" in found["r2"] and "'c'" in found["r3"] and "'z'" in found["r4"]
    assert found["v1"].startswith("variable 'fan' compares 'q1' with 7")
