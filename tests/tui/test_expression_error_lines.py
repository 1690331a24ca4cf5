"""A condition's syntax error: the caret under its column, the whole reason on the line below,
even when the error sits near the end of a long condition on an 80-column terminal."""

from __future__ import annotations

from tests.tui.edit_helpers import editable_screener, open_form, type_into


def line(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_an_error_late_in_a_long_condition_is_read_whole_at_80_columns(feed):
    async with editable_screener(feed) as (app, pilot):
        await pilot.resize_terminal(80, 24)
        await open_form(pilot, "block", "b3", "E", "BlockForm")
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
