"""Parse a webhook body into its envelope object, strictly, with a message a sender can act on.

Stricter than `json.loads` (see `qtui.strict_json`): the body must be UTF-8 and an object,
without `NaN` / `Infinity`, lone surrogates, integers past 64 bits, floats that overflow or
nesting past 64 levels. What passes here is kept byte for byte and later spliced unparsed
into stream frames, so it has to be JSON that any client can read — a body a subscriber
could not decode would otherwise stop every subscriber at the same seq, for ever.
"""

from __future__ import annotations

from typing import Any

from qtui import strict_json


class EnvelopeError(ValueError):
    """A webhook body that is not a usable envelope; the message says what is wrong."""


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
        parsed = strict_json.loads(body)
    except strict_json.StrictJsonError as exc:
        reason = str(exc)
        raise EnvelopeError(
            f"body is {reason}" if reason.startswith("not ") else f"body: {reason}"
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
