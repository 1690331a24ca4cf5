"""Webhook sources the relay accepts on `POST /hooks/{source}`, and their dedup keys.

A source is three things: how to check a delivery's authenticity, which header carries
its delivery id (the idempotency key for retries), and how to read the event type from
its envelope. Adding a sender means adding a `Source`, not touching the endpoint.
"""

from __future__ import annotations

import hmac
import json
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from qtui.core import fieldwork
from qtui.oktave import signing as oktave_signing
from qtui.questra import signing
from qtui.questra.signing import SignatureError
from qtui.relay.envelope import EnvelopeError, event_field, parse_envelope

# verify(body, headers) -> True when the signature was checked and holds, False when the
# source accepts unsigned deliveries; raises signing.SignatureError to reject.
Verifier = Callable[[bytes, Mapping[str, str]], bool]
EventTypeOf = Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class Intake:
    """What a source makes of one delivery: the JSON to store and how to file it."""

    stored: bytes  # a JSON object in UTF-8 (it is spliced into stream frames)
    envelope: dict[str, Any]
    delivery_id: str
    event_type: str
    survey_id: str | None
    verified: bool


# read(body, headers, query) -> Intake; raises SignatureError (401) or EnvelopeError (400).
Reader = Callable[[bytes, Mapping[str, str], Mapping[str, str]], Intake]


@dataclass(frozen=True)
class Source:
    name: str
    verify: Verifier
    delivery_header: str
    event_type: EventTypeOf
    # A source that reads whole deliveries itself (fieldwork sources); when set, `verify`,
    # `delivery_header` and `event_type` are not used.
    read: Reader | None = None


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


# -- fieldwork sources ---------------------------------------------------------------------
#
# Oktave and Qualtrics need more than a header and a signature over the body: Oktave signs
# its headers only (the body must then name the signed event), and Qualtrics posts a form.
# Such a source reads the whole delivery itself and says what to store.


QUALTRICS_SECRET_HEADER = "X-Qtui-Hook-Secret"
QUALTRICS_SECRET_PARAM = "secret"


def oktave_source(
    secret: str,
    *,
    window_s: float = oktave_signing.DEFAULT_WINDOW_S,
    clock: Callable[[], float] = time.time,
) -> Source:
    """Oktave webhooks: signed event id + timestamp, body must name the signed event."""

    def read(body: bytes, headers: Mapping[str, str], query: Mapping[str, str]) -> Intake:
        event_id = oktave_signing.check(headers, secret, now=clock(), window_s=window_s)
        envelope = parse_envelope(body)
        oktave_signing.check_body(event_id, envelope.get("event_id"))
        try:
            event_type = fieldwork.oktave_event_type(envelope)
        except fieldwork.FieldworkError as exc:
            raise EnvelopeError(str(exc)) from None
        return Intake(
            stored=body,
            envelope=envelope,
            delivery_id=event_id,
            event_type=event_type,
            survey_id=fieldwork.oktave_survey_id(event_type, envelope.get("data")),
            verified=True,
        )

    return Source(
        name="oktave",
        verify=_read_only,
        delivery_header=oktave_signing.EVENT_ID_HEADER,
        event_type=_read_only_type,
        read=read,
    )


def qualtrics_source(secrets: Iterable[str]) -> Source:
    """Qualtrics event-subscription callbacks (form-encoded), checked by a shared secret.

    Qualtrics does not sign callbacks. Each subscription's `publicationUrl` carries a secret
    (`?secret=…`, or the `X-Qtui-Hook-Secret` header from a proxy); a callback that presents
    one of `secrets` proves only that its sender knows a subscription URL — not that
    Qualtrics sent it, nor that the fields are true. Treat the fields as hints and read the
    response from Qualtrics' API for anything that matters.
    """
    accepted = [s.encode("utf-8") for s in secrets if s]
    if not accepted:
        raise ValueError("qualtrics_source needs at least one subscription secret")

    def read(body: bytes, headers: Mapping[str, str], query: Mapping[str, str]) -> Intake:
        given = oktave_signing.header(headers, QUALTRICS_SECRET_HEADER) or query.get(
            QUALTRICS_SECRET_PARAM
        )
        if not given:
            raise SignatureError(
                "missing subscription secret: put ?secret=… in the publicationUrl "
                "(qtui qualtrics subscribe does)"
            )
        # Compare against every secret (no early exit) so timing says nothing about which.
        matches = [hmac.compare_digest(given.encode("utf-8"), s) for s in accepted]
        if not any(matches):
            raise SignatureError("subscription secret does not match any this relay accepts")
        fields = parse_form(body)
        try:
            callback = fieldwork.QualtricsCallback.from_form(fields)
            key = fieldwork.qualtrics_delivery_key(callback)
        except (fieldwork.FieldworkError, ValueError) as exc:
            raise EnvelopeError(str(exc).splitlines()[0]) from None
        stored = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return Intake(
            stored=stored,
            envelope=dict(fields),
            delivery_id=key,
            event_type=callback.event_type,
            survey_id=callback.SurveyID or None,
            verified=True,
        )

    return Source(
        name="qualtrics",
        verify=_read_only,
        delivery_header="",
        event_type=_read_only_type,
        read=read,
    )


def parse_form(body: bytes) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body as fields, or `EnvelopeError`."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EnvelopeError(f"form body is not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise EnvelopeError("body is empty; expected form fields (Topic=…&SurveyID=…)")
    try:
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise EnvelopeError("body is not form-encoded (expected Topic=…&SurveyID=…)") from None
    return dict(pairs)


def _read_only(body: bytes, headers: Mapping[str, str]) -> bool:
    raise AssertionError("fieldwork sources are read with FieldworkSource.read")


def _read_only_type(envelope: dict[str, Any]) -> str:
    raise AssertionError("fieldwork sources are read with FieldworkSource.read")


def delivery_key(
    source: str, headers: Mapping[str, str], envelope: Mapping[str, Any]
) -> str | None:
    """The idempotency key of a delivery: what makes two deliveries the same event.

    - questra: the `X-Questra-Delivery` header (None when absent: nothing to dedupe on);
    - oktave: the envelope's `event_id` (the envelope `id` changes with every attempt);
    - qualtrics: `ResponseID:Topic` (a start, which has no response, uses its RecipientID).

    `envelope` is what the relay stores: the JSON body, or the Qualtrics form as an object.
    """
    if source == "questra":
        return oktave_signing.header(headers, "X-Questra-Delivery") or None
    try:
        if source == "oktave":
            return fieldwork.oktave_event_id(envelope)
        if source == "qualtrics":
            callback = fieldwork.QualtricsCallback.from_form(
                {k: str(v) for k, v in envelope.items()}
            )
            return fieldwork.qualtrics_delivery_key(callback)
    except (fieldwork.FieldworkError, ValueError):
        return None
    return None
