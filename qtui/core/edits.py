"""Edits of a survey: what a form sends, its inverse for undo, the edits awaiting confirmation.

Pure: no I/O and no Textual. An `Edit` says what to change (create, update or delete one
survey, page, block, navigation rule or variable) with exactly the fields Questra's REST API
takes; the service that sends it (`qtui.editing`) and the TUI both use these types.

* `EditHistory` keeps the session's sent edits; undo and redo are ordinary edits built by
  `inverse()`, so they go through the same path (validation, conflicts, pending marks).
* `PendingEdits` remembers what was sent and is not yet confirmed by the matching webhook;
  `confirm(event)` clears an item once an event about it is at least as new as the answer.
* `conflict()` says whether an item moved on the server since a form opened.
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


def delete(entity: Entity, before: dict[str, Any], title: str = "") -> Edit:
    parent = before.get(PARENT_FIELD.get(entity, ""), None)
    return Edit(
        entity,
        "delete",
        before["id"],
        parent,
        before=before,
        base_updated_at=before.get("updated_at"),
        title=title,
    )


def inverse(edit: Edit, result: dict[str, Any] | None) -> Edit:
    """The edit that undoes `edit`, given what the server answered to it.

    Undoing a create deletes the created item; undoing a delete creates it again (with a
    new id: ids are the server's); undoing an update puts back the fields it changed.
    """
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
        return Edit(edit.entity, "create", None, edit.parent_id, fields, title=edit.title)
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


@dataclass
class Done:
    """A sent edit and what the server answered (None for a delete)."""

    edit: Edit
    result: dict[str, Any] | None


class EditHistory:
    """The session's edits: `undo()` and `redo()` give the next edit to send."""

    def __init__(self) -> None:
        self._done: list[Done] = []
        self._undone: list[Done] = []

    def record(self, edit: Edit, result: dict[str, Any] | None, *, kind: str = "new") -> None:
        """Note a sent edit. `kind`: "new" (clears redo), "undo" or "redo"."""
        entry = Done(edit, result)
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

    def undo(self) -> Edit | None:
        """The edit undoing the last one (taken off the stack), or None."""
        if not self._done:
            return None
        last = self._done.pop()
        return inverse(last.edit, last.result)

    def redo(self) -> Edit | None:
        if not self._undone:
            return None
        last = self._undone.pop()
        return inverse(last.edit, last.result)

    def put_back(self, edit: Edit, kind: str) -> None:
        """An undo or redo that could not be sent goes back where it came from."""
        target = self._done if kind == "undo" else self._undone
        target.append(Done(inverse(edit, None), None))

    def __len__(self) -> int:
        return len(self._done)


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
