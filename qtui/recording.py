"""Recorded event streams: JSON lines of webhook bodies (or relay frames), read tolerantly.

A line may be a webhook envelope `{event, timestamp, data}` or a relay frame
`{seq, envelope, ...}`. A bad line is reported with its number and reason and skipped, so
one damaged line never hides the rest of a recording.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qtui.core.events import Event, EventError, parse_event


@dataclass(frozen=True, slots=True)
class RecordedLine:
    lineno: int
    envelope: dict[str, Any] | None
    error: str | None = None
    seq: int | None = None
    verified: bool | None = None
    survey_id: str | None = None  # a relay frame's attribution


def parse_line(lineno: int, text: str) -> RecordedLine | None:
    """One line of a recording; None for a blank line."""
    text = text.strip()
    if not text:
        return None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        return RecordedLine(lineno, None, f"invalid JSON at column {exc.colno}: {exc.msg}")
    if not isinstance(body, dict):
        return RecordedLine(lineno, None, "expected a JSON object")
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


def read_stream(path: str | Path) -> list[RecordedLine]:
    """Every non-blank line of a recording, good or bad, in file order."""
    lines: list[RecordedLine] = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for lineno, text in enumerate(handle, start=1):
            line = parse_line(lineno, text)
            if line is not None:
                lines.append(line)
    return lines


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
