"""A batch of store changes, read once into what the tree must patch.

Pure: the widget asks which items changed, which pages' children to sync, and whether the
page list, the reference names or every built page's rules need redoing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from qtui.core.models import Block
from qtui.core.store import Change
from qtui.tui.widgets.survey_tree.items import ENTITY_KIND, NodeKey


@dataclass(slots=True)
class Batch:
    """What a batch of changes asks of the tree."""

    changed: set[NodeKey] = field(default_factory=set)
    fresh: set[NodeKey] = field(default_factory=set)  # created or changed: they flash
    parents: set[str] = field(default_factory=set)  # pages whose children to sync
    created_pages: list[str] = field(default_factory=list)
    root_dirty: bool = False  # the page list or the variables changed
    refs_dirty: bool = False  # reference names may have changed
    rules_dirty: bool = False  # a page was created, deleted or renamed: rules show its name
    survey_dirty: bool = False  # the survey or its progress (pages, programming) changed


def read_batch(
    changes: Iterable[Change],
    survey_id: str,
    has_page: Callable[[str], bool],
    *,
    filtered: bool = False,
) -> Batch:
    """Read `changes` for survey `survey_id`; `has_page` says whether a page has a node
    (how a change without a survey id is known to be about this survey)."""
    batch = Batch()
    for change in changes:
        if change.entity in ("survey", "page", "programming"):
            batch.survey_dirty = True  # the survey's line shows its status and progress
        kind = ENTITY_KIND.get(change.entity)
        if kind is None or not _mine(change, survey_id, has_page):
            continue
        key = (kind, change.id)
        if kind == "page" and change.kind == "created":
            batch.created_pages.append(change.id)
        batch.changed.add(key)
        if change.kind != "deleted":
            batch.fresh.add(key)
        if kind == "survey":
            continue
        if kind in ("page", "variable"):
            batch.root_dirty = True
            if kind == "page":
                batch.rules_dirty = batch.rules_dirty or change.kind in (
                    "created",
                    "deleted",
                    "updated",
                )
                batch.refs_dirty = batch.refs_dirty or change.kind != "updated" or change.reordered
            continue
        if filtered or change.kind != "updated" or change.reordered:
            # Its page's children (and their count on the page's line) may be other now; an
            # edit in place (most of a stream) leaves both as they are.
            for parent in (change.parent_id, change.previous_parent_id):
                if parent:
                    batch.parents.add(parent)
                    batch.changed.add(("page", parent))
        if kind == "block":
            batch.refs_dirty = batch.refs_dirty or renames(change)
    if filtered and batch.changed:
        batch.root_dirty = True  # a change can make a page match or stop matching
    return batch


def _mine(change: Change, survey_id: str, has_page: Callable[[str], bool]) -> bool:
    if change.survey_id is not None:
        return change.survey_id == survey_id
    if change.entity == "survey":
        return change.id == survey_id
    parent = change.parent_id or change.previous_parent_id
    return parent is not None and has_page(parent)


def renames(change: Change) -> bool:
    """Whether a block change can change reference names (created, deleted, moved, renamed,
    or turned into or out of a question)."""
    if change.kind != "updated" or change.reordered:
        return True
    before, after = change.before, change.after
    if not isinstance(before, Block) or not isinstance(after, Block):
        return True
    return (before.config.name, before.is_question) != (after.config.name, after.is_question)
