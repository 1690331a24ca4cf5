"""The walkthrough and coverage screens, driven by Pilot against the Qualtrics sandbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from qtui.config import QualtricsSettings
from qtui.qualtrics.client import QualtricsClient
from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.serving import serving
from qtui.tui.qa_app import QaApp
from qtui.tui.screens.coverage import CoverageScreen
from qtui.tui.screens.walkthrough import WalkthroughScreen
from qtui.tui.widgets.question import ChoiceQuestion, TextQuestion
from tests.qa.conftest import bundled
from tests.qualtrics.conftest import mount
from tests.tui.conftest import until
from tests.tui.qa_sandbox import pushed_to_sandbox


@asynccontextmanager
async def qa_app(
    tmp_path: Path, *, name: str = "screener_sessions", tamper: str | None = None, **sandbox: Any
) -> AsyncIterator[tuple[QaApp, Any, QualtricsSandbox, str]]:
    """The sandbox on loopback, `name` pushed to it, and the walkthrough screen open on it."""
    async with pushed_to_sandbox(bundled(name), tmp_path, tamper=tamper, **sandbox) as pushed:
        session = pushed.session(tmp_path / "walks")
        app = QaApp(session)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(
                pilot, lambda: screen(app).walk is not None and bool(screen(app).walk.visited)
            )
            await pilot.pause()
            yield app, pilot, pushed.sandbox, pushed.survey_id


def under_18_rule() -> Any:
    """The screener's under-18 screen-out rule (the one tests tamper with)."""
    survey = bundled("screener_sessions")
    return next(
        r
        for p in survey.pages
        for r in p.navigation_rules
        if r.condition == "q1.value in ['under_18']"
    )


def screen(app: QaApp) -> WalkthroughScreen:
    found = app.screen
    assert isinstance(found, WalkthroughScreen), found
    return found


def questions(app: QaApp) -> list[Any]:
    return list(screen(app).query(".question").results())


async def next_page(pilot: Any, app: QaApp) -> None:
    before = (screen(app).walk.walks, len(screen(app).walk.visited), screen(app).walk.done)
    await pilot.press("enter")
    await until(
        pilot,
        lambda: (
            not screen(app).busy
            and (
                (screen(app).walk.walks, len(screen(app).walk.visited), screen(app).walk.done)
                != before
                or bool(screen(app).walk.errors or screen(app).walk.general_error)
            )
        ),
    )
    await pilot.pause()


async def test_a_tester_answers_with_digits_and_reaches_a_screen_out(tmp_path):
    async with qa_app(tmp_path) as (app, pilot, sandbox, survey_id):
        walk = screen(app).walk
        assert walk.engine == "platform"
        # Introduction holds only text: compiled for sessions, the platform never shows it
        assert walk.locator.name(walk.page_id) == "Age"
        [age] = questions(app)
        assert isinstance(age, ChoiceQuestion) and age.has_focus
        await pilot.press("1")  # "Under 18"
        assert age.value == age.choice_ids[0]
        await next_page(pilot, app)
        assert walk.done and walk.disposition == "screened out"
        assert walk.divergence is None
        assert "Disposition  screened out" in "\n".join(lines(app, "#qa-state"))
        assert walk.answers == {"q1": "under_18"}


async def test_the_platforms_forced_response_error_shows_on_its_question(tmp_path):
    async with qa_app(tmp_path) as (app, pilot, sandbox, survey_id):
        [age] = questions(app)
        await next_page(pilot, app)  # nothing chosen: Qualtrics refuses the page
        walk = screen(app).walk
        assert walk.locator.name(walk.page_id) == "Age"
        assert "requires a response" in age.error
        assert age.has_class("has-error")
        await pilot.press("down", "space")  # arrows and space choose too
        assert age.value == age.choice_ids[1]
        await next_page(pilot, app)
        assert walk.locator.name(walk.page_id) == "Region"


async def test_the_whole_error_shows_under_the_question_at_80_columns(tmp_path):
    async with qa_app(tmp_path) as (app, pilot, sandbox, survey_id):
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        [age] = questions(app)
        await next_page(pilot, app)  # nothing chosen: Qualtrics refuses the page
        await pilot.pause()
        assert len(age.error) > age.size.width  # the message wraps
        lines = age.render_lines(age.outer_size.region)
        shown = " ".join(" ".join(strip.text.replace("▊", "").split()) for strip in lines)
        assert " ".join(f"✗ {age.error}".split()) in shown


