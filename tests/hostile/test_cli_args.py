"""Hostile options for every command: out-of-range ports, sequence numbers, speeds and seeds,
unknown commands and missing arguments all answer exit 2 with one `qtui: …` line."""

from __future__ import annotations

import pytest

from tests.hostile.cli import assert_one_line_error, run

HUGE = "9" * 5000

CASES: dict[str, tuple[list[str], str]] = {
    "relay port too big": (["relay", "--port", "99999"], "--port"),
    "relay port negative": (["relay", "--port", "-1"], "--port"),
    "relay port huge": (["relay", "--port", HUGE], "--port"),
    "relay port text": (["relay", "--port", "http"], "--port"),
    "sandbox port too big": (["sandbox", "--port", "99999"], "--port"),
    "sandbox port negative": (["sandbox", "--port", "-80"], "--port"),
    "sandbox seed huge": (["sandbox", "--seed", HUGE], "--seed"),
    "demo speed nan": (["demo", "--speed", "nan"], "--speed"),
    "demo speed inf": (["demo", "--speed", "inf"], "--speed"),
    "demo speed zero": (["demo", "--speed", "0"], "--speed"),
    "demo seed huge": (["demo", "--seed", HUGE], "--seed"),
    "demo questionnaire": (["demo", "--questionnaire", "\x1b[2J"], "--questionnaire"),
    "watch after negative": (["watch", "--survey", "s", "--after", "-1"], "--after"),
    "watch after past int64": (["watch", "--survey", "s", "--after", str(2**63)], "--after"),
    "watch without survey": (["watch"], "--survey"),
    "replay speed negative": (
        ["replay", "qtui/samples/screener-run.jsonl", "--speed", "-2"],
        "--speed",
    ),
    "replay missing file": (["replay", "no/such/file.jsonl"], "does not exist"),
    "replay directory": (["replay", "qtui"], "is a directory"),
    "push without survey": (["push"], "SURVEY"),
    "push to elsewhere": (["push", "x.json", "--to", "decipher"], "--to"),
    "qa without answers": (["qa", "SV_1"], "--answers"),
    "unknown command": (["frobnicate"], "No such command"),
    "unknown command with escape": (["\x1b[31mred"], "No such command '\\x1b[31mred'"),
    "unknown option": (["push", "--bogus"], "--bogus"),
    "serve port too big": (["serve", "--port", "99999"], "--port"),
    "fieldwork since far past": (
        ["fieldwork", "s", "--relay", "http://127.0.0.1:9", "--since", HUGE[:30] + "d"],
        "--since",
    ),
    "fieldwork since not a time": (
        ["fieldwork", "s", "--relay", "http://127.0.0.1:9", "--since", "\x1b[2Jyesterday"],
        "--since '\\x1b[2Jyesterday'",
    ),
    "qualtrics subscribe without survey": (["qualtrics", "subscribe"], "SV_"),
    "export without survey": (["export"], "SURVEY"),
    "import missing file": (["import", "no/such.qsf", "--json"], "no/such.qsf"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_argument_is_one_line_and_exit_2(case):
    args, says = CASES[case]
    answer = run(args)
    assert_one_line_error(answer, 2, says)


def test_print_and_json_together_are_refused(tmp_path):
    answer = run(["replay", "qtui/samples/screener-run.jsonl", "--print", "--json"], {})
    assert_one_line_error(answer, 2, "--print and --json")


@pytest.mark.parametrize("url", ["notaurl", "ftp://x", "http://", "127.0.0.1:8700"])
def test_fieldwork_refuses_a_relay_that_is_not_a_url(url, tmp_path):
    answer = run(["fieldwork", "SV_x", "--relay", url], {"XDG_CONFIG_HOME": str(tmp_path)})
    assert_one_line_error(answer, 2, "is not the relay's URL")
