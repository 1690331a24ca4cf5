"""The survey's own routing problems in the live view: marks, detail, status, the list."""

from __future__ import annotations

from qtui.core.models import NavigationRule, Page, Survey
from qtui.tui.problems import check
from qtui.tui.screens.problems import ProblemsScreen
from qtui.tui.sources import FeedSource
from tests.tui.conftest import make_app, pushed_app, screener_app, settle, until
from tests.tui.envelopes import T0, Clocked, page, problem_stream, rule, screener_stream
from tests.tui.test_screen import detail_text, status_text


def label(app, kind: str, item_id: str) -> str:  # type: ignore[no-untyped-def]
    node = app.tree.node_for((kind, item_id))
    assert node is not None, (kind, item_id)
    return node.label.plain


async def test_a_page_no_route_reaches_is_marked_until_a_later_event_fixes_it(
    feed: FeedSource,
) -> None:
    async with screener_app(feed) as (app, pilot):
        assert "· no problems found ·" in status_text(app)
        c = Clocked(app.latest_event_at)  # type: ignore[arg-type]
        feed.push(
            page(c.tick(), "p4", "Bonus", 3),
            page(c.tick(), "p5", "Thanks", 4),
            rule(c.tick(), "r3", "p3", "p5", None),  # always jumps past Bonus
        )
        await settle(pilot, app)
        assert label(app, "page", "p4") == "· 4. Bonus         0 blocks  ✗ unreachable"
        assert "✗" not in label(app, "page", "p5")
        assert "· 1 problem (x) ·" in status_text(app)
        feed.push(
            rule(c.tick(), "r3", "p3", "p5", "q1.value == '3'", event="navigation_rule.updated")
        )
        await settle(pilot, app)
        assert label(app, "page", "p4") == "· 4. Bonus         0 blocks"
        assert "· no problems found ·" in status_text(app)


async def test_a_rule_to_a_page_not_created_yet_is_marked_until_the_page_arrives(
    feed: FeedSource,
) -> None:
    c = Clocked(T0.replace(minute=5))
    later = [rule(c.tick(), "r9", "p3", "p9", "q1.value == '2'")]
    async with pushed_app(feed, screener_stream(), later) as (app, pilot):
        assert label(app, "rule", "r9").endswith("  ✗ missing target")
        # The page shows it too, so a closed page still says where to look.
        assert label(app, "page", "p3") == "⠋ 3. Satisfaction  1 block · 1 rule  ✗ 1 inside"
        feed.push(page(c.tick(), "p9", "Follow-up", 3))
        await settle(pilot, app)
        assert "✗" not in label(app, "rule", "r9")
        assert "✗" not in label(app, "page", "p3")


async def test_detail_shows_the_selected_items_findings_and_the_surveys_count(
    feed: FeedSource,
) -> None:
    async with pushed_app(feed, problem_stream()) as (app, pilot):
        app.tree.select_item("page", "p4")
        await pilot.pause()
        assert "✗ unreachable: page 'Bonus' cannot be reached from the start" in detail_text(app)
        app.tree.select_item("rule", "r4")
        await pilot.pause()
        assert "✗ syntax error: condition: use '==' to compare at column 25" in detail_text(app)
        app.tree.select_item("survey", app.survey_id or "")
        await pilot.pause()
        assert "Routing      2 problems · x lists them" in detail_text(app)


async def test_x_lists_the_problems_in_survey_order_and_enter_goes_to_the_item(
    feed: FeedSource,
) -> None:
    async with pushed_app(feed, problem_stream()) as (app, pilot):
        app.tree.select_item("page", "p1")
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ProblemsScreen))
        rows = app.screen.rows  # type: ignore[attr-defined]
        assert [(row.kind, row.where) for row in rows] == [
            ("parse_error", "rule Disqualified → Thanks"),
            ("unreachable", "4. Bonus"),
        ]
        await pilot.press("down", "enter")
        await until(pilot, lambda: not isinstance(app.screen, ProblemsScreen))
        assert app.tree.item is not None and app.tree.item.key == ("page", "p4")
        assert app.tree.has_focus
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ProblemsScreen))
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, ProblemsScreen))
        assert app.tree.item is not None and app.tree.item.key == ("rule", "r4")


async def test_a_new_check_repaints_only_the_nodes_whose_findings_changed(
    feed: FeedSource,
) -> None:
    async with pushed_app(feed, problem_stream()) as (app, pilot):
        before = {key: node._updates for key, node in app.tree._index.items()}
        checks = app.problems.report
        c = Clocked(app.latest_event_at)  # type: ignore[arg-type]
        feed.push(
            rule(c.tick(), "r4", "p2", "p5", "q2.value == '1'", event="navigation_rule.updated")
        )
        await settle(pilot, app)
        assert app.problems.report is not checks  # checked again
        repainted = {key for key, node in app.tree._index.items() if node._updates != before[key]}
        # The rule (its text and its mark) and its page (its count); Bonus is still
        # unreachable, so neither it nor anything else is touched.
        assert repainted <= {("rule", "r4"), ("page", "p2"), ("survey", app.survey_id)}
        assert ("rule", "r4") in repainted
        assert label(app, "page", "p4").endswith("✗ unreachable")


async def test_a_big_survey_is_checked_only_when_asked(feed: FeedSource) -> None:
    app = make_app(feed)
    app.problems.big = 3  # as if 3 pages took seconds to check
    async with app.run_test(size=(120, 40)) as pilot:
        feed.push(*problem_stream())
        await settle(pilot, app)
        assert app.problems.report is None
        assert "routes not checked yet · x checks" in status_text(app)
        assert "✗" not in label(app, "page", "p4")
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ProblemsScreen))
        await until(pilot, lambda: len(app.screen.rows) == 2)  # type: ignore[attr-defined]
        assert label(app, "page", "p4").endswith("✗ unreachable")
        assert "· 2 problems (x) ·" in status_text(app)


def test_every_page_of_a_loop_carries_the_loop_and_it_is_counted_once() -> None:
    survey = Survey(
        id="s",
        pages=[
            Page(id="a", name="A", order=0),
            Page(
                id="b",
                name="B",
                order=1,
                navigation_rules=[NavigationRule(id="back", target_page_id="a", order=0)],
            ),
        ],
    )
    report = check(survey)
    loops = [p for p in report.problems if p.finding.kind == "cycle"]
    assert len(loops) == 1
    assert report.by_key[("page", "a")][-1] == report.by_key[("page", "b")][-1] == loops[0].finding
