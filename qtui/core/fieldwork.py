"""Fieldwork: the response platforms' webhook objects, and live tallies over them.

Two platforms push fieldwork to the relay:

- **Oktave** webhooks: a JSON envelope `{id, event_id, timestamp, type, is_test, data}` whose
  `data` is a Response, Answer, Incident or Blacklist Item (objects below, field names as
  documented). `id` changes with every delivery attempt; `event_id` is the event.
- **Qualtrics** event-subscription callbacks: a form-encoded POST with `Topic`, `Status`,
  `SurveyID`, `ResponseID`, `RecipientID`, `CompletedDate`/`StartedDate`, `BrandID`… The relay
  stores the form as a JSON object of its fields. A callback says only *that* a response was
  recorded; its disposition and the pages it saw come from the response itself
  (`GET /surveys/{id}/responses/{rid}`), applied here with `FieldworkTally.apply_detail`.

`FieldworkTally` folds both into one survey's figures: started, completed, screened out,
over quota, partial, incidence, completes per hour, median length of interview, pages
reached and left, the routes respondents took, incidents and blacklisted recipients. It is
idempotent (a repeated event changes nothing) and tolerates any order of arrival.

Pure: no I/O, no clock (times come from the events).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# -- Oktave objects -------------------------------------------------------------------------


class OktaveObject(BaseModel):
    """Base for Oktave payloads: unknown fields kept, missing optional fields tolerated."""

    model_config = ConfigDict(extra="allow")


class Campaign(OktaveObject):
    id: str = ""
    token: str | None = None
    channel: str | None = None
    survey_id: str | None = None
    survey_name: str | None = None


class TextMessageCampaign(OktaveObject):
    id: str = ""
    name: str | None = None
    sender: str | None = None
    text_message: str | None = None


class UserAgent(OktaveObject):
    browser: str | None = None
    browser_version: str | None = None
    os: str | None = None
    os_version: str | None = None
    device_name: str | None = None
    device_type: str | None = None
    ip_address: str | None = None


class Component(OktaveObject):
    id: str = ""
    required: bool = False
    title: str | None = None
    position: int = 0
    component_type: str = ""
    type_changed: bool | None = None
    has_grid: bool = False
    multiple_answers: bool | None = None
    min_answers: int | None = None
    max_answers: int | None = None
    shape: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    possible_values: list[int] | None = None


class Choice(OktaveObject):
    id: str = ""
    text: str | None = None
    is_other: bool = False
    rank: int | None = None


class FormField(OktaveObject):
    id: str = ""
    required: bool = False
    type: str = "text"
    text: str = ""
    value: str | None = None


class GridItem(OktaveObject):
    id: str = ""
    text: str | None = None


class Answer(OktaveObject):
    id: str = ""
    response_id: str = ""
    is_embedded: bool = False
    is_ignored: bool = False
    component: Component = Field(default_factory=Component)
    grid_item: GridItem | None = None
    created_at: float | None = None
    updated_at: float | None = None
    comment: str | None = None
    as_string: str | None = None
    text: str | None = None
    choices: list[Choice] | None = None
    number: int | None = None
    fields: list[FormField] | None = None


class Response(OktaveObject):
    id: str = ""
    campaign: Campaign = Field(default_factory=Campaign)
    user_agent: UserAgent | None = None
    status: str = "opened"
    language: str | None = None
    unique_identifier: str | None = None
    contact_id: str | None = None
    sequence_id: str | None = None
    merge_fields: dict[str, Any] = Field(default_factory=dict)
    created_at: float | None = None
    updated_at: float | None = None
    started_at: float | None = None
    completed_at: float | None = None
    answers: list[Answer] = Field(default_factory=list)


class Comment(OktaveObject):
    id: str = ""
    status: str = ""
    body: str = ""
    incident_id: str = ""
    solver: str = ""
    created_at: float | None = None
    updated_at: float | None = None


class Incident(OktaveObject):
    id: str = ""
    latest_status: str = "new"
    title: str = ""
    body: str = ""
    comments_count: int = 0
    comments: list[Comment] = Field(default_factory=list)
    response: Response | None = None
    created_at: float | None = None
    updated_at: float | None = None


class BlacklistItem(OktaveObject):
    id: str = ""
    recipient_type: str = ""
    recipient: str = ""
    campaign: dict[str, Any] = Field(default_factory=dict)
    created_at: float | None = None
    updated_at: float | None = None
    status: str = ""
    bounce_reason: str | None = None
    soft_bounced_at: float | None = None
    hard_bounced_at: float | None = None
    unsubscribed_at: float | None = None


OKTAVE_EVENT_TYPES = (
    "response.started",
    "response.completed",
    "answer.saved",
    "blacklist_item.created",
    "incident.created",
    "incident.updated",
)


class FieldworkError(ValueError):
    """A fieldwork payload that cannot be used; the message says what is wrong."""


def oktave_event_id(envelope: Mapping[str, Any]) -> str:
    """The envelope's `event_id` (stable across attempts), or `FieldworkError`."""
    value = envelope.get("event_id")
    if not isinstance(value, str) or not value.strip():
        raise FieldworkError('Oktave envelope field "event_id" is missing or not a string')
    return value


