"""Edits against the real Questra sandbox and relay on loopback (the demo's own pipeline):
the pending mark until the webhook confirms, a refusal kept in the form, a conflict shown
side by side, a locked survey read-only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from qtui.questra.client import QuestraClient
from qtui.tui.app import QtuiApp
from qtui.tui.clock import Clock
from qtui.tui.sources import DemoSource
from tests.tui.conftest import quiet_settings, settle, until
from tests.tui.edit_helpers import open_form, save_form, type_into, until_screen


@asynccontextmanager
async def demo_app(speed: float = 200) -> AsyncIterator[tuple[QtuiApp, Pilot[Any], QuestraClient]]:
    """The real `qtui` demo: sandbox + relay on loopback, the screener programmed."""
    source = DemoSource(speed=speed, questionnaire="screener")
    app = QtuiApp(source, settings=quiet_settings(), clock=Clock(), check_interval=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: source.demo is not None and app.survey_id is not None)
        demo = source.demo
        async with QuestraClient(demo.questra_url, demo.api_key, demo.org_id) as client:
            yield app, pilot, client


async def finished(pilot: Pilot[Any], app: QtuiApp) -> None:
    def done() -> bool:
        record = app.store.survey_record(app.survey_id or "")
        return bool(record and record.status == "reviewing" and not record.locked)

    await until(pilot, done, rounds=1500)
    await settle(pilot, app)


def first_question(app: QtuiApp) -> Any:
    return next(
        block
        for page in app.store.pages(app.survey_id or "")
        for block in app.store.blocks(page.id)
        if block.type == "MultipleChoice"
    )


async def test_an_edit_is_pending_until_its_webhook_comes_back_through_the_relay():
    async with demo_app() as (app, pilot, client):
        await finished(pilot, app)
        (hook,) = await client.list_webhooks()
        block = first_question(app)
        # Hold the webhooks back: deliveries fail (nothing listens on port 9) and are retried.
        await client.update_webhook(hook["id"], url="http://127.0.0.1:9/hooks/questra")
        await open_form(pilot, "block", block.id, "enter", "BlockForm")
        await type_into(pilot, "#f-label", "Which age group are you in?")
        await save_form(pilot)
        assert ("block", block.id) in app.editing.pending
        assert app.store.block(block.id).config.label == "Which age group are you in?"
        assert "⧗ pending" in str(app.tree.render_label(app.tree.cursor_node, *_styles()))
        await pilot.pause(0.3)
        assert ("block", block.id) in app.editing.pending  # no webhook, no confirmation
        await client.update_webhook(hook["id"], url=hook["url"])  # the retry gets through
        await until(pilot, lambda: ("block", block.id) not in app.editing.pending, rounds=1000)
        await settle(pilot, app)
        assert "pending" not in str(app.tree.render_label(app.tree.cursor_node, *_styles()))
        server = await client.get_block(block.id)
        assert server["config"]["label"] == "Which age group are you in?"


def _styles() -> tuple[Any, Any]:
    from rich.style import Style

    return Style(), Style()


async def test_a_refusal_keeps_the_form_open_with_the_platforms_message():
    async with demo_app() as (app, pilot, client):
        await finished(pilot, app)
        variable = app.store.variables(app.survey_id or "")[0]
        await open_form(pilot, "variable", variable.id, "enter", "VariableForm")
        # Meanwhile someone takes the name on Questra (the form cannot know it yet).
        await client.create_variable(app.survey_id or "", "takenMeanwhile", "true")
        await type_into(pilot, "#f-name", "takenMeanwhile")
        await pilot.press("f2")
        await until(pilot, lambda: "Refused" in str(app.screen.query_one("#form-message").render()))
        assert type(app.screen).__name__ == "VariableForm"
        message = str(app.screen.query_one("#form-message").render())
        assert "already exists" in message and "409" in message
        assert app.store.variable(variable.id).name == variable.name
        assert ("variable", variable.id) not in app.editing.pending


async def test_a_conflict_shows_both_versions_and_sends_mine_only_when_asked():
    async with demo_app() as (app, pilot, client):
        await finished(pilot, app)
        block = first_question(app)
        await open_form(pilot, "block", block.id, "enter", "BlockForm")
        await type_into(pilot, "#f-label", "Mine")
        config = {**block.config.dump(), "label": "Theirs"}
        await client.update_block(block.id, config=config)  # a colleague, meanwhile
        await pilot.press("f2")
        await until_screen(pilot, "ConflictScreen")
        assert "Mine" in str(app.screen.query_one("#conflict-mine").render())
        assert "Theirs" in str(app.screen.query_one("#conflict-theirs").render())
        assert (await client.get_block(block.id))["config"]["label"] == "Theirs"  # untouched
        await pilot.press("escape")  # back to the form, nothing sent
        await until_screen(pilot, "BlockForm")
        await pilot.press("f2")
        await until_screen(pilot, "ConflictScreen")
        await pilot.press("m")
        await until_screen(pilot, "MainScreen")
        await until(pilot, lambda: app.store.block(block.id).config.label == "Mine")
        assert (await client.get_block(block.id))["config"]["label"] == "Mine"


async def test_while_ai_programming_runs_the_survey_is_read_only_with_the_reason():
    async with demo_app(speed=0.5) as (app, pilot, client):
        await until(pilot, lambda: bool(app.store.pages(app.survey_id or "")), rounds=1500)
        await settle(pilot, app)
        record = app.store.survey_record(app.survey_id or "")
        assert record is not None and record.locked
        page = app.store.pages(app.survey_id or "")[0]
        await open_form(pilot, "page", page.id, "E", "PageForm")
        locked = str(app.screen.query_one("#form-locked").render())
        assert "locked while AI programming runs" in locked
        assert app.screen.query_one("#f-name", Input).disabled
        await pilot.press("f2")  # nothing is sent
        await pilot.pause()
        assert app.editing.sent == 0
        await pilot.press("escape")
        await until_screen(pilot, "MainScreen")
        await pilot.press("D")
        await pilot.pause()
        assert type(app.screen).__name__ == "MainScreen"  # no confirmation: refused at once