async def test_a_tampered_branch_raises_the_divergence_banner(tmp_path):
    rule = under_18_rule()
    async with qa_app(tmp_path, tamper=rule.id) as (app, pilot, sandbox, survey_id):
        await pilot.press("2")  # 18–24: the survey continues to Region…
        await next_page(pilot, app)
        walk = screen(app).walk
        await until(pilot, lambda: walk.disposition is not None)
        assert walk.disposition == "screened out"  # …the platform screens out
        banner = screen(app).query_one("#qa-banner")
        assert banner.display
        text = "\n".join(banner_lines(app))
        assert "DIVERGENCE" in text and "expected  Region" in text
        assert "reached   the end of the survey" in text
        assert "q1.value in ['under_18']" in text and 'q1="18_24"' in text


def lines(app: QaApp, selector: str) -> list[str]:
    """A widget's lines as shown."""
    widget = screen(app).query_one(selector)
    return [widget.render_line(y).text.rstrip() for y in range(widget.size.height)]


def banner_lines(app: QaApp) -> list[str]:
    """The divergence banner's lines as shown."""
    return lines(app, "#qa-banner")


async def test_at_80_columns_the_route_side_wraps_under_itself_and_names_pages(tmp_path):
    async with qa_app(tmp_path) as (app, pilot, sandbox, survey_id):
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        title = str(screen(app).query_one("#qa-page-title").render())
        assert title.startswith("2. Age · step 1"), title  # numbered as the route numbers it
        await pilot.press("3")  # 25–34: past the under-18 screen-out
        await next_page(pilot, app)
        await pilot.pause()
        route = lines(app, "#qa-route")
        assert any("2. Age" in line for line in route), route
        rule_lines = [line for line in route if line and not line[:6].strip()]
        assert rule_lines, route  # the rule under a page, in the value column
        ending = next(i for i, line in enumerate(route) if line.startswith("Expected ending"))
        pages = [line for line in route[1:ending] if line[:6].strip()]
        assert all(line[:6].strip()[-1] == "." for line in pages), route  # "● 12." columns
        assert not any(line.startswith("next page") for line in route), route  # never unindented
        state = "\n".join(lines(app, "#qa-state"))
        # The page the platform will show next, by name, not only by its id.
        assert "qtui_next_page = Region" in state, state
        assert "Disposition  in progress" in state


async def test_an_ended_walk_shows_next_page_dimmed_and_enter_says_what_to_do(tmp_path):
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

    async with qa_app(tmp_path) as (app, pilot, sandbox, survey_id):
        footer = screen(app).query_one(Footer)

        def next_key() -> FooterKey:
            return next(k for k in footer.query(FooterKey) if k.description == "Next page")

        assert not next_key().has_class("-disabled")
        await pilot.press("1")  # under 18: screened out
        await next_page(pilot, app)
        await until(pilot, lambda: next_key().has_class("-disabled"))  # dimmed
        await pilot.press("enter")
        await pilot.pause()
        assert screen(app).walk.done and screen(app).walk.walks == 1


async def test_the_divergence_banner_wraps_each_value_under_itself_at_80_columns(tmp_path):
    rule = under_18_rule()
    async with qa_app(tmp_path, tamper=rule.id) as (app, pilot, sandbox, survey_id):
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.press("2")
        await next_page(pilot, app)
        await until(pilot, lambda: screen(app).walk.disposition is not None)
        await pilot.pause()
        header, *rows = banner_lines(app)
        assert header.startswith("✗ DIVERGENCE")
        labels = {"expected", "reached", "after", "rule", "answers", ""}
        # Every line starts with a label or with the indent: wrapped text never runs back
        # under the labels.
        assert all(row[:10].strip() in labels for row in rows), rows
        wrapped = [row for row in rows if row and not row[:10].strip()]
        assert wrapped, rows  # at 80 columns some value is too long for one line
        values = " ".join(row[10:].strip() for row in rows)
        assert "the end of the survey" in values and "q1.value in ['under_18']" in values


async def test_restart_begins_a_new_session_and_close_ends_this_one(tmp_path):
    async with qa_app(tmp_path) as (app, pilot, sandbox, survey_id):
        await pilot.press("2")
        await next_page(pilot, app)
        walk = screen(app).walk
        assert len(walk.visited) == 2
        await pilot.press("r")
        await until(
            pilot, lambda: walk.walks == 2 and len(walk.visited) == 1 and not screen(app).busy
        )
        assert walk.answers == {}
        await pilot.press("x")
        await until(pilot, lambda: walk.done and walk.disposition is not None)
        assert walk.disposition == "closed"
        assert any(r["values"]["finished"] == 0 for r in sandbox.responses.values())


