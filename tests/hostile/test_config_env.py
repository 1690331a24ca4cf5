"""Hostile QTUI_* variables, against every command that reads the config: exit 2, one line
naming the variable (or key) and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.cli import assert_one_line_error, run
from tests.hostile.test_config_files import COMMANDS, _args

# case -> (variable, value, what the line must say)
VARIABLES: dict[str, tuple[str, str, str]] = {
    "keymap not json": ("QTUI_KEYMAP", "{bad", "QTUI_KEYMAP"),
    "keymap a list": ("QTUI_KEYMAP", "[1, 2]", "keymap"),
    "keymap a number": ("QTUI_KEYMAP", "1", "keymap"),
    "section not json": ("QTUI_UI", "[1", "QTUI_UI"),
    "section nested deep": ("QTUI_UI", "[" * 100_000, "QTUI_UI"),
    "section object deep": ("QTUI_QUESTRA", '{"a":' * 5000 + "1" + "}" * 5000, "QTUI_QUESTRA"),
    "huge integer": ("QTUI_UI_COALESCE_MS", "9" * 100_000, "ui.coalesce_ms"),
    "not a number": ("QTUI_UI_COALESCE_MS", "fast", "ui.coalesce_ms"),
    "negative": ("QTUI_UI_MIN_WIDTH", "-1", "ui.min_width"),
    "escape in value": ("QTUI_UI_FLASH_MS", "\x1b[2J", "ui.flash_ms"),
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", list(VARIABLES))
def test_a_hostile_variable_is_one_clear_line_and_exit_2(command, case, tmp_path: Path):
    name, value, says = VARIABLES[case]
    env = {
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "QTUI_QUALTRICS_BASE_URL": "http://127.0.0.1:9/API/v3",
        "QTUI_QUALTRICS_TOKEN": "t",
        name: value,
    }
    answer = run(_args(command, tmp_path), env)
    line = assert_one_line_error(answer, 2, says)
    assert "\x1b" not in line and len(line) < 400
