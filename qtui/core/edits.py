"""Edits of a survey: what a form sends, its inverse for undo, the edits awaiting confirmation.

Pure: no I/O and no Textual. An `Edit` says what to change (create, update or delete one
survey, page, block, navigation rule or variable) with exactly the fields Questra's REST API
takes; the service that sends it (`qtui.editing`) and the TUI both use these types.

* `EditHistory` keeps the session's sent edits; undo and redo are ordinary edits built by
  `inverse()`, so they go through the same path (validation, conflicts, pending marks).
* `PendingEdits` remembers what was sent and is not yet confirmed by the matching webhook;
  `confirm(event)` clears an item once an event about it is at least as new as the answer.
* `conflict()` says whether an item moved on the server since a form opened.
* `Restore` undoes a page delete: the page again, then its blocks, its rules and the rules
  of other pages that led to it, each an ordinary create sent in order, the old ids mapped
  to the new ones as the server assigns them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

Entity = Literal["survey", "page", "block", "navigation_rule", "variable"]
Action = Literal["create", "update", "delete"]

# The fields the REST API accepts on an update, per entity (the rest are server-owned).
EDITABLE: dict[str, tuple[str, ...]] = {
    "survey": ("name",),
    "page": ("name", "order", "assign_response_status"),
    "block": ("config", "order", "page_id"),
    "navigation_rule": ("source_page_id", "target_page_id", "condition", "order"),
    "variable": ("name", "expression"),
}
# The field naming an item's parent, per entity.
PARENT_FIELD: dict[str, str] = {
    "page": "survey_id",
    "block": "page_id",
    "navigation_rule": "source_page_id",
    "variable": "survey_id",
}
NOUNS: dict[str, str] = {
    "survey": "survey",
    "page": "page",
    "block": "block",
    "navigation_rule": "rule",
    "variable": "variable",
}


@dataclass(frozen=True)
class Edit:
    """One change to send.

    `fields` holds only what changes (an update) or the new item's fields (a create);
    `before` is the item as it was (update, delete): undo restores it, conflicts compare it.
    `base_updated_at` is the item's `updated_at` when the form opened.
    """

    entity: Entity
    action: Action
    item_id: str | None
    parent_id: str | None
    fields: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Any] | None = None
    base_updated_at: str | None = None
    title: str = ""
    restores: str | None = None  # a create bringing a deleted item back: the item's old id
    # With `restores`: the deleted item's server-owned fields (programming times, created_at…).
    # Questra sets its own; a local file puts them back, so undo leaves it as it was.
    kept: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str] | None:
        return (self.entity, self.item_id) if self.item_id else None

    def describe(self) -> str:
        verb = {"create": "add", "update": "change", "delete": "delete"}[self.action]
        return f"{verb} {self.title or NOUNS[self.entity]}"


def changed_fields(entity: str, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The editable fields whose value differs between two dumps of one item."""
    return {
        name: after.get(name)
        for name in EDITABLE[entity]
        if name in after and after.get(name) != before.get(name)
    }


def update(
    entity: Entity, before: dict[str, Any], after: dict[str, Any], title: str = ""
) -> Edit | None:
    """The update turning `before` into `after`, or None when nothing editable changed."""
    fields = changed_fields(entity, before, after)
    if not fields:
        return None
    parent = before.get(PARENT_FIELD.get(entity, ""), None)
    return Edit(
        entity,
        "update",
        before["id"],
        parent,
        fields,
        before=before,
        base_updated_at=before.get("updated_at"),
        title=title,
    )


def create(entity: Entity, parent_id: str, fields: dict[str, Any], title: str = "") -> Edit:
    wanted = {k: v for k, v in fields.items() if k in EDITABLE[entity] and v is not None}
    return Edit(entity, "create", None, parent_id, wanted, title=title)


# What a delete takes with it or leaves pointing at it, kept in its `before` for undo: a
# page's blocks and rules, the rules of other pages into it, and the Loop blocks elsewhere
# that list a deleted block by id.
CONTENTS = ("blocks", "navigation_rules", "incoming_rules", "loops")


def delete(
    entity: Entity,
    before: dict[str, Any],
    title: str = "",
    *,
    blocks: list[dict[str, Any]] | None = None,
    rules: list[dict[str, Any]] | None = None,
    incoming: list[dict[str, Any]] | None = None,
    loops: list[dict[str, Any]] | None = None,
) -> Edit:
    """Delete one item. A page takes its blocks, its rules and the rules of other pages
    into it (`incoming`) with it; Loop blocks elsewhere may list a deleted block (`loops`):
    all of it is kept in `before` so undo brings it back and points it at the new ids."""
    parent = before.get(PARENT_FIELD.get(entity, ""), None)
    if entity == "page":
        before = {
            **before,
            "blocks": list(blocks or []),
            "navigation_rules": list(rules or []),
            "incoming_rules": list(incoming or []),
        }
    if loops:
        before = {**before, "loops": list(loops)}
    return Edit(
        entity,
        "delete",
        before["id"],
        parent,
        before=before,
        base_updated_at=before.get("updated_at"),
        title=title,
    )


