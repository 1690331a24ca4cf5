"""Detail pane, status bar, pause, filter, jump, copy/save, help, keymap, layout sizes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Static

from qtui.config import load_settings
from qtui.tui.clock import Clock
from qtui.tui.keys import KEYS
from qtui.tui.screens.help import HelpScreen
from qtui.tui.screens.json_view import JsonScreen
from qtui.tui.screens.jump import JumpScreen
from qtui.tui.sources import FeedSource
from qtui.tui.widgets.detail import DetailPane
from qtui.tui.widgets.status_bar import ProgressRow, StatusBar
from tests.tui.conftest import make_app, pushed_app, screener_app, settle, until
from tests.tui.envelopes import T0, Clocked, page, programming, rule, screener_stream, survey


def detail_text(app) -> str:  # type: ignore[no-untyped-def]
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(app.query_one(DetailPane).content)
    return console.export_text()


def status_text(app) -> str:  # type: ignore[no-untyped-def]
    bar = app.query_one(StatusBar)
    return bar.render().plain if hasattr(bar.render(), "plain") else str(bar.render())


async def test_block_detail_shows_type_label_choices_show_if_and_attention(
    feed: FeedSource,
) -> None:
    async with screener_app(feed) as (app, pilot):
        app.tree.select_item("block", "b3")
        await pilot.pause()
        text = detail_text(app)
        assert "q2  MultipleChoice" in text
        assert "Needs attention: Unclear skip logic in source" in text
        assert "Do you own a car?" in text
        assert "1  Yes" in text and "2  No" in text
        assert "q1.value != '1'" in text
        assert "Page           Screener" in text


async def test_rule_detail_shows_condition_source_and_target(feed: FeedSource) -> None:
    async with screener_app(feed) as (app, pilot):
        app.tree.select_item("rule", "r1")
        await pilot.pause()
        text = detail_text(app)
        assert "→ Disqualified" in text
        assert "If         q1.value == '1'" in text
        assert "From       Screener" in text
        assert "✗" not in text


async def test_rule_condition_that_does_not_parse_shows_the_error_with_a_caret(
    feed: FeedSource,
) -> None:
    c = Clocked(T0.replace(minute=30))
    later = [rule(c.tick(), "r1", "p1", "p2", "q1.value = '1'", event="navigation_rule.updated")]
    async with pushed_app(feed, screener_stream(), later) as (app, pilot):
        app.tree.select_item("rule", "r1")
        await pilot.pause()
        lines = detail_text(app).splitlines()
        error = next(i for i, line in enumerate(lines) if "(column 10)" in line)
        assert "✗ use '==' to compare (column 10)" in lines[error]
        assert lines[error + 1].strip() == "q1.value = '1'"
        source_col = lines[error + 1].index("q1")
        assert lines[error + 2].index("^") == source_col + 9


async def test_finished_job_shows_its_outcome_and_reason(feed: FeedSource) -> None:
    c = Clocked(T0.replace(minute=2))
    later = [programming(c.tick(), "finished", "failed", reason="source file unreadable")]
    async with pushed_app(feed, screener_stream(), later) as (app, pilot):
        progress = app.query_one(ProgressRow)
        assert "-failed" in progress.classes
        assert str(progress.query_one("#progress-label").render()) == "Programming"
        info = str(progress.query_one("#progress-info").render())
        assert info == "1/3 pages · 1:59 · failed: source file unreadable"


async def test_pause_counts_pending_events_and_resume_applies_them(feed: FeedSource) -> None:
    async with screener_app(feed) as (app, pilot):
        await pilot.press("p")
        c = Clocked()
        c.now = c.now.replace(minute=30)
        feed.push(page(c.tick(), "p4", "Thanks", 3), page(c.tick(), "p5", "End", 4))
        await pilot.pause(0.1)
        assert ("page", "p4") not in app.tree  # view frozen
        assert app.store.page("p4") is not None  # but the event is stored
        assert " PAUSED " in status_text(app)
        assert "+2 pending" in status_text(app)
        await pilot.press("p")
        await settle(pilot, app)
        assert ("page", "p4") in app.tree and ("page", "p5") in app.tree
        assert "pending" not in status_text(app)
        assert status_text(app).startswith(" LIVE ")


async def test_filter_keeps_matching_items_and_escape_restores_the_tree(
    feed: FeedSource,
) -> None:
    async with screener_app(feed) as (app, pilot):
        await pilot.press("slash", *"car")
        await pilot.pause()
        assert app.tree.labels() == ["✓ 1. Screener      3 blocks · 2 rules"]
        assert app.tree.labels(app.tree.node_for(("page", "p1"))) == [
            "MC   q2  Do you own a car?  if…  ! "
        ]
        await pilot.press("enter", "down", "down")  # back in the tree, on the match
        assert app.tree.item is not None and app.tree.item.id == "b3"
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert len(app.tree.labels()) == 4
        assert app.tree.item is not None and app.tree.item.id == "b3"  # stays on it


async def test_filter_matches_reference_names(feed: FeedSource) -> None:
    async with screener_app(feed) as (app, pilot):
        await pilot.press("slash", "q", "1")
        await pilot.pause()
        children = app.tree.labels(app.tree.node_for(("page", "p1")))
        assert children[0] == "MC   q1  How old are you?"
        assert "→ Disqualified  if q1.value == '1'" in children


async def test_go_to_page_filters_as_you_type_and_moves_the_cursor(feed: FeedSource) -> None:
    async with screener_app(feed) as (app, pilot):
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, JumpScreen))
        await pilot.press(*"satis")
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, JumpScreen))
        assert app.tree.item is not None and app.tree.item.id == "p3"


async def test_go_to_page_says_when_nothing_matches_and_enter_keeps_what_was_typed(
    feed: FeedSource,
) -> None:
    async with screener_app(feed) as (app, pilot):
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, JumpScreen))
        await pilot.press(*"satz")
        await pilot.pause()
        listed = app.screen.query_one("#jump-list")
        assert "No page matches 'satz'" in str(listed.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, JumpScreen)  # still open, the typing kept to correct
        await pilot.press("backspace", "i")
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, JumpScreen))
        assert app.tree.item is not None and app.tree.item.id == "p3"


async def test_copy_puts_the_selected_items_json_on_the_clipboard_and_says_so(
    feed: FeedSource,
) -> None:
    async with screener_app(feed) as (app, pilot):
        app.tree.select_item("block", "b2")
        await pilot.press("c")
        copied = json.loads(app.clipboard)
        assert copied["id"] == "b2"
        assert copied["config"]["choices"][0] == {"label": "Under 18", "value": "1"}
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("Copied block q1 as JSON") for m in messages)


async def test_save_writes_the_items_json_to_the_current_directory(
    feed: FeedSource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    async with screener_app(feed) as (app, pilot):
        app.tree.select_item("rule", "r1")
        await pilot.press("s", "s")
        assert json.loads((tmp_path / "qtui-rule-Disqualified.json").read_text())["id"] == "r1"
        assert (tmp_path / "qtui-rule-Disqualified-2.json").exists()  # never overwrites
        messages = [n.message for n in app._notifications]
        assert f"Saved to {tmp_path / 'qtui-rule-Disqualified.json'}" in messages


async def test_enter_on_an_event_shows_its_json_and_c_copies_it(feed: FeedSource) -> None:
    async with screener_app(feed) as (app, pilot):
        app.query_one("#log").focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, JsonScreen))
        await pilot.press("c")
        shown = json.loads(app.clipboard)
        assert shown["envelope"]["event"] == "page.updated"
        assert shown["verified"] is True and shown["seq"] == len(screener_stream())
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, JsonScreen))


async def test_help_lists_every_key_from_the_table_and_the_focused_panels_help(
    feed: FeedSource,
) -> None:
    app = make_app(feed)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        screen = app.screen
        assert screen.help_title == "Survey tree"  # type: ignore[attr-defined]
        table = screen.query_one("#help-keys")
        ids = [str(table.get_row_at(i)[3]) for i in range(table.row_count)]  # type: ignore[attr-defined]
        assert ids == [key.id for key in KEYS]


async def test_keymap_from_the_config_file_remaps_pause(
    feed: FeedSource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keymap]\n"qtui.pause" = "f8"\n')
    monkeypatch.setenv("QTUI_CONFIG", str(config))
    settings = load_settings()
    app = make_app(feed, keymap=settings.keymap)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("p")
        assert not app.paused  # p no longer pauses
        await pilot.press("f8")
        assert app.paused


async def test_unknown_theme_falls_back_and_names_the_valid_ones(feed: FeedSource) -> None:
    app = make_app(feed, theme="solarized-nope")
    async with app.run_test(size=(120, 40)):
        assert app.theme == "qtui-dark"
        messages = [n.message for n in app._notifications]
        assert any(
            "Unknown theme 'solarized-nope'" in m and "qtui-high-contrast" in m for m in messages
        )


async def test_high_contrast_theme_is_selectable(feed: FeedSource) -> None:
    app = make_app(feed, theme="qtui-high-contrast")
    async with app.run_test(size=(120, 40)):
        assert app.theme == "qtui-high-contrast"


async def test_at_80x24_the_detail_goes_below_the_tree_and_the_log_starts_hidden(
    feed: FeedSource,
) -> None:
    app = make_app(feed)
    async with app.run_test(size=(80, 24)) as pilot:
        feed.push(*screener_stream())
        await settle(pilot, app)
        screen = app.screen
        assert screen.has_class("-narrow") and screen.has_class("-log-hidden")
        tree, detail = app.query_one("#tree-pane"), app.query_one(DetailPane)
        assert detail.region.y > tree.region.y and detail.region.x == tree.region.x
        assert not app.query_one("#log").display
        await pilot.press("e")
        await pilot.pause()
        assert app.query_one("#log").display


async def test_below_the_minimum_size_it_says_the_terminal_is_too_small(
    feed: FeedSource,
) -> None:
    app = make_app(feed)
    async with app.run_test(size=(50, 12)) as pilot:
        await pilot.pause()
        message = app.query_one("#too-small", Static)
        assert message.display and app.screen.has_class("-too-small")
        assert str(message.render()) == "terminal too small — need at least 60×15 (now 50×12)"
        assert not app.query_one("#main").display


async def test_survey_node_detail_shows_status_platform_and_counts(feed: FeedSource) -> None:
    c = Clocked(T0.replace(minute=40))
    later = [
        survey(
            c.tick(),
            status="reviewing",
            platform="qualtrics",
            platform_ir_last_pushed_at="2025-04-01T10:40:00Z",
        )
    ]
    async with pushed_app(feed, screener_stream(), later) as (app, pilot):
        app.tree.select_item("survey", app.survey_id or "")
        await pilot.pause()
        text = detail_text(app)
        assert "Status       reviewing" in text
        assert "Platform     qualtrics" in text
        assert "3 pages (1 programmed) · 4 blocks · 2 rules · 1 variable" in text
        assert "pushed 10:40:00" in status_text(app)


def test_fixed_clock_shows_times_in_the_given_zone() -> None:
    from datetime import UTC, datetime

    clock = Clock.fixed(datetime(2025, 4, 1, 10, 0, tzinfo=UTC))
    assert clock.hms(datetime(2025, 4, 1, 10, 4, 12, tzinfo=UTC)) == "10:04:12"
