"""Survey text in the titles and lines of the screens over the tree (forms, the delete
confirmation, the move picker, the push screen) is shown as itself: never read as markup,
and an ESC never reaches the terminal."""

from __future__ import annotations

import html
import re

from textual.widgets import OptionList

from qtui.tui.sources import FeedSource
from tests.tui.conftest import settle
from tests.tui.edit_helpers import editable_screener, open_form, until_screen
from tests.tui.envelopes import page, survey

HOSTILE = "[bold]Age[/] \x1b[31mred [link=x]"
SHOWN = "[bold]Age[/] ␛[31mred [link=x]"


def on_screen(app, fields_hold_it: bool = False) -> str:
    """The screen's text runs, as the terminal would show them."""
    svg = app.export_screenshot()
    if not fields_hold_it:  # (an input field holds the value as it is, to edit it)
        assert "\x1b" not in svg  # no escape sequence reaches the terminal
    return html.unescape(" ".join(re.findall(r">([^<]*)</text>", svg))).replace("\xa0", " ")


async def test_hostile_page_and_survey_names_show_as_themselves_on_every_screen_over_the_tree():
    feed = FeedSource()
    async with editable_screener(feed) as (app, pilot):
        later = "2025-04-01T11:00:00Z"
        feed.push(
            page(later, "p1", HOSTILE, 0, event="page.updated"),
            survey(later, status="reviewing", platform="qualtrics", name=HOSTILE),
        )
        await settle(pilot, app)

        await open_form(pilot, "page", "p1", "E", "PageForm")
        assert f"Edit page · page {SHOWN}" in on_screen(app, fields_hold_it=True)
        await pilot.press("escape")
        await until_screen(pilot, "MainScreen")

        await open_form(pilot, "page", "p1", "D", "ConfirmScreen")
        question = str(app.screen.query_one("#confirm-question").render())
        assert question == f"Delete page {SHOWN}?"
        await pilot.press("n")
        await until_screen(pilot, "MainScreen")

        await open_form(pilot, "block", "b4", "M", "MoveToPageScreen")
        options = app.screen.query_one(OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any(SHOWN in line for line in shown), shown
        await pilot.press("escape")
        await until_screen(pilot, "MainScreen")

        await pilot.press("P")
        await until_screen(pilot, "PushScreen")
        assert f"Push · {SHOWN}" in on_screen(app)
