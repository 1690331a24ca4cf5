"""One organisation's surveys in memory, and the single path every change takes.

The REST endpoints and the programming simulator both change surveys only through `Org`,
so every change emits its webhook event, built in the shapes of Questra's documentation:
`page.created` carries `survey_id`, `block.created` only `page_id`, a navigation rule embeds
`sourcePage`/`targetPage`, and a delete carries only `{id}`.

Records are plain dicts of the fields Questra shows; the views below cut them into the
forms each endpoint or event uses. Timestamps are ISO 8601 with milliseconds and `Z`, and
strictly increase across the whole organisation, so each item's `updated_at` (and each
event's `timestamp`) is later than the one before.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from qtui.sandbox.questra.errors import conflict, invalid, not_found

Record = dict[str, Any]
Children = dict[str, dict[str, None]]  # parent id -> child ids, insertion-ordered

# The survey fields Questra's documented `survey.created` example shows, in its order.
SURVEY_CREATED_FIELDS = (
    "id",
    "slug",
    "name",
    "user_id",
    "org_id",
    "status",
    "target_platform",
    "created_at",
    "updated_at",
)
# `survey.updated` adds the lifecycle fields both doc generations name.
SURVEY_UPDATED_FIELDS = (
    "id",
    "slug",
    "name",
    "user_id",
    "org_id",
    "status",
    "target_platform",
    "platform_ir_last_pushed_at",
    "first_page_id",
    "locked",
    "programming_status",
    "programming_started_at",
    "programming_completed_at",
    "created_at",
    "updated_at",
)
SURVEY_OBJECT_FIELDS = (
    "id",
    "slug",
    "name",
    "user_id",
    "org_id",
    "order",
    "first_page_id",
    "locked",
    "paid_at",
    "status",
    "target_platform",
    "target_integration_id",
    "target_existing_survey_id",
    "platform_ir_last_pushed_at",
    "programming_status",
    "programming_started_at",
    "programming_completed_at",
    "programmed_from_file_id",
    "failed_at",
    "failure_reason",
    "language_code",
    "content_only",
    "created_at",
    "updated_at",
)
PAGE_EVENT_FIELDS = (
    "id",
    "survey_id",
    "name",
    "order",
    "locked",
    "programming_started_at",
    "programming_completed_at",
    "created_at",
    "updated_at",
)
# Shown in page events only when set: the documented examples leave them out.
PAGE_OPTIONAL_FIELDS = ("assign_response_status", "attention_required")
RULE_FIELDS = ("id", "source_page_id", "target_page_id", "condition", "order")
VARIABLE_FIELDS = ("id", "survey_id", "name", "expression")


def iso(moment: datetime) -> str:
    """`2025-04-01T10:00:45.120Z`: UTC, milliseconds, `Z`, as JavaScript's toISOString."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from `rng`, so a seeded run repeats its ids."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def slugify(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.lower())
    slug = "-".join(words)
    if not slug or not slug[0].isalpha():
        slug = f"survey-{slug}" if slug else "survey"
    return slug


class Clock:
    """Stamps that strictly increase, even when the clock stands still or goes back.

    `advance` moves time forward without waiting: instant simulator runs use it to space
    their timestamps as a real run would be spaced.
    """

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._clock = clock or (lambda: datetime.now(UTC))
        self._skipped = timedelta()
        self._last: datetime | None = None

    def now(self) -> datetime:
        moment = self._clock()
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment + self._skipped

    def advance(self, seconds: float) -> None:
        self._skipped += timedelta(seconds=seconds)

    def stamp(self) -> str:
        moment = self.now()
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        if self._last is not None and moment <= self._last:
            moment = self._last + timedelta(milliseconds=1)
        self._last = moment
        return iso(moment)


@dataclass(frozen=True, slots=True)
class Emitted:
    """One event: its type, its envelope, and the exact bytes every webhook receives."""

    event: str
    envelope: dict[str, Any]
    body: bytes = field(repr=False)


def serialize(event: str, data: dict[str, Any], timestamp: str) -> Emitted:
    # Serialised once: every webhook gets (and is signed over) exactly these bytes.
    envelope = {"event": event, "data": data, "timestamp": timestamp}
    body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Emitted(event, envelope, body)


def _pick(record: Record, fields: Iterable[str]) -> Record:
    return {name: record.get(name) for name in fields}