def oktave_event_type(envelope: Mapping[str, Any]) -> str:
    value = envelope.get("type")
    if not isinstance(value, str) or not value.strip():
        raise FieldworkError('Oktave envelope field "type" is missing or not a string')
    return value


def oktave_survey_id(event_type: str, data: object) -> str | None:
    """The survey an Oktave event is about, when its object names it (an Answer does not)."""
    if not isinstance(data, Mapping):
        return None
    kind = event_type.split(".", 1)[0]
    campaign: object = None
    if kind == "response":
        campaign = data.get("campaign")
    elif kind == "incident":
        response = data.get("response")
        campaign = response.get("campaign") if isinstance(response, Mapping) else None
    elif kind == "blacklist_item":
        campaign = data.get("campaign")
    if isinstance(campaign, Mapping):
        survey = campaign.get("survey_id")
        if isinstance(survey, str) and survey:
            return survey
    return None


# -- Qualtrics callbacks --------------------------------------------------------------------

QUALTRICS_TOPICS = {
    "surveyengine.startedRecipientSession": "started",
    "surveyengine.partialResponse": "partial",
    "surveyengine.completedResponse": "completed",
}


class QualtricsCallback(BaseModel):
    """One event-subscription callback, as the form fields Qualtrics posts."""

    model_config = ConfigDict(extra="allow")

    Topic: str
    Status: str = ""
    SurveyID: str = ""
    ResponseID: str | None = None
    RecipientID: str | None = None
    CompletedDate: str | None = None
    StartedDate: str | None = None
    BrandID: str | None = None
    DistributionID: str | None = None
    ResponseEventContext: str | None = None

    @classmethod
    def from_form(cls, fields: Mapping[str, str]) -> QualtricsCallback:
        topic = fields.get("Topic")
        if not topic:
            raise FieldworkError('Qualtrics callback has no "Topic" field')
        callback = cls.model_validate(dict(fields))
        if not callback.SurveyID:
            # The topic ends in the survey id for survey-engine events.
            _, _, tail = topic.rpartition(".")
            if tail.startswith("SV_"):
                callback.SurveyID = tail
        return callback

    @property
    def event_type(self) -> str:
        """`surveyengine.completedResponse.SV_x` → `surveyengine.completedResponse`."""
        head, _, tail = self.Topic.rpartition(".")
        return head if head and tail.startswith("SV_") else self.Topic

    @property
    def kind(self) -> str | None:
        return QUALTRICS_TOPICS.get(self.event_type)


def qualtrics_delivery_key(callback: QualtricsCallback) -> str:
    """ResponseID + topic; a start (which has no response yet) uses its RecipientID."""
    subject = callback.ResponseID or callback.RecipientID
    if not subject:
        raise FieldworkError("Qualtrics callback has neither ResponseID nor RecipientID")
    return f"{subject}:{callback.Topic}"


# -- the tally ------------------------------------------------------------------------------

Disposition = Literal["in_progress", "completed", "screened_out", "over_quota", "partial"]
DISPOSITIONS: tuple[Disposition, ...] = (
    "in_progress",
    "completed",
    "screened_out",
    "over_quota",
    "partial",
)
_TERMINATE_FLAGS: dict[str, Disposition] = {
    "screened": "screened_out",
    "screenout": "screened_out",
    "quotamet": "over_quota",
    "quota": "over_quota",
    "overquota": "over_quota",
}
_OVER_QUOTA_STATUSES = {"over_quota", "overquota", "quota_full"}
_COMPLETE_STATUSES = {"complete", "completed"}


