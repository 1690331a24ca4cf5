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


async def test_the_caret_follows_a_long_condition_scrolled_in_its_field_at_80_columns(feed):
    async with editable_screener(feed) as (app, pilot):
        await pilot.resize_terminal(80, 24)
        await open_form(pilot, "block", "b3", "E", "BlockForm")
        condition = "q1.value in ['1', '2', '3', '9'] and q1.value != '2' and q1.value != '9' and ("
        await type_into(pilot, "#f-showIf", condition)
        await pilot.pause()
        field = app.screen.query_one("#f-showIf")
        assert field.scroll_x > 0  # the text is longer than the field
        caret = line(app, ".expression-caret")
        # just past the text's end as it is drawn, not off the right edge
        assert caret.rstrip().endswith("^") and "…" not in caret
        assert len(caret.rstrip()) == len(condition) + 1 - round(field.scroll_x)
        await pilot.press("home")  # the end scrolls out of sight to the right: so does the caret
        await pilot.pause()
        assert field.scroll_x == 0
        assert len(line(app, ".expression-caret").rstrip()) == len(condition) + 1
