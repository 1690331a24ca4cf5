"""Survey text is user data: whatever it holds, every widget of the main screen shows it as
written and nothing in it is read as markup.

A hypothesis test builds a survey whose every string field — survey name and slug, page
names and statuses, labels, choices, matrix rows, conditions, variables, attention reasons,
failure reasons, changeset titles, event types, timestamps, the theme — is made of markup
brackets (`[`, `]`, `[/]`, `[bold`…), emoji, RTL text, zero-width characters, control
characters and lone surrogates, then drives the real app with Pilot the way a person would:
every tree line under the cursor (the detail pane renders each), filter, jump, problems,
help, the event log and its JSON view, the command palette, a too-small terminal.
"""

from __future__ import annotations

import asyncio
import io
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.control import strip_control_codes

from qtui.text import printable
from qtui.tui.sources import FeedSource
from qtui.tui.widgets.detail import DetailPane
from tests.tui.conftest import make_app, settle
from tests.tui.envelopes import (
    SURVEY,
    Clocked,
    block,
    env,
    mc,
    page,
    programming,
    rule,
    survey,
    text,
    variable,
)

FRAGMENTS = [
    "[",
    "]",
    "[/]",
    "[bold",
    "[bold]",
    "[/bold]",
    "[b]x[/i]",
    "[link=https://x]",
    "[@click=app.quit]",
    "[red on blue]",
    "\\[",
    "\\",
    "🎉",
    "👨‍👩‍👧",
    "שלום",
    "مرحبا",
    "\u200b",
    "\u200d",
    "\u202e",
    "\ufeff",
    "\ud800",
    "\udfff",
    "\x1b[31m",
    "\x07",
    "\t",
    "\n",
    "%s",
    "{0}",
    "::",
    "'",
    '"',
]
WORDS = st.sampled_from(FRAGMENTS) | st.text(max_size=4)
HOSTILE = st.lists(WORDS, min_size=1, max_size=5).map("".join)
# The label the test looks for in the detail pane: no whitespace, so it reads back whole.
VISIBLE = st.lists(
    st.sampled_from([f for f in FRAGMENTS if not f.isspace()]), min_size=1, max_size=5
).map("".join)
N = 20
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
ALL = "".join(FRAGMENTS)


def hostile_stream(label: str, t: list[str]) -> list[dict[str, Any]]:
    c = Clocked()
    out = [survey(c.tick(), name=t[0], slug=t[1])]
    out.append(programming(c.tick(), "started"))
    out.append(page(c.tick(), "p1", t[2], 0, assign_response_status=t[3]))
    out.append(
        page(c.tick(), "p2", t[4], 1, attention_required={"reason": t[5], "dismissed": False})
    )
    out.append(
        block(
            c.tick(),
            "b1",
            "p1",
            0,
            mc(label, (t[6], t[7]), ("2", t[8]), showIf=t[9], attentionRequired={"reason": t[10]}),
        )
    )
    out.append(block(c.tick(), "b2", "p1", 1, text(t[11])))
    matrix = {"type": "Matrix", "label": t[12], "rows": [t[13], t[14]], "columns": [t[15]]}
    out.append(block(c.tick(), "b3", "p2", 0, matrix))
    out.append(block(c.tick(), "b4", "p2", 1, {"type": "Matrix", "label": t[16], "rows": 3}))
    out.append(block(c.tick(), "b5", "p2", 2, {"type": t[17], "label": t[18], "name": t[19]}))
    out.append(rule(c.tick(), "r1", "p1", "p2", t[9]))
    out.append(rule(c.tick(), "r2", "p1", "p2", f"q1.value == '{t[0]}'", 1))
    out.append(variable(c.tick(), "v1", t[2], t[3]))
    out.append(env(t[4] or "x", {"id": t[5]}, c.tick()))  # an event type qtui does not know
    out.append(
        env("changeset-started", {"id": "cs1", "survey_id": SURVEY, "title": t[6]}, c.tick())
    )
    out.append(env("page.created", {"id": "p9"}, t[7]))  # a timestamp that is not one
    out.append(programming(c.tick(), "finished", "failed", reason=t[8]))
    out.append(survey(c.tick(), "pending", failure_reason=t[10], name=t[0]))
    return out


def detail_plain(app: Any) -> str:
    console = Console(width=400, record=True, file=io.StringIO())
    console.print(app.query_one(DetailPane).content)
    return console.export_text()


async def drive(label: str, texts: list[str]) -> None:
    feed = FeedSource()
    app = make_app(feed, theme=texts[1])
    async with app.run_test(size=(120, 40)) as pilot:
        feed.push(*hostile_stream(label, texts))
        await settle(pilot, app)
        # Every line of the tree under the cursor: the detail pane renders each.
        app.tree.focus()
        await pilot.press("o")
        await pilot.pause()
        for _ in range(app.tree.last_line + 2):
            await pilot.press("down")
        await pilot.pause()
        app.tree.select_item("block", "b1")
        await pilot.pause()
        shown = detail_plain(app)
        # As written — not read as markup, not dropped — with control characters and lone
        # surrogates made visible (ESC as ␛; Rich itself drops BEL, BS, VT, FF and CR), so
        # none reaches the terminal raw.
        assert printable(strip_control_codes(label)) in shown
        assert not CONTROL.search(shown)
        # Filter, then clear it; jump; problems; help.
        await pilot.press("slash")
        app.screen.query_one("#filter").value = texts[2]  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.press("escape")
        for key, field in (("g", "#jump-input"), ("x", None), ("question_mark", None)):
            await pilot.press(key)
            await pilot.pause()
            if field:
                app.screen.query_one(field).value = texts[3]  # type: ignore[attr-defined]
                await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
        # The event log, and an event's JSON.
        log = app.screen.query_one("#log")
        log.focus()
        await pilot.press("end", "enter")
        await pilot.pause()
        await pilot.press("c")  # copy it (OSC 52): lone surrogates must encode
        await pilot.pause()
        await pilot.press("escape")
        # The command palette, searched with survey text.
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press(*[ch for ch in "[bold" if ch.isprintable()])
        await pilot.pause(0.1)
        await pilot.press("escape")
        # Too small, then back.
        await pilot.resize_terminal(50, 12)
        await pilot.pause()
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert app.is_running
    assert app._exception is None


@pytest.mark.slow
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(VISIBLE, st.lists(HOSTILE, min_size=N, max_size=N))
@example(ALL.replace("\n", "").replace("\t", ""), [ALL] * N)
@example("[/]", ["[/]"] * N)
def test_survey_text_never_breaks_the_main_screen(label: str, texts: list[str]) -> None:
    asyncio.run(drive(label, texts))