@dataclass
class Respondent:
    key: str
    source: str
    survey_id: str | None = None
    response_id: str | None = None
    disposition: Disposition = "in_progress"
    started_at: datetime | None = None
    ended_at: datetime | None = None
    pages: list[str] = field(default_factory=list)  # page ids reached, survey order
    detailed: bool = False
    duration_s: float | None = None

    @property
    def loi_s(self) -> float | None:
        if self.duration_s is not None:
            return self.duration_s
        if self.started_at and self.ended_at and self.ended_at >= self.started_at:
            return (self.ended_at - self.started_at).total_seconds()
        return None


@dataclass(frozen=True)
class SurveyShape:
    """What the tally needs of the survey: pages in order, their endings, question → page.

    `page_of` maps any question key a platform reports (a Qualtrics QID, a DataExportTag,
    a Questra block id, an Oktave component title or id) to the Questra page it is on.
    `ending` maps a terminal page to its disposition (`completed`, `screened_out`,
    `over_quota`).
    """

    page_order: tuple[str, ...] = ()
    page_names: Mapping[str, str] = field(default_factory=dict)
    page_of: Mapping[str, str] = field(default_factory=dict)
    ending: Mapping[str, Disposition] = field(default_factory=dict)


def survey_shape(survey: Any, definition: Mapping[str, Any] | None = None) -> SurveyShape:
    """The shape of a Questra `Survey`: its pages in order, endings, block names → page.

    With the pushed Qualtrics `definition`, each QID maps to the page of the Questra block
    whose reference name is its DataExportTag (how qtui compiles), so Qualtrics responses
    land on Questra pages. Oktave components are matched by title (the reference name).
    """
    from qtui.core.models import reference_names

    order: list[str] = []
    names: dict[str, str] = {}
    page_of: dict[str, str] = {}
    ending: dict[str, Disposition] = {}
    refs = reference_names(survey)
    for page in survey.ordered_pages():
        order.append(page.id)
        names[page.id] = page.name or page.id
        page_of[page.id] = page.id
        for block in page.blocks:
            page_of[block.id] = page.id
            if block.id in refs:
                page_of.setdefault(refs[block.id], page.id)
        if page.ends_survey:
            status = (page.assign_response_status or "").strip().lower().replace("-", "_")
            if status in _OVER_QUOTA_STATUSES:
                ending[page.id] = "over_quota"
            elif status in _COMPLETE_STATUSES:
                ending[page.id] = "completed"
            else:
                ending[page.id] = "screened_out"
    for qid, tag in _definition_tags(definition).items():
        if tag in page_of:
            page_of[qid] = page_of[tag]
    _place_unnamed_questions(definition, page_of, names)
    return SurveyShape(tuple(order), names, page_of, ending)


def _place_unnamed_questions(
    definition: Mapping[str, Any] | None, page_of: dict[str, str], names: Mapping[str, str]
) -> None:
    """QIDs with no reference name (text blocks) join the page of their Qualtrics block.

    qtui compiles a page into a block described by the page's name, so a block's page is
    the page of any question in it already placed, else the page its description names.
    """
    by_name = {name: page for page, name in names.items()}
    for block in ((definition or {}).get("Blocks") or {}).values():
        if not isinstance(block, Mapping):
            continue
        qids = [
            str(e["QuestionID"])
            for e in block.get("BlockElements") or ()
            if isinstance(e, Mapping) and e.get("QuestionID")
        ]
        placed = {page_of[q] for q in qids if q in page_of}
        page = next(iter(placed)) if len(placed) == 1 else None
        if page is None and not placed:
            page = by_name.get(str(block.get("Description") or ""))
        if page is not None:
            for qid in qids:
                page_of.setdefault(qid, page)