def inverse(edit: Edit, result: dict[str, Any] | None) -> Edit | Restore:
    """The edit that undoes `edit`, given what the server answered to it.

    Undoing a create deletes the created item; undoing a delete creates it again (with a
    new id: ids are the server's) — a page with everything it held (a `Restore`); undoing
    an update puts back the fields it changed.
    """
    if edit.action == "delete" and (edit.entity == "page" or (edit.before or {}).get("loops")):
        return restore(edit)
    if edit.action == "create":
        created = result or {}
        return Edit(
            edit.entity,
            "delete",
            created.get("id"),
            edit.parent_id,
            before=created,
            base_updated_at=created.get("updated_at"),
            title=edit.title,
        )
    before = edit.before or {}
    if edit.action == "delete":
        fields = {k: before[k] for k in EDITABLE[edit.entity] if before.get(k) is not None}
        fields.pop(PARENT_FIELD.get(edit.entity, ""), None)
        return Edit(
            edit.entity,
            "create",
            None,
            edit.parent_id,
            fields,
            title=edit.title,
            restores=edit.item_id,
        )
    after = result or {**before, **edit.fields}
    back = {name: before.get(name) for name in edit.fields}
    return Edit(
        edit.entity,
        "update",
        edit.item_id,
        edit.parent_id,
        back,
        before=after,
        base_updated_at=after.get("updated_at"),
        title=edit.title,
    )


def _recreate(entity: Entity, item: dict[str, Any], parent_id: str, title: str) -> Edit:
    fields = {k: item[k] for k in EDITABLE[entity] if item.get(k) is not None}
    fields.pop(PARENT_FIELD[entity], None)
    owned = set(EDITABLE[entity]) | set(CONTENTS) | {"id", "updated_at", PARENT_FIELD[entity]}
    kept = {k: v for k, v in item.items() if k not in owned and v is not None}
    return Edit(
        entity, "create", None, parent_id, fields, title=title, restores=item.get("id"), kept=kept
    )


def restore(deleted: Edit) -> Restore:
    """The steps bringing back a deleted page (or block): the page, its blocks in order
    (same configs, so the same reference names; a Loop after the blocks it lists), its
    rules, the rules of other pages that led to it, then the Loops elsewhere that listed a
    deleted block, pointed at the new ids."""
    before = deleted.before or {}
    item = {k: v for k, v in before.items() if k not in CONTENTS}
    if deleted.entity == "block":
        steps = [_recreate("block", item, deleted.parent_id or "", deleted.title)]
    else:
        steps = [_recreate("page", item, deleted.parent_id or "", deleted.title)]
        blocks = sorted(before.get("blocks", []), key=lambda b: (b.get("order", 0), b["id"]))
        ids = {b["id"] for b in blocks}
        # A Loop lists the blocks it repeats by id: it comes after them, to name the new ids.
        blocks.sort(key=lambda b: bool(ids & set(_listed(b))))
        for block in blocks:
            name = (block.get("config") or {}).get("name") or "block"
            steps.append(_recreate("block", block, item["id"], name))
        rules = sorted(
            before.get("navigation_rules", []), key=lambda r: (r.get("order", 0), r["id"])
        )
        for rule in rules:
            steps.append(_recreate("navigation_rule", rule, item["id"], "rule"))
        for rule in before.get("incoming_rules", []):
            steps.append(_recreate("navigation_rule", rule, rule["source_page_id"], "rule into it"))
    for loop in before.get("loops", []):
        name = (loop.get("config") or {}).get("name") or "loop"
        fields = {"config": loop.get("config")}
        steps.append(
            Edit(
                "block", "update", loop["id"], loop.get("page_id"), fields, before=loop, title=name
            )
        )
    return Restore(deleted, tuple(steps))


def _listed(block: dict[str, Any]) -> list[str]:
    """The block ids a Loop block's config lists (none for other blocks)."""
    listed = (block.get("config") or {}).get("blocks")
    return [str(i) for i in listed] if isinstance(listed, list) else []


def listing(blocks: list[dict[str, Any]], deleted: set[str]) -> list[dict[str, Any]]:
    """Of `blocks`, the Loops listing any of the `deleted` block ids."""
    return [b for b in blocks if b.get("id") not in deleted and deleted & set(_listed(b))]


