"""Hostile config files and QTUI_CONFIG values, against every command that reads the config.

Each case is a member of a class (bytes that are not text, nesting, numbers, sizes, paths);
every command answers each with exit 2 and one `qtui: …` line naming the file and the fault.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.cli import assert_one_line_error, run

# Every command that reads the config, with arguments that get it as far as reading it.
COMMANDS = {
    "demo": ["demo"],
    "watch": ["watch", "--survey", "s1"],
    "push": ["push", "{survey}", "--to", "qualtrics"],
    "qa": ["qa", "SV_1", "--answers", "{answers}"],
}

# name -> (file bytes, what the one-line error must say)
FILES: dict[str, tuple[bytes, str]] = {
    "latin-1": ('theme = "caf\xe9"\n'.encode("latin-1"), "not UTF-8 text (byte 0xe9"),
    "utf-16": ('theme = "x"\n'.encode("utf-16"), "not UTF-8 text"),
    "binary": (bytes(range(256)) * 4, "not UTF-8 text"),
    "nested arrays": (b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested too deeply"),
    "nested inline tables": (b"a = " + b"{b=" * 3000 + b"1" + b"}" * 3000, "nested too deeply"),
    "nested dotted keys": (b".".join([b"k"] * 40) + b" = 1\n", "nested more than 8 levels"),
    "huge integer": (b"[ui]\ncoalesce_ms = " + b"9" * 5000 + b"\n", "integer thousands of digits"),
    "big integer": (b"[ui]\ncoalesce_ms = " + b"9" * 400 + b"\n", "ui.coalesce_ms"),
    "negative": (b"[ui]\ncoalesce_ms = -5\n", "ui.coalesce_ms"),
    "float for int": (b"[ui]\ncoalesce_ms = 1e308\n", "ui.coalesce_ms"),
    "string for table": (b'ui = "fast"\n', "'ui'"),
    "array for string": (b"theme = [1, 2]\n", "'theme'"),
    "escape in key": (b'"\\u001b[31mred" = 1\n', "unknown key '\\x1b[31mred'"),
    "escape in section key": (b'[ui]\n"\\u009b2J" = 1\n', "unknown key 'ui.\\x9b2J'"),
    "not toml": (b"{ this is json: 1 }\n", "not valid TOML"),
    "huge file": (b"# " + b"x" * 1_100_000 + b"\n", "larger than 1 MB"),
    "nul bytes": (b"theme = 'a'\x00\n", "not valid TOML"),
}


def _args(command: str, tmp_path: Path) -> list[str]:
    survey = tmp_path / "survey.json"
    survey.write_text('{"id": "s1", "pages": []}')
    answers = tmp_path / "answers.json"
    answers.write_text('{"q1": "1"}')
    return [a.format(survey=survey, answers=answers) for a in COMMANDS[command]]


def _env(tmp_path: Path, config: Path | str) -> dict[str, str]:
    return {
        "QTUI_CONFIG": str(config),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "QTUI_QUALTRICS_BASE_URL": "http://127.0.0.1:9/API/v3",
        "QTUI_QUALTRICS_TOKEN": "t",
    }


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", list(FILES))
def test_a_hostile_config_file_is_one_clear_line_and_exit_2(command, case, tmp_path):
    content, says = FILES[case]
    config = tmp_path / "config.toml"
    config.write_bytes(content)
    answer = run(_args(command, tmp_path), _env(tmp_path, config))
    line = assert_one_line_error(answer, 2, says)
    assert len(line) < 400


@pytest.mark.parametrize("command", list(COMMANDS))
def test_qtui_config_naming_a_directory_says_so(command, tmp_path):
    answer = run(_args(command, tmp_path), _env(tmp_path, tmp_path))
    assert_one_line_error(answer, 2, "QTUI_CONFIG", "a directory")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_qtui_config_naming_a_missing_file_says_so(command, tmp_path):
    answer = run(_args(command, tmp_path), _env(tmp_path, tmp_path / "nope.toml"))
    assert_one_line_error(answer, 2, "QTUI_CONFIG", "does not exist")


# Config values that name something that does not exist: a typo must not be ignored.
NAMES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "keymap id typo": (b'[keymap]\n"qtui.pasue" = "f8"\n', ("'qtui.pasue'", "'qtui.pause'")),
    "keymap id unknown": (b'[keymap]\n"qtui.nosuch" = "z"\n', ("unknown binding id",)),
    "keymap id with escape": (b'[keymap]\n"\\u001b[2J" = "z"\n', ("\\x1b[2J",)),
    "theme unknown": (b'theme = "nope"\n', ("unknown theme 'nope'", "qtui-high-contrast")),
}


@pytest.mark.parametrize("command", ["demo", "watch"])
@pytest.mark.parametrize("case", list(NAMES))
def test_a_config_naming_nothing_is_refused_with_the_valid_names(command, case, tmp_path):
    content, says = NAMES[case]
    config = tmp_path / "config.toml"
    config.write_bytes(content)
    answer = run(_args(command, tmp_path), _env(tmp_path, config))
    assert_one_line_error(answer, 2, *says)


def test_a_builtin_textual_theme_is_accepted(tmp_path):
    from qtui.config import load_settings
    from qtui.tui.commands import _theme_names

    assert {"qtui-dark", "qtui-high-contrast", "textual-dark"} <= _theme_names()
    assert load_settings(theme="nord").theme in _theme_names()