def definition_shape(definition: Mapping[str, Any]) -> SurveyShape:
    """The shape of a Qualtrics definition alone: its blocks, in flow order, are the pages."""
    blocks = definition.get("Blocks") or {}
    order: list[str] = []
    for element in _flow_elements((definition.get("SurveyFlow") or {}).get("Flow") or []):
        if element.get("Type") in ("Block", "Standard") and element.get("ID") in blocks:
            if element["ID"] not in order:
                order.append(element["ID"])
    names: dict[str, str] = {}
    page_of: dict[str, str] = {}
    tags = _definition_tags(definition)
    for block_id in order:
        block = blocks[block_id]
        names[block_id] = str(block.get("Description") or block_id)
        for item in block.get("BlockElements") or ():
            qid = item.get("QuestionID") if isinstance(item, Mapping) else None
            if qid:
                page_of[qid] = block_id
                if qid in tags:
                    page_of.setdefault(tags[qid], block_id)
    return SurveyShape(tuple(order), names, page_of, {})


def _definition_tags(definition: Mapping[str, Any] | None) -> dict[str, str]:
    questions = (definition or {}).get("Questions") or {}
    return {
        str(qid): str(q["DataExportTag"])
        for qid, q in questions.items()
        if isinstance(q, Mapping) and q.get("DataExportTag")
    }


def _flow_elements(elements: Iterable[Any]) -> Iterable[Mapping[str, Any]]:
    for element in elements:
        if isinstance(element, Mapping):
            yield element
            yield from _flow_elements(element.get("Flow") or ())


@dataclass(frozen=True)
class IncidentView:
    id: str
    status: str
    title: str
    body: str
    comments: tuple[Comment, ...]
    response_id: str | None
    created_at: datetime | None
    updated_at: float


@dataclass(frozen=True)
class PageFigures:
    page_id: str
    name: str
    reached: int
    dropped: int  # partial / in-progress respondents whose last page this is
    ended: int  # responses that ended here: completed, screened out or over quota


@dataclass(frozen=True)
class Figures:
    """One survey's fieldwork, as shown and as `qtui fieldwork --json` prints it."""

    started: int
    completed: int
    screened_out: int
    over_quota: int
    partial: int
    in_progress: int
    incidence: float | None
    completes_per_hour: float | None
    completes_by_bucket: tuple[int, ...]  # oldest first; see `figures(bucket=…)`
    median_loi_s: float | None
    pages: tuple[PageFigures, ...]
    incidents: tuple[IncidentView, ...]
    blacklisted: int
    blacklist_by_status: Mapping[str, int]
    sources: Mapping[str, int]
    last_seq: int

    def to_json(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "completed": self.completed,
            "screened_out": self.screened_out,
            "over_quota": self.over_quota,
            "partial": self.partial,
            "in_progress": self.in_progress,
            "incidence": self.incidence,
            "completes_per_hour": self.completes_per_hour,
            "completes_by_bucket": list(self.completes_by_bucket),
            "median_loi_s": self.median_loi_s,
            "pages": [
                {
                    "page_id": p.page_id,
                    "name": p.name,
                    "reached": p.reached,
                    "dropped": p.dropped,
                    "ended": p.ended,
                }
                for p in self.pages
            ],
            "incidents": [
                {
                    "id": i.id,
                    "status": i.status,
                    "title": i.title,
                    "comments": len(i.comments),
                    "response_id": i.response_id,
                }
                for i in self.incidents
            ],
            "blacklisted": self.blacklisted,
            "blacklist_by_status": dict(self.blacklist_by_status),
            "sources": dict(self.sources),
            "last_seq": self.last_seq,
        }


