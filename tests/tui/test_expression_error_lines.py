"""A condition's syntax error: the caret under its column, the whole reason on the line below,
even when the error sits near the end of a long condition on an 80-column terminal."""

from __future__ import annotations

from qtui.editing.local import LocalEditor
from tests.tui.conftest import make_app, settle
from tests.tui.edit_helpers import type_into, until_screen
from tests.tui.envelopes import SURVEY, screener_stream


def line(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_an_error_late_in_a_long_condition_is_read_whole_at_80_columns(feed):
    app = make_app(feed)
    async with app.run_test(size=(80, 24)) as pilot:
        feed.push(*screener_stream())
        await settle(pilot, app)
        app.editing.attach(LocalEditor(app.editing.item_dump, SURVEY))
        app.go_to_item("block", "b3")
        await pilot.press("E")
        await until_screen(pilot, "BlockForm")
        condition = "q1.value == '1' and q1.value != '2' and q1.value != '9' Z"
        await type_into(pilot, "#f-showIf", condition)
        await pilot.pause()
        caret = line(app, ".expression-caret")
        assert caret.rstrip().endswith("^") and len(caret.rstrip()) == len(condition)
        reason = line(app, ".expression-preview")
        assert reason.startswith("expected") and "'Z'" in reason and "…" not in reason
        assert app.screen.query_one(".expression-preview").has_class("-error")
        await type_into(pilot, "#f-showIf", "q1.value == '1'")
        await pilot.pause()
        assert line(app, ".expression-caret").strip() == ""
        assert not app.screen.query_one(".expression-preview").has_class("-error")