async def test_a_recorded_walk_replays_headless(tmp_path):
    from click.testing import CliRunner

    from qtui.cli import main

    async with qa_app(tmp_path) as (app, pilot, sandbox, survey_id):
        await pilot.press("2")
        await next_page(pilot, app)
        await pilot.press("5")  # outside the US
        await next_page(pilot, app)
        walk = screen(app).walk
        await until(pilot, lambda: walk.disposition is not None)
        assert walk.done and walk.disposition == "screened out"
        answers_file, transcript = screen(app).saved
        assert json.loads(answers_file.read_text())["answers"] == {
            "q1": "18_24",
            "q2": "outside_us",
        }
        assert "Region" in transcript.read_text()
        settings = app.session.settings
        env = {
            "QTUI_QUALTRICS_BASE_URL": settings.qualtrics.base_url,
            "QTUI_QUALTRICS_TOKEN": sandbox.token,
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
        }
        source = str(tmp_path / "survey.json")
        import asyncio

        result = await asyncio.to_thread(
            CliRunner().invoke,
            main,
            ["qa", survey_id, "--answers", str(answers_file), "--survey", source],
            env=env,
        )
        assert result.exit_code == 0, result.output
        assert "Route agrees with the prediction" in result.stdout
        assert "Age → Region" in result.stdout


async def test_text_entry_and_nps_are_answered_from_the_keyboard(tmp_path):
    async with qa_app(tmp_path, name="csat") as (app, pilot, sandbox, survey_id):
        walk = screen(app).walk
        [nps] = questions(app)
        assert isinstance(nps, ChoiceQuestion) and nps.nps
        await pilot.press("1", "0")  # 10
        assert walk.info(nps.question.questionId) is not None
        chosen = next(c.display for c in nps.question.choices if c.choiceId == nps.value)
        assert chosen.strip() == "10"
        await next_page(pilot, app)
        assert walk.locator.name(walk.page_id) == "Satisfaction"
        choice, text = questions(app)
        assert isinstance(choice, ChoiceQuestion) and isinstance(text, TextQuestion)
        await pilot.press("1", "tab")  # tab moves to the next question
        assert text.input.has_focus
        await pilot.press(*"great, no notes")  # letters that are keys elsewhere are typed
        assert text.value == "great, no notes"
        await pilot.press("enter")  # enter in the input submits the page
        await until(pilot, lambda: walk.done and walk.disposition == "complete")
        assert walk.answers["q3"] == "great, no notes" and walk.answers["q1"] == "10"


async def test_the_coverage_screen_walks_every_route_and_opens_one(tmp_path):
    async with qa_app(tmp_path) as (app, pilot, sandbox, survey_id):
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CoverageScreen))
        cover = app.screen
        assert isinstance(cover, CoverageScreen)
        await until(pilot, lambda: cover.run is not None, rounds=1000)
        assert cover.run.complete and not cover.run.divergences
        summary = str(cover.query_one("#cover-summary").render())
        assert "pages 12/12, rules 6/6, outcomes 10/10" in summary
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        await until(pilot, lambda: screen(app).walk is not None and bool(screen(app).walk.visited))
        route = cover.plan.routes[1]
        walk = screen(app).walk
        assert walk.prefill == route.answers
        expected = walk.locator.expected(route.prediction.shown)
        for _ in expected:
            await next_page(pilot, app)
        assert walk.done and walk.visited == expected


async def test_q_in_the_live_tree_walks_the_survey_last_pushed(tmp_path, monkeypatch):
    """The live survey pushed (text pages and all): the sessions API cannot take it, so `Q`
    walks the platform's definition in the local engine and says so."""
    from qtui.core.models import Survey
    from qtui.qualtrics.push import push_survey
    from qtui.qualtrics.state import PushState
    from qtui.tui.screens.main import MainScreen
    from qtui.tui.sources import FeedSource
    from tests.tui.conftest import make_app, settle
    from tests.tui.envelopes import SURVEY, screener_stream

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)  # the walk is recorded under ./qtui-walks
    fake = QualtricsSandbox()
    async with serving(mount(fake)) as running:
        feed = FeedSource()
        app = make_app(
            feed, qualtrics=QualtricsSettings(base_url=running.url, token=SecretStr(fake.token))
        )
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("Q")
            await pilot.pause(0.1)
            assert isinstance(app.screen, MainScreen)  # nothing pushed yet: a notice, no screen
            feed.push(*screener_stream())
            await settle(pilot, app)
            survey = app.store.survey(SURVEY)
            assert isinstance(survey, Survey)
            async with QualtricsClient(running.url, fake.token) as client:
                state = PushState.load(survey.id, client.base_url)
                report = await push_survey(client, survey, state=state)
            await pilot.press("Q")
            await until(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
            await until(
                pilot, lambda: app.screen.walk is not None and bool(app.screen.walk.visited)
            )
            walk = app.screen.walk
            assert walk.survey_id == report.qualtrics_survey_id
            assert walk.engine == "local engine" and walk.blocked
            assert "local engine" in str(app.screen.query_one("#qa-title").render())
            assert walk.locator.name(walk.page_id) == "Screener"
            await pilot.press("x")
            await until(pilot, lambda: walk.disposition == "closed")
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, MainScreen))
    assert list((tmp_path / "qtui-walks").glob("*.answers.json"))


