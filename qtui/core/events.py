"""Questra webhook events: the envelope `{event, timestamp, data}` parsed into typed events.

`parse_event` accepts the raw body (bytes or str) or an already-decoded dict. Malformed
input raises `EventError` with a message that names what is wrong; an event type qtui
does not know becomes an event with `entity == "unknown"` that keeps its payload.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import from_json

from qtui.core.decoding import Checked, CheckedBlock, CheckedRule, EnvelopeDecoder
from qtui.core.models import (
    Block,
    Model,
    NavigationRule,
    Page,
    ProgrammingStatus,
    Survey,
    Variable,
)


class EventError(ValueError):
    """A webhook body that is not a valid Questra event."""


class Deleted(Model):
    """The data of a `*.deleted` event: only the id is guaranteed."""

    id: str


class ProgrammingJob(Model):
    survey_id: str
    file_id: str | None = None
    status: ProgrammingStatus | str | None = None


class Changeset(Model):
    id: str
    survey_id: str | None = None
    type: str | None = None
    status: str | None = None
    title: str | None = None


DataModel = Survey | Page | Block | Variable | NavigationRule | Deleted | ProgrammingJob | Changeset

# event type -> (entity, action, model of `data`)
_RESOURCES: dict[str, tuple[str, type[Model]]] = {
    "survey": ("survey", Survey),
    "page": ("page", Page),
    "block": ("block", Block),
    "variable": ("variable", Variable),
    "navigation_rule": ("navigation_rule", NavigationRule),
}
_ACTIONS = ("created", "updated", "deleted")
_CHANGESET_ACTIONS = ("started", "completed", "failed", "awaiting-approval", "operation-added")


@functools.lru_cache(maxsize=256)  # a handful of types, seen on every event
def _kind(event_type: str) -> tuple[str, str, type[Model] | None]:
    if event_type.startswith("changeset-"):
        action = event_type.removeprefix("changeset-")
        if action in _CHANGESET_ACTIONS:
            return "changeset", action, Changeset
        return "unknown", action, None
    if event_type in ("programming.started", "programming.finished"):
        return "programming", event_type.split(".", 1)[1], ProgrammingJob
    resource, _, action = event_type.rpartition(".")
    if resource in _RESOURCES and action in _ACTIONS:
        entity, model = _RESOURCES[resource]
        return entity, action, Deleted if action == "deleted" else model
    return "unknown", action or event_type, None


class Event:
    """One Questra event. `entity`/`action` say what it is about; `raw` is the body received.

    A block's or rule's `data` is made when first read: the store places and versions it
    from the checked body (`qtui.core.decoding.Checked`), and a replay never builds the
    versions that a later one replaces.
    """

    __slots__ = ("type", "entity", "action", "timestamp", "_data", "raw")

    type: str
    entity: str
    action: str
    timestamp: datetime
    raw: bytes | str | dict[str, Any]

    def __init__(
        self,
        type: str,  # noqa: A002  # the envelope's own name for it
        entity: str,
        action: str,
        timestamp: datetime,
        data: Any,
        raw: bytes | str | dict[str, Any],
    ) -> None:
        for name, value in (
            ("type", type),
            ("entity", entity),
            ("action", action),
            ("timestamp", timestamp),
            ("_data", data),
            ("raw", raw),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"an Event is read-only (tried to set {name!r})")

    @property
    def data(self) -> Any:
        """The event's `data` as its model (a `Block`, `Page`, …), or as received if unknown."""
        data = self._data
        return data.built() if isinstance(data, Checked) else data

    @property
    def checked_data(self) -> Any:
        """`data` as the store takes it: a block or rule possibly `Checked`, not built yet."""
        return self._data

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return (self.type, self.entity, self.action, self.timestamp, self.data) == (
            other.type,
            other.entity,
            other.action,
            other.timestamp,
            other.data,
        )

    __hash__ = None  # type: ignore[assignment]  # its data is a model: not hashable

    def __repr__(self) -> str:
        return (
            f"Event(type={self.type!r}, entity={self.entity!r}, action={self.action!r}, "
            f"timestamp={self.timestamp!r}, data={self.data!r})"
        )

    @property
    def payload(self) -> dict[str, Any]:
        """The envelope as JSON, unknown fields included (decoded on demand)."""
        return self.raw if isinstance(self.raw, dict) else json.loads(self.raw)

    @property
    def item_id(self) -> str | None:
        """The id of the item the event is about (a survey id for programming events)."""
        data = self._data
        if isinstance(data, Checked):
            return data.id
        if isinstance(data, ProgrammingJob):
            return data.survey_id
        return getattr(data, "id", None) if data is not None else None

    @property
    def is_known(self) -> bool:
        return self.entity != "unknown"


