"""SurveyStore: one reducer that turns every event, from any source, into the same state.

Rules, all order-independent so that any permutation or repetition of a valid stream ends
in the same tree:

* Each item keeps the version it was last written with: its `updated_at`, or the event's
  timestamp when the payload has none. An older write changes nothing; an equal version
  with other content is settled by comparing the content, so the winner never depends on
  arrival order.
* A delete leaves a tombstone; nothing brings that id back.
* Items are stored flat and attached by parent id when read. A block whose page has not
  arrived (or is deleted) is kept and shown once its page is there; a page delete hides its
  blocks and rules without losing them, so a late move of a block to another page still
  shows it.

`apply` returns a `Change` describing what became visible, so a UI patches one node
instead of rebuilding the tree.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from qtui.core.events import Changeset, Deleted, Event, ProgrammingJob
from qtui.core.models import (
    Block,
    Model,
    NavigationRule,
    Page,
    Survey,
    SurveyStatus,
    Variable,
)

Entity = Literal["survey", "page", "block", "variable", "navigation_rule"]
ChangeKind = Literal["created", "updated", "moved", "deleted", "programming", "changeset"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_Item = TypeVar("_Item", Block, NavigationRule, Variable)


@dataclass(frozen=True, slots=True)
class Change:
    """What one applied event changed in what a reader sees.

    `parent_id` is the page of a block or the source page of a rule (the survey of a page or
    variable); `previous_parent_id` is set when a block moved; `reordered` when its position
    among its siblings may have changed.
    """

    kind: ChangeKind
    entity: str
    id: str
    survey_id: str | None
    parent_id: str | None = None
    previous_parent_id: str | None = None
    before: Model | None = None
    after: Model | None = None
    reordered: bool = False


@dataclass(frozen=True, slots=True)
class Progress:
    """Programming progress of one survey, derived from its pages and its last job."""

    pages_total: int
    pages_done: int
    pages_in_progress: int
    status: SurveyStatus | str | None
    job: ProgrammingJob | None
    job_started_at: datetime | None
    job_finished_at: datetime | None

    @property
    def fraction(self) -> float:
        return self.pages_done / self.pages_total if self.pages_total else 0.0

    @property
    def running(self) -> bool:
        return self.job is not None and self.job_finished_at is None

    def elapsed_s(self, newest: datetime | None) -> float | None:
        """How long the last programming job ran, on Questra's clock: from its
        `programming.started` timestamp to its `programming.finished` timestamp, or, while it
        runs, to `newest` (the newest event's timestamp). None when no job has started."""
        started = self.job_started_at
        if started is None:
            return None
        until = self.job_finished_at or newest
        if until is None:
            return 0.0
        return max(0.0, (_as_utc(until) - _as_utc(started)).total_seconds())


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _content_key(item: Model) -> str:
    return json.dumps(item.dump(), sort_keys=True, default=str)


def _with_parent(item: _Item, field: str, parent_id: str) -> _Item:
    """The item with its parent id filled in: a FullSurvey nests items without saying it."""
    return item if getattr(item, field) else item.model_copy(update={field: parent_id})


def _sort_key(item: Page | Block | NavigationRule) -> tuple[int, datetime, str]:
    return (item.order, _as_utc(item.created_at or _EPOCH), item.id)


class SurveyStore:
    """All surveys qtui knows, kept current by `apply(event)`."""

    def __init__(self) -> None:
        self._surveys: dict[str, Survey] = {}
        self._pages: dict[str, Page] = {}
        self._blocks: dict[str, Block] = {}
        self._rules: dict[str, NavigationRule] = {}
        self._variables: dict[str, Variable] = {}
        self._versions: dict[str, datetime] = {}
        self._tombstones: dict[str, str] = {}  # id -> entity
        self._pages_of: dict[str, set[str]] = defaultdict(set)
        self._blocks_of: dict[str, set[str]] = defaultdict(set)
        self._rules_of: dict[str, set[str]] = defaultdict(set)
        self._variables_of: dict[str, set[str]] = defaultdict(set)
        self._job_started: dict[str, tuple[datetime, ProgrammingJob]] = {}
        self._job_finished: dict[str, tuple[datetime, ProgrammingJob]] = {}
        self._changesets: dict[str, Changeset] = {}
        self.unknown_events: int = 0
        self._tables: dict[str, dict[str, Any]] = {
            "survey": self._surveys,
            "page": self._pages,
            "block": self._blocks,
            "navigation_rule": self._rules,
            "variable": self._variables,
        }
        self._indexes: dict[str, dict[str, set[str]]] = {
            "page": self._pages_of,
            "block": self._blocks_of,
            "navigation_rule": self._rules_of,
            "variable": self._variables_of,
        }

    # --- reading ----------------------------------------------------------------------

    def survey_ids(self) -> list[str]:
        ids = set(self._surveys) | set(self._pages_of) | set(self._variables_of)
        return sorted(i for i in ids if i not in self._tombstones)

    def survey_record(self, survey_id: str) -> Survey | None:
        """The survey's own fields (no pages), as last written."""
        if survey_id in self._tombstones:
            return None
        return self._surveys.get(survey_id)

    def pages(self, survey_id: str) -> list[Page]:
        """The survey's visible pages in display order (without their blocks)."""
        if survey_id in self._tombstones:
            return []
        found = (
            self._pages[i] for i in self._pages_of.get(survey_id, ()) if i not in self._tombstones
        )
        return sorted(found, key=_sort_key)

    def page(self, page_id: str) -> Page | None:
        page = self._pages.get(page_id)
        if page is None or page_id in self._tombstones:
            return None
        if page.survey_id is not None and page.survey_id in self._tombstones:
            return None
        return page

    def blocks(self, page_id: str) -> list[Block]:
        if self.page(page_id) is None:
            return []
        found = (
            self._blocks[i] for i in self._blocks_of.get(page_id, ()) if i not in self._tombstones
        )
        return sorted(found, key=_sort_key)

    def block(self, block_id: str) -> Block | None:
        block = self._blocks.get(block_id)
        if block is None or block_id in self._tombstones or block.page_id is None:
            return None
        return block if self.page(block.page_id) is not None else None

    def rules(self, page_id: str) -> list[NavigationRule]:
        if self.page(page_id) is None:
            return []
        found = (self._rules[i] for i in self._rules_of.get(page_id, ()) if self._rule_visible(i))
        return sorted(found, key=lambda r: (r.order, r.id))

    def rule(self, rule_id: str) -> NavigationRule | None:
        return self._rules[rule_id] if self._rule_visible(rule_id) else None

    def variables(self, survey_id: str) -> list[Variable]:
        if survey_id in self._tombstones:
            return []
        found = (
            self._variables[i]
            for i in self._variables_of.get(survey_id, ())
            if i not in self._tombstones
        )
        return sorted(found, key=lambda v: (_as_utc(v.created_at or _EPOCH), v.name, v.id))

    def variable(self, variable_id: str) -> Variable | None:
        var = self._variables.get(variable_id)
        if var is None or variable_id in self._tombstones or var.survey_id in self._tombstones:
            return None
        return var

    def survey(self, survey_id: str) -> Survey | None:
        """The survey in FullSurvey form: pages and blocks in display order, rules by order."""
        if survey_id in self._tombstones:
            return None
        record = self._surveys.get(survey_id)
        pages = self.pages(survey_id)
        variables = self.variables(survey_id)
        if record is None and not pages and not variables:
            return None
        base = record.model_copy() if record is not None else Survey(id=survey_id)
        base.pages = [
            p.model_copy(update={"blocks": self.blocks(p.id), "navigation_rules": self.rules(p.id)})
            for p in pages
        ]
        base.variables = variables
        return base

    def progress(self, survey_id: str) -> Progress:
        pages = self.pages(survey_id)
        done = sum(1 for p in pages if p.programming_completed_at is not None)
        running = sum(
            1 for p in pages if p.programming_started_at and not p.programming_completed_at
        )
        job, started, finished = self.job(survey_id)
        record = self.survey_record(survey_id)
        status = record.status if record is not None else None
        if job is not None and finished is None and status in (None, SurveyStatus.PENDING):
            status = SurveyStatus.PROGRAMMING
        return Progress(len(pages), done, running, status, job, started, finished)

    def pending_count(self) -> int:
        """Items held back because their parent has not arrived (or was deleted)."""
        blocks = sum(1 for i in self._blocks if i not in self._tombstones and self.block(i) is None)
        pages = sum(1 for i in self._pages if i not in self._tombstones and self.page(i) is None)
        return blocks + pages

    def survey_of(self, item_id: str) -> str | None:
        """The survey an item (survey, page, block, rule, variable) belongs to, when known."""
        if item_id in self._surveys:
            return item_id
        if item_id in self._pages:
            return self._pages[item_id].survey_id
        if item_id in self._blocks:
            page = self._pages.get(self._blocks[item_id].page_id or "")
            return page.survey_id if page else None
        if item_id in self._rules:
            page = self._pages.get(self._rules[item_id].source_page_id or "")
            return page.survey_id if page else None
        if item_id in self._variables:
            return self._variables[item_id].survey_id
        return None

    # --- writing ----------------------------------------------------------------------

    def load(self, full_survey: Survey | dict[str, Any], as_of: datetime | None = None) -> None:
        """Merge a FullSurvey snapshot (from REST or a file) under the same rules as events.

        Items without `updated_at` are versioned `as_of` (default: the survey's `updated_at`),
        so a later event still wins over them. Blocks, rules and variables that already name
        their parent are stored as given, not copied; the store never changes an item.
        """
        survey = (
            full_survey if isinstance(full_survey, Survey) else Survey.model_validate(full_survey)
        )
        fallback = _as_utc(as_of or survey.updated_at or _EPOCH)
        self._write("survey", survey, fallback)  # kept without its pages and variables
        for page in survey.pages:
            flat = page.model_copy(
                update={
                    "blocks": [],
                    "navigation_rules": [],
                    "survey_id": page.survey_id or survey.id,
                }
            )
            self._write("page", flat, fallback)
            for block in page.blocks:
                self._write("block", _with_parent(block, "page_id", page.id), fallback)
            for rule in page.navigation_rules:
                self._write(
                    "navigation_rule", _with_parent(rule, "source_page_id", page.id), fallback
                )
        for var in survey.variables:
            self._write("variable", _with_parent(var, "survey_id", survey.id), fallback)

    def load_json(self, raw: bytes | str, as_of: datetime | None = None) -> Survey:
        """`load` a FullSurvey from its JSON text; returns the validated survey.

        Validates straight from the bytes: faster than decoding to a dict first, and no dict
        of the whole survey is alive meanwhile. Malformed input raises pydantic's
        `ValidationError`, naming the field path.
        """
        survey = Survey.model_validate_json(raw)
        self.load(survey, as_of)
        return survey

    def apply(self, event: Event) -> Change | None:
        """Apply one event; returns what a reader would see change, or None."""
        moment = _as_utc(event.timestamp)
        if event.entity == "programming":
            return self._apply_programming(event.action, event.data, moment)
        if event.entity == "changeset":
            data: Changeset = event.data
            self._changesets[data.id] = data
            return Change("changeset", "changeset", data.id, data.survey_id, after=data)
        if event.entity == "unknown":
            self.unknown_events += 1
            return None
        if event.action == "deleted":
            return self._delete(event.entity, event.data, moment)
        return self._write(event.entity, event.data, moment)

    def _apply_programming(
        self, action: str, job: ProgrammingJob, moment: datetime
    ) -> Change | None:
        # The latest start and the latest finish are kept; the job runs while no finish is
        # as recent as the start. Both are maxima, so arrival order does not matter.
        table = self._job_started if action == "started" else self._job_finished
        held = table.get(job.survey_id)
        if held is not None and (held[0], _content_key(held[1])) >= (moment, _content_key(job)):
            return None
        table[job.survey_id] = (moment, job)
        return Change("programming", "survey", job.survey_id, job.survey_id, after=job)

    def job(self, survey_id: str) -> tuple[ProgrammingJob | None, datetime | None, datetime | None]:
        """The survey's last programming job: (job, started_at, finished_at or None if running)."""
        started = self._job_started.get(survey_id)
        finished = self._job_finished.get(survey_id)
        if finished is not None and (started is None or finished[0] >= started[0]):
            return finished[1], started[0] if started else None, finished[0]
        if started is not None:
            return started[1], started[0], None
        return None, None, None

    def _version_of(self, item: Model, moment: datetime) -> datetime:
        updated = getattr(item, "updated_at", None)
        return _as_utc(updated) if updated is not None else moment

    def _table(self, entity: str) -> dict[str, Any]:
        return self._tables[entity]

    def _write(self, entity: str, item: Model, moment: datetime) -> Change | None:
        item_id: str = item.id  # type: ignore[attr-defined]
        if item_id in self._tombstones:
            return None
        if entity == "survey":
            item = item.model_copy(update={"pages": [], "variables": []})
        table = self._tables[entity]
        before = table.get(item_id)
        version = self._version_of(item, moment)
        if before is not None:
            held = self._versions[item_id]
            if version < held:
                return None
            if version == held:
                # Same version twice: a duplicate, or a tie settled by content, not by order.
                if _content_key(item) <= _content_key(before):
                    return None
        visible_before = before is not None and self._visible(entity, item_id)
        table[item_id] = item
        self._versions[item_id] = version
        old_parent = self._reindex(entity, before, item)
        visible_after = self._visible(entity, item_id)
        return self._describe(entity, item, before, old_parent, visible_before, visible_after)

    def _delete(self, entity: str, data: Deleted, moment: datetime) -> Change | None:
        item_id = data.id
        if item_id in self._tombstones:
            return None
        visible_before = self._visible(entity, item_id)
        self._tombstones[item_id] = entity
        before = self._table(entity).get(item_id)
        if not visible_before:
            return None
        return Change(
            "deleted",
            entity,
            item_id,
            self.survey_of(item_id),
            self._parent(entity, before),
            before=before,
        )

    def _parent(self, entity: str, item: Model | None) -> str | None:
        if item is None:
            return None
        if entity == "block":
            return item.page_id  # type: ignore[attr-defined]
        if entity == "navigation_rule":
            return item.source_page_id  # type: ignore[attr-defined]
        if entity in ("page", "variable"):
            return item.survey_id  # type: ignore[attr-defined]
        return None

    def _index(self, entity: str) -> dict[str, set[str]] | None:
        return self._indexes.get(entity)

    def _reindex(self, entity: str, before: Model | None, after: Model) -> str | None:
        index = self._index(entity)
        if index is None:
            return None
        old_parent = self._parent(entity, before)
        new_parent = self._parent(entity, after)
        item_id: str = after.id  # type: ignore[attr-defined]
        if old_parent is not None and old_parent != new_parent:
            index[old_parent].discard(item_id)
        if new_parent is not None:
            index[new_parent].add(item_id)
        return old_parent

    def _rule_visible(self, rule_id: str) -> bool:
        rule = self._rules.get(rule_id)
        if rule is None or rule_id in self._tombstones or rule.source_page_id is None:
            return False
        if rule.target_page_id is not None and rule.target_page_id in self._tombstones:
            return False
        return self.page(rule.source_page_id) is not None

    def _visible(self, entity: str, item_id: str) -> bool:
        if entity == "survey":
            return item_id in self._surveys and item_id not in self._tombstones
        if entity == "page":
            return self.page(item_id) is not None
        if entity == "block":
            return self.block(item_id) is not None
        if entity == "navigation_rule":
            return self._rule_visible(item_id)
        return self.variable(item_id) is not None

    def _describe(
        self,
        entity: str,
        item: Model,
        before: Model | None,
        old_parent: str | None,
        visible_before: bool,
        visible_after: bool,
    ) -> Change | None:
        item_id: str = item.id  # type: ignore[attr-defined]
        survey_id = self.survey_of(item_id)
        parent = self._parent(entity, item)
        if not visible_after:
            if visible_before:  # moved under a parent that is not (yet) shown
                return Change("deleted", entity, item_id, survey_id, old_parent, before=before)
            return None
        if not visible_before:
            return Change("created", entity, item_id, survey_id, parent, after=item)
        if old_parent is not None and parent != old_parent:
            return Change(
                "moved", entity, item_id, survey_id, parent, old_parent, before, item, True
            )
        reordered = getattr(before, "order", None) != getattr(item, "order", None)
        return Change("updated", entity, item_id, survey_id, parent, None, before, item, reordered)
