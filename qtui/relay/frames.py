"""The frames the relay sends on `/stream` and returns from `/events`.

    {"type": "event", "seq": 42, "received_at": "...", "verified": true,
     "source": "questra", "delivery_id": "...", "event_type": "page.created",
     "survey_id": "..." | null, "envelope": {...webhook body as received...}}
    {"type": "heartbeat", "last_seq": 42, "server_time": "..."}
    {"type": "overflow", "resume_after": 41}

An event frame is built as text around the stored envelope bytes without parsing them:
the log only holds envelopes that passed `parse_envelope`, so the splice is valid JSON,
and catching up on a long backlog costs no JSON decoding on the relay.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from qtui.relay.log import LoggedEvent

# WebSocket close codes the relay uses (4000-4999 are for applications).
CLOSE_OVERFLOW = 4000  # the subscriber fell behind; reconnect with after=resume_after
CLOSE_BAD_REQUEST = 4400  # a query parameter is malformed; the reason names it
CLOSE_UNAUTHORIZED = 4401  # subscriber token missing or wrong
CLOSE_FORBIDDEN = 4403  # Host or browser Origin not allowed; the reason names it

# RFC 6455: a close frame's payload is at most 125 bytes, two of them the code.
MAX_CLOSE_REASON_BYTES = 123


def close_reason(reason: str) -> str:
    """`reason` cut to fit a close frame, on a character boundary, marked with … if cut."""
    if len(reason.encode("utf-8")) <= MAX_CLOSE_REASON_BYTES:
        return reason
    cut = reason.encode("utf-8")[: MAX_CLOSE_REASON_BYTES - 3].decode("utf-8", "ignore")
    return cut + "…"


def event_frame_text(event: LoggedEvent) -> str:
    head = json.dumps(
        {
            "type": "event",
            "seq": event.seq,
            "received_at": event.received_at.isoformat(),
            "verified": event.verified,
            "source": event.source,
            "delivery_id": event.delivery_id,
            "event_type": event.event_type,
            "survey_id": event.survey_id,
        },
        separators=(",", ":"),
    )
    return head[:-1] + ',"envelope":' + event.envelope.decode("utf-8") + "}"


def event_frame(event: LoggedEvent) -> dict[str, Any]:
    return json.loads(event_frame_text(event))


def heartbeat_frame(last_seq: int, now: datetime | None = None) -> dict[str, Any]:
    moment = now or datetime.now(UTC)
    return {"type": "heartbeat", "last_seq": last_seq, "server_time": moment.isoformat()}


def overflow_frame(resume_after: int) -> dict[str, Any]:
    return {"type": "overflow", "resume_after": resume_after}
