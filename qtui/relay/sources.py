"""Webhook sources the relay accepts on `POST /hooks/{source}`.

A source is three things: how to check a delivery's authenticity, which header carries
its delivery id (the idempotency key for retries), and how to read the event type from
its envelope. Adding a sender means adding a `Source`, not touching the endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from qtui.questra import signing
from qtui.relay.envelope import event_field

# verify(body, headers) -> True when the signature was checked and holds, False when the
# source accepts unsigned deliveries; raises signing.SignatureError to reject.
Verifier = Callable[[bytes, Mapping[str, str]], bool]
EventTypeOf = Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class Source:
    name: str
    verify: Verifier
    delivery_header: str
    event_type: EventTypeOf


def questra_source(secret: str | None) -> Source:
    """Questra: HMAC-SHA256 in X-Questra-Signature, X-Questra-Delivery, envelope `event`.

    With no secret every delivery is accepted and stored as unverified; the relay only
    builds such a source when told explicitly that unsigned deliveries are acceptable.
    """

    def verify(body: bytes, headers: Mapping[str, str]) -> bool:
        if secret is None:
            return False
        signing.check(body, secret, headers.get(signing.HEADER))
        return True

    return Source(
        name="questra",
        verify=verify,
        delivery_header="X-Questra-Delivery",
        event_type=event_field,
    )
