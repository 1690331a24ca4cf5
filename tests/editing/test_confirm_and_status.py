"""What the delete confirmation says about a pushed survey, and the status bar of a local
file: `LOCAL`, not `LIVE`, `● unsaved` from the first edit until `w` writes it, and none of
a stream's rate or pause."""

from __future__ import annotations

from pathlib import Path

from qtui.qualtrics.state import LastPush, data_dir, record_last_push
from qtui.tui.app import QtuiApp
from qtui.tui.sources import FeedSource
from qtui.tui.widgets.footer import QtuiFooter
from tests.tui.conftest import pushed_app, settle, until
from tests.tui.edit_helpers import (
    editable_screener,
    file_app,
    open_form,
    screener_file,
    type_into,
    until_screen,
)
from tests.tui.envelopes import SURVEY, screener_stream


async def _confirmation(pilot, app: QtuiApp, kind: str, item_id: str) -> str:  # type: ignore[no-untyped-def]
    app.go_to_item(kind, item_id)
    await pilot.pause()
    await pilot.press("D")
    await until_screen(pilot, "ConfirmScreen")
    found = app.screen.query("#confirm-detail")
    said = str(found.first().render()) if found else ""
    await pilot.press("n")
    await until_screen(pilot, "MainScreen")
    return said


async def test_deleting_from_a_pushed_survey_says_its_responses_would_be_orphaned(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    async with editable_screener(FeedSource()) as (app, pilot):
        assert "pushed" not in await _confirmation(pilot, app, "block", "b3")
        page_note = await _confirmation(pilot, app, "page", "p1")
        assert "pushed" not in page_note and "3 blocks" in page_note
        survey = app.store.survey(SURVEY).dump()
        record_last_push(
            LastPush(SURVEY, "SV_pushed1", "http://q.test/API/v3", "2026-12-05T10:00:00Z", survey),
            data_dir(),
        )
        for kind, item_id in (("block", "b3"), ("page", "p1")):
            said = await _confirmation(pilot, app, kind, item_id)
            assert "pushed to Qualtrics (SV_pushed1" in said
            assert f"responses recorded against this {kind} there would be orphaned" in said
        assert app.store.block("b3") is not None and app.store.page("p1") is not None


async def test_deleting_a_page_names_it_once_and_counts_in_plain_english():
    async with editable_screener(FeedSource()) as (app, pilot):
        app.go_to_item("page", "p2")
        await pilot.pause()
        await pilot.press("D")
        await until_screen(pilot, "ConfirmScreen")
        question = str(app.screen.query_one("#confirm-question").render())
        detail = str(app.screen.query_one("#confirm-detail").render())
        await pilot.press("n")
        await until_screen(pilot, "MainScreen")
    assert question == "Delete page Disqualified?"
    assert "It holds 0 blocks and 0 rules and 1 rule of another page leads to it" in detail


def _status(app: QtuiApp) -> str:
    return str(app.screen.query_one("#status").render())


async def test_a_local_file_says_local_and_unsaved_until_written(tmp_path: Path):
    path, _ = screener_file(tmp_path)
    app = file_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.store.block("b2") is not None)
        await settle(pilot, app)
        assert _status(app).startswith(" LOCAL ") and "LIVE" not in _status(app)
        assert "unsaved" not in _status(app)
        await open_form(pilot, "block", "b2", "enter", "BlockForm")
        await type_into(pilot, "#f-label", "Age group")
        await pilot.press("f2")
        await until_screen(pilot, "MainScreen")
        await until(pilot, lambda: "● unsaved" in _status(app))
        await pilot.press("q")  # unsaved: the first q warns and stays
        await pilot.pause()
        assert app.is_running and "● unsaved" in _status(app)
        await pilot.press("w")
        await until(pilot, lambda: "unsaved" not in _status(app))
        assert _status(app).startswith(" LOCAL ")
    assert "Age group" in path.read_text(encoding="utf-8")


def _stream_bits(app: QtuiApp) -> tuple[bool, bool, bool]:
    """(ev/s in the status bar, p Pause in the footer, Pause in the palette)."""
    palette = {command.title for command in app.get_system_commands(app.screen)}
    return (
        "ev/s" in _status(app),
        "pause" in app.screen.query_one(QtuiFooter).shown_actions,
        "Pause" in palette,
    )


async def test_a_local_file_shows_no_event_rate_and_no_pause_key(tmp_path: Path):
    path, _ = screener_file(tmp_path)
    app = file_app(path)
    async with app.run_test(size=(200, 40)) as pilot:  # wide: nothing dropped for room
        await until(pilot, lambda: app.store.block("b2") is not None)
        await settle(pilot, app)
        assert _stream_bits(app) == (False, False, False)
        await pilot.press("p")
        await pilot.pause()
        assert not app.paused and "PAUSED" not in _status(app)


async def test_a_stream_keeps_its_event_rate_and_pause_key():
    async with pushed_app(FeedSource(), screener_stream(), size=(200, 40)) as (app, pilot):
        assert _stream_bits(app) == (True, True, True)
        await pilot.press("p")
        await pilot.pause()
        assert app.paused and _status(app).startswith(" PAUSED ")
