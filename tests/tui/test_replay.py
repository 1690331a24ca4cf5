"""`qtui replay`: the TUI's play/pause/step/speed, and the text and JSON modes for scripts."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from qtui.cli import main
from qtui.recording import read_stream
from qtui.tui.sources import ReplaySource
from tests.tui.conftest import make_app, settle, until
from tests.tui.envelopes import SURVEY, screener_stream


def write_recording(path: Path, *, bad: bool = True) -> Path:
    lines = [json.dumps(e) for e in screener_stream()]
    if bad:
        lines.insert(3, "{this is not json")
        lines.insert(6, json.dumps({"event": "page.created", "timestamp": "yesterday", "data": {}}))
    path.write_text("\n".join(lines) + "\n")
    return path


async def test_replay_steps_one_event_at_a_time_then_plays_to_the_end(tmp_path: Path) -> None:
    source = ReplaySource.from_lines(
        read_stream(write_recording(tmp_path / "run.jsonl", bad=False)), speed=256, playing=False
    )
    app = make_app(source, survey_id=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.1)
        assert app.received == 0
        await pilot.press("n")
        await until(pilot, lambda: app.received == 1)
        await pilot.press("right")
        await until(pilot, lambda: app.received == 2)
        assert app.survey_id == SURVEY  # adopted from the first event
        await pilot.press("plus", "plus")
        assert source.speed == 256  # the fastest speed caps it
        await pilot.press("minus")
        assert source.speed == 128
        await pilot.press("space")
        total = len(screener_stream())
        await until(pilot, lambda: app.received == total)
        await settle(pilot, app)
        assert app.replay_position is not None and app.replay_position.position == total
        assert len(app.tree.labels()) == 4
        # At the end, Play and Step are shown dimmed and do nothing, rather than looking live.
        await until(pilot, lambda: app.check_action("play_pause", ()) is None)
        assert app.check_action("step", ()) is None
        assert app.check_action("faster", ()) is True


async def test_bad_lines_are_shown_in_the_log_and_skipped(tmp_path: Path) -> None:
    lines = read_stream(write_recording(tmp_path / "run.jsonl"))
    source = ReplaySource.from_lines(lines, speed=256)
    app = make_app(source, survey_id=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.received == len(lines))
        await settle(pilot, app)
        invalid = [e for e in app.query_one("#log").entries if e.event == "invalid"]  # type: ignore[attr-defined]
        assert [e.item.split(":")[0] for e in invalid] == ["line 4", "line 7"]
        assert "not an ISO date-time" in invalid[1].item
        assert len(app.tree.labels()) == 4


def test_replay_print_shows_the_final_tree_as_text(tmp_path: Path) -> None:
    path = write_recording(tmp_path / "run.jsonl")
    result = CliRunner().invoke(main, ["replay", str(path), "--print"])
    assert result.exit_code == 3, result.output  # done, with issues: two bad lines
    out = result.stdout
    assert out.startswith("Q4 Customer Satisfaction Study  [programming · qualtrics")
    assert "├─ 1. Screener ✓" in out
    assert "→ Disqualified  if q1.value == '1'" in out
    assert "line 4: invalid JSON" in result.stderr
    assert "line 7: timestamp: not an ISO date-time" in result.stderr


def test_replay_without_a_terminal_prints_instead_of_opening_the_tui(tmp_path: Path) -> None:
    path = write_recording(tmp_path / "run.jsonl", bad=False)
    result = CliRunner().invoke(main, ["replay", str(path)])
    assert result.exit_code == 0
    assert "Variables" in result.stdout


def test_replay_json_prints_the_full_survey(tmp_path: Path) -> None:
    path = write_recording(tmp_path / "run.jsonl")
    result = CliRunner().invoke(main, ["replay", str(path), "--json"])
    assert result.exit_code == 3
    survey = json.loads(result.stdout)
    assert survey["id"] == SURVEY
    assert [p["name"] for p in survey["pages"]] == ["Screener", "Disqualified", "Satisfaction"]
    assert [b["id"] for b in survey["pages"][0]["blocks"]] == ["b1", "b2", "b3"]


def test_replay_of_a_file_without_events_fails_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n")
    result = CliRunner().invoke(main, ["replay", str(path), "--print"])
    assert result.exit_code == 2  # not a recording: a usage error, like any other bad file
    assert "holds no events" in result.stderr


def test_demo_and_watch_without_a_terminal_say_what_to_use_instead() -> None:
    for args in (["demo"], ["watch", "--survey", "x", "--relay", "ws://127.0.0.1:1"], []):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, args
        assert "qtui needs a terminal; use `qtui replay FILE --print`" in result.stderr
