"""Hostile files given to push, qa and replay: each answers with one `qtui: …` line and an
exit code from the table — never a traceback, never raw bytes of the file on the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hostile.cli import assert_one_line_error, run

SAMPLE = Path("qtui/samples/screener-run.jsonl")

# name -> (file bytes, what the line must say)
JSON_FILES: dict[str, tuple[bytes, str]] = {
    "nested arrays": (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 64 levels"),
    "nested objects": (b'{"a":' * 3000 + b"1" + b"}" * 3000, "nested deeper than 64 levels"),
    "nested just past the limit": (
        b'{"id": "s", "x": ' + b"[" * 70 + b"]" * 70 + b"}",
        "nested deeper than 64 levels",
    ),
    "nested in a field": (
        b'{"id": "s", "name": "n", "extra": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        "nested deeper",
    ),
    "lone surrogate in a value": (
        b'{"id": "s", "name": "\\ud800"}',
        "name: text holding a lone surrogate",
    ),
    "lone surrogate deep": (
        b'{"id": "s", "pages": [{"id": "p", "blocks": [{"config": {"label": "a\\udfffb"}}]}]}',
        "pages[0].blocks[0].config.label",
    ),
    "lone surrogate in a key": (b'{"\\udc00": 1}', "lone surrogate"),
    "latin-1": ('{"id": "caf\xe9"}'.encode("latin-1"), "not UTF-8 text (byte 0xe9"),
    "binary": (bytes(range(256)), "not UTF-8 text"),
    "huge integer": (b'{"id": "s", "n": ' + b"9" * 5000 + b"}", "a number too long"),
    "truncated": (b'{"id": "s", "pages": [', "not JSON"),
    "empty": (b"", "not JSON"),
    "escape sequences": (b"\x1b[2J\x1b]0;pwned\x07", "not JSON"),
}


@pytest.mark.parametrize("case", list(JSON_FILES))
def test_push_refuses_a_hostile_survey_file(case, tmp_path):
    content, says = JSON_FILES[case]
    path = tmp_path / "survey.json"
    path.write_bytes(content)
    answer = run(["push", str(path), "--to", "qualtrics"], _env(tmp_path))
    assert_one_line_error(answer, 2, "survey.json", says)


@pytest.mark.parametrize("case", list(JSON_FILES))
def test_export_refuses_a_hostile_survey_file(case, tmp_path):
    content, says = JSON_FILES[case]
    path = tmp_path / "survey.json"
    path.write_bytes(content)
    answer = run(["export", str(path), "--qsf", str(tmp_path / "out.qsf")], _env(tmp_path))
    assert_one_line_error(answer, 2, "survey.json", says)
    assert not (tmp_path / "out.qsf").exists()


@pytest.mark.parametrize("case", list(JSON_FILES))
def test_open_refuses_a_hostile_survey_file(case, tmp_path):
    content, says = JSON_FILES[case]
    path = tmp_path / "survey.json"
    path.write_bytes(content)
    answer = run(["open", str(path)], _env(tmp_path))
    assert_one_line_error(answer, 2, "survey.json", says)


@pytest.mark.parametrize("case", list(JSON_FILES))
def test_qa_refuses_a_hostile_answers_file(case, tmp_path):
    content, says = JSON_FILES[case]
    path = tmp_path / "answers.json"
    path.write_bytes(content)
    answer = run(["qa", "SV_1", "--answers", str(path)], _env(tmp_path))
    assert_one_line_error(answer, 2, "answers.json", says)


@pytest.mark.parametrize("command", ["push", "qa"])
@pytest.mark.parametrize("shape", ["[]", '"a string"', "null", "42"])
def test_json_of_the_wrong_shape_says_what_the_file_must_hold(command, shape, tmp_path):
    path = tmp_path / "file.json"
    path.write_text(shape)
    args = ["push", str(path)] if command == "push" else ["qa", "SV_1", "--answers", str(path)]
    answer = run(args, _env(tmp_path))
    assert_one_line_error(answer, 2, "file.json", "must hold" if command == "qa" else "survey")


@pytest.mark.parametrize("command", ["push", "qa"])
def test_a_directory_for_a_file_says_so(command, tmp_path):
    args = (
        ["push", str(tmp_path)] if command == "push" else ["qa", "SV_1", "--answers", str(tmp_path)]
    )
    answer = run(args, _env(tmp_path))
    assert answer.code == 2 and answer.stderr.startswith("qtui: "), answer.stderr
    assert len(answer.stderr.splitlines()) == 1


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "QTUI_QUALTRICS_BASE_URL": "http://127.0.0.1:9/API/v3",
        "QTUI_QUALTRICS_TOKEN": "t",
    }


# --- replay ----------------------------------------------------------------------------

NOT_RECORDINGS: dict[str, bytes] = {
    "a text file": b"".join(f"line {i}: nothing to see\n".encode() for i in range(200)),
    "binary": bytes(range(256)) * 400,
    "one JSON document, pretty-printed": json.dumps(
        {"survey": {"id": "s", "pages": [{"id": f"p{i}"} for i in range(30)]}}, indent=2
    ).encode(),
    "JSON lines that are not events": b"".join(b'{"hello": %d}\n' % i for i in range(50)),
    "escape sequences": b"\x1b[2J\x1b]0;pwned\x07\n" * 40,
    "lone surrogates": b'{"event": "page.created", "timestamp": "2025-01-01T00:00:00Z", '
    b'"data": {"id": "p", "survey_id": "s", "name": "\\ud800"}}\n' * 30,
    "deeply nested lines": (b"[" * 50_000 + b"\n") * 25,
    "a line with no end": b"x" * (17 * 1024 * 1024),
}


@pytest.mark.parametrize("mode", ["--print", "--json"])
@pytest.mark.parametrize("case", list(NOT_RECORDINGS))
def test_replay_of_a_file_that_is_not_a_recording_stops_with_one_line(case, mode, tmp_path):
    path = tmp_path / "input.jsonl"
    path.write_bytes(NOT_RECORDINGS[case])
    answer = run(["replay", str(path), mode])
    assert answer.stdout == ""
    assert_one_line_error(answer, 2, "input.jsonl is not a recording")


@pytest.mark.parametrize("mode", ["--print", "--json", "the screen"])
def test_replay_of_an_empty_file_says_it_is_empty_and_opens_no_screen(mode, tmp_path, monkeypatch):
    from qtui.tui import commands

    path = tmp_path / "input.jsonl"
    path.write_bytes(b"\n\n")
    opened: list[object] = []
    monkeypatch.setattr(commands, "_has_terminal", lambda: True)
    monkeypatch.setattr(commands, "_run", lambda *args, **kwargs: opened.append(args))
    answer = run(["replay", str(path)] + ([] if mode == "the screen" else [mode]))
    assert answer.stdout == "" and opened == []  # not a screen waiting for nothing
    assert_one_line_error(answer, 2, "input.jsonl holds no events (it is empty)")


def test_replay_with_many_bad_lines_names_a_few_and_counts_the_rest(tmp_path):
    good = SAMPLE.read_bytes()
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(good + b"".join(b"garbage %d\n" % i for i in range(117)))
    answer = run(["replay", str(path), "--print"])
    assert answer.code == 3  # done, with issues
    lines = answer.stderr.splitlines()
    assert len(lines) == 6, answer.stderr
    assert all(line.startswith("qtui: ") for line in lines)
    assert lines[-1].endswith("117 bad lines skipped in all (the first 5 shown)")
    assert "Screener" in answer.stdout


def test_replay_of_a_line_with_a_lone_surrogate_skips_that_line_only(tmp_path):
    lines = SAMPLE.read_text().splitlines()
    body = json.loads(lines[5])
    body["data"]["name"] = "\ud800"
    lines.insert(6, json.dumps(body))  # json.dumps escapes it as \ud800
    path = tmp_path / "run.jsonl"
    path.write_text("\n".join(lines) + "\n")
    answer = run(["replay", str(path), "--print"])
    assert answer.code == 3
    assert "line 7: data.name: text holding a lone surrogate" in answer.stderr
    answer.stdout.encode("utf-8")  # what was printed is valid UTF-8


@pytest.mark.parametrize("mode", ["--print", "--json"])
def test_replay_of_a_recording_cut_mid_line_says_it_looks_truncated(mode, tmp_path):
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    path = tmp_path / "cut.jsonl"
    path.write_bytes(b"".join(lines[:-1]) + lines[-1][:40])  # the last event half written
    answer = run(["replay", str(path), mode])
    assert answer.code == 3  # done, with issues
    [line] = answer.stderr.splitlines()
    assert line.startswith(f"qtui: {path} line {len(lines)}: the recording looks truncated")
    assert f"the {len(lines) - 1} events before it were replayed" in line
    assert "(skipped)" not in line and "bad lines" not in line
    assert "Screener" in answer.stdout

    # A bad last line that does end with its newline is an ordinary bad line.
    path.write_bytes(b"".join(lines[:-1]) + lines[-1][:40] + b"\n")
    answer = run(["replay", str(path), mode])
    assert answer.code == 3
    assert "truncated" not in answer.stderr and "(skipped)" in answer.stderr


def misplaced_rule_file(tmp_path: Path) -> tuple[Path, str, str, str]:
    """The replayed screener with one rule's source_page_id naming another page, by hand."""
    from tests.hostile.cli import run as run_cli

    document = json.loads(run_cli(["replay", str(SAMPLE), "--json"]).stdout)
    listing = next(page for page in document["pages"] if page["navigation_rules"])
    rule = listing["navigation_rules"][0]
    other = next(page for page in document["pages"] if page["id"] != listing["id"])
    rule["source_page_id"] = other["id"]
    path = tmp_path / "hand-edited.json"
    path.write_text(json.dumps(document))
    return path, rule["id"], listing["name"], other["name"]


