import pytest

from qtui.core.page_numbers import folded


@pytest.mark.parametrize(
    ("numbers", "text"),
    [
        ([], ""),
        ([1], "1"),
        ([1, 2], "1→2"),
        ([1, 2, 3], "1–3"),
        ([1, 2, 3, 4, 5, 6, 29], "1–6→29"),
        ([1, 2, 29], "1→2→29"),
        ([*range(1, 14), *range(16, 21), 29], "1–13→16–20→29"),
        ([*range(1, 13), 14, 15, *range(16, 22)], "1–12→14–21"),
        ([3, 2, 1], "3→2→1"),  # only runs upwards fold
        ([1, 2, None, 4, 5, 6], "1→2→?→4–6"),
        ([5, 5, 5], "5→5→5"),
    ],
)
def test_runs_of_three_or_more_pages_fold(numbers, text):
    assert folded(numbers) == text


def test_two_routes_that_differ_in_one_page_still_differ_when_folded():
    through_13 = [*range(1, 14), *range(16, 30)]
    through_14 = [*range(1, 13), 14, 15, *range(16, 30)]
    assert folded(through_13) == "1–13→16–29"
    assert folded(through_14) == "1–12→14–29"
    assert len(folded(through_13)) < 20
