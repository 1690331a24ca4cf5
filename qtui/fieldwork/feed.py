"""Read one survey's fieldwork from the relay's log, and fill in Qualtrics responses.

The relay keeps Oktave and Qualtrics deliveries beside Questra's; `read_log` pages through
`GET /events?source=oktave,qualtrics&survey=…` and folds every frame into a
`FieldworkTally`. A Qualtrics callback only says a response was recorded, so
`fetch_details` reads each new one from Qualtrics (`GET /surveys/{id}/responses/{rid}`):
its end (complete, screened out, over quota, partial), the questions it was shown, its
length. Without Qualtrics credentials a completed callback counts as complete.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from qtui.core.fieldwork import FieldworkTally
from qtui.qualtrics.client import QualtricsClient
from qtui.qualtrics.errors import QualtricsError

FIELDWORK_SOURCES = "oktave,qualtrics"
PAGE = 1000

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class FeedError(Exception):
    """The relay could not be read; the message says what to do."""


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`--since`: an ISO date/time (UTC unless it says otherwise) or an age like 30m, 2h, 1d."""
    match = _RELATIVE.match(text)
    if match:
        amount, unit = float(match.group(1)), match.group(2)
        try:
            return (now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: amount})
        except (OverflowError, ValueError):
            raise ValueError(
                f"--since {text!r}: longer ago than any date; give a smaller age"
            ) from None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--since {text!r}: give an ISO time (2026-11-25T14:00) or an age (30m, 2h, 1d)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def wanted(frame: Mapping[str, Any], survey_id: str, since: datetime | None) -> bool:
    """A frame for this survey (or of no known survey) received at or after `since`."""
    if frame.get("survey_id") not in (None, survey_id):
        return False
    if since is None:
        return True
    received = frame.get("received_at")
    try:
        moment = datetime.fromisoformat(str(received))
    except ValueError:
        return True
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)) >= since


def http_base(relay: str) -> str:
    """The relay's HTTP base from whatever was given (ws://…, http://…, …/stream)."""
    url = relay.rstrip("/")
    for suffix in ("/stream", "/events"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    if url.startswith("ws://"):
        url = "http://" + url[5:]
    elif url.startswith("wss://"):
        url = "https://" + url[6:]
    return url


async def read_log(
    relay: str,
    survey_id: str,
    tally: FieldworkTally,
    *,
    token: str | None = None,
    since: datetime | None = None,
    after: int = 0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> int:
    """Fold the relay's fieldwork frames for `survey_id` after seq `after` into `tally`.

    Returns the relay's last seq (to follow the stream from).
    """
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    base = http_base(relay)
    last_seq = after
    async with httpx.AsyncClient(base_url=base, headers=headers, transport=transport) as http:
        while True:
            params = {
                "after": str(after),
                "limit": str(PAGE),
                "survey": survey_id,
                "source": FIELDWORK_SOURCES,
            }
            try:
                answer = await http.get("/events", params=params)
            except httpx.TransportError as exc:
                raise FeedError(
                    f"cannot reach the relay at {base} ({exc}); start it with `qtui relay` "
                    "or pass --relay"
                ) from None
            if answer.status_code == 401:
                raise FeedError(
                    "the relay refused the token (401): pass --token or QTUI_RELAY_TOKEN"
                )
            if answer.status_code != 200:
                raise FeedError(f"the relay answered {answer.status_code}: {answer.text[:200]}")
            page = answer.json()
            events = page.get("events") or []
            for frame in events:
                if wanted(frame, survey_id, since):
                    tally.apply_frame(frame)
                after = max(after, int(frame.get("seq", after)))
            last_seq = max(last_seq, int(page.get("last_seq", 0)), after)
            if len(events) < PAGE:
                return last_seq


async def fetch_details(tally: FieldworkTally, client: QualtricsClient) -> int:
    """Read every recorded Qualtrics response the tally has not seen in full; how many."""
    done = 0
    for survey_id, response_id in tally.wants_detail():
        try:
            detail = await client.get_response(survey_id, response_id)
        except QualtricsError:
            continue  # not readable (yet): it stays counted from its callback
        tally.apply_detail(response_id, detail)
        done += 1
    return done
