"""Read a JSON file a user passes (a survey, an answers file) with one clear error per fault.

Not UTF-8, not JSON, nested past any real document, integers thousands of digits long and
text holding lone surrogates (`"\\ud800"`, which no service can encode) are all refused with
a `JsonFileError` naming the file, where, and what to do — never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qtui.text import lone_surrogate, one_line

MAX_DEPTH = 64  # a FullSurvey nests about eight levels; sixty-four leaves room for extras


class JsonFileError(ValueError):
    """A file that is not usable JSON; the message is one line saying why."""


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply objects and arrays nest in `value` (stops counting past `limit`)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def parse_json_text(data: bytes, name: str) -> Any:
    """`data` decoded as JSON, checked as `read_json_file` checks a file."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonFileError(
            f"{name}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonFileError(
            f"{name}: not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise JsonFileError(
            f"{name}: nested deeper than {MAX_DEPTH} levels, so not a document qtui reads"
        ) from None
    except ValueError as exc:  # an integer past Python's 4300-digit conversion limit
        raise JsonFileError(
            f"{name}: a number too long to read ({one_line(str(exc), 80)})"
        ) from None
    if depth(value) > MAX_DEPTH:
        raise JsonFileError(
            f"{name}: nested deeper than {MAX_DEPTH} levels, so not a document qtui reads"
        )
    where = lone_surrogate(value)
    if where is not None:
        raise JsonFileError(
            f"{name}: {where}: text holding a lone surrogate (an unpaired \\ud800-\\udfff "
            "escape), which is not valid Unicode; fix or remove that text"
        )
    return value


def read_json_file(path: Path) -> Any:
    """The JSON value in the file at `path`, or `JsonFileError` saying why not."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise JsonFileError(f"{path}: is a directory, not a JSON file") from None
    except OSError as exc:
        raise JsonFileError(f"{path}: cannot read it ({exc.strerror})") from None
    return parse_json_text(data, str(path))
