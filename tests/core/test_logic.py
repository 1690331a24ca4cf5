"""The expression language: syntax, errors with columns, printing, and total evaluation."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qtui.core.logic import (
    FUNCTIONS,
    KEYWORDS,
    BoolOp,
    Call,
    Compare,
    ExpressionError,
    ListExpr,
    Literal,
    Membership,
    Not,
    Reference,
    evaluate,
    is_true,
    parse,
    parse_cached,
    reference_roots,
    references,
    to_text,
    tokenize,
)

# --------------------------------------------------------------------------------------------
# literals


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("'abc'", "abc"),
        ('"abc"', "abc"),
        ("''", ""),
        (r"'it\'s'", "it's"),
        (r'"say \"hi\""', 'say "hi"'),
        (r"'a\\b'", "a\\b"),
        (r"'line\nnext\ttab\r'", "line\nnext\ttab\r"),
        (r"'\u00e9t\u00E9'", "été"),
        ("'it''s'", None),  # two adjacent strings are not one; checked below
        ("42", 42),
        ("0", 0),
        ("-7", -7),
        ("- 7", -7),
        ("3.25", 3.25),
        ("-0.5", -0.5),
        ("1e3", 1000.0),
        ("2.5E-2", 0.025),
        ("true", True),
        ("false", False),
        ("null", None),
    ],
)
def test_literals_parse_to_their_values(text: str, value: object) -> None:
    if value is None and text != "null":
        with pytest.raises(ExpressionError):
            parse(text)
        return
    node = parse(text)
    assert isinstance(node, Literal)
    assert node.value == value
    assert type(node.value) is type(value)


def test_literal_true_is_not_equal_to_literal_one() -> None:
    assert parse("true") != parse("1")
    assert parse("1") != parse("1.5")
    assert parse("1") == Literal(1)


def test_huge_number_literal_reads_as_infinity_and_prints_back() -> None:
    node = parse("1e999")
    assert node == Literal(math.inf)
    assert parse(to_text(node)) == node
    assert parse(to_text(Literal(-math.inf))) == Literal(-math.inf)


# --------------------------------------------------------------------------------------------
# references


@pytest.mark.parametrize(
    ("text", "name", "member"),
    [
        ("q1.value", "q1", "value"),
        ("q3.values", "q3", "values"),
        ("q7.r1", "q7", "r1"),
        ("q7.1", "q7", "1"),
        ("q7.01", "q7", "01"),
        ("q7['Row 1']", "q7", "Row 1"),
        ('q7["r-2"]', "q7", "r-2"),
        ("q7[3]", "q7", "3"),
        ("isTeenager", "isTeenager", None),
        ("_x9", "_x9", None),
        ("q7.in", "q7", "in"),  # a keyword is fine as a member: the dot disambiguates
    ],
)
def test_references_name_an_answer_and_an_optional_member(
    text: str, name: str, member: str | None
) -> None:
    assert parse(text) == Reference(name, member)


def test_reference_is_not_a_keyword_and_count_without_parentheses_is_a_name() -> None:
    assert parse("count") == Reference("count")
    assert parse("q2.count") == Reference("q2", "count")


# --------------------------------------------------------------------------------------------
# operators and structure


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_every_comparison_operator_parses(op: str) -> None:
    assert parse(f"q1.value {op} 4") == Compare(op, Reference("q1", "value"), Literal(4))


def test_questra_example_condition_parses() -> None:
    assert parse("q1.value == '1'") == Compare("==", Reference("q1", "value"), Literal("1"))


def test_symbol_and_word_operators_mean_the_same() -> None:
    assert parse("a && b || !c") == parse("a and b or not c")


def test_and_binds_tighter_than_or() -> None:
    assert parse("a or b and c") == BoolOp(
        "or", (Reference("a"), BoolOp("and", (Reference("b"), Reference("c"))))
    )


def test_chains_of_one_operator_are_flat_but_parentheses_keep_nesting() -> None:
    a, b, c = Reference("a"), Reference("b"), Reference("c")
    assert parse("a and b and c") == BoolOp("and", (a, b, c))
    assert parse("(a and b) and c") == BoolOp("and", (BoolOp("and", (a, b)), c))


def test_not_applies_to_the_whole_comparison() -> None:
    expected = Not(Compare("==", Reference("q1", "value"), Literal("1")))
    assert parse("not q1.value == '1'") == expected
    assert parse("!q1.value == '1'") == expected
    assert parse("not not a") == Not(Not(Reference("a")))


def test_membership_with_list_literal_and_negation() -> None:
    options = ListExpr((Literal("1"), Literal("2")))
    assert parse("q1.value in ['1', '2']") == Membership(Reference("q1", "value"), options)
    assert parse("q1.value not in ['1', '2',]") == Membership(
        Reference("q1", "value"), options, True
    )
    assert parse("'5' in q3.values") == Membership(Literal("5"), Reference("q3", "values"))
    assert parse("x in []") == Membership(Reference("x"), ListExpr(()))


def test_functions_parse_with_their_arguments() -> None:
    assert parse("contains(q3.values, '5')") == Call(
        "contains", (Reference("q3", "values"), Literal("5"))
    )
    for name in ("count", "empty", "answered", "sum", "len"):
        assert parse(f"{name}(q1)") == Call(name, (Reference("q1"),))


def test_lists_nest_and_hold_expressions() -> None:
    assert parse("[[1], a == b]") == ListExpr(
        (ListExpr((Literal(1),)), Compare("==", Reference("a"), Reference("b")))
    )


def test_nodes_carry_columns_that_do_not_affect_equality() -> None:
    node = parse("q1.value == '1' and q2 in [3]")
    assert isinstance(node, BoolOp)
    assert node.column == 17  # the 'and'
    left, right = node.operands
    assert isinstance(left, Compare) and left.column == 10  # the '=='
    assert left.left.column == 1 and left.right.column == 13
    assert isinstance(right, Membership) and right.column == 24
    assert right.options.column == 27
    assert parse("  -5").column == 3
    assert Reference("q1", "value", column=99) == Reference("q1", "value")
    assert hash(Reference("q1", column=3)) == hash(Reference("q1"))


def test_whitespace_and_newlines_between_tokens_are_ignored() -> None:
    assert parse(" q1.value\n  ==\t'1' ") == parse("q1.value == '1'")


# --------------------------------------------------------------------------------------------
# syntax errors point at the right column


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("", 1, "empty expression"),
        ("   ", 1, "empty expression"),
        ("q1.value == ", 12, "expected a value"),
        ("(q1.value == '1'", 17, "expected ')'"),
        ("q1.value == '1')", 16, "expected an operator or the end"),
        ("q1.value = '1'", 10, "use '=='"),
        ("a & b", 3, "use 'and' or '&&'"),
        ("a | b", 3, "use 'or' or '||'"),
        ("a <> b", 3, "use '!='"),
        ("a @ b", 3, "unexpected character '@'"),
        ("q1.value == 'abc", 13, "unterminated string"),
        ('x == "abc', 6, "unterminated string"),
        ("x in [1 2]", 9, "expected ',' or ']'"),
        ("x in [1,", 9, "expected a value"),
        ("foo(q1)", 1, "unknown function 'foo'"),
        ("x and count(q1, q2)", 7, "count() takes 1 argument, got 2"),
        ("contains(q1)", 1, "contains() takes 2 arguments, got 1"),
        ("count(q1 q2)", 10, "expected ',' or ')'"),
        ("a < b < c", 7, "comparisons cannot be chained"),
        ("a == b in [1]", 8, "comparisons cannot be chained"),
        ("q1. == 2", 5, "expected a member name"),
        ("q1.'x'", 4, "expected a member name"),
        ("q7.r1.c2", 6, "a reference takes one member"),
        ("q7['r1'].c2", 9, "a reference takes one member"),
        ("q7[r1]", 4, "expected a quoted member name"),
        ("q7['r1'", 8, "expected ']'"),
        (r"'a\qb'", 3, r"unknown escape \q"),
        (r"'\u12'", 2, r"unknown escape \u"),
        ("not in [1]", 5, "expected a value after 'not'"),
        ("q1.value - 1", 10, "arithmetic is not supported"),
        ("- x", 3, "expected a number after '-'"),
        ("a b", 3, "expected an operator or the end"),
        ("a and", 6, "expected a value"),
        (")", 1, "expected a value"),
        ("1" * 5000, 1, "number too long"),
        ("(" * 60 + "a" + ")" * 60, 51, "nested too deeply"),
        ("not " * 60 + "a", 201, "nested too deeply"),
    ],
)
def test_syntax_errors_name_the_problem_and_its_column(
    text: str, column: int, fragment: str
) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    error = caught.value
    assert fragment in str(error)
    assert error.column == column
    assert str(error).endswith(f"at column {column}")
    assert error.text == text


def test_error_is_a_value_error_with_a_caret_under_the_column() -> None:
    with pytest.raises(ValueError) as caught:
        parse("(q1.value == '1'")
    error = caught.value
    assert isinstance(error, ExpressionError)
    assert str(error) == "expected ')', but the expression ended at column 17"
    assert error.caret() == "(q1.value == '1'\n                ^"


def test_caret_on_a_multiline_expression_shows_the_offending_line() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse("a == 1 and\nb = 2")
    assert caught.value.caret() == "b = 2\n  ^"


# --------------------------------------------------------------------------------------------
# printing


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("q1.value=='1'", "q1.value == '1'"),
        ('q1.value == "1"', "q1.value == '1'"),
        ("a && b || !c", "a and b or not c"),
        ("(a or b) and c", "(a or b) and c"),
        ("a or (b and c)", "a or b and c"),
        ("((a))", "a"),
        ("(a and b) and c", "(a and b) and c"),
        ("(not a) == b", "(not a) == b"),
        ("x in ['a',\"b\",]", "x in ['a', 'b']"),
        ('q7["Row 1"]', "q7['Row 1']"),
        ("q7['r1']", "q7.r1"),
        ("q7['1']", "q7.1"),
        ("'it\\'s\\n'", "'it\\'s\\n'"),
        ("count( q3 ) >= -2.5", "count(q3) >= -2.5"),
        ("x == (a in b)", "x == (a in b)"),
    ],
)
def test_printer_gives_canonical_text(text: str, canonical: str) -> None:
    assert to_text(parse(text)) == canonical
    assert parse(canonical) == parse(text)


def test_printer_escapes_control_characters() -> None:
    text = to_text(Literal("a\x01b\x7f"))
    assert text == "'a\\u0001b\\u007f'"
    assert parse(text) == Literal("a\x01b\x7f")


def test_ast_nodes_reject_malformed_shapes() -> None:
    with pytest.raises(ValueError):
        BoolOp("xor", (Literal(1), Literal(2)))
    with pytest.raises(ValueError):
        BoolOp("and", (Literal(1),))
    with pytest.raises(ValueError):
        Compare("=", Literal(1), Literal(2))
    with pytest.raises(ValueError):
        to_text(Literal(math.nan))


# --------------------------------------------------------------------------------------------
# references()


def test_references_are_in_source_order_without_duplicates() -> None:
    expr = parse("q2.value == '1' or (q1 in [q2.value, q3.r1] and isTeen and q2.value != q1)")
    assert references(expr) == [
        Reference("q2", "value"),
        Reference("q1"),
        Reference("q3", "r1"),
        Reference("isTeen"),
    ]
    assert reference_roots(expr) == {"q1", "q2", "q3", "isTeen"}
    assert reference_roots(parse("'a' == 'b'")) == set()


def test_function_arguments_are_references_but_function_names_are_not() -> None:
    assert reference_roots(parse("count(q3) > 1 and contains(q4.values, 'x')")) == {"q3", "q4"}


# --------------------------------------------------------------------------------------------
# tokenizer


def test_tokens_have_kinds_texts_and_columns() -> None:
    tokens = list(tokenize("q1.value in ['a', 2] && !x"))
    assert [(t.kind, t.text, t.column) for t in tokens] == [
        ("name", "q1", 1),
        ("punct", ".", 3),
        ("name", "value", 4),
        ("keyword", "in", 10),
        ("punct", "[", 13),
        ("string", "'a'", 14),
        ("punct", ",", 17),
        ("number", "2", 19),
        ("punct", "]", 20),
        ("operator", "&&", 22),
        ("operator", "!", 25),
        ("name", "x", 26),
    ]
    assert tokens[5].end == 17


def test_lenient_tokenizer_marks_errors_instead_of_raising() -> None:
    tokens = list(tokenize("q1 = 'abc", strict=False))
    assert [(t.kind, t.text) for t in tokens] == [
        ("name", "q1"),
        ("error", "="),
        ("error", "'abc"),
    ]
    with pytest.raises(ExpressionError):
        list(tokenize("q1 = 'abc"))


# --------------------------------------------------------------------------------------------
# evaluation: missing answers


def test_missing_answer_is_null() -> None:
    assert evaluate(parse("q1.value"), {}) is None
    assert evaluate(parse("q3.values"), {}) is None
    assert evaluate(parse("q7.r1"), {}) is None
    assert is_true("q1.value == null", {})
    assert not is_true("q1.value != null", {})
    assert is_true("q1.value != null", {"q1": "2"})


def test_comparisons_with_a_missing_answer_are_false_except_inequality() -> None:
    for op in ("==", "<", "<=", ">", ">="):
        assert not is_true(f"q1.value {op} '1'", {}), op
    # != is always the complement of ==, so "not chosen 1" holds for an unanswered question
    assert is_true("q1.value != '1'", {})
    assert not is_true("q1.value in ['1', '2']", {})
    assert is_true("q1.value not in ['1', '2']", {})


# --------------------------------------------------------------------------------------------
# evaluation: numbers and text


@pytest.mark.parametrize(
    ("text", "answers", "expected"),
    [
        ("q1.value >= 4", {"q1": "5"}, True),
        ("q1.value >= 4", {"q1": "3"}, False),
        ("q1.value >= 4", {"q1": "4.0"}, True),
        ("q1.value == 3", {"q1": "3"}, True),
        ("'3' == 3", {}, True),
        ("'03' == 3", {}, True),
        ("' 3 ' == 3", {}, True),
        ("q1.value == '1'", {"q1": 1}, True),
        ("'10' > '9'", {}, True),  # both look numeric: compared as numbers, not alphabetically
        ("'b' > 'a'", {}, True),
        ("'2024-05-01' < '2024-06-01'", {}, True),  # ISO dates order alphabetically
        ("'abc' == 3", {}, False),
        ("'abc' > 3", {}, False),
        ("'abc' < 3", {}, False),
        ("true == 1", {}, False),
        ("true == 'true'", {}, False),
        ("true == true", {}, True),
        ("true > false", {}, False),
        ("null == null", {}, True),
        ("-1 < 0", {}, True),
        ("q1.value > 2", {"q1": {"a": 1}}, False),
        ("q1.value == [1]", {"q1": {"a": 1}}, False),
    ],
)
def test_comparison_semantics(text: str, answers: dict, expected: bool) -> None:
    assert evaluate(parse(text), answers) is expected


def test_not_equal_is_always_the_complement_of_equal() -> None:
    values = [None, "1", 1, "a", ["1", "2"], [], {"r": "c"}, True, 2.5]
    for a in values:
        for b in values:
            ns = {"a": a, "b": b}
            assert is_true("a != b", ns) is (not is_true("a == b", ns)), (a, b)


# --------------------------------------------------------------------------------------------
# evaluation: multi-select, matrix and other shapes


def test_values_of_a_single_answer_is_a_one_element_list() -> None:
    assert evaluate(parse("q1.values"), {"q1": "5"}) == ["5"]
    assert evaluate(parse("q3.values"), {"q3": ["1", "2"]}) == ["1", "2"]


def test_value_of_a_multi_select_is_the_list_and_compares_with_any_element() -> None:
    answers = {"q3": ["1", "4"]}
    assert evaluate(parse("q3.value"), answers) == ["1", "4"]
    assert is_true("q3.value == '4'", answers)
    assert not is_true("q3.value == '2'", answers)
    assert is_true("q3.value != '2'", answers)
    assert not is_true("q3.value != '4'", answers)
    assert is_true("q3.values >= 3", answers)
    assert not is_true("q3.values > 4", answers)


def test_list_equality_is_exact_and_ordered() -> None:
    assert is_true("q9 == ['b', 'a']", {"q9": ["b", "a"]})
    assert not is_true("q9 == ['a', 'b']", {"q9": ["b", "a"]})
    assert not is_true("q9 == ['b']", {"q9": ["b", "a"]})


def test_membership_of_a_list_is_true_when_any_element_is_an_option() -> None:
    answers = {"q3": ["1", "4"]}
    assert is_true("q3.values in ['4', '5']", answers)
    assert not is_true("q3.values in ['2', '3']", answers)
    assert is_true("q3.values not in ['2', '3']", answers)
    assert is_true("'4' in q3.values", answers)
    assert is_true("4 in q3.values", answers)  # numeric view applies to members too
    assert not is_true("'2' in q3.values", answers)
    assert is_true("q1.value in [4, 5]", {"q1": "5"})


def test_membership_in_a_scalar_is_equality_not_substring() -> None:
    assert is_true("'5' in q1", {"q1": "5"})
    assert not is_true("'5' in q1", {"q1": "15"})


def test_matrix_rows_are_members() -> None:
    answers = {"q7": {"r1": "c2", "r2": "c1", "1": "c3"}}
    assert is_true("q7.r1 == 'c2'", answers)
    assert not is_true("q7.r2 == 'c2'", answers)
    assert evaluate(parse("q7.r3"), answers) is None
    assert is_true("q7.1 == 'c3'", answers)
    assert is_true("q7['r1'] == 'c2'", answers)
    assert evaluate(parse("q7.values"), answers) == ["c2", "c1", "c3"]
    assert is_true("'c1' in q7.values", answers)
    assert evaluate(parse("count(q7)"), answers) == 3
    assert is_true("contains(q7, 'r2')", answers)  # a dict contains its answered keys


def test_multi_select_matrix_rows_are_lists() -> None:
    answers = {"q8": {"r1": ["c1", "c3"], "r2": []}}
    assert is_true("contains(q8.r1, 'c3')", answers)
    assert is_true("q8.r1 == 'c1'", answers)
    assert is_true("empty(q8.r2)", answers)
    assert evaluate(parse("count(q8)"), answers) == 1  # r2 has no answer
    assert evaluate(parse("q8.values"), answers) == ["c1", "c3"]


def test_member_of_something_that_is_not_a_dict_is_null() -> None:
    assert evaluate(parse("q1.r1"), {"q1": "5"}) is None
    assert evaluate(parse("q3.r1"), {"q3": ["r1"]}) is None


def test_autosum_items_and_sum() -> None:
    answers = {"q9": {"a": 60, "b": "40", "c": None}}
    assert evaluate(parse("sum(q9)"), answers) == 100
    assert is_true("sum(q9) == 100", answers)
    assert is_true("q9.a > 50", answers)
    assert evaluate(parse("sum(q3)"), {"q3": ["1", "x", "2.5"]}) == 3.5
    assert evaluate(parse("sum(q3)"), {}) == 0
    assert evaluate(parse("sum(q3)"), {"q3": "7"}) == 7


# --------------------------------------------------------------------------------------------
# evaluation: functions


@pytest.mark.parametrize(
    ("text", "answers", "expected"),
    [
        ("count(q3)", {"q3": ["1", "2", ""]}, 2),
        ("count(q3)", {}, 0),
        ("count(q1)", {"q1": "x"}, 1),
        ("count(q1)", {"q1": "  "}, 0),
        ("empty(q1)", {}, True),
        ("empty(q1)", {"q1": ""}, True),
        ("empty(q1)", {"q1": "  "}, True),
        ("empty(q1)", {"q1": []}, True),
        ("empty(q1)", {"q1": {"r1": None}}, True),
        ("empty(q1)", {"q1": 0}, False),
        ("empty(q1)", {"q1": False}, False),
        ("answered(q1)", {"q1": "x"}, True),
        ("answered(q1)", {}, False),
        ("contains(q3, '2')", {"q3": ["1", "2"]}, True),
        ("contains(q3, 2)", {"q3": ["1", "2"]}, True),
        ("contains(q3, '9')", {"q3": ["1", "2"]}, False),
        ("contains(q3, ['1', '2'])", {"q3": ["2", "1", "3"]}, True),
        ("contains(q3, ['1', '9'])", {"q3": ["2", "1", "3"]}, False),
        ("contains(q3, [])", {"q3": ["1"]}, False),
        ("contains(q3, null)", {"q3": ["1"]}, False),
        ("contains(q3, '1')", {}, False),
        ("contains(q1, '5')", {"q1": "5"}, True),
        ("len(q2)", {"q2": "hello"}, 5),
        ("len(q2)", {}, 0),
        ("len(q2)", {"q2": ["a", "b"]}, 2),
        ("len(q2)", {"q2": 12345}, 5),
        ("len(q2)", {"q2": True}, None),
    ],
)
def test_function_semantics(text: str, answers: dict, expected: object) -> None:
    assert evaluate(parse(text), answers) == expected


# --------------------------------------------------------------------------------------------
# evaluation: truthiness and logic


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        (True, True),
        (False, False),
        (0, False),
        (2, True),
        ("", False),
        ("  ", False),
        ("0", False),
        ("0.0", False),
        ("1", True),
        ("no", True),  # any other text counts as an answer
        ([], False),
        (["a"], True),
        ({}, False),
        ({"r1": ""}, False),
        ({"r1": "c1"}, True),
    ],
)
def test_truthiness_of_a_bare_reference(value: object, expected: bool) -> None:
    assert is_true("x", {"x": value}) is expected


def test_boolean_operators_return_booleans() -> None:
    assert evaluate(parse("a and b"), {"a": "x", "b": "y"}) is True
    assert evaluate(parse("a or b"), {}) is False
    assert evaluate(parse("not a"), {}) is True


def test_list_literal_evaluates_to_a_list() -> None:
    assert evaluate(parse("[q1, 2, 'x']"), {"q1": "a"}) == ["a", 2, "x"]


def test_evaluate_accepts_text_and_none_answers() -> None:
    assert evaluate("q1.value == '1'", {"q1": "1"}) is True
    assert evaluate("q1.value", None) is None


def test_evaluate_text_with_bad_syntax_raises_expression_error() -> None:
    with pytest.raises(ExpressionError):
        evaluate("q1 ==", {})


def test_parse_cached_shares_one_tree_per_text() -> None:
    assert parse_cached("q1.value == '7'") is parse_cached("q1.value == '7'")


# --------------------------------------------------------------------------------------------
# properties

_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True).filter(
    lambda n: n not in KEYWORDS
)
_MEMBERS = st.one_of(
    st.none(),
    st.sampled_from(["value", "values", "r1", "1", "in"]),
    _NAMES,
    st.from_regex(r"[0-9]{1,3}", fullmatch=True),
    st.text(max_size=6),
)
_LITERALS = st.builds(
    Literal,
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=False),
        st.text(max_size=8),
    ),
)
_LEAVES = st.one_of(_LITERALS, st.builds(Reference, _NAMES, _MEMBERS))


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    calls = st.sampled_from(sorted(FUNCTIONS)).flatmap(
        lambda name: st.builds(Call, st.just(name), st.tuples(*[children] * FUNCTIONS[name]))
    )
    return st.one_of(
        st.builds(ListExpr, st.lists(children, max_size=3).map(tuple)),
        st.builds(Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), children, children),
        st.builds(Membership, children, children, st.booleans()),
        st.builds(
            BoolOp,
            st.sampled_from(["and", "or"]),
            st.lists(children, min_size=2, max_size=3).map(tuple),
        ),
        st.builds(Not, children),
        calls,
    )


_EXPRS = st.recursive(_LEAVES, _extend, max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(_EXPRS)
def test_printed_trees_parse_back_to_themselves(expr) -> None:
    text = to_text(expr)
    try:
        again = parse(text)
    except ExpressionError as error:
        assume("nested too deeply" not in error.reason)
        raise
    assert again == expr
    assert to_text(again) == text


_ANSWER_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=5),
        st.sampled_from(["1", "2", "5", " 3 ", "1e400", "-0", "r1", ""]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.dictionaries(st.sampled_from(["r1", "r2", "value", "1"]), inner, max_size=3),
    ),
    max_leaves=8,
)
_POOL = ["a", "b", "q1", "q3"]
_POOL_EXPRS = st.recursive(
    st.one_of(
        _LITERALS,
        st.builds(
            Reference,
            st.sampled_from(_POOL),
            st.sampled_from([None, "value", "values", "r1", "1", "x"]),
        ),
    ),
    _extend,
    max_leaves=10,
)


@settings(max_examples=400, deadline=None)
@given(_POOL_EXPRS, st.dictionaries(st.sampled_from(_POOL), _ANSWER_VALUES))
def test_evaluate_never_raises_on_any_answers(expr, answers) -> None:
    evaluate(expr, answers)
    assert isinstance(is_true(expr, answers), bool)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="q1.value=!<>&|()[],'\"\\ \n-x9eE_in", max_size=40))
def test_lenient_tokens_cover_the_text_exactly(text: str) -> None:
    rebuilt = [" "] * len(text)
    for token in tokenize(text, strict=False):
        start = token.column - 1
        assert text[start : start + len(token.text)] == token.text
        rebuilt[start : start + len(token.text)] = token.text
    leftover = [c for c, r in zip(text, rebuilt, strict=True) if r == " " and c != " "]
    assert all(c.isspace() for c in leftover)


@settings(max_examples=200, deadline=None)
@given(_EXPRS)
def test_strict_and_lenient_tokenizers_agree_on_valid_text(expr) -> None:
    text = to_text(expr)
    strict = list(tokenize(text))
    assert strict == list(tokenize(text, strict=False))
    assert all(t.kind != "error" for t in strict)


def test_membership_reads_answered_parts_of_dicts_and_ignores_null() -> None:
    answers = {"q7": {"r1": "c1", "r2": ""}}
    assert is_true("'r1' in q7", answers)
    assert not is_true("'r2' in q7", answers)  # a blank row is not answered
    assert not is_true("null in [null, 1]", {})
    assert is_true("q1 not in [null]", {})


def test_expression_error_survives_pickling_with_its_fields() -> None:
    import pickle

    with pytest.raises(ExpressionError) as caught:
        parse("a ==")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (str(copy), copy.column, copy.text) == (str(caught.value), 5, "a ==")


def test_logic_module_imports_only_the_standard_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys, qtui.core.logic\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'pydantic', 'textual', 'httpx', 'websockets', 'starlette'})\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
