"""The replay screen reads its recording as it plays, never whole: a big recording costs
the frames between the position and the look-ahead, not the file."""

from __future__ import annotations

from pathlib import Path

from qtui.recording import count_lines, iter_stream, read_stream
from qtui.tui.sources import FrameWindow, ReplaySource
from tests.tui.conftest import make_app, settle, until
from tests.tui.test_replay import write_recording


def window(path: Path, seen: list) -> FrameWindow:  # type: ignore[type-arg]
    return FrameWindow(iter_stream(path), count_lines(path), seen.append)


async def test_the_screen_replays_a_file_read_as_it_goes(tmp_path: Path) -> None:
    path = write_recording(tmp_path / "run.jsonl")
    total = len(read_stream(path))
    seen: list = []  # type: ignore[type-arg]
    frames = window(path, seen)
    source = ReplaySource(frames, speed=256, playing=False)
    app = make_app(source, survey_id=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.1)
        assert seen == []  # nothing read before the replay asks
        await pilot.press("n")
        await until(pilot, lambda: app.received == 1)
        assert len(seen) == 1
        await pilot.press("space")
        await until(pilot, lambda: app.received == total)
        await settle(pilot, app)
        assert len(seen) == total == len(frames)
        assert len(frames._held) <= 1  # what was replayed is let go
        invalid = [e for e in app.query_one("#log").entries if e.event == "invalid"]  # type: ignore[attr-defined]
        assert [e.item.split(":")[0] for e in invalid] == ["line 4", "line 7"]
        assert len(app.tree.labels()) == 4


def test_the_window_counts_what_the_reader_yields(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_bytes(b'{"a": 1}\n\n   \n' + b"x" * (17 * 1024 * 1024) + b"\n[1]\n")
    assert count_lines(path) == len(read_stream(path)) == 3
    frames = window(path, [])
    assert [f.lineno for f in frames[0:3]] == [1, 4, 5]
    frames.forget_before(2)
    assert frames[2].lineno == 5
