"""A large survey snapshot taken in stages: its pages first, then their contents in parts.

Validating a 21,000-block snapshot takes most of a second. Its page list alone takes a few
milliseconds, so the view validates and shows that first (labelled with the block and rule
counts the raw snapshot announces), then validates the pages' blocks and rules a few pages
at a time in a thread and merges each part as it comes. Every part is a whole survey
document (the survey's own fields, some pages, no variables), so the store merges it under
its usual rules: the page it already has is the same version and stays as it is.

`validated` is the one call that turns a document into a `Survey`; it runs in a thread.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

from qtui.core.decoding import validated as decoded
from qtui.core.ingest import SNAPSHOT_GEN0_THRESHOLD, ingesting
from qtui.core.models import Survey

# A snapshot with more blocks than this is taken in stages; a smaller one in one go.
STAGED_BLOCKS = 2_000
# Pages validated (and merged) per part: a part holds the GIL a few milliseconds at most.
PART_PAGES = 10


def validated(document: dict[str, Any]) -> Survey:
    """The survey `document` describes (raises pydantic's `ValidationError`).

    Everything validated is kept, so the collector is held off meanwhile and what was built
    is frozen before it lets go: a young-generation pass over it would otherwise stall
    whichever thread allocates next (the UI's) for tens of milliseconds.
    """
    with ingesting(SNAPSHOT_GEN0_THRESHOLD):
        survey = decoded(Survey, document)  # msgspec's fast path, pydantic for the rest
        gc.freeze()
    return survey


def _pages(document: dict[str, Any]) -> list[Any]:
    pages = document.get("pages")
    return pages if isinstance(pages, list) else []


def _count(page: Any, field: str) -> int:
    items = page.get(field) if isinstance(page, dict) else None
    return len(items) if isinstance(items, list) else 0


def block_count(document: dict[str, Any]) -> int:
    return sum(_count(page, "blocks") for page in _pages(document))


def is_large(document: dict[str, Any]) -> bool:
    """Whether `document` is worth taking in stages."""
    return block_count(document) > STAGED_BLOCKS


def page_list(document: dict[str, Any]) -> dict[str, Any]:
    """The survey with its pages and variables but none of the pages' blocks and rules."""
    shells = [
        {**page, "blocks": [], "navigation_rules": []} if isinstance(page, dict) else page
        for page in _pages(document)
    ]
    return {**document, "pages": shells}


def announced(document: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Page id → (blocks, rules) as the raw snapshot lists them, for labels meanwhile."""
    return {
        page["id"]: (_count(page, "blocks"), _count(page, "navigation_rules"))
        for page in _pages(document)
        if isinstance(page, dict) and isinstance(page.get("id"), str)
    }


def parts(document: dict[str, Any], size: int | None = None) -> Iterator[dict[str, Any]]:
    """The survey's pages with their contents, `size` (`PART_PAGES`) pages per document, in
    listed order."""
    size = size or PART_PAGES
    fields = {key: value for key, value in document.items() if key not in ("pages", "variables")}
    pages = _pages(document)
    for start in range(0, len(pages), size):
        yield {**fields, "pages": pages[start : start + size], "variables": []}
