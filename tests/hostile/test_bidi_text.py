"""Bidirectional controls in survey text never reach the screen as themselves.

A terminal (or the browser under `qtui serve`, or an SVG screenshot) that lays out
right-to-left text obeys U+202E and its family: `Age \u202e81 rednu` reads `Age under 18`, so
a label could say something other than what it holds. Every kind — the embeddings and
overrides U+202A–U+202E, the isolates U+2066–U+2069, the marks U+200E, U+200F and U+061C —
is put in a page name, a block label, a choice, a condition and the survey's name, and every
screen that shows survey text is opened with Pilot and read the way the terminal gets it:
each control shows as one visible character (�), in place, and none is drawn raw. Input
fields keep the value as typed (so it can be edited) but draw it the same way.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import httpx
from textual.command import CommandList, CommandPalette
from textual.widgets import DataTable, Input, OptionList, TextArea

from qtui.core.models import Survey
from qtui.editing.local import LocalEditor
from qtui.relay.log import EventLog
from qtui.sandbox import oktave
from qtui.serving import serving
from qtui.text import one_line
from qtui.tui.fieldwork import FieldworkAvailable, FieldworkConfig
from qtui.tui.screens.coverage import CoverageScreen
from qtui.tui.screens.fieldwork import FieldworkScreen, IncidentScreen
from qtui.tui.screens.main import MainScreen
from qtui.tui.screens.walkthrough import WalkthroughScreen
from qtui.tui.sources import FeedSource
from qtui.tui.widgets.question import ChoiceQuestion
from tests.hostile.cli import run
from tests.qa.conftest import bundled
from tests.tui.conftest import make_app, pushed_app, settle, until
from tests.tui.edit_helpers import open_form, until_screen
from tests.tui.envelopes import SURVEY, T0, Clocked, block, mc, page, problem_stream, survey
from tests.tui.qa_sandbox import pushed_to_sandbox
from tests.tui.test_fieldwork import SV, Field, free_port, relay_app, totals

BIDI = [
    "\u202a",  # LRE
    "\u202b",  # RLE
    "\u202c",  # PDF
    "\u202d",  # LRO
    "\u202e",  # RLO
    "\u2066",  # LRI
    "\u2067",  # RLI
    "\u2068",  # FSI
    "\u2069",  # PDI
    "\u200e",  # LRM
    "\u200f",  # RLM
    "\u061c",  # ALM
]
# No spaces, so it reads back whole from the screen's text runs.
HOSTILE = "Age" + "".join(f"{control}{chr(97 + n)}" for n, control in enumerate(BIDI)) + "\u202e81"
SHOWN = "".join("\ufffd" if c in BIDI else c for c in HOSTILE)


def on_screen(app: Any) -> str:
    """The screen's text as the terminal gets it; no bidi control (nor ESC) is in it."""
    svg = app.export_screenshot()
    raw = sorted({f"U+{ord(c):04X}" for c in svg if c in BIDI or c == "\x1b"})
    assert not raw, f"{type(app.screen).__name__} draws {raw} as themselves"
    runs = re.findall(r">([^<]*)</text>", svg)
    return html.unescape("".join(runs)).replace("\xa0", " ")


def hostile_stream() -> list[dict[str, Any]]:
    """The screener with a problem, its texts made of every bidi control: the survey's name,
    the first page's name, a block's label, a choice and its showIf, and the page no route
    reaches (so the problems list names it)."""
    c = Clocked(T0.replace(minute=9))
    return [
        *problem_stream(),
        survey(c.tick(), status="programming", platform="qualtrics", name=HOSTILE),
        page(c.tick(), "p1", HOSTILE, 0, event="page.updated"),
        page(c.tick(), "p4", HOSTILE + "bonus", 3, event="page.updated"),
        block(
            c.tick(),
            "b3",
            "p1",
            2,
            mc(HOSTILE, ("1", HOSTILE + "yes"), ("2", "No"), showIf=f"q1.value != '{HOSTILE}'"),
            event="block.updated",
        ),
    ]


