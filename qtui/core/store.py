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
* Items are scoped by survey: two surveys whose page or block ids collide (two recordings
  replayed together, two organisations) each keep their own items. An item's survey is the
  one the caller names (`apply(event, survey_id=…)`, a relay frame's attribution), else the
  one its payload names (a page's or variable's `survey_id`), else its parent page's. An
  item whose survey cannot be told yet waits unscoped and joins its survey with its page.

A block or rule from a webhook body is kept as msgspec checked it (`Checked`) and its model
is made the first time anyone reads it — `blocks()`, `block()`, `rules()`, `survey()`, a
`Change`'s `before`/`after` or the event's `data` — and kept: a replay never builds the
versions a later one replaces.

`apply` returns a `Change` (`qtui.core.change`) describing what became visible, so a UI
patches one node instead of rebuilding the tree; `progress` gives a `Progress`
(`qtui.core.progress`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from qtui.core.change import Change, ChangeKind
from qtui.core.decoding import Checked, validated
from qtui.core.events import Changeset, Deleted, Event, ProgrammingJob
from qtui.core.ingest import SNAPSHOT_GEN0_THRESHOLD, ingesting
from qtui.core.models import (
    Block,
    Model,
    NavigationRule,
    Page,
    Survey,
    SurveyStatus,
    Variable,
)
from qtui.core.progress import Progress, failure_reason

__all__ = ["Change", "ChangeKind", "Entity", "Progress", "SurveyStore"]

Entity = Literal["survey", "page", "block", "variable", "navigation_rule"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_Item = TypeVar("_Item", Block, NavigationRule, Variable)


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _content_key(item: Any) -> str:
    if isinstance(item, Checked):
        item = item.built()
    return json.dumps(item.dump(), sort_keys=True, default=str)


def _with_parent(item: _Item, field: str, parent_id: str) -> _Item:
    """The item with its parent id filled in: a FullSurvey nests items without saying it."""
    return item if getattr(item, field) else item.model_copy(update={field: parent_id})


def _sort_key(item: Page | Block | NavigationRule) -> tuple[int, datetime, str]:
    return (item.order, _as_utc(item.created_at or _EPOCH), item.id)


def _built_in(table: dict[str, Any], item_id: str) -> Any:
    """The table's item as a model, kept so from now on (made if it was only `Checked`)."""
    item = table[item_id]
    if isinstance(item, Checked):
        item = table[item_id] = item.built()
    return item


_tuple_new = tuple.__new__
_ORPHANS = ""  # the scope of items whose survey is not known yet
_CHILDREN = {"block": "page_id", "navigation_rule": "source_page_id"}


class _Scope:
    """One survey's items (or, under `_ORPHANS`, items waiting for theirs), by entity."""

    __slots__ = ("items", "versions", "tombstones", "children")

    def __init__(self) -> None:
        entities = ("page", "block", "navigation_rule", "variable")
        self.items: dict[str, dict[str, Any]] = {e: {} for e in entities}
        self.versions: dict[str, dict[str, datetime]] = {e: {} for e in entities}
        self.tombstones: dict[str, set[str]] = {e: set() for e in entities}
        # parent page id -> ids of its blocks / rules
        self.children: dict[str, dict[str, set[str]]] = {e: defaultdict(set) for e in _CHILDREN}


class SurveyStore:
    """All surveys qtui knows, kept current by `apply(event)`."""

    def __init__(self) -> None:
        self._surveys: dict[str, Survey] = {}
        self._survey_versions: dict[str, datetime] = {}
        self._dead_surveys: set[str] = set()
        self._orphans = _Scope()
        self._scopes: dict[str, _Scope] = {_ORPHANS: self._orphans}
        # (entity, id) -> the scopes holding an item of that id, most recently written last
        self._homes: dict[tuple[str, str], list[str]] = {}
        self._preferred: str | None = None
        self._job_started: dict[str, tuple[datetime, ProgrammingJob]] = {}
        self._job_finished: dict[str, tuple[datetime, ProgrammingJob]] = {}
        self._changesets: dict[str, Changeset] = {}
        self.unknown_events: int = 0

    def prefer(self, survey_id: str | None) -> None:
        """Read an id several surveys share (and that no caller scoped) from this survey."""
        self._preferred = survey_id

    # --- scopes -----------------------------------------------------------------------

    def _scope(self, survey_id: str) -> _Scope:
        scope = self._scopes.get(survey_id)
        if scope is None:
            scope = self._scopes[survey_id] = _Scope()
        return scope

    def _pick(self, candidates: list[str]) -> str | None:
        """One scope of several: the preferred survey's, else the most recently written."""
        if not candidates:
            return None
        if len(candidates) > 1 and self._preferred in candidates:
            return self._preferred
        return candidates[-1]

    def _home_of(self, entity: str, item_id: str, survey_id: str | None = None) -> str | None:
        """The survey whose item of this id a reader means (never the orphans' scope)."""
        if survey_id is not None:
            return survey_id
        homes = self._homes.get((entity, item_id))
        if not homes:
            return None
        return self._pick([h for h in homes if h != _ORPHANS])

    def _scope_of_write(self, entity: str, item: Model, hint: str | None, created: bool) -> str:
        if hint:
            return hint
        if entity in ("page", "variable"):
            named = item.survey_id  # type: ignore[attr-defined]
            if named:
                return named
        item_id: str = item.id  # type: ignore[attr-defined]
        homes = [h for h in self._homes.get((entity, item_id), ()) if h != _ORPHANS]
        field = _CHILDREN.get(entity)
        if field is not None:
            parent = getattr(item, field)
            parents = [h for h in self._homes.get(("page", parent or ""), ()) if h != _ORPHANS]
            if parents:
                # A new item joins the survey whose page was written last; an update stays
                # in the survey that last held the item.
                mine = [] if created else [h for h in homes if h in parents]
                return self._pick(mine or parents) or _ORPHANS
        return self._pick(homes) or _ORPHANS

    def _remember(self, entity: str, item_id: str, scope_id: str) -> None:
        homes = self._homes.setdefault((entity, item_id), [])
        if homes and homes[-1] == scope_id:
            return
        if scope_id in homes:
            homes.remove(scope_id)
        homes.append(scope_id)

    def _forget(self, entity: str, item_id: str, scope_id: str) -> None:
        homes = self._homes.get((entity, item_id))
        if homes and scope_id in homes:
            homes.remove(scope_id)

    # --- reading ----------------------------------------------------------------------

    def survey_ids(self) -> list[str]:
        ids = set(self._surveys)
        ids.update(
            key
            for key, scope in self._scopes.items()
            if key != _ORPHANS and (scope.items["page"] or scope.items["variable"])
        )
        return sorted(i for i in ids if i not in self._dead_surveys)

    def deleted_survey_ids(self) -> list[str]:
        """Surveys a `survey.deleted` event removed."""
        return sorted(self._dead_surveys)

    def survey_record(self, survey_id: str) -> Survey | None:
        """The survey's own fields (no pages), as last written."""
        if survey_id in self._dead_surveys:
            return None
        return self._surveys.get(survey_id)

    def pages(self, survey_id: str) -> list[Page]:
        """The survey's visible pages in display order (without their blocks)."""
        scope = self._scopes.get(survey_id)
        if scope is None or not survey_id or survey_id in self._dead_surveys:
            return []
        dead = scope.tombstones["page"]
        found = (page for page_id, page in scope.items["page"].items() if page_id not in dead)
        return sorted(found, key=_sort_key)

    def _page_in(self, scope_id: str | None, page_id: str) -> Page | None:
        if not scope_id or scope_id in self._dead_surveys:
            return None
        scope = self._scopes.get(scope_id)
        if scope is None or page_id in scope.tombstones["page"]:
            return None
        return scope.items["page"].get(page_id)

    def page(self, page_id: str, survey_id: str | None = None) -> Page | None:
        return self._page_in(self._home_of("page", page_id, survey_id), page_id)

    def _children(self, entity: str, page_id: str, survey_id: str | None) -> list[Any]:
        scope_id = self._home_of("page", page_id, survey_id)
        if self._page_in(scope_id, page_id) is None:
            return []
        scope = self._scopes[scope_id]  # type: ignore[index]
        items, dead = scope.items[entity], scope.tombstones[entity]
        found = [
            _built_in(items, i) for i in scope.children[entity].get(page_id, ()) if i not in dead
        ]
        if entity == "navigation_rule":
            return sorted(
                (r for r in found if self._target_alive(scope, r)), key=lambda r: (r.order, r.id)
            )
        return sorted(found, key=_sort_key)

    def blocks(self, page_id: str, survey_id: str | None = None) -> list[Block]:
        return self._children("block", page_id, survey_id)

    def rules(self, page_id: str, survey_id: str | None = None) -> list[NavigationRule]:
        return self._children("navigation_rule", page_id, survey_id)

    def _child(self, entity: str, item_id: str, survey_id: str | None) -> Any:
        scope_id = self._home_of(entity, item_id, survey_id)
        if not scope_id:
            return None
        scope = self._scopes.get(scope_id)
        if scope is None or item_id in scope.tombstones[entity]:
            return None
        item = scope.items[entity].get(item_id)
        if item is None or self._page_in(scope_id, getattr(item, _CHILDREN[entity]) or "") is None:
            return None
        if entity == "navigation_rule" and not self._target_alive(scope, item):
            return None
        return _built_in(scope.items[entity], item_id)

    def block(self, block_id: str, survey_id: str | None = None) -> Block | None:
        return self._child("block", block_id, survey_id)

    def rule(self, rule_id: str, survey_id: str | None = None) -> NavigationRule | None:
        return self._child("navigation_rule", rule_id, survey_id)

    @staticmethod
    def _target_alive(scope: _Scope, rule: NavigationRule) -> bool:
        return rule.target_page_id is None or rule.target_page_id not in scope.tombstones["page"]

    def variables(self, survey_id: str) -> list[Variable]:
        scope = self._scopes.get(survey_id)
        if scope is None or not survey_id or survey_id in self._dead_surveys:
            return []
        dead = scope.tombstones["variable"]
        found = (v for i, v in scope.items["variable"].items() if i not in dead)
        return sorted(found, key=lambda v: (_as_utc(v.created_at or _EPOCH), v.name, v.id))

    def variable(self, variable_id: str, survey_id: str | None = None) -> Variable | None:
        scope_id = self._home_of("variable", variable_id, survey_id)
        if not scope_id or scope_id in self._dead_surveys:
            return None
        scope = self._scopes.get(scope_id)
        if scope is None or variable_id in scope.tombstones["variable"]:
            return None
        return scope.items["variable"].get(variable_id)

    def survey(self, survey_id: str) -> Survey | None:
        """The survey in FullSurvey form: pages and blocks in display order, rules by order."""
        if survey_id in self._dead_surveys:
            return None
        record = self._surveys.get(survey_id)
        pages = self.pages(survey_id)
        variables = self.variables(survey_id)
        if record is None and not pages and not variables:
            return None
        base = record.model_copy() if record is not None else Survey(id=survey_id)
        base.pages = [
            p.model_copy(
                update={
                    "blocks": self.blocks(p.id, survey_id),
                    "navigation_rules": self.rules(p.id, survey_id),
                }
            )
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
        reason = None
        if job is None or finished is not None:
            reason = failure_reason(job, record)
        return Progress(len(pages), done, running, status, job, started, finished, reason)

    def pending_count(self) -> int:
        """Items held back because their parent (or survey) has not arrived, or was deleted."""
        pending = 0
        for scope_id, scope in self._scopes.items():
            for entity in ("page", "block"):
                dead = scope.tombstones[entity]
                for item_id in scope.items[entity]:
                    if item_id in dead:
                        continue
                    if not self._visible_in(scope_id, entity, item_id):
                        pending += 1
        return pending

    def survey_of(self, item_id: str) -> str | None:
        """The survey an item (survey, page, block, rule, variable) belongs to, when known."""
        if item_id in self._surveys:
            return item_id
        for entity in ("page", "block", "navigation_rule", "variable"):
            home = self._home_of(entity, item_id)
            if home:
                return home
        return None

    # --- writing ----------------------------------------------------------------------

    def load(
        self,
        full_survey: Survey | dict[str, Any],
        as_of: datetime | None = None,
    ) -> None:
        """Merge a FullSurvey snapshot (from REST or a file) under the same rules as events.

        Items without `updated_at` are versioned `as_of` (default: the survey's `updated_at`),
        so a later event still wins over them. Every item is scoped to this survey. Blocks,
        rules and variables that already name their parent are stored as given, not copied;
        the store never changes an item.
        """
        with ingesting(SNAPSHOT_GEN0_THRESHOLD):  # all of it is kept: no collector passes
            if not isinstance(full_survey, Survey):
                full_survey = validated(Survey, full_survey)
            self._load(full_survey, as_of)

    def _load(self, survey: Survey, as_of: datetime | None) -> None:
        fallback = _as_utc(as_of or survey.updated_at or _EPOCH)
        sid = survey.id
        self._write("survey", survey, fallback)  # kept without its pages and variables
        for page in survey.pages:
            flat = page.model_copy(
                update={
                    "blocks": [],
                    "navigation_rules": [],
                    "survey_id": page.survey_id or sid,
                }
            )
            self._write("page", flat, fallback, sid)
            for block in page.blocks:
                self._write("block", _with_parent(block, "page_id", page.id), fallback, sid)
            for rule in page.navigation_rules:
                self._write(
                    "navigation_rule",
                    _with_parent(rule, "source_page_id", page.id),
                    fallback,
                    sid,
                )
        for var in survey.variables:
            self._write("variable", _with_parent(var, "survey_id", sid), fallback, sid)

    def load_json(self, raw: bytes | str, as_of: datetime | None = None) -> Survey:
        """`load` a FullSurvey from its JSON text; returns the validated survey.

        Decoded and checked by the fast path (`qtui.core.decoding`); malformed input raises
        pydantic's `ValidationError`, naming the field path.
        """
        with ingesting(SNAPSHOT_GEN0_THRESHOLD):  # all of it is kept: no collector passes
            survey = validated(Survey, raw)
            self._load(survey, as_of)
        return survey

    def apply(self, event: Event, survey_id: str | None = None) -> Change | None:
        """Apply one event; returns what a reader would see change, or None.

        `survey_id` names the survey the event belongs to when the caller knows it (a relay
        frame's attribution); without it the payload and the parent page tell.
        """
        moment = event.timestamp
        if moment.tzinfo is None:
            moment = _as_utc(moment)
        entity = event.entity
        if entity == "block" or entity == "navigation_rule":  # the bulk of any stream
            if event.action == "deleted":
                return self._delete(entity, event.data, moment, survey_id or None)
            return self._write(  # as checked: built when read
                entity, event.checked_data, moment, survey_id or None, event.action == "created"
            )
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
            return self._delete(event.entity, event.data, moment, survey_id or None)
        created = event.action == "created"
        return self._write(event.entity, event.data, moment, survey_id or None, created)

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

    def _write_survey(self, survey: Survey, moment: datetime) -> Change | None:
        survey_id = survey.id
        if survey_id in self._dead_surveys:
            return None
        survey = survey.model_copy(update={"pages": [], "variables": []})
        before = self._surveys.get(survey_id)
        version = self._version_of(survey, moment)
        if before is not None and not self._newer(
            version, self._survey_versions[survey_id], survey, before
        ):
            return None
        self._surveys[survey_id] = survey
        self._survey_versions[survey_id] = version
        if before is None:
            return Change("created", "survey", survey_id, survey_id, after=survey)
        return Change("updated", "survey", survey_id, survey_id, None, None, before, survey)

    @staticmethod
    def _newer(version: datetime, held: datetime, item: Model, before: Model) -> bool:
        if version != held:
            return version > held
        # Same version twice: a duplicate, or a tie settled by content, not by order.
        return _content_key(item) > _content_key(before)

    def _write(
        self,
        entity: str,
        item: Model,
        moment: datetime,
        hint: str | None = None,
        created: bool = False,
    ) -> Change | None:
        if entity == "survey":
            return self._write_survey(item, moment)  # type: ignore[arg-type]
        item_id: str = item.id  # type: ignore[attr-defined]
        field = _CHILDREN.get(entity)
        scope_id = None
        if field is not None and not hint:
            # The usual case, a survey's block or rule under a page only it has: its survey
            # (`_scope_of_write` says the same, the long way).
            page_homes = self._homes.get(("page", getattr(item, field) or ""))
            if page_homes is not None and len(page_homes) == 1 and page_homes[0] != _ORPHANS:
                held_in = self._homes.get((entity, item_id))
                if created or not held_in or held_in == page_homes:
                    scope_id = page_homes[0]
        if scope_id is None:
            scope_id = self._scope_of_write(entity, item, hint, created)
        scope = self._scopes.get(scope_id) or self._scope(scope_id)
        if item_id in scope.tombstones[entity]:
            return None
        orphans = self._orphans
        if scope_id != _ORPHANS and item_id in orphans.tombstones[entity]:
            # Deleted before anyone could tell its survey: the delete was this one's.
            self._adopt_tombstone(entity, item_id, scope_id)
            return None
        table = scope.items[entity]
        versions = scope.versions[entity]
        before = table.get(item_id)
        updated = item.updated_at  # type: ignore[attr-defined]
        if updated is None:
            version = moment
        else:
            version = updated if updated.tzinfo is not None else _as_utc(updated)
        if before is not None:
            held = versions[item_id]
            if version != held:
                if version < held:
                    return None
            elif _content_key(item) <= _content_key(before):
                return None  # a duplicate, or a tie its content settles (never the order)
        if field is not None:
            return self._write_child(scope_id, scope, entity, field, item, before, version)
        visible_before = before is not None and self._visible_in(scope_id, entity, item_id)
        table[item_id] = item
        versions[item_id] = version
        self._remember(entity, item_id, scope_id)
        old_parent = self._reindex(scope, entity, before, item)
        if entity == "page" and scope_id != _ORPHANS:
            self._adopt_children(item_id, scope_id)
        visible_after = self._visible_in(scope_id, entity, item_id)
        return self._describe(
            scope_id, entity, item, before, old_parent, visible_before, visible_after
        )

    def _child_shown(self, scope_id: str, scope: _Scope, field: str, item: Any) -> bool:
        """Whether a block or rule held (not tombstoned) in this scope is shown."""
        if not scope_id or scope_id in self._dead_surveys:
            return False
        parent = getattr(item, field) or ""
        if parent in scope.tombstones["page"] or parent not in scope.items["page"]:
            return False
        return field != "source_page_id" or self._target_alive(scope, item)

    def _write_child(
        self,
        scope_id: str,
        scope: _Scope,
        entity: str,
        field: str,
        item: Any,
        before: Any,
        version: datetime,
    ) -> Change | None:
        """`_write` of a block or rule that wins over what the scope held."""
        item_id: str = item.id
        shown_before = before is not None and self._child_shown(scope_id, scope, field, before)
        scope.items[entity][item_id] = item
        scope.versions[entity][item_id] = version
        homes = self._homes.get((entity, item_id))
        if not homes or homes[-1] != scope_id:
            self._remember(entity, item_id, scope_id)
        old_parent = getattr(before, field) if before is not None else None
        parent = getattr(item, field)
        if old_parent != parent or before is None:
            index = scope.children[entity]
            if old_parent is not None:
                index[old_parent].discard(item_id)
            if parent is not None:
                index[parent].add(item_id)
        if not self._child_shown(scope_id, scope, field, item):
            if shown_before:  # moved under a parent that is not (yet) shown
                return Change("deleted", entity, item_id, scope_id, old_parent, before=before)
            return None
        if not shown_before:
            return _tuple_new(
                Change, ("created", entity, item_id, scope_id, parent, None, None, item, False)
            )
        if old_parent is not None and parent != old_parent:
            return Change(
                "moved", entity, item_id, scope_id, parent, old_parent, before, item, True
            )
        reordered = before.order != item.order
        return _tuple_new(  # Change(...), without the keyword handling: once per update
            Change, ("updated", entity, item_id, scope_id, parent, None, before, item, reordered)
        )

    def _adopt_tombstone(self, entity: str, item_id: str, scope_id: str) -> None:
        self._orphans.tombstones[entity].discard(item_id)
        self._scope(scope_id).tombstones[entity].add(item_id)
        self._remember(entity, item_id, scope_id)

    def _adopt_children(self, page_id: str, scope_id: str) -> None:
        """Blocks and rules that waited unscoped for this page join its survey."""
        orphans = self._orphans
        for entity in _CHILDREN:
            waiting = orphans.children[entity].pop(page_id, None)
            if not waiting:
                continue
            for item_id in waiting:
                item = orphans.items[entity].pop(item_id)
                version = orphans.versions[entity].pop(item_id)
                self._forget(entity, item_id, _ORPHANS)
                dead = item_id in orphans.tombstones[entity]
                if dead:
                    self._adopt_tombstone(entity, item_id, scope_id)
                scope = self._scopes[scope_id]
                held = scope.items[entity].get(item_id)
                if held is not None and not self._newer(
                    version, scope.versions[entity][item_id], item, held
                ):
                    continue
                scope.items[entity][item_id] = item
                scope.versions[entity][item_id] = version
                self._remember(entity, item_id, scope_id)
                self._reindex(scope, entity, held, item)

    def _delete(
        self, entity: str, data: Deleted, moment: datetime, hint: str | None = None
    ) -> Change | None:
        item_id = data.id
        if entity == "survey":
            if item_id in self._dead_surveys:
                return None
            visible = item_id in self._surveys
            self._dead_surveys.add(item_id)
            before = self._surveys.get(item_id)
            return Change("deleted", "survey", item_id, item_id, before=before) if visible else None
        scope_id = hint or self._pick(self._homes.get((entity, item_id), [])) or _ORPHANS
        scope = self._scope(scope_id)
        if item_id in scope.tombstones[entity]:
            return None
        visible_before = self._visible_in(scope_id, entity, item_id)
        scope.tombstones[entity].add(item_id)
        self._remember(entity, item_id, scope_id)
        before = scope.items[entity].get(item_id)
        if not visible_before:
            return None
        return Change(
            "deleted", entity, item_id, scope_id, self._parent(entity, before), before=before
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

    def _reindex(
        self, scope: _Scope, entity: str, before: Model | None, after: Model
    ) -> str | None:
        old_parent = self._parent(entity, before)
        if entity not in _CHILDREN:
            return old_parent
        index = scope.children[entity]
        new_parent = self._parent(entity, after)
        item_id: str = after.id  # type: ignore[attr-defined]
        if old_parent is not None and old_parent != new_parent:
            index[old_parent].discard(item_id)
        if new_parent is not None:
            index[new_parent].add(item_id)
        return old_parent

    def _visible_in(self, scope_id: str, entity: str, item_id: str) -> bool:
        if entity in _CHILDREN:
            # `_child(entity, item_id, scope_id) is not None`, without the detours.
            if not scope_id or scope_id in self._dead_surveys:
                return False
            scope = self._scopes.get(scope_id)
            if scope is None or item_id in scope.tombstones[entity]:
                return False
            item = scope.items[entity].get(item_id)
            if item is None:
                return False
            parent = getattr(item, _CHILDREN[entity]) or ""
            if parent in scope.tombstones["page"] or parent not in scope.items["page"]:
                return False
            return entity != "navigation_rule" or self._target_alive(scope, item)
        if entity == "page":
            return self._page_in(scope_id, item_id) is not None
        if entity in _CHILDREN:
            return self._child(entity, item_id, scope_id) is not None if scope_id else False
        return bool(scope_id) and self.variable(item_id, scope_id) is not None

    def _describe(
        self,
        survey_id: str,
        entity: str,
        item: Model,
        before: Model | None,
        old_parent: str | None,
        visible_before: bool,
        visible_after: bool,
    ) -> Change | None:
        item_id: str = item.id  # type: ignore[attr-defined]
        parent = self._parent(entity, item)
        if entity in ("page", "variable"):
            parent = survey_id
        if not visible_after:
            if visible_before:  # moved under a parent that is not (yet) shown
                return Change("deleted", entity, item_id, survey_id, old_parent, before=before)
            return None
        if not visible_before:
            return Change("created", entity, item_id, survey_id, parent, after=item)
        if entity in _CHILDREN and old_parent is not None and parent != old_parent:
            return Change(
                "moved", entity, item_id, survey_id, parent, old_parent, before, item, True
            )
        reordered = getattr(before, "order", None) != getattr(item, "order", None)
        return Change("updated", entity, item_id, survey_id, parent, None, before, item, reordered)
