"""Run qtui's command line in-process and check the answer has the shape every error has."""

from __future__ import annotations

import re
from dataclasses import dataclass

from click.testing import CliRunner

from qtui.cli import main

# Raw control characters (an escape sequence from a file must never reach the terminal).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class Answer:
    code: int
    stdout: str
    stderr: str


def run(args: list[str], env: dict[str, str] | None = None) -> Answer:
    result = CliRunner().invoke(main, args, env=env)
    return Answer(result.exit_code, result.stdout, result.stderr)


def assert_one_line_error(answer: Answer, code: int, *mentions: str) -> str:
    """Exit `code`, one `qtui: …` line on stderr naming `mentions`, no traceback, no controls."""
    lines = answer.stderr.splitlines()
    assert answer.code == code, (answer.code, answer.stderr)
    assert len(lines) == 1, answer.stderr
    line = lines[0]
    assert line.startswith("qtui: "), line
    assert "Traceback" not in answer.stderr, answer.stderr
    assert not _CONTROL.search(answer.stderr + answer.stdout), repr(answer.stderr)
    for mention in mentions:
        assert mention in line, (mention, line)
    return line