def _moment(value: object) -> datetime | None:
    """A timestamp (seconds or milliseconds since the epoch) or an ISO/MySQL date string."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str) and value.strip():
        text = value.strip().replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


class FieldworkTally:
    """Live figures for one survey, fed relay frames (and Qualtrics response details)."""

    def __init__(self, shape: SurveyShape | None = None) -> None:
        self.shape = shape or SurveyShape()
        self._order = {p: i for i, p in enumerate(self.shape.page_order)}
        self._respondents: dict[str, Respondent] = {}
        self._by_response: dict[str, str] = {}  # Qualtrics ResponseID → respondent key
        self._details: dict[str, Mapping[str, Any]] = {}
        self._incidents: dict[str, Incident] = {}
        self._blacklist: dict[str, BlacklistItem] = {}
        self._seen: set[tuple[str, str]] = set()
        self._sources: Counter[str] = Counter()
        self.last_seq = 0
        self.malformed = 0  # signed deliveries whose object could not be read

    # -- feeding ------------------------------------------------------------------------

    def apply_frame(self, frame: Mapping[str, Any]) -> bool:
        """Fold one relay event frame in; False when it is not fieldwork or already seen."""
        if frame.get("type") != "event":
            return False
        seq = frame.get("seq")
        if isinstance(seq, int):
            self.last_seq = max(self.last_seq, seq)
        source = frame.get("source")
        envelope = frame.get("envelope")
        if not isinstance(envelope, Mapping) or source not in ("oktave", "qualtrics"):
            return False
        received = _moment(frame.get("received_at"))
        if source == "oktave":
            return self.apply_oktave(envelope, received)
        return self.apply_qualtrics(envelope, received)

    def apply_oktave(self, envelope: Mapping[str, Any], received: datetime | None = None) -> bool:
        try:
            event_id = oktave_event_id(envelope)
            event_type = oktave_event_type(envelope)
        except FieldworkError:
            return False
        if ("oktave", event_id) in self._seen:
            return False
        self._seen.add(("oktave", event_id))
        self._sources["oktave"] += 1
        data = envelope.get("data")
        if not isinstance(data, Mapping):
            return True
        when = _moment(envelope.get("timestamp")) or received
        try:
            self._oktave_object(event_type, data, when)
        except ValidationError:
            # Stored by the relay (it was signed) but not the documented object: skipped,
            # and counted so the view can say so.
            self.malformed += 1
        return True

    def _oktave_object(
        self, event_type: str, data: Mapping[str, Any], when: datetime | None
    ) -> None:
        if event_type in ("response.started", "response.completed"):
            self._oktave_response(Response.model_validate(data), when)
        elif event_type == "answer.saved":
            answer = Answer.model_validate(data)
            # An Answer names no survey; it counts only for a response already seen here
            # (Oktave sends response.started first, with any answers given before it).
            known = self._respondents.get(f"oktave:{answer.response_id}")
            if known is not None:
                self._reach(known, self._answer_page(answer))
        elif event_type.startswith("incident."):
            incident = Incident.model_validate(data)
            known = self._incidents.get(incident.id)
            if known is None or (incident.updated_at or 0) >= (known.updated_at or 0):
                self._incidents[incident.id] = incident
        elif event_type == "blacklist_item.created":
            item = BlacklistItem.model_validate(data)
            self._blacklist[item.id] = item

    def apply_qualtrics(self, fields: Mapping[str, Any], received: datetime | None = None) -> bool:
        try:
            callback = QualtricsCallback.from_form({k: str(v) for k, v in fields.items()})
            key = qualtrics_delivery_key(callback)
        except (FieldworkError, ValueError):
            return False
        if ("qualtrics", key) in self._seen:
            return False
        self._seen.add(("qualtrics", key))
        self._sources["qualtrics"] += 1
        kind = callback.kind
        if kind is None:
            return True
        # A recipient joins the start to its response; without one the response stands alone.
        who = callback.RecipientID or callback.ResponseID or key
        respondent = self._respondent(f"qualtrics:{who}", "qualtrics")
        if kind == "started":
            respondent.started_at = (
                respondent.started_at or _moment(callback.StartedDate) or received
            )
            return True
        respondent.survey_id = callback.SurveyID or respondent.survey_id
        if callback.ResponseID:
            respondent.response_id = callback.ResponseID
            self._by_response[callback.ResponseID] = respondent.key
        respondent.ended_at = _moment(callback.CompletedDate) or received
        if not respondent.detailed:
            respondent.disposition = "completed" if kind == "completed" else "partial"
        detail = self._details.get(callback.ResponseID or "")
        if detail is not None:
            self._apply_detail_to(respondent, detail)
        return True

    def apply_detail(self, response_id: str, detail: Mapping[str, Any]) -> None:
        """A Qualtrics response (`GET /surveys/{id}/responses/{rid}` result) for a callback."""
        self._details[response_id] = detail
        key = self._by_response.get(response_id)
        if key is not None:
            self._apply_detail_to(self._respondents[key], detail)

    def wants_detail(self) -> list[tuple[str, str]]:
        """(survey id, response id) of recorded Qualtrics responses not yet detailed."""
        return [
            (r.survey_id or "", r.response_id)
            for r in self._respondents.values()
            if r.source == "qualtrics" and r.response_id and r.response_id not in self._details
        ]

    # -- internals ------------------------------------------------------------------------

    def _respondent(self, key: str, source: str) -> Respondent:
        respondent = self._respondents.get(key)
        if respondent is None:
            respondent = self._respondents[key] = Respondent(key, source)
        return respondent

    def _answer_page(self, answer: Answer) -> str | None:
        page_of = self.shape.page_of
        component = answer.component
        for key in (component.title, component.id):
            if key and key in page_of:
                return page_of[key]
        return None

    def _reach(self, respondent: Respondent, page: str | None, *, sort: bool = True) -> None:
        if page is None or page in respondent.pages:
            return
        respondent.pages.append(page)
        if sort:
            self._sort_pages(respondent)

    def _sort_pages(self, respondent: Respondent) -> None:
        order = self._order
        respondent.pages.sort(key=lambda p: order.get(p, len(order)))

    def _oktave_response(self, response: Response, when: datetime | None) -> None:
        respondent = self._respondent(f"oktave:{response.id}", "oktave")
        respondent.response_id = response.id
        respondent.started_at = (
            _moment(response.started_at) or respondent.started_at or _moment(response.created_at)
        )
        for answer in response.answers:
            self._reach(respondent, self._answer_page(answer))
        if response.status == "completed":
            respondent.ended_at = _moment(response.completed_at) or when
            respondent.disposition = self._ending_disposition(respondent) or "completed"

    def _ending_disposition(self, respondent: Respondent) -> Disposition | None:
        if not respondent.pages:
            return None
        return self.shape.ending.get(respondent.pages[-1])

    def _apply_detail_to(self, respondent: Respondent, detail: Mapping[str, Any]) -> None:
        respondent.detailed = True
        values = detail.get("values") if isinstance(detail.get("values"), Mapping) else {}
        assert isinstance(values, Mapping)
        for qid in detail.get("displayedFields") or ():
            self._reach(respondent, self.shape.page_of.get(str(qid)), sort=False)
        self._sort_pages(respondent)
        start = _moment(values.get("startDate"))
        end = _moment(values.get("endDate"))
        respondent.started_at = respondent.started_at or start
        respondent.ended_at = end or respondent.ended_at
        duration = values.get("duration")
        if isinstance(duration, int | float) and not isinstance(duration, bool):
            respondent.duration_s = float(duration)
        respondent.disposition = _qualtrics_disposition(detail, values) or (
            self._ending_disposition(respondent) or respondent.disposition
        )
        if respondent.disposition == "completed":
            # A flag-less End of Survey on a terminal page still tells the page's status.
            respondent.disposition = self._ending_disposition(respondent) or "completed"

    # -- reading -----------------------------------------------------------------------------

    def respondents(self) -> list[Respondent]:
        return list(self._respondents.values())

    def incidents(self) -> list[Incident]:
        return sorted(self._incidents.values(), key=lambda i: -(i.updated_at or 0))

    def figures(
        self, now: datetime | None = None, buckets: int = 12, bucket: timedelta = timedelta(hours=1)
    ) -> Figures:
        counts: Counter[str] = Counter(r.disposition for r in self._respondents.values())
        completed = counts["completed"]
        screened = counts["screened_out"]
        over = counts["over_quota"]
        qualified = completed + over
        incidence = qualified / (qualified + screened) if qualified + screened else None
        ends = sorted(
            r.ended_at
            for r in self._respondents.values()
            if r.disposition == "completed" and r.ended_at
        )
        by_hour = _per_bucket(ends, now, buckets, bucket)
        rate = None
        if len(ends) >= 2 and ends[-1] > ends[0]:
            rate = (len(ends) - 1) / ((ends[-1] - ends[0]).total_seconds() / 3600)
        lois = [
            r.loi_s
            for r in self._respondents.values()
            if r.disposition == "completed" and r.loi_s is not None
        ]
        return Figures(
            started=len(self._respondents),
            completed=completed,
            screened_out=screened,
            over_quota=over,
            partial=counts["partial"],
            in_progress=counts["in_progress"],
            incidence=incidence,
            completes_per_hour=rate,
            completes_by_bucket=by_hour,
            median_loi_s=statistics.median(lois) if lois else None,
            pages=self._page_figures(),
            incidents=tuple(_incident_view(i) for i in self.incidents()),
            blacklisted=len(self._blacklist),
            blacklist_by_status=dict(Counter(b.status for b in self._blacklist.values())),
            sources=dict(self._sources),
            last_seq=self.last_seq,
        )

    def _page_figures(self) -> tuple[PageFigures, ...]:
        reached: Counter[str] = Counter()
        dropped: Counter[str] = Counter()
        ended: Counter[str] = Counter()
        for r in self._respondents.values():
            reached.update(r.pages)
            if not r.pages:
                continue
            if r.disposition in ("partial", "in_progress"):
                dropped[r.pages[-1]] += 1
            elif r.disposition in ("completed", "screened_out", "over_quota"):
                ended[r.pages[-1]] += 1
        names = self.shape.page_names
        return tuple(
            PageFigures(p, names.get(p, p), reached[p], dropped[p], ended[p])
            for p in self.shape.page_order
        )

    def route_counts(self, routes: Iterable[Sequence[str]]) -> list[tuple[tuple[str, ...], int]]:
        """How many finished respondents took each route (a route is its page ids in order)."""
        taken: Counter[tuple[str, ...]] = Counter(
            tuple(r.pages)
            for r in self._respondents.values()
            if r.disposition in ("completed", "screened_out", "over_quota") and r.pages
        )
        return [(tuple(route), taken[tuple(route)]) for route in routes]


def _qualtrics_disposition(
    detail: Mapping[str, Any], values: Mapping[str, Any]
) -> Disposition | None:
    flag = values.get("Q_TerminateFlag") or detail.get("Q_TerminateFlag")
    if isinstance(flag, str) and flag.strip():
        return _TERMINATE_FLAGS.get(flag.strip().lower().replace("_", ""), "screened_out")
    reason = detail.get("endReason")
    if reason == "Screenout":
        return "screened_out"
    finished = values.get("finished")
    if finished in (0, False, "0", "false", "False"):
        return "partial"
    if finished in (1, True, "1", "true", "True") or reason == "Completed":
        return "completed"
    return None


def _per_bucket(
    ends: list[datetime], now: datetime | None, count: int, size: timedelta
) -> tuple[int, ...]:
    """Completes per time bucket, oldest first, the last bucket holding `now` (or the last)."""
    buckets = [0] * count
    if not ends:
        return tuple(buckets)
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    top = (max(now or ends[-1], ends[-1]) - epoch) // size
    for moment in ends:
        index = count - 1 - (top - (moment - epoch) // size)
        if 0 <= index < count:
            buckets[index] += 1
    return tuple(buckets)


def _incident_view(incident: Incident) -> IncidentView:
    return IncidentView(
        id=incident.id,
        status=incident.latest_status,
        title=incident.title,
        body=incident.body,
        comments=tuple(incident.comments),
        response_id=incident.response.id if incident.response else None,
        created_at=_moment(incident.created_at),
        updated_at=incident.updated_at or 0,
    )


# -- routes ---------------------------------------------------------------------------------

NEVER_TAKEN_AFTER = 30  # completes after which a predicted route nobody took is flagged


@dataclass(frozen=True)
class RouteFigures:
    pages: tuple[str, ...]  # page ids, in order
    ending: str  # how the route ends (the routes module's ending kind)
    taken: int
    never_taken: bool  # predicted reachable, and nobody took it after enough completes


def route_figures(
    tally: FieldworkTally,
    routes: Iterable[tuple[Sequence[str], str]],
    *,
    after_completes: int = NEVER_TAKEN_AFTER,
) -> list[RouteFigures]:
    """Respondents per predicted route (page ids, ending), each distinct route once.

    A route nobody took once `after_completes` respondents finished (complete, screened
    out or over quota) is flagged: the survey says it can be reached, the field says
    otherwise — often a routing bug, or a condition on a value nobody gives.
    """
    seen: dict[tuple[str, ...], str] = {}
    for pages, ending in routes:
        seen.setdefault(tuple(pages), ending)
    counts = dict(tally.route_counts(seen))
    figures = tally.figures()
    finished = figures.completed + figures.screened_out + figures.over_quota
    return [
        RouteFigures(
            pages,
            ending,
            counts.get(pages, 0),
            counts.get(pages, 0) == 0 and finished >= after_completes,
        )
        for pages, ending in seen.items()
    ]
