"""Oktave webhook signatures, as Oktave's own SDK checks them.

    Oktave-Event-Id:  <event id>            (stable across delivery attempts)
    Oktave-Timestamp: <unix time>            (seconds; milliseconds accepted too)
    Oktave-Signature: hex(HMAC-SHA256(secret, event_id + timestamp))

Only the event id and the timestamp are signed, not the body. So a receiver must also
check that the body's `event_id` is the signed one (else a captured signature could carry
any body), and refuse timestamps outside a window (else a capture could be replayed
forever). Header names are matched case-insensitively: the wire casing is not documented.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from qtui.questra.signing import SignatureError

EVENT_ID_HEADER = "Oktave-Event-Id"
TIMESTAMP_HEADER = "Oktave-Timestamp"
SIGNATURE_HEADER = "Oktave-Signature"
DEFAULT_WINDOW_S = 300.0

__all__ = [
    "DEFAULT_WINDOW_S",
    "EVENT_ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "SignatureError",
    "check",
    "check_body",
    "sign",
    "timestamp_seconds",
]


def sign(secret: str, event_id: str, timestamp: str | int) -> str:
    """The `Oktave-Signature` value for this event id and timestamp."""
    message = f"{event_id}{timestamp}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, whatever its casing (Starlette's headers already are)."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lowered:
            return candidate
    return None


def timestamp_seconds(raw: str) -> float:
    """The header's timestamp in seconds; a value past year 5000 in seconds is milliseconds."""
    text = raw.strip()
    if not text.isdigit():
        raise SignatureError(f"{TIMESTAMP_HEADER} must be an integer unix time, got {raw[:40]!r}")
    value = int(text)
    return value / 1000 if value > 100_000_000_000 else float(value)


def check(
    headers: Mapping[str, str],
    secret: str,
    *,
    now: float,
    window_s: float = DEFAULT_WINDOW_S,
) -> str:
    """Raise `SignatureError` unless the headers are signed under `secret` and fresh.

    Returns the verified event id; the body must then name it (`check_body`).
    """
    event_id = header(headers, EVENT_ID_HEADER)
    timestamp = header(headers, TIMESTAMP_HEADER)
    signature = header(headers, SIGNATURE_HEADER)
    for name, value in (
        (EVENT_ID_HEADER, event_id),
        (TIMESTAMP_HEADER, timestamp),
        (SIGNATURE_HEADER, signature),
    ):
        if value is None or not value.strip():
            raise SignatureError(f"missing {name} header")
    assert event_id is not None and timestamp is not None and signature is not None
    expected = sign(secret, event_id.strip(), timestamp.strip())
    if not hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("utf-8")):
        raise SignatureError(
            f"{SIGNATURE_HEADER} does not match the event id and timestamp (wrong secret?)"
        )
    age = now - timestamp_seconds(timestamp)
    if abs(age) > window_s:
        when = "old" if age > 0 else "far in the future"
        raise SignatureError(
            f"{TIMESTAMP_HEADER} is {abs(age):.0f}s {when} (window {window_s:.0f}s); "
            "check the sender's clock or widen --oktave-window"
        )
    return event_id.strip()


def check_body(signed_event_id: str, body_event_id: object) -> None:
    """Raise `SignatureError` unless the body's `event_id` is the one the headers signed."""
    if body_event_id != signed_event_id:
        raise SignatureError(
            f"body event_id {body_event_id!r} is not the signed {EVENT_ID_HEADER} "
            f"{signed_event_id!r}"
        )
