"""An Oktave emulator: builds the documented webhook objects and delivers them signed.

Envelope (Oktave docs, "payload"): `{id, event_id, timestamp, type, is_test, data}`, where
`id` is new for every delivery attempt and `event_id` stays the same. Each POST carries
`Oktave-Event-Id`, `Oktave-Timestamp` and `Oktave-Signature` (see `qtui.oktave.signing`).
A delivery answered with anything but 2xx (or not answered) is sent again, up to
`attempts` times with a growing pause — Oktave documents no schedule, so ours is a guess.

Object builders take plain values and return the JSON objects as documented (field names
exact), so tests and the fieldwork simulator speak the same shapes the relay receives.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from qtui.oktave import signing


def _uuid() -> str:
    return str(uuid.uuid4())


def campaign(
    survey_id: str, survey_name: str | None = None, channel: str = "url"
) -> dict[str, Any]:
    return {
        "id": _uuid(),
        "token": uuid.uuid4().hex[:12],
        "channel": channel,
        "survey_id": survey_id,
        "survey_name": survey_name,
    }


def user_agent() -> dict[str, str]:
    return {
        "browser": "Firefox",
        "browser_version": "133.0",
        "os": "Linux",
        "os_version": "6.8",
        "device_name": "Desktop",
        "device_type": "Desktop",
        "ip_address": "127.0.0.1",
    }


def component(
    title: str, position: int, component_type: str = "mcq", *, required: bool = False
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": _uuid(),
        "required": required,
        "title": title,
        "position": position,
        "component_type": component_type,
        "type_changed": False,
        "has_grid": False,
    }
    if component_type in ("mcq", "mcq-picture", "rank"):
        result["multiple_answers"] = False
    return result


def answer(
    response_id: str,
    comp: Mapping[str, Any],
    *,
    text: str | None = None,
    choices: Sequence[str] = (),
    number: int | None = None,
    now: float,
) -> dict[str, Any]:
    """An Answer; `choices` are choice texts (an mcq), `text` a short answer, `number` a rating."""
    result: dict[str, Any] = {
        "id": _uuid(),
        "response_id": response_id,
        "is_embedded": False,
        "is_ignored": False,
        "component": dict(comp),
        "created_at": int(now),
        "updated_at": int(now),
    }
    kind = comp.get("component_type")
    if kind in ("mcq", "mcq-picture", "rank"):
        result["choices"] = [{"id": _uuid(), "text": c, "is_other": False} for c in choices]
        result["as_string"] = ", ".join(choices)
    elif kind in ("rating", "nps", "smiley"):
        result["number"] = number
        result["as_string"] = "" if number is None else str(number)
    elif kind == "form":
        result["fields"] = []
        result["as_string"] = ""
    else:
        result["text"] = text
        result["as_string"] = text or ""
    return result


def response(
    response_id: str,
    camp: Mapping[str, Any],
    *,
    status: str,
    started_at: float | None,
    completed_at: float | None = None,
    answers: Sequence[Mapping[str, Any]] = (),
    unique_identifier: str | None = None,
    now: float,
) -> dict[str, Any]:
    return {
        "id": response_id,
        "campaign": dict(camp),
        "user_agent": user_agent(),
        "status": status,
        "language": "en",
        "unique_identifier": unique_identifier,
        "contact_id": None,
        "sequence_id": None,
        "merge_fields": {},
        "created_at": int(started_at or now),
        "updated_at": int(now),
        "started_at": None if started_at is None else int(started_at),
        "completed_at": None if completed_at is None else int(completed_at),
        "answers": [dict(a) for a in answers],
    }


def comment(incident_id: str, body: str, status: str, solver: str, *, now: float) -> dict[str, Any]:
    return {
        "id": _uuid(),
        "status": status,
        "body": body,
        "incident_id": incident_id,
        "solver": solver,
        "created_at": int(now),
        "updated_at": int(now),
    }


def incident(
    incident_id: str,
    title: str,
    body: str,
    resp: Mapping[str, Any],
    *,
    comments: Sequence[Mapping[str, Any]] = (),
    created_at: float,
    now: float,
) -> dict[str, Any]:
    status = comments[-1]["status"] if comments else "new"
    return {
        "id": incident_id,
        "latest_status": status,
        "title": title,
        "body": body,
        "comments_count": len(comments),
        "comments": [dict(c) for c in comments],
        "response": dict(resp),
        "created_at": int(created_at),
        "updated_at": int(now),
    }


def blacklist_item(
    recipient: str, camp: Mapping[str, Any], status: str = "unsubscribed", *, now: float
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": _uuid(),
        "recipient_type": "email" if "@" in recipient else "mobile",
        "recipient": recipient,
        "campaign": dict(camp),
        "created_at": int(now),
        "updated_at": int(now),
        "status": status,
    }
    if status == "unsubscribed":
        result["unsubscribed_at"] = int(now)
    else:
        result["bounce_reason"] = "mailbox unavailable"
        result[f"{status.split('_')[0]}_bounced_at"] = int(now)
    return result


def envelope(
    event_type: str, data: Mapping[str, Any], *, event_id: str, timestamp: int, is_test: bool
) -> dict[str, Any]:
    return {
        "id": _uuid(),
        "event_id": event_id,
        "timestamp": timestamp,
        "type": event_type,
        "is_test": is_test,
        "data": dict(data),
    }


def signed_headers(secret: str, event_id: str, timestamp: int | str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        signing.EVENT_ID_HEADER: event_id,
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.sign(secret, event_id, timestamp),
    }


@dataclass
class Delivery:
    event_id: str
    event_type: str
    attempts: int
    status: int | None  # the last answer's status (None: never answered)

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class OktaveEmitter:
    """Sends Oktave events to `url`, signed with `secret`, retrying until 2xx."""

    url: str
    secret: str
    client: httpx.AsyncClient
    attempts: int = 5
    backoff_s: float = 0.2
    clock: Callable[[], float] = time.time
    is_test: bool = False
    deliveries: list[Delivery] = field(default_factory=list)

    async def send(self, event_type: str, data: Mapping[str, Any]) -> Delivery:
        event_id = _uuid()
        timestamp = int(self.clock())
        delivery = Delivery(event_id, event_type, 0, None)
        for attempt in range(self.attempts):
            body = json.dumps(
                envelope(
                    event_type,
                    data,
                    event_id=event_id,
                    timestamp=timestamp,
                    is_test=self.is_test,
                )
            ).encode()
            # Oktave resends the event as it was: same event id and timestamp, so the
            # signature is the same too; only the envelope `id` is new.
            delivery.attempts = attempt + 1
            try:
                answer = await self.client.post(
                    self.url, content=body, headers=signed_headers(self.secret, event_id, timestamp)
                )
                delivery.status = answer.status_code
            except httpx.TransportError:
                delivery.status = None
            if delivery.delivered:
                break
            await asyncio.sleep(self.backoff_s * (2**attempt))
        self.deliveries.append(delivery)
        return delivery
