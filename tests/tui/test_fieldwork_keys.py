"""The fieldwork screen's keys, help and layout, used with Pilot the way a person would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Footer, Input, OptionList, Sparkline, Static, TabbedContent
from textual.widgets._footer import FooterKey

from qtui.sandbox import oktave
from qtui.tui.app import QtuiApp
from qtui.tui.screens.fieldwork import FieldworkScreen, IncidentScreen
from qtui.tui.screens.help import HelpScreen
from qtui.tui.sources import FeedSource
from tests.tui.conftest import make_app, settle, until
from tests.tui.envelopes import T0, screener_stream
from tests.tui.fieldwork_frames import SV, apply_fieldwork


@asynccontextmanager
async def fieldwork_open(
    size: tuple[int, int] = (120, 40), *, fielded: bool = True
) -> AsyncIterator[tuple[QtuiApp, Pilot[Any], FieldworkScreen]]:
    """The app with the screener survey, fieldwork frames applied (or none), `F` pressed."""
    feed = FeedSource()
    app = make_app(feed)
    async with app.run_test(size=size) as pilot:
        feed.push(*screener_stream())
        await settle(pilot, app)
        if fielded:
            await apply_fieldwork(app)
        await pilot.press("F")
        screen = app.screen
        assert isinstance(screen, FieldworkScreen)
        await until(pilot, lambda: screen.figures is not None or not fielded)
        await pilot.pause(0.1)
        yield app, pilot, screen


def footer_keys(app: App[Any]) -> dict[str, str]:
    """What the footer shows: {key as shown: description}."""
    footer = app.screen.query_one(Footer)
    return {key.key_display: key.description for key in footer.query(FooterKey)}


def active_tab(screen: FieldworkScreen) -> str:
    return screen.query_one(TabbedContent).active


async def test_fieldwork_footer_shows_only_its_own_keys_and_tree_keys_do_nothing():
    async with fieldwork_open() as (app, pilot, screen):
        await until(pilot, lambda: "tab" in footer_keys(app))
        shown = footer_keys(app)
        descriptions = " ".join(shown.values()).lower()
        for tree_only in ("filter", "go to page", "events", "copy", "problems", "edit", "undo"):
            assert tree_only not in descriptions, shown
        assert {"esc", "p", "tab", "?", "q"} <= set(shown), shown
        # The command palette offers the same: this screen's commands, not the tree's.
        commands = {command.title for command in app.get_system_commands(screen)}
        assert {"Next tab", "Pause", "Back to tree", "Help", "Quit"} <= commands, commands
        assert not {"Filter", "Go to page", "Copy", "Problems", "Edit"} & commands, commands

        # Keys of the tree typed here reach nothing hidden and open nothing over the screen.
        main = app.main
        log_shown = main.log_view.display
        for key in ("slash", "a", "b", "c", "g", "e", "c", "x", "E", "u", "D", "o", "d", "s"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen, key
        assert main.log_view.display == log_shown
        await pilot.press("escape")
        assert app.screen is main
        assert not any(field.display for field in main.query(Input)), "a tree filter opened"
        assert main.tree.filter_text == ""
        assert main.tree.has_focus


async def test_fieldwork_tabs_switch_with_tab_shift_tab_and_digits_and_enter_opens_incident():
    async with fieldwork_open(size=(80, 24)) as (app, pilot, screen):
        assert active_tab(screen) == "pages"
        await pilot.press("tab")
        assert active_tab(screen) == "routes"
        await pilot.press("tab")
        assert active_tab(screen) == "incidents"
        # The footer is recomposed after the bindings change: wait for it.
        await until(pilot, lambda: "⏎" in footer_keys(app) or "enter" in footer_keys(app))
        await pilot.press("enter")  # straight away: the list has the focus
        await until(pilot, lambda: isinstance(app.screen, IncidentScreen))
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("tab")
        assert active_tab(screen) == "pages"  # wraps round
        await pilot.press("shift+tab")
        assert active_tab(screen) == "incidents"
        await pilot.press("shift+tab")
        assert active_tab(screen) == "routes"
        await pilot.press("1")
        assert active_tab(screen) == "pages"
        await pilot.press("3")
        assert active_tab(screen) == "incidents"
        assert screen.query_one("#fw-incidents", OptionList).has_focus


async def test_fieldwork_help_is_the_fieldwork_screens_own():
    async with fieldwork_open() as (app, pilot, screen):
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert help_screen.help_title == "Fieldwork"
        text = help_screen.help_text.lower()
        assert "tab" in text and "incidents" in text and "routes" in text and "pause" in text
        assert "the tree on the left" not in text
        rows = help_screen.key_rows()
        described = " ".join(row[1] for row in rows).lower()
        assert "filter the tree" not in described and "jump to a page" not in described
        shown_keys = {row[0] for row in rows}
        assert {"esc", "p", "tab", "shift+tab", "1 2 3", "enter", "? f1", "q"} <= shown_keys
        await pilot.press("escape")
        assert app.screen is screen


async def test_fieldwork_sparkline_is_flat_with_a_note_when_nothing_is_complete():
    async with fieldwork_open(fielded=False) as (app, pilot, screen):
        spark = screen.query_one("#fw-spark", Sparkline)
        await pilot.pause()
        drawn = "".join(spark.render_line(y).text for y in range(spark.size.height))
        assert "█" not in drawn and drawn.strip(), repr(drawn)
        note = screen.query_one("#fw-spark-note", Static)
        assert note.display and "no completes yet" in str(note.content)


async def test_fieldwork_incident_lines_tell_alike_incidents_apart_in_plain_text():
    camp = oktave.campaign(SV, "Streaming screener")
    when = T0.timestamp()
    frames = []
    # Same title, same comment count: only the response, the time and the status differ.
    for n, (response_id, minutes_ago, status) in enumerate(
        [("R_1a2b3c4d5e6f7g8", 8, "opened"), ("R_9z8y7x6w5v4u3t2", 130, "closed")]
    ):
        created = when + 60 - minutes_ago * 60  # the app's clock is T0 + 1 minute
        resp = oktave.response(
            response_id, camp, status="completed", started_at=created, now=created
        )
        note = oktave.comment(f"inc-{n}", "[red]call[/red] back", status, "Ann", now=created)
        incident = oktave.incident(
            f"inc-{n}",
            "Unhappy [bold]respondent",
            "Low score",
            resp,
            comments=[note],
            created_at=created,
            now=created,
        )
        envelope = oktave.envelope(
            "incident.created", incident, event_id=f"ev-{n}", timestamp=int(created), is_test=False
        )
        frames.append(
            {
                "type": "event",
                "seq": n + 1,
                "source": "oktave",
                "survey_id": SV,
                "received_at": T0.isoformat(),
                "envelope": envelope,
            }
        )
    async with fieldwork_open(size=(80, 24), fielded=False) as (app, pilot, screen):
        for frame in frames:
            await app.fieldwork.apply(frame)
        app.fieldwork.version += 1
        await pilot.press("3")
        options = screen.query_one("#fw-incidents", OptionList)
        await until(pilot, lambda: options.option_count == 2)
        lines = [str(options.get_option_at_index(i).prompt) for i in range(2)]
        assert lines[0] != lines[1]
        by_response = {line.split()[1]: line for line in lines}
        opened = next(line for line in lines if "R_1a2b3c4" in line)
        closed = next(line for line in lines if "R_9z8y7x6" in line)
        assert len(by_response) == 2
        assert "[opened]" in opened and "8 min ago" in opened and "09:53" in opened
        assert "[closed]" in closed and "2 h ago" in closed and "07:51" in closed
        assert "Unhappy [bold]respondent" in opened  # the title as typed, not markup
        drawn = "".join(options.render_line(y).text for y in range(options.size.height))
        assert "Unhappy [bold]respondent" in drawn
        assert "8 min ago" in drawn  # fits at 80 columns


async def test_fieldwork_totals_fit_80_columns_without_splitting_a_figure():
    from tests.tui.fieldwork_frames import callback

    async with fieldwork_open(size=(120, 40)) as (app, pilot, screen):
        # 1000 more respondents in progress: four-digit figures that used to wrap at 80.
        for n in range(100, 1100):
            await app.fieldwork.apply(callback(1000 + n, "startedRecipientSession", n, 16))
        app.fieldwork.version += 1
        totals = screen.query_one("#fw-totals", Static)
        await until(pilot, lambda: "in progress 1002" in str(totals.content))
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.3)
        assert totals.outer_size.width == 80
        drawn = [totals.render_line(y).text.rstrip() for y in range(totals.size.height)]
        assert 1 <= len([line for line in drawn if line]) <= 3, drawn
        text = "\n".join(drawn)
        for figure in (
            "started 1012",
            "completed 6",
            "screened 2",
            "in progress 1002",
            "incidence",
        ):
            assert figure in text, drawn  # label and value on one line, the important kept
        labels = (
            "started",
            "completed",
            "screened",
            "in progress",
            "partial",
            "over quota",
            "incidence",
            "completes/h",
            "median LOI",
            "incidents",
            "blacklisted",
        )
        for line in drawn:
            assert len(line) <= 80
            for label in labels:
                if line.endswith(label):
                    raise AssertionError(f"{label!r} split from its value: {drawn}")


async def test_fieldwork_routes_are_folded_page_runs_that_fit_80_columns_and_differ():
    from textual.widgets import DataTable

    async with fieldwork_open(size=(80, 24)) as (app, pilot, screen):
        await pilot.press("2")
        table = screen.query_one("#fw-routes", DataTable)
        await until(pilot, lambda: table.row_count > 1)
        await pilot.pause(0.2)
        paths = [str(table.get_row_at(row)[3]) for row in range(table.row_count)]
        assert len(set(paths)) == len(paths), paths  # no two routes read alike
        assert all("→" in path or "–" in path for path in paths), paths
        assert any("–" in path for path in paths), paths  # runs folded: 1–6→29
        assert all("→2→3→" not in path for path in paths), paths
        # Every route is drawn whole at 80 columns (the longest used to be cut).
        drawn = "\n".join(table.render_line(y).text for y in range(table.size.height))
        longest = max(paths, key=len)
        assert longest in drawn, (longest, drawn)
