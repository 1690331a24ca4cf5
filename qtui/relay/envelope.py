"""Parse a webhook body into its envelope object, strictly, with a message a sender can act on.

Stricter than `json.loads`: the body must be UTF-8, must not use the non-JSON constants
`NaN` / `Infinity` that Python would accept, and must be an object. What passes here is
kept byte for byte and later spliced unparsed into stream frames, so it has to be JSON
that any client can read.
"""

from __future__ import annotations

import json
from typing import Any


class EnvelopeError(ValueError):
    """A webhook body that is not a usable envelope; the message says what is wrong."""


def _reject_constant(name: str) -> Any:
    raise EnvelopeError(f"body is not valid JSON: {name} is not allowed")


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def parse_envelope(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or `EnvelopeError` naming the problem."""
    if not body.strip():
        raise EnvelopeError("body is empty; expected a JSON object")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EnvelopeError(f"body is not UTF-8 text (byte {exc.start})") from None
    try:
        parsed = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise EnvelopeError(
            f"body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(parsed, dict):
        raise EnvelopeError(f"body must be a JSON object, got {_json_kind(parsed)}")
    return parsed


def event_field(envelope: dict[str, Any]) -> str:
    """The envelope's `event` string (Questra's event type), or `EnvelopeError`."""
    event = envelope.get("event")
    if not isinstance(event, str) or not event.strip():
        raise EnvelopeError('envelope field "event" is missing or not a non-empty string')
    return event
