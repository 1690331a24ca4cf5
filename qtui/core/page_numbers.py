"""Routes written by page number, with runs of consecutive pages folded: `1–6→29`.

A route through a 29-page screener written page by page (`1→2→3→…→20→21→29`) does not fit
a terminal line, and two routes that differ in one page look alike once cut. Runs of three
or more consecutive pages are written as their first and last (`1–13→16–20`), so the pages a
route skips are what stands out.
"""

from __future__ import annotations

from collections.abc import Sequence


def folded(numbers: Sequence[int | None]) -> str:
    """`1→2→3→4→9` as `1–4→9`; a page without a number (not in the survey) is `?`."""
    parts: list[str] = []
    index = 0
    while index < len(numbers):
        first = numbers[index]
        end = index
        if first is not None:
            while end + 1 < len(numbers) and numbers[end + 1] == first + (end + 1 - index):
                end += 1
        if end - index >= 2:
            parts.append(f"{first}–{numbers[end]}")
        else:
            parts.extend("?" if n is None else str(n) for n in numbers[index : end + 1])
        index = end + 1
    return "→".join(parts)
