"""Which survey an event belongs to, and what its payload teaches about other ids.

Questra's survey events do not all name their survey: `block.created` carries only
`page_id`, and deletes carry only `id`. The event log keeps an index of
(kind, id) → survey / parent learned from earlier events; this module reads one
payload and says what to look up and what to remember. It is pure: no storage here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Event kinds whose `data.id` is the id of the survey itself.
_SURVEY_KINDS = {"survey"}


@dataclass(frozen=True)
class Ref:
    """A resource named by kind and id; ids are only unique within a kind."""

    kind: str
    id: str


@dataclass(frozen=True)
class Links:
    """What one event says about survey membership.

    `subject` is the resource the event is about (looked up when the payload names no
    survey, e.g. a delete); `survey_id` is the survey the payload names directly;
    `parent` is the resource whose survey the subject shares (a block's page, a rule's
    source page); `known` lists other resources the payload places in a survey
    (a rule's embedded `sourcePage` / `targetPage`).
    """

    subject: Ref | None = None
    survey_id: str | None = None
    parent: Ref | None = None
    known: tuple[tuple[Ref, str], ...] = field(default=())


def event_kind(event_type: str) -> str:
    """`page.created` → `page`; `changeset-started` → `changeset`; anything else as is."""
    if "." in event_type:
        return event_type.split(".", 1)[0]
    if "-" in event_type:
        return event_type.split("-", 1)[0]
    return event_type


def _text(data: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = data.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _survey_of(data: Mapping[str, Any]) -> str | None:
    return _text(data, "survey_id", "surveyId")


def _embedded_page(value: object) -> tuple[Ref, str] | None:
    if not isinstance(value, Mapping):
        return None
    page_id = _text(value, "id")
    survey_id = _survey_of(value)
    if page_id is None or survey_id is None:
        return None
    return Ref("page", page_id), survey_id


def links_of(event_type: str, data: object) -> Links:
    """Read the survey links of one event's `data` (anything not an object: no links)."""
    if not isinstance(data, Mapping):
        return Links()
    kind = event_kind(event_type)
    own_id = _text(data, "id")
    subject = Ref(kind, own_id) if own_id is not None else None

    if kind in _SURVEY_KINDS:
        return Links(subject=subject, survey_id=own_id)

    if kind == "block":
        page_id = _text(data, "page_id", "pageId")
        parent = Ref("page", page_id) if page_id is not None else None
        return Links(subject=subject, survey_id=_survey_of(data), parent=parent)

    if kind == "navigation_rule":
        known = tuple(
            pair
            for pair in (
                _embedded_page(data.get("sourcePage")),
                _embedded_page(data.get("targetPage")),
                _embedded_page(data.get("source_page")),
                _embedded_page(data.get("target_page")),
            )
            if pair is not None
        )
        source_page = _text(data, "source_page_id", "sourcePageId")
        parent = Ref("page", source_page) if source_page is not None else None
        survey_id = _survey_of(data)
        if survey_id is None:
            # A rule lives in the survey of its source page; prefer that page's record.
            for ref, embedded_survey in known:
                if source_page is None or ref.id == source_page:
                    survey_id = embedded_survey
                    break
        return Links(subject=subject, survey_id=survey_id, parent=parent, known=known)

    # page.*, variable.*, changeset-*, programming.* and unknown kinds name their
    # survey directly when they name it at all.
    return Links(subject=subject, survey_id=_survey_of(data))