async def test_esc_on_the_first_screen_quits_never_a_blank_screen(tmp_path):
    async with qa_app(tmp_path) as (app, pilot, sandbox, survey_id):
        assert len(app.screen_stack) == 1  # the walkthrough is the base screen
        await pilot.press("escape")
        await until(pilot, lambda: app.return_code is not None)
        assert app.return_code == 0


async def test_back_from_coverage_then_esc_quits(tmp_path):
    async with qa_app(tmp_path) as (app, pilot, sandbox, survey_id):
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CoverageScreen))
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        await pilot.press("escape")
        await until(pilot, lambda: app.return_code is not None)
        assert app.return_code == 0


async def test_help_explains_answering_and_lists_the_walkthrough_keys(tmp_path):
    from textual.widgets import DataTable, Markdown

    from qtui.tui.screens.help import HelpScreen

    async with qa_app(tmp_path) as (app, pilot, sandbox, survey_id):
        for key in ("question_mark", "f1"):
            await pilot.press(key)
            await until(pilot, lambda: isinstance(app.screen, HelpScreen))
            help_screen = app.screen
            text = help_screen.query_one(Markdown).source
            assert "`1` then `0` is 10" in text and "`space`" in text and "`tab`" in text
            table = help_screen.query_one(DataTable)
            rows = [str(table.get_row_at(i)[1]).split(":")[0] for i in range(table.row_count)]
            assert {"Next page", "Restart", "Close session", "Cover routes", "Back"} <= set(rows)
            assert "Filter" not in " ".join(rows)  # not the live tree's keys
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CoverageScreen))
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "Route coverage" in app.screen.query_one(Markdown).source


async def test_the_palette_lists_and_runs_the_walkthrough_commands(tmp_path):
    from textual.command import CommandPalette

    async with qa_app(tmp_path) as (app, pilot, sandbox, survey_id):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for wanted in ("Help", "Next page", "Restart", "Close session", "Cover routes", "Back"):
            assert wanted in titles
        walk = screen(app).walk
        await pilot.press("colon")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"close session")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: walk.disposition == "closed")


async def test_a_walk_restarted_before_any_answer_leaves_no_files_and_none_are_reused(tmp_path):
    async with qa_app(tmp_path) as (app, pilot, sandbox, survey_id):
        await pilot.press("2")
        await next_page(pilot, app)  # the main walk: one answer given
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CoverageScreen))
        cover = app.screen
        await until(pilot, lambda: cover.run is not None, rounds=1000)
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        route_walk = screen(app)
        await until(pilot, lambda: route_walk.walk is not None and bool(route_walk.walk.visited))
        await pilot.press("r")  # restarted before submitting anything
        await until(pilot, lambda: route_walk.walk.walks == 2 and not route_walk.busy)
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, CoverageScreen))
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        await pilot.press("escape")  # leaves, saving the main walk
        await until(pilot, lambda: app.return_code is not None)
    files = sorted((tmp_path / "walks").glob("*.answers.json"))
    documents = [json.loads(f.read_text()) for f in files]
    assert [d["answers"] for d in documents] == [{"q1": "18_24"}], documents
    assert len(list((tmp_path / "walks").glob("*.transcript.md"))) == 1


async def test_transcripts_keep_non_ascii_answers_readable(tmp_path):
    from textual import events

    async with qa_app(tmp_path, name="csat") as (app, pilot, sandbox, survey_id):
        walk = screen(app).walk
        await pilot.press("1", "0")
        await next_page(pilot, app)
        await pilot.press("1", "tab")
        typed = "[/] [red]é🎉 שלום"
        [_, text] = questions(app)
        await pilot.press(*"[/] [red]é")
        text.input.post_message(events.Paste("🎉"))  # pasted: keys carry no emoji
        await pilot.pause()
        await pilot.press(*" שלום")
        assert text.value == typed
        await pilot.press("enter")
        await until(pilot, lambda: walk.done and walk.disposition == "complete")
        await until(pilot, lambda: walk.saved is not None)
        answers_file, transcript = walk.saved
    written = transcript.read_text(encoding="utf-8")
    assert f'q3="{typed}"' in written and "\\u" not in written
    assert json.loads(answers_file.read_text(encoding="utf-8"))["answers"]["q3"] == typed
    assert "\\u" not in answers_file.read_text(encoding="utf-8")


async def test_the_palette_of_the_coverage_screen_opens_a_route(tmp_path):
    async with qa_app(tmp_path) as (app, pilot, sandbox, survey_id):
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CoverageScreen))
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Open route" in titles and "Back" in titles and "Next page" not in titles
        assert "Focus Next" not in titles  # Textual's own screen keys are not listed twice
        await pilot.press("colon", *"open route")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