async def test_the_tree_and_every_screen_over_it_show_bidi_controls_visibly() -> None:
    feed = FeedSource()
    async with pushed_app(feed, hostile_stream(), size=(200, 50)) as (app, pilot):
        # The tree (pages open), the block's detail (label, choices, showIf), the event log,
        # the status bar.
        app.tree.focus()
        await pilot.press("o")
        app.tree.select_item("block", "b3")
        await pilot.pause()
        text = on_screen(app)
        assert SHOWN in text and f"{SHOWN}yes" in text and f"'{SHOWN}'" in text

        # Routing problems: the page no route reaches.
        await pilot.press("x")
        await until_screen(pilot, "ProblemsScreen")
        assert f"{SHOWN}bonus" in on_screen(app)
        await pilot.press("escape")
        await until_screen(pilot, "MainScreen")

        # Go to page: the page list.
        await pilot.press("g")
        await until_screen(pilot, "JumpScreen")
        assert SHOWN in on_screen(app)
        await pilot.press("escape")
        await until_screen(pilot, "MainScreen")

        # The command palette's pages.
        await pilot.press("colon")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Go to page")
        await until(pilot, lambda: len(app.screen.query_one(CommandList).options) > 1)
        await pilot.pause(0.2)
        assert SHOWN in on_screen(app)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))

        # The filter, typed with survey text: kept as typed, drawn visibly.
        await pilot.press("slash")
        field = app.screen.query_one("#filter", Input)
        field.value = HOSTILE
        await pilot.pause()
        assert field.value == HOSTILE
        assert SHOWN in field.render_line(0).text and SHOWN in on_screen(app)
        await pilot.press("escape")
        await pilot.pause()

        # The condition, whole.
        app.tree.focus()
        app.tree.select_item("block", "b3")
        await pilot.press("enter")
        await until_screen(pilot, "ConditionScreen")
        assert f"'{SHOWN}'" in on_screen(app)
        await pilot.press("escape")
        await until_screen(pilot, "MainScreen")

        # An event's JSON.
        app.query_one("#log").focus()
        await pilot.press("end", "enter")
        await until_screen(pilot, "JsonScreen")
        assert SHOWN in on_screen(app)
        await pilot.press("escape")
        await until_screen(pilot, "MainScreen")


async def test_edit_forms_keep_bidi_controls_as_typed_and_draw_them_visibly() -> None:
    feed = FeedSource()
    async with pushed_app(feed, hostile_stream(), size=(200, 50)) as (app, pilot):
        app.editing.attach(LocalEditor(app.editing.item_dump, SURVEY))

        await open_form(pilot, "page", "p1", "E", "PageForm")
        assert app.screen.query_one("#f-name", Input).value == HOSTILE
        assert on_screen(app).count(SHOWN) >= 2  # the title and the field
        await pilot.press("escape")
        await until_screen(pilot, "MainScreen")

        await open_form(pilot, "block", "b3", "E", "BlockForm")
        assert app.screen.query_one("#f-label", Input).value == HOSTILE
        choices = app.screen.query_one("#f-choices", TextArea)
        assert HOSTILE + "yes" in choices.text
        text = on_screen(app)
        assert SHOWN in text and f"{SHOWN}yes" in text and f"'{SHOWN}'" in text
        await pilot.press("escape")
        await until_screen(pilot, "MainScreen")

        await open_form(pilot, "page", "p1", "D", "ConfirmScreen")
        assert f"Delete page {SHOWN}?" in on_screen(app)
        await pilot.press("n")
        await until_screen(pilot, "MainScreen")

        await open_form(pilot, "block", "b4", "M", "MoveToPageScreen")
        assert SHOWN in on_screen(app)
        await pilot.press("escape")
        await until_screen(pilot, "MainScreen")

        await pilot.press("P")
        await until_screen(pilot, "PushScreen")
        assert f"Push · {SHOWN}" in on_screen(app)


def hostile_survey() -> Survey:
    """The bundled session screener with its first page of questions, its question and a
    choice (and the survey's name) made of every bidi control."""
    survey = bundled("screener_sessions")
    first = next(p for p in survey.pages if p.name == "Age")  # the first page of questions
    first.name = HOSTILE
    [question] = first.blocks
    question.config.label = HOSTILE  # type: ignore[union-attr]
    question.config.choices[0].label = HOSTILE + "yes"  # type: ignore[union-attr]
    survey.name = HOSTILE
    return survey


