"""The live tree: order, patches by key, moves, deletes, late parents, lazy pages, cursor."""

from __future__ import annotations

from qtui.core.events import parse_event
from qtui.core.store import SurveyStore
from qtui.tui.sources import FeedSource
from qtui.tui.widgets import survey_tree
from tests.tui.conftest import make_app, screener_app, settle
from tests.tui.envelopes import (
    SURVEY,
    T0,
    Clocked,
    block,
    deleted,
    mc,
    page,
    rule,
    screener_stream,
    survey,
    text,
    variable,
)


async def test_tree_shows_pages_in_order_then_variables(feed: FeedSource) -> None:
    async with screener_app(feed) as (app, pilot):
        assert app.tree.labels() == [
            "✓ 1. Screener      3 blocks · 2 rules",
            "· 2. Disqualified  0 blocks",
            "⠋ 3. Satisfaction  1 block",
            "Variables  (1)",
        ]
        assert app.tree.root.label.plain.startswith("Q4 Customer Satisfaction Study  programming")


async def test_page_children_show_badge_reference_label_attention_and_rules(
    feed: FeedSource,
) -> None:
    async with screener_app(feed) as (app, pilot):
        screener = app.tree.node_for(("page", "p1"))
        assert screener is not None
        screener.expand()
        await pilot.pause()
        assert app.tree.labels(screener) == [
            "TXT  ·   Welcome to our survey.",
            "MC   q1  How old are you?",
            "MC   q2  Do you own a car?  if…  ! ",
            "→ Disqualified  if q1.value == '1'",
            "→ Satisfaction  always",
        ]


async def test_pages_created_live_open_by_themselves_in_a_small_survey(feed: FeedSource) -> None:
    async with screener_app(feed) as (app, pilot):
        assert app.tree.is_built("p1") and ("block", "b1") in app.tree
        node = app.tree.node_for(("page", "p1"))
        assert node is not None and node.is_expanded


async def test_page_children_are_built_only_when_the_page_is_expanded_in_a_large_survey(
    feed: FeedSource, monkeypatch
) -> None:
    monkeypatch.setattr(survey_tree, "FOLLOW_PAGE_LIMIT", 0)
    async with screener_app(feed) as (app, pilot):
        assert not app.tree.is_built("p1")
        assert ("block", "b1") not in app.tree
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.tree.is_built("p1")
        assert ("block", "b1") in app.tree


async def test_a_block_moved_to_another_page_moves_its_node(feed: FeedSource) -> None:
    app = make_app(feed)
    async with app.run_test(size=(120, 40)) as pilot:
        stream = screener_stream()
        feed.push(*stream)
        await settle(pilot, app)
        for page_id in ("p1", "p3"):
            app.tree.select_item("page", page_id)
            app.tree.cursor_node.expand()  # type: ignore[union-attr]
        await pilot.pause()
        c = Clocked(app.latest_event_at)  # type: ignore[arg-type]
        feed.push(
            block(
                c.tick(),
                "b2",
                "p3",
                1,
                mc("How old are you?", ("1", "Under 18")),
                event="block.updated",
            )
        )
        await settle(pilot, app)
        p1 = app.tree.node_for(("page", "p1"))
        p3 = app.tree.node_for(("page", "p3"))
        assert [n.data.id for n in p1.children] == ["b1", "b3", "r1", "r2"]  # type: ignore[union-attr]
        assert [n.data.id for n in p3.children] == ["b4", "b2"]  # type: ignore[union-attr]
        assert app.tree.node_for(("block", "b2")).parent is p3  # type: ignore[union-attr]
        # b3 is now the first question, q1, so its showIf (`q1.value != '1'`) reads its own
        # answer: a routing problem inside the page
        assert app.tree.labels()[0] == "✓ 1. Screener      2 blocks · 2 rules  ✗ 1 inside"