@pytest.mark.parametrize(
    "command",
    [
        ["push", "{file}", "--to", "qualtrics", "--dry-run"],
        ["push", "{file}", "--to", "qualtrics"],
        ["export", "{file}", "--qsf", "{tmp}/out.qsf"],
        ["open", "{file}"],
    ],
)
def test_a_rule_listed_under_another_page_than_its_source_is_refused(command, tmp_path):
    path, rule_id, listed, source = misplaced_rule_file(tmp_path)
    args = [part.format(file=path, tmp=tmp_path) for part in command]
    env = {"QTUI_QUALTRICS_BASE_URL": "http://127.0.0.1:9/API/v3", "QTUI_QUALTRICS_TOKEN": "t"}
    line = assert_one_line_error(run(args, env), 2, str(path), rule_id)
    assert "listed under page" in line and f"({listed!r})" in line and f"({source!r})" in line
    assert not (tmp_path / "out.qsf").exists()


def test_the_same_file_with_the_rule_under_its_own_page_is_accepted(tmp_path):
    path, rule_id, _, _ = misplaced_rule_file(tmp_path)
    document = json.loads(path.read_text())
    for page in document["pages"]:
        for rule in page["navigation_rules"]:
            if rule["id"] == rule_id:
                rule["source_page_id"] = page["id"]  # put back: the file is consistent again
    path.write_text(json.dumps(document))
    answer = run(["export", str(path), "--qsf", str(tmp_path / "out.qsf")])
    assert answer.code in (0, 3), answer.stderr
    assert (tmp_path / "out.qsf").exists()
