"""SVG snapshots of each edit form, the delete confirmation and the push screen.

Update with `pytest tests/tui/test_edit_snapshots.py --snapshot-update` and look at the report.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr
from textual.pilot import Pilot

from qtui.config import QualtricsSettings
from qtui.editing.local import LocalEditor
from tests.tui.conftest import settle, until
from tests.tui.edit_helpers import open_form, save_form, screener_file, type_into, until_screen
from tests.tui.envelopes import SURVEY, screener_stream
from tests.tui.test_snapshots import live_app


def opened_on(kind: str, item_id: str, key: str, screen: str, *typed: tuple[str, str]):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        app.source.push(*screener_stream())  # type: ignore[attr-defined]
        await settle(pilot, app)  # type: ignore[arg-type]
        app.editing.attach(LocalEditor(app.editing.item_dump, SURVEY))  # type: ignore[attr-defined]
        # As in test_snapshots: the log's scrollbar thumb is sometimes painted from before
        # its last scroll; leave it out of the pictures.
        app.query_one("#log").styles.scrollbar_size_vertical = 0
        await open_form(pilot, kind, item_id, key, screen)
        for selector, text in typed:
            await type_into(pilot, selector, text)
        app.refresh_status()  # the rate on the status bar, as of now (the clock is fixed)
        # No focus: a focused field's cursor and highlight are drawn at varying moments.
        app.screen.set_focus(None)
        await pilot.pause(0.1)

    return run_before


@pytest.mark.parametrize(
    ("kind", "item_id", "screen", "typed"),
    [
        ("block", "b2", "BlockForm", ()),
        ("block", "b3", "BlockForm", (("#f-showIf", "q1.value == '1' and ("),)),
        ("block", "b4", "BlockForm", ()),
        ("block", "b1", "BlockForm", ()),
        ("rule", "r1", "RuleForm", ()),
        ("page", "p2", "PageForm", ()),
        ("variable", "v1", "VariableForm", ()),
        ("survey", SURVEY, "SurveyForm", ()),
    ],
    ids=["mc", "showif-error", "matrix", "text", "rule", "page", "variable", "survey"],
)
def test_snapshot_edit_form(snap_compare, kind, item_id, screen, typed) -> None:  # type: ignore[no-untyped-def]
    app, _ = live_app()
    assert snap_compare(
        app, terminal_size=(100, 40), run_before=opened_on(kind, item_id, "E", screen, *typed)
    )


def test_snapshot_rule_form_at_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app, _ = live_app()
    assert snap_compare(
        app, terminal_size=(80, 24), run_before=opened_on("rule", "r1", "E", "RuleForm")
    )


def test_snapshot_delete_confirmation(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app, _ = live_app()
    assert snap_compare(
        app, terminal_size=(100, 30), run_before=opened_on("block", "b3", "D", "ConfirmScreen")
    )


def test_snapshot_push_screen_plan(snap_compare, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    qualtrics = QualtricsSettings(
        base_url="https://iad1.qualtrics.com", token=SecretStr("not-used-for-a-plan")
    )
    app, _ = live_app(qualtrics=qualtrics)

    async def run_before(pilot: Pilot[Any]) -> None:
        app.source.push(*screener_stream())  # type: ignore[attr-defined]
        await settle(pilot, app)
        app.query_one("#log").styles.scrollbar_size_vertical = 0
        await pilot.press("P")
        await until_screen(pilot, "PushScreen")
        await until(pilot, lambda: app.screen.state != "planning")  # type: ignore[attr-defined]
        app.refresh_status()
        app.screen.set_focus(None)
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=(110, 40), run_before=run_before)


def test_snapshot_local_file_with_unsaved_edits(snap_compare, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from qtui.tui.sources import FileSource
    from tests.tui.conftest import make_app

    path, _ = screener_file(tmp_path)
    survey = json.loads(path.read_text(encoding="utf-8"))
    app = make_app(FileSource(survey, str(path)))
    app.editing.open_file(path)

    async def run_before(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: app.store.block("b2") is not None)
        await settle(pilot, app)
        app.query_one("#log").styles.scrollbar_size_vertical = 0
        await open_form(pilot, "block", "b2", "E", "BlockForm")
        await type_into(pilot, "#f-label", "Age group")
        await save_form(pilot)
        # The edit is stamped now: show neither its time (the log hides below 30 rows) nor
        # the edited block's detail.
        app.go_to_item("page", "p2")
        await settle(pilot, app)
        app.refresh_status()
        app.screen.set_focus(None)
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=(100, 28), run_before=run_before)
