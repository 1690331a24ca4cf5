"""A large snapshot shows its page list first and fills the pages in parts after."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from qtui.core.models import Survey
from qtui.tui import staged_snapshot
from qtui.tui.sources import FeedSource
from qtui.tui.widgets import survey_tree
from qtui.tui.widgets.survey_tree.batching import read_batch
from tests.tui.conftest import make_app, settle, until
from tests.tui.envelopes import SURVEY

PAGES = 12
BLOCKS = 4
STAMP = "2025-04-01T10:00:00Z"


def snapshot() -> dict[str, Any]:
    def block(p: int, n: int) -> dict[str, Any]:
        config = {"type": "MultipleChoice", "label": f"Question {n} of page {p}"}
        return {"id": f"b{p}-{n}", "order": n, "config": config, "updated_at": STAMP}

    pages = [
        {
            "id": f"p{p}",
            "name": f"Page {p}",
            "order": p,
            "updated_at": STAMP,
            "blocks": [block(p, n) for n in range(BLOCKS)],
            "navigation_rules": [
                {"id": f"r{p}", "target_page_id": f"p{(p + 1) % PAGES}", "order": 0}
            ],
        }
        for p in range(PAGES)
    ]
    return {"id": SURVEY, "name": "Staged", "updated_at": STAMP, "pages": pages}


@pytest.fixture
def staged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staged_snapshot, "STAGED_BLOCKS", 10)
    monkeypatch.setattr(staged_snapshot, "PART_PAGES", 5)


async def loaded(feed: FeedSource) -> tuple[list[str], list[str], dict[str, Any]]:
    """Page labels, page 2's children's labels and the stored survey, once all is in."""
    app = make_app(feed)
    async with app.run_test(size=(120, 40)) as pilot:
        feed.load(snapshot())
        await settle(pilot, app)
        app.tree.select_item("page", "p1")
        await pilot.press("enter")
        await settle(pilot, app)
        page = app.tree.node_for(("page", "p1"))
        survey = app.store.survey(SURVEY)
        assert survey is not None
        return app.tree.labels(), app.tree.labels(page), survey.dump()


async def test_a_snapshot_taken_in_stages_ends_as_one_taken_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    whole = await loaded(FeedSource())
    monkeypatch.setattr(staged_snapshot, "STAGED_BLOCKS", 10)
    monkeypatch.setattr(staged_snapshot, "PART_PAGES", 5)
    in_stages = await loaded(FeedSource())
    assert in_stages == whole
    assert whole[1][:2] == ["MC q5   Question 0 of page 1", "MC q6   Question 1 of page 1"]


async def test_pages_show_and_move_before_their_contents_arrive(
    feed: FeedSource, staged: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page list is navigable while the parts wait; when they come, the open page
    fills in and the cursor stays on the page it was on."""
    gate = threading.Event()
    validated = staged_snapshot.validated

    def held(document: dict[str, Any]) -> Survey:
        if any(page["blocks"] for page in document["pages"]):
            assert gate.wait(10)
        return validated(document)

    monkeypatch.setattr(staged_snapshot, "validated", held)
    monkeypatch.setattr(survey_tree, "FOLLOW_PAGE_LIMIT", 5)  # pages open on demand
    app = make_app(feed)
    async with app.run_test(size=(120, 40)) as pilot:
        feed.load(snapshot())
        await until(pilot, lambda: len(app.tree.labels()) == PAGES)
        assert app.tree.labels()[1] == "·  2. Page 1   4 blocks · 1 rule"  # as announced
        assert not app.view_is_current
        await pilot.press("down", "down", "enter", "down")  # open page 2, go to page 3
        page = app.tree.node_for(("page", "p1"))
        assert page is not None and page.is_expanded and not page.children
        assert app.tree.item is not None and app.tree.item.id == "p2"
        await pilot.pause(0.2)
        assert app.problems.report is None  # routes are checked on the whole survey only
        gate.set()
        await settle(pilot, app)
        assert app.tree.labels(page)[0] == "MC q5   Question 0 of page 1"
        assert app.tree.item is not None and app.tree.item.id == "p2"
        assert app.tree.labels()[1].startswith("·  2. Page 1   4 blocks · 1 rule")


async def test_a_part_that_does_not_validate_is_reported_and_the_rest_stays(
    feed: FeedSource, staged: None
) -> None:
    broken = snapshot()
    broken["pages"][7]["blocks"][0]["order"] = "not a number"
    app = make_app(feed)
    async with app.run_test(size=(120, 40)) as pilot:
        feed.load(broken)
        await settle(pilot, app)
        assert len(app.tree.labels()) == PAGES
        assert app.store.blocks("p0") and not app.store.blocks("p7")
        assert any("snapshot not usable" in n.message for n in app._notifications)


def test_an_edit_in_place_leaves_its_page_alone_unless_filtered() -> None:
    from qtui.core.store import Change

    edit = Change("updated", "block", "b1", SURVEY, "p1")
    assert read_batch([edit], SURVEY, lambda _: True).parents == set()
    assert read_batch([edit], SURVEY, lambda _: True, filtered=True).parents == {"p1"}
    moved = Change("updated", "block", "b1", SURVEY, "p2", "p1", reordered=True)
    assert read_batch([moved], SURVEY, lambda _: True).parents == {"p1", "p2"}
