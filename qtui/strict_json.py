"""JSON from outside, read strictly: what passes can be stored, re-encoded and shown safely.

`json.loads` accepts things that later break whoever holds the result: lone surrogates
(`"\\ud800"` decodes to a str that cannot be encoded as UTF-8, so every later response or
log line carrying it fails), integers with thousands of digits (slow to convert, and past
4,300 digits Python refuses to print them), `1e999` (becomes `inf`, which JSON cannot
express), `NaN`/`Infinity`, and nesting deep enough to exhaust the recursion limit. `loads`
refuses all of these with a `StrictJsonError` whose message says what was found, short
enough for an HTTP 400 or a websocket close reason.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64
# 20 digits hold every 64-bit integer, signed or not.
MAX_INT_DIGITS = 20
MAX_NUMBER_CHARS = 100

_SURROGATE = re.compile("[\ud800-\udfff]")


class StrictJsonError(ValueError):
    """Input that is not acceptable JSON; the message names the problem in one line."""


def _reject_constant(name: str) -> Any:
    raise StrictJsonError(f"not valid JSON: {name} is not allowed")


def _int(max_digits: int) -> Any:
    def parse(text: str) -> int:
        digits = len(text.lstrip("-"))
        if digits > max_digits:
            raise StrictJsonError(f"an integer has {digits} digits; at most {max_digits} allowed")
        return int(text)

    return parse


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise StrictJsonError(f"a number is {len(text)} characters long; at most 100 allowed")
    value = float(text)
    if not math.isfinite(value):
        raise StrictJsonError(f"the number {text[:30]} is too large for a float")
    return value


def _check_text(text: str, where: str) -> None:
    found = _SURROGATE.search(text)
    if found is not None:
        raise StrictJsonError(
            f"{where} holds a lone surrogate (\\u{ord(found.group()):04x}), not valid Unicode"
        )


def _check_tree(value: Any, max_depth: int) -> None:
    # Iterative, so a deep tree cannot exhaust the stack here either.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item, "a string")
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > max_depth:
            raise StrictJsonError(f"nesting is deeper than {max_depth} levels")
        if isinstance(item, dict):
            for key, child in item.items():
                _check_text(key, "an object key")
                stack.append((child, depth + 1))
        else:
            stack.extend((child, depth + 1) for child in item)


def loads(
    data: bytes | str, *, max_depth: int = MAX_DEPTH, max_int_digits: int = MAX_INT_DIGITS
) -> Any:
    """Parse `data` (UTF-8 bytes or text), or raise `StrictJsonError` saying why not."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise StrictJsonError(f"not UTF-8 text (byte {exc.start})") from None
    else:
        text = data
    try:
        value = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_int=_int(max_int_digits),
            parse_float=_float,
        )
    except StrictJsonError:
        raise
    except RecursionError:
        raise StrictJsonError(f"nesting is deeper than {max_depth} levels") from None
    except json.JSONDecodeError as exc:
        raise StrictJsonError(
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except ValueError as exc:  # anything else the decoder refuses
        raise StrictJsonError(f"not valid JSON: {str(exc)[:80]}") from None
    _check_tree(value, max_depth)
    return value
