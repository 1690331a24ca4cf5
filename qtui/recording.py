"""Recorded event streams: JSON lines of webhook bodies (or relay frames), read tolerantly.

A line may be a webhook envelope `{event, timestamp, data}` or a relay frame
`{seq, envelope, ...}`. A bad line is reported with its number and reason and skipped, so
one damaged line never hides the rest of a recording. A last line with no newline that is
not JSON is marked `truncated`: the recording was cut off while an event was being written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from qtui.core.events import Event, EventError, parse_event
from qtui.text import lone_surrogate, one_line


@dataclass(frozen=True, slots=True)
class RecordedLine:
    lineno: int
    envelope: dict[str, Any] | None
    error: str | None = None
    seq: int | None = None
    verified: bool | None = None
    survey_id: str | None = None  # a relay frame's attribution
    truncated: bool = False  # the file's last line, with no newline, and not JSON: cut off


MAX_LINE_BYTES = 16 * 1024 * 1024  # one event is kilobytes; a longer line is not one


def parse_line(lineno: int, text: str) -> RecordedLine | None:
    """One line of a recording; None for a blank line."""
    text = text.strip()
    if not text:
        return None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        return RecordedLine(lineno, None, f"invalid JSON at column {exc.colno}: {exc.msg}")
    except RecursionError:
        return RecordedLine(lineno, None, "JSON nested too deeply to be an event")
    except ValueError as exc:  # an integer past the 4300-digit conversion limit
        return RecordedLine(lineno, None, f"unreadable JSON: {one_line(str(exc), 80)}")
    if not isinstance(body, dict):
        return RecordedLine(lineno, None, "expected a JSON object")
    if "\\ud" in text.lower():  # only an escape can carry a lone surrogate in: look closer
        where = lone_surrogate(body)
        if where is not None:
            return RecordedLine(lineno, None, f"{where}: text holding a lone surrogate")
    if isinstance(body.get("envelope"), dict):
        seq = body.get("seq")
        survey_id = body.get("survey_id")
        return RecordedLine(
            lineno,
            body["envelope"],
            seq=seq if isinstance(seq, int) else None,
            verified=body.get("verified"),
            survey_id=survey_id if isinstance(survey_id, str) and survey_id else None,
        )
    return RecordedLine(lineno, body)


def iter_stream(path: str | Path) -> Iterator[RecordedLine]:
    """Every non-blank line of a recording, good or bad, in file order, read as it goes.

    Memory stays that of one line whatever the file's size; a line longer than
    `MAX_LINE_BYTES` (a binary file, a dump without newlines) is skipped as a bad line.
    """
    with open(path, "rb") as handle:
        lineno = 0
        while raw := handle.readline(MAX_LINE_BYTES + 1):
            lineno += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while (rest := handle.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                    pass  # skip to the end of the overlong line
                yield RecordedLine(lineno, None, f"longer than {MAX_LINE_BYTES >> 20} MB")
                continue
            line = parse_line(lineno, raw.decode("utf-8", errors="replace"))
            if line is not None and line.envelope is None and not raw.endswith(b"\n"):
                # Only the last line can lack its newline: a recording cut off mid-write.
                line = replace(line, truncated=line.error is not None and "JSON" in line.error)
            if line is not None:
                yield line


def count_lines(path: str | Path) -> int:
    """How many lines `iter_stream` yields for the file, counted without parsing any."""
    count = 0
    with open(path, "rb") as handle:
        while raw := handle.readline(MAX_LINE_BYTES + 1):
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while (rest := handle.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                    pass
                count += 1
            elif raw.strip():
                count += 1
    return count


def read_stream(path: str | Path) -> list[RecordedLine]:
    """Every non-blank line of a recording, good or bad, in file order."""
    return list(iter_stream(path))


@dataclass(frozen=True, slots=True)
class ParsedLine:
    line: RecordedLine
    event: Event | None
    error: str | None


def parse_lines(lines: Iterable[RecordedLine]) -> list[ParsedLine]:
    """Each line parsed into an `Event`, or the reason it could not be."""
    parsed: list[ParsedLine] = []
    for line in lines:
        if line.envelope is None:
            parsed.append(ParsedLine(line, None, line.error))
            continue
        try:
            parsed.append(ParsedLine(line, parse_event(line.envelope), None))
        except EventError as exc:
            parsed.append(ParsedLine(line, None, str(exc)))
    return parsed