def _next_order(siblings: list[Record]) -> int:
    """The order after the last of `siblings` (sorted by order); 0 for the first."""
    return siblings[-1]["order"] + 1 if siblings else 0


def _file(records: dict[str, Record], children: Children, parent_id: str, record: Record) -> None:
    """Keep `record` in its table and list it under its parent."""
    records[record["id"]] = record
    children.setdefault(parent_id, {})[record["id"]] = None


def _unfile(records: dict[str, Record], children: Children, parent: str, record_id: str) -> Record:
    """Take a record out of its table and out of its parent's list (its id in field `parent`)."""
    record = records.pop(record_id)
    children.get(record[parent], {}).pop(record_id, None)
    return record


def _refile(children: Children, record_id: str, old_parent_id: str, parent_id: str) -> None:
    """List a record under another parent, at the end."""
    children[old_parent_id].pop(record_id, None)
    children.setdefault(parent_id, {})[record_id] = None


def _sort_key(record: Record) -> tuple[int, str, str]:
    return (record["order"], record["created_at"] or "", record["id"])


class Org:
    """The surveys of one organisation; every mutation emits its event through `emit`."""

    def __init__(
        self,
        org_id: str,
        *,
        user_id: str = "user_sandbox",
        rng: random.Random,
        clock: Clock,
        emit: Callable[[Emitted], None],
    ) -> None:
        self.org_id = org_id
        self.user_id = user_id
        self.rng = rng
        self.clock = clock
        self._emit = emit
        self.surveys: dict[str, Record] = {}
        self.pages: dict[str, Record] = {}
        self.blocks: dict[str, Record] = {}
        self.rules: dict[str, Record] = {}
        self.variables: dict[str, Record] = {}
        self._slugs: dict[str, str] = {}
        # parent id -> child ids, insertion-ordered
        self._pages_of: Children = {}
        self._blocks_of: Children = {}
        self._rules_of: Children = {}
        self._variables_of: Children = {}

    def emit(self, event: str, data: dict[str, Any], timestamp: str | None = None) -> None:
        self._emit(serialize(event, data, timestamp or self.clock.stamp()))

    # --- lookups ----------------------------------------------------------------------

    def survey(self, id_or_slug: str) -> Record:
        found = self.surveys.get(id_or_slug) or self.surveys.get(self._slugs.get(id_or_slug, ""))
        if found is None:
            raise not_found("survey", id_or_slug)
        return found

    def page(self, page_id: str) -> Record:
        if page_id not in self.pages:
            raise not_found("page", page_id)
        return self.pages[page_id]

    def block(self, block_id: str) -> Record:
        if block_id not in self.blocks:
            raise not_found("block", block_id)
        return self.blocks[block_id]

    def rule(self, rule_id: str) -> Record:
        if rule_id not in self.rules:
            raise not_found("navigation rule", rule_id)
        return self.rules[rule_id]

    def variable(self, variable_id: str) -> Record:
        if variable_id not in self.variables:
            raise not_found("variable", variable_id)
        return self.variables[variable_id]

    def pages_of(self, survey_id: str) -> list[Record]:
        return sorted((self.pages[i] for i in self._pages_of.get(survey_id, {})), key=_sort_key)

    def blocks_of(self, page_id: str) -> list[Record]:
        return sorted((self.blocks[i] for i in self._blocks_of.get(page_id, {})), key=_sort_key)

    def rules_of(self, page_id: str) -> list[Record]:
        return sorted(
            (self.rules[i] for i in self._rules_of.get(page_id, {})),
            key=lambda r: (r["order"], r["id"]),
        )

    def variables_of(self, survey_id: str) -> list[Record]:
        return [self.variables[i] for i in self._variables_of.get(survey_id, {})]

    def survey_of_page(self, page_id: str) -> Record:
        return self.surveys[self.page(page_id)["survey_id"]]

    def ensure_editable(self, survey_id: str, page_id: str | None = None) -> None:
        """Refuse (409) a change to a survey an AI programming run holds, or to a locked page."""
        survey = self.surveys[survey_id]
        if survey["locked"]:
            raise conflict(
                f"survey {survey['slug']!r} is locked while AI programming runs; "
                "wait for programming.finished and try again"
            )
        if page_id is not None and self.pages[page_id]["locked"]:
            raise conflict(f"page {self.pages[page_id]['name']!r} is locked; try again later")

    # --- views ------------------------------------------------------------------------

    def first_page_id(self, survey_id: str) -> str | None:
        pages = self.pages_of(survey_id)
        return pages[0]["id"] if pages else None

    def survey_object(self, survey: Record) -> Record:
        out = _pick(survey, SURVEY_OBJECT_FIELDS)
        out["first_page_id"] = self.first_page_id(survey["id"])
        return out

    def full_survey(self, survey: Record) -> Record:
        out = self.survey_object(survey)
        out["pages"] = [self.page_object(p, nested=True) for p in self.pages_of(survey["id"])]
        out["variables"] = [self.variable_object(v) for v in self.variables_of(survey["id"])]
        out["prior_qa"] = list(survey.get("prior_qa") or [])
        return out

    def survey_event(self, survey: Record, created: bool = False) -> Record:
        out = _pick(survey, SURVEY_CREATED_FIELDS if created else SURVEY_UPDATED_FIELDS)
        if not created:
            out["first_page_id"] = self.first_page_id(survey["id"])
            for name in ("failed_at", "failure_reason"):
                if survey.get(name) is not None:
                    out[name] = survey[name]
        return out

    def page_event(self, page: Record) -> Record:
        out = _pick(page, PAGE_EVENT_FIELDS)
        for name in PAGE_OPTIONAL_FIELDS:
            if page.get(name) is not None:
                out[name] = page[name]
        return out

    def page_object(self, page: Record, nested: bool = False) -> Record:
        out = self.page_event(page)
        out["assign_response_status"] = page.get("assign_response_status")
        out["attention_required"] = page.get("attention_required")
        if nested:
            out["blocks"] = [dict(b) for b in self.blocks_of(page["id"])]
            out["navigation_rules"] = [self.rule_object(r) for r in self.rules_of(page["id"])]
        return out

    def block_object(self, block: Record) -> Record:
        # A shallow copy is enough: nested values (a config, an attention flag) are replaced
        # whole on change, never edited in place, so an emitted event never changes later.
        return dict(block)

    def rule_object(self, rule: Record) -> Record:
        out = _pick(rule, RULE_FIELDS)
        if rule.get("attention_required") is not None:
            out["attention_required"] = rule["attention_required"]
        return out

    def rule_with_pages(self, rule: Record) -> Record:
        out = self.rule_object(rule)
        out["sourcePage"] = self.page_event(self.pages[rule["source_page_id"]])
        out["targetPage"] = self.page_event(self.pages[rule["target_page_id"]])
        return out

    def variable_object(self, variable: Record) -> Record:
        out = _pick(variable, VARIABLE_FIELDS)
        if variable.get("attention_required") is not None:
            out["attention_required"] = variable["attention_required"]
        return out

    # --- surveys ----------------------------------------------------------------------

    def _unique_slug(self, base: str) -> str:
        slug, n = base, 2
        while slug in self._slugs:
            slug = f"{base}-{n}"
            n += 1
        return slug

    def create_survey(self, name: str, slug: str | None = None, order: int | None = None) -> Record:
        if slug is not None and slug in self._slugs:
            raise conflict(f"slug {slug!r} is already used by another survey")
        now = self.clock.stamp()
        survey: Record = {
            "id": new_uuid(self.rng),
            "slug": slug or self._unique_slug(slugify(name)),
            "name": name,
            "user_id": self.user_id,
            "org_id": self.org_id,
            "order": order if order is not None else len(self.surveys),
            "locked": False,
            "paid_at": None,
            "status": "pending",
            "target_platform": None,
            "target_integration_id": None,
            "target_existing_survey_id": None,
            "platform_ir_last_pushed_at": None,
            "programming_status": None,
            "programming_started_at": None,
            "programming_completed_at": None,
            "programmed_from_file_id": None,
            "failed_at": None,
            "failure_reason": None,
            "language_code": "en",
            "content_only": False,
            "prior_qa": [],
            "created_at": now,
            "updated_at": now,
        }
        self.surveys[survey["id"]] = survey
        self._slugs[survey["slug"]] = survey["id"]
        self.emit("survey.created", self.survey_event(survey, created=True), now)
        return survey

    def update_survey(self, survey_id: str, now: str | None = None, **changes: Any) -> Record:
        """Change survey fields; `now` (a stamp just taken) lets a change use its own time."""
        survey = self.surveys[survey_id]
        slug = changes.get("slug")
        if slug is not None and slug != survey["slug"]:
            if slug in self._slugs:
                raise conflict(f"slug {slug!r} is already used by another survey")
            del self._slugs[survey["slug"]]
            self._slugs[slug] = survey_id
        now = now or self.clock.stamp()
        survey.update(changes)
        survey["updated_at"] = now
        self.emit("survey.updated", self.survey_event(survey), now)
        return survey

    def delete_survey(self, survey_id: str) -> None:
        # Only `survey.deleted` is sent: a consumer drops the survey's contents with it.
        survey = self.surveys.pop(survey_id)
        del self._slugs[survey["slug"]]
        for page_id in self._pages_of.pop(survey_id, {}):
            for block_id in self._blocks_of.pop(page_id, {}):
                del self.blocks[block_id]
            for rule_id in self._rules_of.pop(page_id, {}):
                del self.rules[rule_id]
            del self.pages[page_id]
        for variable_id in self._variables_of.pop(survey_id, {}):
            del self.variables[variable_id]
        self.emit("survey.deleted", {"id": survey_id})

    # --- pages ------------------------------------------------------------------------

    def create_page(
        self,
        survey_id: str,
        name: str,
        *,
        order: int | None = None,
        assign_response_status: str | None = None,
        programming: bool = False,
        attention_required: dict[str, Any] | None = None,
        page_id: str | None = None,
    ) -> Record:
        """Add a page; `programming=True` makes it locked, its programming started now."""
        if order is None:
            order = _next_order(self.pages_of(survey_id))
        now = self.clock.stamp()
        page: Record = {
            "id": page_id or new_uuid(self.rng),
            "survey_id": survey_id,
            "name": name,
            "order": order,
            "locked": programming,
            "assign_response_status": assign_response_status,
            "programming_started_at": now if programming else None,
            "programming_completed_at": None,
            "attention_required": attention_required,
            "created_at": now,
            "updated_at": now,
        }
        _file(self.pages, self._pages_of, survey_id, page)
        self.emit("page.created", self.page_event(page), now)
        return page

    def update_page(self, page_id: str, now: str | None = None, **changes: Any) -> Record:
        page = self.page(page_id)
        now = now or self.clock.stamp()
        page.update(changes)
        page["updated_at"] = now
        self.emit("page.updated", self.page_event(page), now)
        return page

    def delete_page(self, page_id: str) -> None:
        """Delete a page, first deleting (with their events) its rules, rules into it, blocks."""
        page = self.page(page_id)
        survey_id = page["survey_id"]
        into = [
            rule_id
            for other in self._pages_of.get(survey_id, {})
            for rule_id in self._rules_of.get(other, {})
            if self.rules[rule_id]["target_page_id"] == page_id
        ]
        for rule_id in [*self._rules_of.get(page_id, {}), *into]:
            if rule_id in self.rules:
                self.delete_rule(rule_id)
        for block_id in list(self._blocks_of.get(page_id, {})):
            self.delete_block(block_id)
        _unfile(self.pages, self._pages_of, "survey_id", page_id)
        self._blocks_of.pop(page_id, None)
        self._rules_of.pop(page_id, None)
        self.emit("page.deleted", {"id": page_id})

    # --- blocks -----------------------------------------------------------------------

    def create_block(
        self,
        page_id: str,
        config: dict[str, Any],
        *,
        order: int | None = None,
        block_id: str | None = None,
    ) -> Record:
        self.page(page_id)
        if order is None:
            order = _next_order(self.blocks_of(page_id))
        now = self.clock.stamp()
        block: Record = {
            "id": block_id or new_uuid(self.rng),
            "page_id": page_id,
            "order": order,
            "config": config,
            "created_at": now,
            "updated_at": now,
        }
        _file(self.blocks, self._blocks_of, page_id, block)
        self.emit("block.created", self.block_object(block), now)
        return block

    def update_block(
        self,
        block_id: str,
        *,
        config: dict[str, Any] | None = None,
        order: int | None = None,
        page_id: str | None = None,
    ) -> Record:
        """Change a block; a new `page_id` moves it (to the end of that page unless `order`)."""
        block = self.block(block_id)
        if page_id is not None and page_id != block["page_id"]:
            target = self.page(page_id)
            if target["survey_id"] != self.pages[block["page_id"]]["survey_id"]:
                raise invalid("page_id", "a block can only move to a page of the same survey")
            if order is None:
                order = _next_order(self.blocks_of(page_id))
            _refile(self._blocks_of, block_id, block["page_id"], page_id)
            block["page_id"] = page_id
        if config is not None:
            block["config"] = config
        if order is not None:
            block["order"] = order
        now = self.clock.stamp()
        block["updated_at"] = now
        self.emit("block.updated", self.block_object(block), now)
        return block

    def delete_block(self, block_id: str) -> None:
        _unfile(self.blocks, self._blocks_of, "page_id", block_id)
        self.emit("block.deleted", {"id": block_id})

    # --- variables --------------------------------------------------------------------

    def _ensure_unique_variable(self, survey_id: str, name: str, except_id: str | None) -> None:
        for other in self.variables_of(survey_id):
            if other["name"] == name and other["id"] != except_id:
                raise conflict(f"a variable named {name!r} already exists in this survey")

    def create_variable(
        self,
        survey_id: str,
        name: str,
        expression: str | None,
        *,
        attention_required: dict[str, Any] | None = None,
        variable_id: str | None = None,
    ) -> Record:
        self._ensure_unique_variable(survey_id, name, None)
        variable: Record = {
            "id": variable_id or new_uuid(self.rng),
            "survey_id": survey_id,
            "name": name,
            "expression": expression,
            "attention_required": attention_required,
        }
        _file(self.variables, self._variables_of, survey_id, variable)
        self.emit("variable.created", self.variable_object(variable))
        return variable

    def update_variable(self, variable_id: str, **changes: Any) -> Record:
        variable = self.variable(variable_id)
        if "name" in changes:
            self._ensure_unique_variable(variable["survey_id"], changes["name"], variable_id)
        variable.update(changes)
        self.emit("variable.updated", self.variable_object(variable))
        return variable

    def delete_variable(self, variable_id: str) -> None:
        _unfile(self.variables, self._variables_of, "survey_id", variable_id)
        self.emit("variable.deleted", {"id": variable_id})

    # --- navigation rules -------------------------------------------------------------

    def _check_target(self, source_page_id: str, target_page_id: str) -> None:
        if target_page_id not in self.pages:
            raise invalid("target_page_id", f"page {target_page_id!r} does not exist")
        if self.pages[target_page_id]["survey_id"] != self.pages[source_page_id]["survey_id"]:
            raise invalid("target_page_id", "the target page belongs to another survey")

    def create_rule(
        self,
        source_page_id: str,
        target_page_id: str,
        condition: str | None,
        *,
        order: int | None = None,
        attention_required: dict[str, Any] | None = None,
        rule_id: str | None = None,
    ) -> Record:
        self.page(source_page_id)
        self._check_target(source_page_id, target_page_id)
        if order is None:
            order = _next_order(self.rules_of(source_page_id))
        rule: Record = {
            "id": rule_id or new_uuid(self.rng),
            "source_page_id": source_page_id,
            "target_page_id": target_page_id,
            "condition": condition,
            "order": order,
            "attention_required": attention_required,
        }
        _file(self.rules, self._rules_of, source_page_id, rule)
        self.emit("navigation_rule.created", self.rule_with_pages(rule))
        return rule

    def update_rule(self, rule_id: str, **changes: Any) -> Record:
        rule = self.rule(rule_id)
        source = changes.get("source_page_id", rule["source_page_id"])
        self.page(source)
        if self.pages[source]["survey_id"] != self.pages[rule["source_page_id"]]["survey_id"]:
            raise invalid("source_page_id", "the source page belongs to another survey")
        self._check_target(source, changes.get("target_page_id", rule["target_page_id"]))
        if source != rule["source_page_id"]:
            _refile(self._rules_of, rule_id, rule["source_page_id"], source)
        rule.update(changes)
        self.emit("navigation_rule.updated", self.rule_with_pages(rule))
        return rule

    def delete_rule(self, rule_id: str) -> None:
        _unfile(self.rules, self._rules_of, "source_page_id", rule_id)
        self.emit("navigation_rule.deleted", {"id": rule_id})