async def test_reordered_blocks_swap_places_and_keep_the_cursor_on_the_same_block(
    feed: FeedSource,
) -> None:
    async with screener_app(feed) as (app, pilot):
        assert app.tree.select_item("block", "b3")
        line_before = app.tree.cursor_line
        c = Clocked(app.latest_event_at)  # type: ignore[arg-type]
        feed.push(
            block(
                c.tick(),
                "b3",
                "p1",
                0,
                mc("Do you own a car?", ("1", "Yes")),
                event="block.updated",
            ),
            block(c.tick(), "b1", "p1", 2, text("Welcome to our survey."), event="block.updated"),
        )
        await settle(pilot, app)
        p1 = app.tree.node_for(("page", "p1"))
        assert [n.data.id for n in p1.children][:3] == ["b3", "b2", "b1"]  # type: ignore[union-attr]
        assert app.tree.item is not None and app.tree.item.id == "b3"
        assert app.tree.cursor_line == line_before - 2  # it moved up two rows, with its block
        # Numbering follows survey order: the car question is now q1.
        assert app.tree.ref_name("b3") == "q1"
        assert app.tree.ref_name("b2") == "q2"


async def test_new_pages_above_the_cursor_do_not_move_the_cursor_off_its_item(
    feed: FeedSource,
) -> None:
    async with screener_app(feed) as (app, pilot):
        app.tree.select_item("page", "p3")
        c = Clocked(app.latest_event_at)  # type: ignore[arg-type]
        feed.push(page(c.tick(), "p0", "Intro", -1), page(c.tick(), "p2b", "Extra", 1))
        await settle(pilot, app)
        assert app.tree.item is not None and app.tree.item.id == "p3"
        assert [label.split("  ")[0] for label in app.tree.labels()[:5]] == [
            "· 1. Intro",
            "✓ 2. Screener",
            "· 3. Disqualified",
            "· 4. Extra",
            "⠋ 5. Satisfaction",
        ]


async def test_deleting_the_selected_block_moves_the_cursor_to_a_neighbour(
    feed: FeedSource,
) -> None:
    async with screener_app(feed) as (app, pilot):
        app.tree.select_item("block", "b2")
        c = Clocked(app.latest_event_at)  # type: ignore[arg-type]
        feed.push(deleted(c.tick(), "block", "b2"))
        await settle(pilot, app)
        assert ("block", "b2") not in app.tree
        assert app.tree.item is not None and app.tree.item.id == "b1"
        # b3 is now the first question, q1, so its showIf (`q1.value != '1'`) reads its own
        # answer: a routing problem inside the page
        assert app.tree.labels()[0] == "✓ 1. Screener      2 blocks · 2 rules  ✗ 1 inside"


async def test_deleting_a_page_removes_it_and_rules_that_lead_to_it(feed: FeedSource) -> None:
    async with screener_app(feed) as (app, pilot):
        app.tree.select_item("page", "p1")
        app.tree.cursor_node.expand()  # type: ignore[union-attr]
        await pilot.pause()
        c = Clocked(app.latest_event_at)  # type: ignore[arg-type]
        feed.push(deleted(c.tick(), "page", "p2"))
        await settle(pilot, app)
        assert ("page", "p2") not in app.tree
        assert ("rule", "r1") not in app.tree
        assert [label.split("  ")[0] for label in app.tree.labels()] == [
            "✓ 1. Screener",
            "⠋ 2. Satisfaction",
            "Variables",
        ]


async def test_blocks_that_arrive_before_their_page_appear_when_the_page_does(
    feed: FeedSource,
) -> None:
    app = make_app(feed)
    async with app.run_test(size=(120, 40)) as pilot:
        c = Clocked()
        feed.push(
            survey(c.tick()),
            block(c.tick(), "late1", "px", 0, mc("Early bird?", ("1", "Yes"))),
            block(c.tick(), "late2", "px", 1, text("Thanks")),
        )
        await settle(pilot, app)
        assert app.tree.labels() == []
        feed.push(page(c.tick(), "px", "Late page", 0))
        await settle(pilot, app)
        assert app.tree.labels() == ["· 1. Late page  2 blocks"]
        assert app.tree.select_item("block", "late1")
        assert app.tree.labels(app.tree.node_for(("page", "px"))) == [
            "MC  q1  Early bird?",
            "TXT ·   Thanks",
        ]