@functools.cache
def _timestamp() -> TypeAdapter[datetime]:
    return TypeAdapter(datetime)  # built on first use: the fast path does without it


def _decode(payload: bytes | str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(payload, dict):
        return payload
    if isinstance(payload, bytes | bytearray):
        try:
            payload = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise EventError(f"body is not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    try:
        decoded = from_json(payload)
    except ValueError:
        # pydantic-core's parser is fast; the standard one says where and why it stopped.
        try:
            json.loads(payload)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno} column {exc.colno}"
            hint = "truncated JSON" if exc.pos >= len(payload.rstrip()) - 1 else "invalid JSON"
            raise EventError(f"{hint} at {where}: {exc.msg}") from exc
        raise EventError("invalid JSON") from None
    if not isinstance(decoded, dict):
        raise EventError(f"body must be a JSON object, got {type(decoded).__name__}")
    return decoded


def _first_error(exc: ValidationError, prefix: str) -> str:
    err = exc.errors(include_url=False)[0]
    path = ".".join(str(part) for part in (prefix, *err["loc"]))
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{path}: {err['msg']}{more}"


_new = object.__new__
_set_type, _set_entity, _set_action, _set_timestamp, _set_data, _set_raw = (
    Event.__dict__[name].__set__
    for name in ("type", "entity", "action", "timestamp", "_data", "raw")
)

KNOWN_EVENT_TYPES = (
    *(f"{resource}.{action}" for resource in _RESOURCES for action in _ACTIONS),
    "programming.started",
    "programming.finished",
    *(f"changeset-{action}" for action in _CHANGESET_ACTIONS),
)


@functools.cache
def _decoder() -> EnvelopeDecoder:
    # Built on first use: the structs of every event type's data.
    # A block's or rule's data is built when read (`Event.data`): the bulk of any stream.
    deferred = {
        f"{resource}.{action}": checked
        for resource, checked in (("block", CheckedBlock), ("navigation_rule", CheckedRule))
        for action in ("created", "updated")
    }
    return EnvelopeDecoder(
        {kind: _kind(kind)[2] for kind in KNOWN_EVENT_TYPES},  # type: ignore[misc]
        deferred,
    )


def _parse_fast(payload: bytes | str | dict[str, Any]) -> Event | None:
    """Validate a well-formed body by the fast path; None to take the careful path."""
    decoder = _decoder()
    parsed = decoder.from_dict(payload) if isinstance(payload, dict) else decoder(payload)
    if parsed is None:
        return None
    event_type, timestamp, data = parsed
    entity, action, _ = _kind(event_type)
    # Event(...) field by field: its __init__ takes twice as long.
    event = _new(Event)
    _set_type(event, event_type)
    _set_entity(event, entity)
    _set_action(event, action)
    _set_timestamp(event, timestamp)
    _set_data(event, data)
    _set_raw(event, payload)
    return event


def parse_event(payload: bytes | str | dict[str, Any]) -> Event:
    """Parse a webhook envelope into a typed `Event`, or raise `EventError` saying why not."""
    fast = _parse_fast(payload)
    if fast is not None:
        return fast
    body = _decode(payload)
    event_type = body.get("event")
    if not isinstance(event_type, str) or not event_type:
        raise EventError('event: missing or not a string (expected e.g. "page.created")')
    if "timestamp" not in body:
        raise EventError(f"timestamp: missing in {event_type} event")
    try:
        timestamp = _timestamp().validate_python(body["timestamp"])
    except ValidationError as exc:
        raise EventError(f"timestamp: not an ISO date-time: {body['timestamp']!r}") from exc
    data = body.get("data")
    entity, action, model = _kind(event_type)
    if model is None:
        return Event(event_type, entity, action, timestamp, data, body)
    if not isinstance(data, dict):
        raise EventError(f"data: expected an object in {event_type} event")
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise EventError(f"{event_type}: {_first_error(exc, 'data')}") from exc
    return Event(event_type, entity, action, timestamp, parsed, body)


def envelope(event_type: str, data: dict[str, Any], timestamp: str) -> dict[str, Any]:
    """Build a webhook body the way Questra sends it."""
    return {"event": event_type, "timestamp": timestamp, "data": data}