def remap(value: Any, ids: dict[str, str]) -> Any:
    """`value` with every old id (a string equal to a key of `ids`) replaced by the new one."""
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, dict):
        return {k: remap(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [remap(v, ids) for v in value]
    return value


@dataclass(frozen=True)
class Restore:
    """Undo of a page delete, as ordinary edits sent one after the other.

    `steps` name the deleted items by their old ids; `ids` maps old ids to the new ones
    the server gave the steps done so far (`done` of them), so a restore that stopped
    half-way resumes where it stopped. `result` is the re-created page.
    """

    deleted: Edit
    steps: tuple[Edit, ...]
    ids: dict[str, str] = field(default_factory=dict)
    done: int = 0
    result: dict[str, Any] | None = None

    @property
    def title(self) -> str:
        return self.deleted.title

    def describe(self) -> str:
        return f"restore {self.deleted.title or NOUNS[self.deleted.entity]}"

    def step(self, index: int) -> Edit:
        """Step `index`, its old ids (parent, target page) replaced by the new ones."""
        step = self.steps[index]
        return replace(
            step,
            parent_id=remap(step.parent_id, self.ids),
            fields=remap(step.fields, self.ids),
            item_id=remap(step.item_id, self.ids),
        )

    def advanced(self, step: Edit, result: dict[str, Any] | None) -> Restore:
        """The restore after `step` (the next one) was sent and answered with `result`."""
        ids = dict(self.ids)
        if step.restores and result and result.get("id"):
            ids[step.restores] = str(result["id"])
        head = result if self.done == 0 else self.result
        return replace(self, ids=ids, done=self.done + 1, result=head)

    @property
    def finished(self) -> bool:
        return self.done >= len(self.steps)

    def counts(self, start: int = 0, end: int | None = None) -> str:
        """What steps `start`..`end` bring back, in words: "page End, 3 blocks, 2 rules"."""
        chosen = self.steps[start:end]
        blocks = sum(1 for s in chosen if s.entity == "block")
        rules = sum(1 for s in chosen if s.entity == "navigation_rule")
        loops = sum(1 for s in chosen if s.action == "update")
        blocks -= loops
        head = chosen and chosen[0].restores == self.deleted.item_id
        words = [self.title or NOUNS[self.deleted.entity]] if head else []
        if self.deleted.entity == "block" and head:
            blocks -= 1
        if blocks:
            words.append(f"{blocks} block{'s' if blocks != 1 else ''}")
        if rules:
            words.append(f"{rules} rule{'s' if rules != 1 else ''}")
        if loops:
            words.append(f"{loops} loop{'s' if loops != 1 else ''} listing it")
        return ", ".join(words) or "nothing"

    def redo(self) -> Edit:
        """The delete of what the restore re-created (its contents kept for the next undo)."""
        before = remap(self.deleted.before or {}, self.ids)
        before.update({k: v for k, v in (self.result or {}).items() if k not in CONTENTS})
        return replace(
            self.deleted,
            item_id=self.ids.get(self.deleted.item_id or "", self.deleted.item_id),
            before=before,
            base_updated_at=before.get("updated_at"),
        )


@dataclass
class Done:
    """A sent edit and what the server answered (None for a delete).

    `resume` is a restore that stopped half-way: undo goes on with it. Edits sent as one
    action (a move renumbers every sibling it passes) share a `group`: undone together."""

    edit: Edit | Restore
    result: dict[str, Any] | None
    resume: Restore | None = None
    group: int | None = None


class EditHistory:
    """The session's edits: `undo()` and `redo()` give the next edit to send."""

    def __init__(self) -> None:
        self._done: list[Done] = []
        self._undone: list[Done] = []
        self._groups = 0
        self._group_titles: dict[int, str] = {}

    def new_group(self, title: str = "") -> int:
        """An id for edits sent as one action, so that one undo takes them all back;
        `title` names the action ("move of page Brands up")."""
        self._groups += 1
        if title:
            self._group_titles[self._groups] = title
        return self._groups

    def group_title(self, group: int | None) -> str:
        """The name of the action `group` was sent as; "" when it has none."""
        return self._group_titles.get(group, "") if group is not None else ""

    def record(
        self,
        edit: Edit | Restore,
        result: dict[str, Any] | None,
        *,
        kind: str = "new",
        group: int | None = None,
    ) -> None:
        """Note a sent edit. `kind`: "new" (clears redo), "undo" or "redo"."""
        entry = Done(edit, result, group=group)
        if kind == "undo":
            self._undone.append(entry)
        else:
            self._done.append(entry)
            if kind == "new":
                self._undone.clear()

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    def undo(self) -> Edit | Restore | None:
        """The edit undoing the last one (taken off the stack), or None."""
        if not self._done:
            return None
        last = self._done.pop()
        if last.resume is not None:
            return last.resume
        return _undoing(last)

    def redo(self) -> Edit | Restore | None:
        if not self._undone:
            return None
        last = self._undone.pop()
        if last.resume is not None:
            return last.resume
        return _undoing(last)

    def undo_action(self) -> tuple[list[Edit | Restore], int | None]:
        """The edits undoing the last action (every edit of its group), and the group."""
        return self._take(self._done)

    def redo_action(self) -> tuple[list[Edit | Restore], int | None]:
        return self._take(self._undone)

    def _take(self, stack: list[Done]) -> tuple[list[Edit | Restore], int | None]:
        if not stack:
            return [], None
        group = stack[-1].group
        out: list[Edit | Restore] = []
        while stack and (not out or (group is not None and stack[-1].group == group)):
            last = stack.pop()
            out.append(last.resume if last.resume is not None else _undoing(last))
        return out, group

    def put_back(self, edit: Edit | Restore, kind: str, group: int | None = None) -> None:
        """An undo or redo that could not be sent goes back where it came from; a restore
        that stopped half-way waits there to be resumed."""
        target = self._done if kind == "undo" else self._undone
        if isinstance(edit, Restore):
            target.append(Done(edit.deleted, None, resume=edit if edit.done else None))
            return
        target.append(Done(inverse(edit, None), None, group=group))

    def __len__(self) -> int:
        return len(self._done)


def _undoing(done: Done) -> Edit | Restore:
    if isinstance(done.edit, Restore):
        return done.edit.redo()
    return inverse(done.edit, done.result)


def parse_moment(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def conflict(entity: str, base: dict[str, Any] | None, current: dict[str, Any] | None) -> bool:
    """True when the item changed since the form opened (`base` → `current`).

    Its `updated_at` moved, or (for items Questra sends without one) an editable field
    differs. An item deleted meanwhile (`current` None) is a conflict too.
    """
    if base is None:
        return False
    if current is None:
        return True
    before, now = parse_moment(base.get("updated_at")), parse_moment(current.get("updated_at"))
    if before is not None and now is not None:
        return now > before
    return any(base.get(name) != current.get(name) for name in EDITABLE[entity])


@dataclass(frozen=True)
class Pending:
    key: tuple[str, str]
    edit: Edit
    expected: datetime | None  # updated_at of the server's answer; None for a delete


class PendingEdits:
    """Edits the server accepted and whose webhook has not arrived yet, by item.

    The webhook can arrive before the REST answer does (it is sent while the request is
    served), so the latest event seen for each item is remembered for a while: an edit whose
    confirmation came first is never marked pending.
    """

    def __init__(self, remember: int = 2000) -> None:
        self._by_key: dict[tuple[str, str], Pending] = {}
        # item -> (action, updated_at, when it was seen, on the caller's clock)
        self._seen: dict[tuple[str, str], tuple[str, datetime | None, float]] = {}
        self._remember = remember

    def add(
        self, edit: Edit, result: dict[str, Any] | None, sent_at: float = 0.0
    ) -> tuple[str, str] | None:
        """Mark an accepted edit pending; `sent_at` is when it was sent (the `confirm` clock)."""
        item_id = edit.item_id or (result or {}).get("id")
        if not item_id:
            return None
        key = (edit.entity, str(item_id))
        expected = (
            None if edit.action == "delete" else parse_moment((result or {}).get("updated_at"))
        )
        pending = Pending(key, replace(edit, item_id=str(item_id)), expected)
        seen = self._seen.get(key)
        if seen is not None and seen[2] >= sent_at and _confirms(pending, seen[0], seen[1]):
            return None
        self._by_key[key] = pending
        return key

    def confirm(
        self, entity: str, action: str, item_id: str | None, updated_at: Any, now: float = 0.0
    ) -> bool:
        """Clear the item an event is about if the event is at least as new as our edit."""
        if not item_id:
            return False
        key = (entity, item_id)
        moment = parse_moment(updated_at)
        self._seen.pop(key, None)
        self._seen[key] = (action, moment, now)
        if len(self._seen) > self._remember:
            self._seen.pop(next(iter(self._seen)))
        pending = self._by_key.get(key)
        if pending is None or not _confirms(pending, action, moment):
            return False
        del self._by_key[key]
        return True

    def drop(self, key: tuple[str, str]) -> None:
        self._by_key.pop(key, None)

    def keys(self) -> set[tuple[str, str]]:
        return set(self._by_key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __len__(self) -> int:
        return len(self._by_key)


def _confirms(pending: Pending, action: str, moment: datetime | None) -> bool:
    if pending.edit.action == "delete":
        return action == "deleted"
    if action == "deleted":
        return True  # gone for good: nothing left to wait for
    if pending.expected is not None and moment is not None:
        return moment >= pending.expected
    return True