async def test_variables_group_appears_updates_and_disappears(feed: FeedSource) -> None:
    app = make_app(feed)
    async with app.run_test(size=(120, 40)) as pilot:
        c = Clocked()
        feed.push(survey(c.tick()), page(c.tick(), "p1", "One", 0))
        await settle(pilot, app)
        assert app.tree.labels() == ["· 1. One  0 blocks"]
        feed.push(variable(c.tick(), "v1", "score", "q1.value"))
        await settle(pilot, app)
        assert app.tree.labels()[-1] == "Variables  (1)"
        app.tree.select_item("variable", "v1")
        feed.push(variable(c.tick(), "v1", "score", "sum(q1)", event="variable.updated"))
        await settle(pilot, app)
        group = app.tree.node_for(("variables", ""))
        assert app.tree.labels(group) == ["score = sum(q1)  ✗ unknown name"]  # no q1 yet
        feed.push(deleted(c.tick(), "variable", "v1"))
        await settle(pilot, app)
        assert app.tree.labels() == ["· 1. One  0 blocks"]


async def test_a_rule_whose_target_is_renamed_shows_the_new_name(feed: FeedSource) -> None:
    async with screener_app(feed) as (app, pilot):
        app.tree.select_item("rule", "r1")
        c = Clocked(app.latest_event_at)  # type: ignore[arg-type]
        feed.push(page(c.tick(), "p2", "Screened out", 1, event="page.updated"))
        await settle(pilot, app)
        assert app.tree.node_for(("rule", "r1")).label.plain == (  # type: ignore[union-attr]
            "→ Screened out  if q1.value == '1'"
        )


async def test_events_for_another_survey_do_not_touch_the_tree(feed: FeedSource) -> None:
    async with screener_app(feed) as (app, pilot):
        c = Clocked(app.latest_event_at)  # type: ignore[arg-type]
        other = page(c.tick(), "q1", "Someone else's page", 0)
        other["data"]["survey_id"] = "another-survey"
        feed.push(other, rule(c.tick(), "rx", "q1", "q1", None))
        await settle(pilot, app)
        assert len(app.tree.labels()) == 4
        assert ("page", "q1") not in app.tree


async def test_a_small_survey_loaded_from_a_snapshot_opens_every_page(feed: FeedSource) -> None:
    store = SurveyStore()
    for envelope in screener_stream():
        store.apply(parse_event(envelope))
    snapshot = store.survey(SURVEY).dump()
    app = make_app(feed)
    async with app.run_test(size=(120, 40)) as pilot:
        feed.load(snapshot)
        await settle(pilot, app)
        pages = [p.id for p in store.pages(SURVEY)]
        assert pages and all(app.tree.node_for(("page", p)).is_expanded for p in pages)
        assert ("block", "b1") in app.tree


async def test_a_relabelled_line_shows_its_new_label_on_screen_and_when_scrolled_to(
    feed: FeedSource,
) -> None:
    app = make_app(feed)
    async with app.run_test(size=(120, 24)) as pilot:
        feed.push(*screener_stream())
        c = Clocked(app.latest_event_at or T0)
        feed.push(*(block(c.tick(), f"x{n}", "p2", n, mc(f"Extra {n}")) for n in range(30)))
        await settle(pilot, app)
        tree = app.tree

        def screen_lines() -> list[str]:
            return [tree.render_line(y).text for y in range(tree.size.height)]

        last_line = len(tree._tree_lines) - 1
        assert tree.size.height < last_line  # the last page's lines are off screen
        c = Clocked(app.latest_event_at)  # type: ignore[arg-type]
        feed.push(
            block(c.tick(), "b1", "p1", 0, text("Hello again"), event="block.updated"),
            block(c.tick(), "b4", "p3", 0, text("Rewritten far below"), event="block.updated"),
        )
        await settle(pilot, app)
        assert any("Hello again" in line for line in screen_lines())
        assert not any("Rewritten" in line for line in screen_lines())
        await pilot.press("end")
        await pilot.pause()
        assert any("Rewritten far below" in line for line in screen_lines())
