"""analyze() flags conditions and showIfs that read a question no route has asked yet."""

from __future__ import annotations

from qtui.core.routes import analyze
from tests.core.test_routes import mc, page, rule, survey, variable


def kinds(findings, kind="read_before_asked"):
    return [(f.item_id, f.message) for f in findings if f.kind == kind]


def test_a_screen_out_that_reads_a_later_question_is_flagged_with_both_pages():
    s = survey(
        page("age", 0, [mc("b_age", ["u18", "adult"], name="age")],
             [rule("r_term", "term", "age == 'u18' and device == 'tv'")]),
        page("devices", 1, [mc("b_dev", ["tv", "phone"], name="device")]),
        page("term", 2),
    )  # fmt: skip
    (found,) = kinds(analyze(s).findings)
    assert found[0] == "r_term"
    assert "'device'" in found[1] and "'Devices'" in found[1] and "'Age'" in found[1]
    assert "always unanswered" in found[1]


def test_a_question_on_the_same_page_or_on_any_earlier_route_is_fine():
    s = survey(
        page("age", 0, [mc("b_age", ["u18", "adult"], name="age")],
             [rule("r_adult", "main", "age == 'adult'")]),
        page("kids", 1, [mc("b_kids", ["y", "n"], name="kids")]),
        page("main", 2, [mc("b_more", ["a"], name="more", show_if="kids == 'y'")],
             [rule("r_end", "end", "age == 'u18'")]),
        page("end", 3),
    )  # fmt: skip
    # kids is skipped by adults but asked on the route through page 'kids': not flagged
    assert kinds(analyze(s).findings) == []


def test_a_variable_that_reads_a_later_question_is_followed_to_it():
    s = survey(
        page("age", 0, [mc("b_age", ["u18", "adult"], name="age")],
             [rule("r_heavy", "end", "heavy")]),
        page("usage", 1, [mc("b_hours", ["1", "9"], name="hours")]),
        page("end", 2),
        variables=[variable("v1", "heavy", "hours == '9'")],
    )  # fmt: skip
    (found,) = kinds(analyze(s).findings)
    assert found[0] == "r_heavy" and "'hours'" in found[1]


def test_a_show_if_that_reads_a_later_page_is_flagged():
    s = survey(
        page("intro", 0, [mc("b_pet", ["y", "n"], name="pet_owner", show_if="brand == 'x'")]),
        page("brands", 1, [mc("b_brand", ["x", "y"], name="brand")]),
    )  # fmt: skip
    assert [item for item, _ in kinds(analyze(s).findings)] == ["b_pet"]


def test_a_question_asked_on_a_loop_back_counts_as_asked_before():
    s = survey(
        page("a", 0, [mc("b_a", ["1"], name="qa")], [rule("r_back", "b", "qb == '2'")]),
        page("b", 1, [mc("b_b", ["1", "2"], name="qb")], [rule("r_loop", "a", "qa == '9'")]),
    )  # fmt: skip
    # qb is asked on 'b', which leads back to 'a' by r_loop: a route can have asked it
    assert kinds(analyze(s).findings) == []


def test_a_show_if_that_reads_a_question_below_it_on_its_page_is_flagged_naming_both():
    s = survey(
        page("brands", 0, [mc("b_more", ["a"], name="more", show_if="aware == 'none'"),
                           mc("b_aware", ["x", "none"], name="aware")]),
    )  # fmt: skip
    (found,) = kinds(analyze(s).findings)
    assert found[0] == "b_more"
    assert "showIf of 'more' reads 'aware'" in found[1]
    assert "below it on the same page 'Brands'" in found[1]
    assert "always unanswered" in found[1]


def test_a_show_if_that_reads_its_own_answer_is_flagged():
    s = survey(page("age", 0, [mc("b_age", ["u18", "adult"], name="age", show_if="age != ''")]))
    (found,) = kinds(analyze(s).findings)
    assert found[0] == "b_age" and "showIf of 'age' reads its own answer" in found[1]


def test_a_show_if_that_reads_a_question_below_it_through_a_variable_is_flagged():
    s = survey(
        page("usage", 0, [mc("b_why", ["a"], name="why", show_if="heavy"),
                          mc("b_hours", ["1", "9"], name="hours")]),
        variables=[variable("v1", "heavy", "hours == '9'")],
    )  # fmt: skip
    (found,) = kinds(analyze(s).findings)
    assert found[0] == "b_why" and "reads 'hours'" in found[1]


def test_a_show_if_that_reads_a_question_above_it_on_its_page_is_fine():
    # Qualtrics' in-page display logic: "please specify" shows once the question above it
    # is answered (compiled with "inPage": true)
    s = survey(
        page("gender", 0, [mc("b_gender", ["f", "m", "self"], name="gender"),
                           mc("b_describe", ["a"], name="describe",
                              show_if="gender == 'self'")]),
    )  # fmt: skip
    assert kinds(analyze(s).findings) == []
