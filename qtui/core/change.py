"""`Change`: what one event applied to the store changed in what a reader sees."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

from qtui.core.decoding import Checked

ChangeKind = Literal["created", "updated", "moved", "deleted", "programming", "changeset"]


class _ChangeFields(NamedTuple):
    kind: ChangeKind
    entity: str
    id: str
    survey_id: str | None
    parent_id: str | None = None
    previous_parent_id: str | None = None
    before: Any = None
    after: Any = None
    reordered: bool = False


class Change(_ChangeFields):
    """What one applied event changed in what a reader sees.

    `parent_id` is the page of a block or the source page of a rule (the survey of a page or
    variable); `previous_parent_id` is set when a block moved; `reordered` when its position
    among its siblings may have changed. A named tuple: one is made per applied event, and a
    tuple is made several times faster than a frozen dataclass. `before` and `after` are
    the items as models, made when first read (see `qtui.core.decoding.Checked`).
    """

    __slots__ = ()

    @property
    def before(self) -> Any:
        item = tuple.__getitem__(self, 6)
        return item.built() if isinstance(item, Checked) else item

    @property
    def after(self) -> Any:
        item = tuple.__getitem__(self, 7)
        return item.built() if isinstance(item, Checked) else item
