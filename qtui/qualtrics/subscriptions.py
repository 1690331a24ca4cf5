"""Qualtrics event subscriptions: register the relay for a survey's response callbacks.

`POST /API/v3/eventsubscriptions` with `{"topics", "publicationUrl", "encrypt"}`; one
subscription per topic. The publication URL is the relay's `/hooks/qualtrics` with a
per-subscription secret in its query (`?secret=…`), because Qualtrics does not sign its
callbacks: the secret in the URL is the only thing that tells our callbacks from anyone's.
"""

from __future__ import annotations

import secrets
import urllib.parse
from dataclasses import dataclass
from typing import Any

from qtui.qualtrics.client import QualtricsClient

TOPICS = (
    "surveyengine.startedRecipientSession",
    "surveyengine.partialResponse",
    "surveyengine.completedResponse",
)


@dataclass(frozen=True)
class Subscribed:
    survey_id: str
    secret: str
    publication_url: str
    subscription_ids: dict[str, str]  # topic → SUB_ id


def publication_url(relay: str, secret: str) -> str:
    """The relay's Qualtrics hook for `relay` (its base URL) with `secret` in the query."""
    base = relay.rstrip("/")
    if base.startswith("ws://"):
        base = "http://" + base[5:]
    elif base.startswith("wss://"):
        base = "https://" + base[6:]
    if not base.endswith("/hooks/qualtrics"):
        base += "/hooks/qualtrics"
    return f"{base}?{urllib.parse.urlencode({'secret': secret})}"


def new_secret() -> str:
    return secrets.token_urlsafe(24)


async def subscribe(
    client: QualtricsClient,
    survey_id: str,
    relay: str,
    *,
    secret: str | None = None,
    topics: tuple[str, ...] = TOPICS,
) -> Subscribed:
    """Subscribe the relay to `topics` of `survey_id`; the secret must be given to the relay."""
    secret = secret or new_secret()
    url = publication_url(relay, secret)
    ids: dict[str, str] = {}
    for topic in topics:
        result = await client.request(
            "POST",
            "/eventsubscriptions",
            json={"topics": f"{topic}.{survey_id}", "publicationUrl": url, "encrypt": False},
        )
        ids[topic] = str((result or {}).get("id", ""))
    return Subscribed(survey_id, secret, url, ids)


async def list_subscriptions(client: QualtricsClient) -> list[dict[str, Any]]:
    return [e async for e in client.paginate("/eventsubscriptions")]


async def unsubscribe(client: QualtricsClient, subscription_id: str) -> None:
    await client.request("DELETE", f"/eventsubscriptions/{subscription_id}")
