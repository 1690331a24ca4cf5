"""Completion of the word at the end of an expression: a binary search of the sorted names,
then the functions."""

from qtui.core.validation import FUNCTIONS
from qtui.tui.widgets.expression_editor import complete


def test_the_first_longer_name_starting_with_the_word_then_a_function():
    names = sorted(["age", "q1", "q10", "q2", "quota_full", "region"]) + list(FUNCTIONS)
    assert complete(names, "q1") == "q10"  # q1 itself is whole: the next one that is longer
    assert complete(names, "q") == "q1"
    assert complete(names, "quo") == "quota_full"
    assert complete(names, "co") == "contains"  # no name: a function
    assert complete(names, "region") is None
    assert complete(names, "zz") is None
    assert complete(list(FUNCTIONS), "su") == "sum"
