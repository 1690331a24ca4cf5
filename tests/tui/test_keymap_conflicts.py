"""Remapping a key onto a key another action uses is refused, naming both actions."""

from __future__ import annotations

from pathlib import Path

from qtui.tui import keys
from qtui.tui.sources import FeedSource
from tests.hostile.cli import assert_one_line_error, run
from tests.tui.conftest import make_app


def test_a_remap_onto_another_actions_key_is_refused_naming_both():
    refused = keys.conflicts({"qtui.pause": "q"})
    assert refused == {
        "qtui.pause": "'q' for qtui.pause (Pause) is already qtui.quit's (Quit); pick another key"
    }


def test_every_spelling_of_a_key_is_the_same_key():
    assert "qtui.pause" in keys.conflicts({"qtui.pause": "?"})  # help's question_mark
    assert "qtui.pause" in keys.conflicts({"qtui.pause": "f9,F1"})  # help's f1
    assert "qtui.save" in keys.conflicts({"qtui.copy": "f8", "qtui.save": "f8"})


def test_swapping_two_actions_keys_is_allowed():
    assert keys.conflicts({"qtui.pause": "q", "qtui.quit": "p"}) == {}
    assert keys.conflicts({"qtui.pause": "f8"}) == {}


async def test_the_app_keeps_the_default_and_says_why(tmp_path: Path) -> None:
    app = make_app(FeedSource(), keymap={"qtui.pause": "q", "qtui.detail": "f7"})
    async with app.run_test(size=(120, 40)) as pilot:
        messages = [n.message for n in app._notifications]
        assert any("qtui.pause (Pause)" in m and "qtui.quit's (Quit)" in m for m in messages)
        await pilot.press("p")
        assert app.paused  # pause kept its own key
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running  # and q still quits


def test_the_command_line_refuses_it_before_the_screen_opens(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text('[keymap]\n"qtui.filter" = "g"\n')
    answer = run(["demo"], {"QTUI_CONFIG": str(config)})
    assert_one_line_error(answer, 2, "qtui.filter (Filter)", "qtui.jump's (Go to page)")