async def test_walkthrough_and_coverage_show_bidi_controls_visibly(tmp_path: Path) -> None:
    async with pushed_to_sandbox(hostile_survey(), tmp_path) as pushed:
        feed = FeedSource()
        async with pushed_app(feed, hostile_stream(), size=(200, 50)) as (app, pilot):
            session = pushed.session(tmp_path / "walks")
            app.push_screen(session.walkthrough_screen(app))
            await until(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
            walkthrough = app.screen
            assert isinstance(walkthrough, WalkthroughScreen)
            await until(pilot, lambda: bool(walkthrough.query(ChoiceQuestion)))
            await settle(pilot, app)
            text = on_screen(app)
            # the question, its choice, the page's title and the predicted route
            assert f"{SHOWN}yes" in text
            assert f"2. {SHOWN}" in text and " · step 1" in text  # page 2 of the source
            assert text.count(SHOWN) >= 4

            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, CoverageScreen))
            await pilot.pause(0.2)
            assert f"Route coverage · {SHOWN}" in on_screen(app)


async def test_fieldwork_and_an_incident_show_bidi_controls_visibly(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "relay.db")
    feed = FeedSource()
    app = make_app(feed)
    try:
        async with httpx.AsyncClient() as http, app.run_test(size=(200, 50)) as pilot:
            feed.push(*hostile_stream())
            await settle(pilot, app)
            async with serving(relay_app(log), port=free_port()) as relay:
                field = Field(http, relay.url)
                app.post_message(FieldworkAvailable(FieldworkConfig(relay.ws_url)))
                await field.respondent(1)
                await pilot.press("F")
                screen = app.screen
                assert isinstance(screen, FieldworkScreen)
                await until(pilot, lambda: "started 1" in totals(screen))
                await until(pilot, lambda: screen.query_one("#fw-pages", DataTable).row_count)
                assert f"1. {SHOWN}" in on_screen(app)  # the survey's pages, by name

                resp = oktave.response(
                    "R_1", oktave.campaign(SV), status="completed", started_at=1.7e9, now=1.7e9
                )
                note = oktave.comment("inc-1", HOSTILE + "note", "opened", "Ann", now=1.7e9)
                incident = oktave.incident(
                    "inc-1",
                    HOSTILE + "title",
                    HOSTILE + "body",
                    resp,
                    comments=[note],
                    created_at=1.7e9,
                    now=1.7e9,
                )
                assert (await field.emitter.send("incident.created", incident)).delivered
                await until(pilot, lambda: "incidents 1" in totals(screen))
                await pilot.press("3")
                options = screen.query_one("#fw-incidents", OptionList)
                await until(pilot, lambda: options.option_count == 1)
                assert f"{SHOWN}title" in on_screen(app)
                options.focus()
                await pilot.press("enter")
                await until(pilot, lambda: isinstance(app.screen, IncidentScreen))
                text = on_screen(app)
                assert f"{SHOWN}title" in text and f"{SHOWN}body" in text
                assert f"{SHOWN}note" in text
    finally:
        log.close()


def test_replay_print_shows_bidi_controls_in_the_survey_tree_visibly(tmp_path: Path) -> None:
    recording = tmp_path / "run.jsonl"
    recording.write_text("".join(json.dumps(e) + "\n" for e in hostile_stream()))
    answer = run(["replay", str(recording), "--print"])
    assert answer.code == 0, answer.stderr
    assert not any(c in answer.stdout for c in BIDI)
    assert f"1. {SHOWN}\n" in answer.stdout  # the page
    assert f"MC    {SHOWN}  (2 options)" in answer.stdout  # the block


def test_one_line_messages_and_log_lines_escape_every_bidi_control() -> None:
    line = one_line(HOSTILE)
    assert not any(c in line for c in BIDI)
    assert line.startswith("Age\\u202aa\\u202bb") and line.endswith("\\u061cl\\u202e81")
