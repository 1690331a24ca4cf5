"""The survey tree widget: a view of a `SurveyStore`.

The tree is patched by key (`(kind, id)` → node) from the store's `Change`s, never rebuilt,
so the cursor, the scroll position and what is expanded stay put while a survey is being
programmed. A page's children are built only when the page is first expanded, which keeps a
20,000-block survey quick to open; built pages are kept up to date from then on. What to show
comes from `DesiredTree`; what a batch of changes asks for comes from `read_batch`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Mapping
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from qtui.core.routes import Finding
from qtui.core.store import Change, SurveyStore
from qtui.tui.clock import Clock
from qtui.tui.widgets import labels
from qtui.tui.widgets.survey_tree.batching import read_batch
from qtui.tui.widgets.survey_tree.desired import DesiredTree
from qtui.tui.widgets.survey_tree.items import VARIABLES_KEY, Item, Kind, NodeKey
from qtui.tui.widgets.survey_tree.lines import lay_out
from qtui.tui.widgets.survey_tree.long_lived import LongLived, release

# The columns each kind of line is laid out with (see `labels.Columns`).
_COLUMNS_OF: dict[str, tuple[str, ...]] = {
    "page": ("number", "name", "count"),
    "block": ("badge", "ref"),
    "rule": ("name",),
    "variable": ("variable",),
}


# Rendered lines kept: Tree keeps 1,024 (and grows to the screen's height). Relabelled lines
# leave their old renderings there, some 20 container objects each, which every full pass of
# the cyclic collector walks.
RENDERED_LINES = 256


def _follow_page_limit() -> int:
    # Read from the package at call time, where it is declared (and where tests lower it).
    return sys.modules["qtui.tui.widgets.survey_tree"].FOLLOW_PAGE_LIMIT


class SurveyTree(Tree[Item]):
    """The live survey tree."""

    HELP: ClassVar[str] = """\
## Survey tree
Pages in survey order; under each page its blocks (type badge, reference name, label) and
its navigation rules (`→ target  if condition`); the survey's variables last.

- `✓` page programmed · `⠋` being programmed · `·` waiting
- ` ! ` the item needs attention (reason in the detail panel)
- `✗ unreachable`, `✗ syntax error`… a problem in the survey's routing or logic (details
  in the detail panel; `x` lists them all); `✗ 2 inside` on a page: on its blocks or rules
- a line flashes when it was just created or changed

Columns line up: badge, reference name, label (cut; the detail has it whole).
`up`/`down` move, `→` opens a page (then goes into it), `←` closes it (then goes to its
parent), `enter` or `space` toggles it; `enter` on a block with a `showIf`, a rule or a
variable shows its condition whole. In a replay, `→` on a line that does not open steps.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "cursor_parent", "Parent", show=False),
        Binding("right", "open_node", "Open", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "survey-tree--badge",
        "survey-tree--ref",
        "survey-tree--muted",
        "survey-tree--attention",
        "survey-tree--problem",
        "survey-tree--problem-inside",
        "survey-tree--done",
        "survey-tree--programming",
        "survey-tree--rule",
        "survey-tree--status",
        "survey-tree--flash",
    }

    def __init__(
        self,
        store: SurveyStore,
        *,
        clock: Clock | None = None,
        flash_ms: int = 1200,
        id: str | None = None,
    ) -> None:
        self._desired = DesiredTree(store)  # before Tree's own set-up, which may read survey_id
        super().__init__("", data=Item("survey", ""), id=id)
        self._line_cache = LRUCache(RENDERED_LINES)
        self.store = store
        self.clock = clock or Clock()
        self.flash_ms = flash_ms
        self.guide_depth = 3
        self._index: dict[NodeKey, TreeNode[Item]] = {}
        self._built: set[str] = set()
        self._page_numbers: dict[str, int] = {}
        self._flash: dict[NodeKey, float] = {}
        self._fresh: set[NodeKey] = set()
        self._styles: dict[str, Style] = {}
        self._frame = 0
        self._spinning: set[str] = set()
        self._closed_by_user: set[str] = set()
        self._opened_once = False
        # What was open (and closed by the user) when a filter started, put back when it ends.
        self._before_filter: tuple[set[str], set[str]] | None = None
        self._problems: Mapping[NodeKey, tuple[Finding, ...]] = {}
        self._inside: Mapping[str, int] = {}
        self.pending_marks: set[NodeKey] = set()  # items edited here, awaiting their webhook
        self._columns = labels.Columns()
        self._block_widths = (1, 1, 1)  # (count, badge, ref), measured when blocks change
        self._name_widths = (1, 0, 0)  # (number, name, variable), when pages or variables do
        # Page id → (blocks, rules) a snapshot taken in stages announced, until they arrive.
        self._announced: dict[str, tuple[int, int]] = {}
        self._long_lived = LongLived()  # freezes nodes once many are built

    # --- reading ----------------------------------------------------------------------

    @property
    def survey_id(self) -> str | None:
        return self._desired.survey_id

    @survey_id.setter
    def survey_id(self, survey_id: str | None) -> None:
        self._desired.survey_id = survey_id

    @property
    def filter_text(self) -> str:
        return self._desired.filter

    @property
    def item(self) -> Item | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def node_for(self, key: NodeKey) -> TreeNode[Item] | None:
        return self._index.get(key)

    def __contains__(self, key: object) -> bool:
        """Whether an item has a node (built); `("block", id) in tree`."""
        return key in self._index

    def is_built(self, page_id: str) -> bool:
        return page_id in self._built

    def node_count(self) -> int:
        return len(self._index)

    def ref_name(self, block_id: str) -> str | None:
        return self._desired.refs.get(block_id)

    @property
    def refs(self) -> dict[str, str]:
        """Block id → reference name (`q3`), by the core's numbering rule."""
        return self._desired.refs

    def page_numbers(self) -> dict[str, int]:
        return dict(self._page_numbers)

    def page_count(self) -> int:
        return len(self._page_numbers)

    def findings(self, key: NodeKey) -> tuple[Finding, ...]:
        """The route check's findings about an item, as last shown."""
        return self._problems.get(key, ())

    def block_counts(self) -> dict[str, int]:
        """Page id → number of blocks, as last laid out."""
        return {page_id: len(blocks) for page_id, blocks in self._desired.page_blocks.items()}

    def labels(self, node: TreeNode[Item] | None = None) -> list[str]:
        """Plain labels of `node`'s children (root's by default), for tests and scripts."""
        node = node or self.root
        return [child.label.plain for child in node.children]  # type: ignore[union-attr]

    # --- styles -----------------------------------------------------------------------

    def _load_styles(self) -> None:
        self._styles = {
            name.removeprefix("survey-tree--"): self.get_component_rich_style(name, partial=True)
            for name in self.COMPONENT_CLASSES
        }

    def notify_style_update(self) -> None:
        super().notify_style_update()
        # Called on every focus change too; only a new theme needs new labels.
        if self.is_mounted and self.survey_id is not None:
            before = self._styles
            self._load_styles()
            if self._styles != before:
                self.relabel_all()

    def on_mount(self) -> None:
        self._load_styles()
        if self.clock.animate:
            self.set_interval(0.125, self._spin)

    # --- building ---------------------------------------------------------------------

    def show_survey(self, survey_id: str) -> None:
        """Show `survey_id` from the store, keeping expanded pages and the cursor if rebuilt."""
        if survey_id != self.survey_id:
            self._opened_once = False
        self.survey_id = survey_id
        self.rebuild()

    def _open_pages(self) -> set[str]:
        return {
            page_id
            for page_id in self._built
            if self._index.get(("page", page_id)) is not None
            and self._index[("page", page_id)].is_expanded
        }

    def rebuild(self, expanded: set[str] | None = None) -> None:
        """Build from scratch: on first show and when the filter changes, never for live
        updates. `expanded`: the pages to open (default: those open now)."""
        if not self._styles:
            self._load_styles()
        if expanded is None:
            expanded = self._open_pages()
        cursor = self.item
        self._index.clear()
        self._built.clear()
        self._page_numbers.clear()
        self._spinning.clear()
        old_root = self.root
        self.clear()
        release(old_root)
        self._tree_nodes = {self.root._id: self.root}  # `clear` keeps the old nodes there
        self.root.data = Item("survey", self.survey_id or "")
        self._index[("survey", self.survey_id or "")] = self.root
        self.root.expand()
        if self.survey_id is None:
            self.root.set_label(labels.survey_label(None, "", "", self._styles))
            return
        self._desired.compute_refs()
        self._measure(blocks=True, names=True)
        self._sync_root()
        for page_id in expanded:
            node = self._index.get(("page", page_id))
            if node is not None:
                self._build_page(node)
                node.expand()
        if self._desired.filter:
            for key, node in list(self._index.items()):
                if key[0] == "page":
                    self._build_page(node)
                    node.expand()
            variables = self._index.get(VARIABLES_KEY)
            if variables is not None:
                variables.expand()
        if not self._opened_once and self._page_numbers:
            # A small survey opens whole once, as its pages would have opened one by one live.
            self._opened_once = True
            self._follow(list(self._page_numbers))
        self._relabel(self.root)
        self._long_lived.settle()
        if cursor is not None and self._select_existing(cursor.key):
            return
        self.cursor_line = 0

    def _select_existing(self, key: NodeKey) -> bool:
        node = self._index.get(key)
        if node is None:
            return False
        self._reveal(node)
        self.move_cursor(node)
        return True

    def _reveal(self, node: TreeNode[Item]) -> None:
        parent = node.parent
        while parent is not None:
            if not parent.is_expanded:
                parent.expand()
            parent = parent.parent
        _ = self._tree_lines  # lay the lines out now so the node's line is current

    def select_item(self, kind: Kind, item_id: str) -> bool:
        """Put the cursor on an item, building and opening its page if needed."""
        key = (kind, item_id)
        if key not in self._index and kind in ("block", "rule"):
            item = self.store.block(item_id) if kind == "block" else self.store.rule(item_id)
            page_id = getattr(item, "page_id", None) or getattr(item, "source_page_id", None)
            page = self._index.get(("page", page_id or ""))
            if page is not None:
                self._build_page(page)
                page.expand()
        if key not in self._index and kind == "variable":
            group = self._index.get(VARIABLES_KEY)
            if group is not None:
                group.expand()
        self._long_lived.settle()
        return self._select_existing(key)

    def expand_all_pages(self) -> None:
        """Build and open every page (may take a moment on a very large survey)."""
        for key, node in list(self._index.items()):
            if key[0] == "page":
                self._build_page(node)
                node._expanded = True  # one layout pass for all, instead of one per page
        group = self._index.get(VARIABLES_KEY)
        if group is not None:
            group._expanded = True
        self._invalidate()
        _ = self._tree_lines  # laid out before the freeze: its lines are long-lived too
        self._long_lived.settle()

    def collapse_all_pages(self) -> None:
        for key, node in self._index.items():
            if key[0] in ("page", "variables"):
                node._expanded = False
        self._invalidate()
        self._keep_cursor_visible()

    def all_pages_expanded(self) -> bool:
        pages = [node for key, node in self._index.items() if key[0] == "page"]
        return bool(pages) and all(node.is_expanded for node in pages)

    def _keep_cursor_visible(self) -> None:
        node = self.cursor_node
        while node is not None and node.parent is not None and not node.parent.is_expanded:
            node = node.parent
        if node is not None:
            _ = self._tree_lines
            self.move_cursor(node)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Item]) -> None:
        node = event.node
        if node.data is not None and node.data.kind == "page":
            self._closed_by_user.discard(node.data.id)
            self._build_page(node)
            self._long_lived.settle()

    def _build_page(self, node: TreeNode[Item]) -> None:
        assert node.data is not None
        page_id = node.data.id
        if page_id in self._built:
            return
        self._built.add(page_id)
        self._sync_children(node, self._desired.page_children(page_id))

    # --- patching ---------------------------------------------------------------------

    def _sync_root(self) -> None:
        pages = self._desired.pages()
        renumbered = []
        all_pages = self._desired.all_pages() if self._desired.filter else pages
        for number, page in enumerate(all_pages, start=1):
            if self._page_numbers.get(page.id) != number:
                self._page_numbers[page.id] = number
                renumbered.append(page.id)
        desired = [Item("page", p.id) for p in pages]
        variables = self._desired.variables()
        if variables:
            desired.append(Item("variables", ""))
        self._fresh: set[NodeKey] = set()
        self._sync_children(self.root, desired)
        for page_id in renumbered:
            node = self._index.get(("page", page_id))
            if node is not None and ("page", page_id) not in self._fresh:
                self._relabel(node)
        group = self._index.get(VARIABLES_KEY)
        if group is not None:
            self._sync_children(group, variables)
            self._relabel(group)

    def _sync_children(self, parent: TreeNode[Item], desired: list[Item]) -> None:
        """Make `parent`'s children exactly `desired`, in order, reusing nodes by key."""
        wanted = {item.key for item in desired}
        for child in list(parent.children):
            if child.data is None or child.data.key not in wanted:
                self._remove(child)
        children = parent._children  # reordered in place: nodes keep cursor and expansion
        if not children and desired:
            for index, item in enumerate(desired):
                node = self._index.get(item.key)
                if node is not None:
                    self._remove(node)  # moved here from another parent
                self._add(parent, item, index, bulk=True)
            parent._updates += 1
            self._invalidate()
            return
        moved = False
        for index, item in enumerate(desired):
            node = self._index.get(item.key)
            if node is not None and node.parent is not parent:
                self._remove(node)  # moved here from another parent
                node = None
            if node is None:
                self._add(parent, item, index)
                continue
            if index >= len(children) or children[index] is not node:
                children.remove(node)
                children.insert(index, node)
                moved = True
        if moved:
            parent._updates += 1
            self._invalidate()

    def _add(
        self, parent: TreeNode[Item], item: Item, index: int, *, bulk: bool = False
    ) -> TreeNode[Item]:
        expandable = item.kind in ("page", "variables")
        if bulk:
            # Appending many children at once (a page opened): one layout pass, not one each.
            node = self._add_node(parent, Text(""), item)
            node._allow_expand = expandable
            parent._children.append(node)
        else:
            node = parent.add(Text(""), item, before=index, allow_expand=expandable)
        self._index[item.key] = node
        self._long_lived.built += 1
        self._fresh.add(item.key)
        label = self._label_for(item, node)
        if label is not None:
            node._label = label  # a new node: no repaint of its line is needed yet
        return node

    def _build(self) -> None:
        # Tree's own, with the lines laid out by `lay_out` (no garbage cycle per layout).
        lines = lay_out(self.root, self.show_root)
        self._tree_lines_cached = lines
        guide_depth, show_root = self.guide_depth, self.show_root
        get_label_width = self.get_label_width
        width = (
            max(
                get_label_width(line.path[-1]) + line._get_guide_width(guide_depth, show_root)
                for line in lines
            )
            if lines
            else self.size.width
        )
        self.virtual_size = Size(width, len(lines))
        if self.cursor_line != -1:
            if self.cursor_node is not None:
                self.cursor_line = self.cursor_node._line
            if self.cursor_line >= len(lines):
                self.cursor_line = -1

    def get_label_width(self, node: TreeNode[Item]) -> int:
        # Called for every line on each layout; the label's own width plus the toggle icon
        # is the same number without rendering the label.
        return node._label.cell_len + (2 if node._allow_expand else 0)

    def process_label(self, label: str | Text) -> Text:  # type: ignore[override]
        # Labels are built here as one-line Text; skip Tree's copy-and-split of each.
        return label if isinstance(label, Text) else super().process_label(label)

    def _remove(self, node: TreeNode[Item]) -> None:
        for key in self._keys_below(node):
            self._index.pop(key, None)
            if key[0] == "page":
                self._built.discard(key[1])
                self._page_numbers.pop(key[1], None)
                self._spinning.discard(key[1])
        node.remove()  # unlinks the node's children from it: no cycle is left

    def _keys_below(self, node: TreeNode[Item]) -> Iterable[NodeKey]:
        if node.data is not None:
            yield node.data.key
        for child in node.children:
            yield from self._keys_below(child)

    def apply(self, changes: Iterable[Change]) -> set[NodeKey]:
        """Patch the tree for a batch of changes; returns the keys of items that changed."""
        if self.survey_id is None:
            return set()
        batch = read_batch(
            changes,
            self.survey_id,
            lambda page_id: ("page", page_id) in self._index,
            filtered=bool(self._desired.filter),
        )
        changed = batch.changed
        if batch.refs_dirty:
            for block_id in self._desired.compute_refs():
                changed.add(("block", block_id))
        resized = self._measure(blocks=batch.refs_dirty, names=batch.root_dirty)
        before = self._cursor_state()
        if batch.root_dirty:
            self._sync_root()
        self._follow(batch.created_pages)
        for page_id in batch.parents:
            node = self._index.get(("page", page_id))
            if node is not None and page_id in self._built:
                self._sync_children(node, self._desired.page_children(page_id))
        if batch.rules_dirty:
            for page_id in list(self._built):
                node = self._index.get(("page", page_id))
                if node is not None:
                    self._sync_children(node, self._desired.page_children(page_id))
                    for child in node.children:
                        if child.data is not None and child.data.kind == "rule":
                            changed.add(child.data.key)
        if batch.survey_dirty:
            changed.add(self.root.data.key if self.root.data else ("survey", ""))
        for key in changed:
            node = self._index.get(key)
            if node is not None and key[0] not in resized:
                self._relabel(node)
        self._relabel_kinds(resized)
        self._restore_cursor(before)
        self._start_flash(batch.fresh)
        return changed

    # --- a snapshot taken in stages ----------------------------------------------------

    def announce(self, counts: Mapping[str, tuple[int, int]]) -> None:
        """Pages shown before their blocks and rules: `counts` (page id → blocks, rules)
        is what their labels say meanwhile, and what makes them open."""
        self._announced = dict(counts)

    def contents_arrived(self, page_ids: Iterable[str]) -> None:
        """These pages' blocks and rules reached the store: fill the ones already built."""
        built = [page_id for page_id in page_ids if page_id in self._built]
        if not built:
            return
        before = self._cursor_state()
        for page_id in built:
            node = self._index.get(("page", page_id))
            if node is not None:
                self._sync_children(node, self._desired.page_children(page_id))
        self._restore_cursor(before)

    def resync(self) -> None:
        """Patch every line from the store, as after a snapshot (which carries no changes):
        by key, so the cursor, the scroll position and what is open stay put."""
        if self.survey_id is None:
            return
        before = self._cursor_state()
        announced, self._announced = self._announced, {}
        renamed = self._desired.compute_refs()
        resized = self._measure(blocks=True, names=True)
        self._sync_root()
        for page_id in list(self._built):
            node = self._index.get(("page", page_id))
            if node is not None:
                self._sync_children(node, self._desired.page_children(page_id))
        # Only lines that can read differently now: those whose columns were resized,
        # pages whose contents are not what was announced, blocks whose reference name
        # changed, and the rest (rules name their targets).
        page_blocks, store = self._desired.page_blocks, self.store
        for (kind, item_id), node in self._index.items():
            if kind in resized:
                stale = True
            elif kind == "page":
                counts = (len(page_blocks.get(item_id, ())), len(store.rules(item_id)))
                stale = announced.get(item_id) != counts
            else:
                stale = kind != "block" or item_id in renamed
            if stale:
                self._relabel(node)
        self._restore_cursor(before)

    def _follow(self, page_ids: Iterable[str]) -> None:
        """Open pages created live (small surveys only), unless the user closed them."""
        if len(self._page_numbers) > _follow_page_limit():
            return
        for page_id in page_ids:
            node = self._index.get(("page", page_id))
            if node is None or page_id in self._closed_by_user or node.is_expanded:
                continue
            self._build_page(node)
            node._expanded = True  # no NodeExpanded message: the page is built already
            node._updates += 1
        self._invalidate()

    def on_tree_node_collapsed(self, event: Tree.NodeCollapsed[Item]) -> None:
        if event.node.data is not None and event.node.data.kind == "page":
            self._closed_by_user.add(event.node.data.id)

    # --- cursor -----------------------------------------------------------------------

    def _cursor_state(self) -> tuple[NodeKey | None, list[NodeKey], int, float]:
        node = self.cursor_node
        if node is None or node.data is None:
            return None, [], self.cursor_line, self.scroll_y
        fallbacks: list[NodeKey] = []
        for neighbour in (node.previous_sibling, node.next_sibling):
            if neighbour is not None and neighbour.data is not None:
                fallbacks.append(neighbour.data.key)
        parent = node.parent
        while parent is not None:
            if parent.data is not None:
                fallbacks.append(parent.data.key)
            parent = parent.parent
        return node.data.key, fallbacks, self.cursor_line, self.scroll_y

    def _restore_cursor(self, state: tuple[NodeKey | None, list[NodeKey], int, float]) -> None:
        key, fallbacks, line, scroll_y = state
        if key is None:
            return
        lines = self._tree_lines  # lays out again after the patches
        target = self._index.get(key)
        if target is None:
            target = next((self._index[k] for k in fallbacks if k in self._index), self.root)
        while target.parent is not None and not target.parent.is_expanded:
            target = target.parent
        new_line = target._line
        if 0 <= new_line < len(lines):
            self.cursor_line = new_line
            # Keep the cursor on the same screen row when lines appear or vanish above it.
            if new_line != line and scroll_y:
                self.scroll_to(y=max(0, scroll_y + new_line - line), animate=False)

    # --- problems ---------------------------------------------------------------------

    def set_problems(
        self, by_key: Mapping[NodeKey, tuple[Finding, ...]], inside: Mapping[str, int]
    ) -> set[NodeKey]:
        """Show a route check's findings; relabels only nodes whose findings changed, so
        a check that finds what the last one did repaints nothing."""
        before, before_inside = self._problems, self._inside
        self._problems, self._inside = by_key, inside
        changed = {
            key for key in before.keys() | by_key.keys() if before.get(key) != by_key.get(key)
        }
        changed |= {
            ("page", page_id)
            for page_id in before_inside.keys() | inside.keys()
            if before_inside.get(page_id) != inside.get(page_id)
        }
        for key in changed:
            node = self._index.get(key)
            if node is not None:
                self._relabel(node)
        return changed

    # --- labels and flashing ----------------------------------------------------------

    def _measure(self, *, blocks: bool, names: bool) -> set[str]:
        """Size the columns from the survey; returns the kinds of line whose columns changed
        (every line of those kinds is relabelled, so lines of a kind keep lining up)."""
        desired = self._desired
        if blocks:
            by_page = desired.page_blocks
            # One block of each type is enough to size the badge column.
            one_of_each = {
                block.type: block for page_blocks in by_page.values() for block in page_blocks
            }
            self._block_widths = labels.measure_blocks(
                [len(page_blocks) for page_blocks in by_page.values()]
                + [blocks for blocks, _ in self._announced.values()],
                one_of_each.values(),
                desired.refs,
            )
        if names and self.survey_id is not None:
            self._name_widths = labels.measure_names(
                desired.all_pages(), self.store.variables(self.survey_id)
            )
        count, badge, ref = self._block_widths
        number, name, variable = self._name_widths
        columns = labels.Columns(number, name, count, badge, ref, variable)
        before, self._columns = self._columns, columns
        return {
            kind
            for kind, fields in _COLUMNS_OF.items()
            if any(getattr(before, f) != getattr(columns, f) for f in fields)
        }

    def _relabel_kinds(self, kinds: set[str]) -> None:
        if kinds:
            for key, node in self._index.items():
                if key[0] in kinds:
                    self._relabel(node)

    @property
    def columns(self) -> labels.Columns:
        """The widths the tree's lines are laid out with."""
        return self._columns

    def relabel_all(self) -> None:
        for node in self._index.values():
            self._relabel(node)

    def _relabel(self, node: TreeNode[Item]) -> None:
        item = node.data
        if item is None:
            return
        label = self._label_for(item, node)
        if label is not None:
            # Not `set_label`, which queues one repaint message per node: under a burst that
            # is thousands of messages. The line cache is keyed on `_updates`, so only a
            # line on the screen needs repainting now; one scrolled to later is drawn anew.
            node._label = label
            node._updates += 1
            self._repaint_line(node)

    def _repaint_line(self, node: TreeNode[Item]) -> None:
        if self._tree_lines_cached is None:
            return  # a layout is due, and with it a repaint of the whole tree
        line, top = node._line, self.scroll_offset.y
        if top <= line < top + self.size.height:
            self._refresh_line(line)

    def _label_for(self, item: Item, node: TreeNode[Item]) -> Text | None:
        store, styles = self.store, self._styles
        if item.kind == "survey":
            survey = store.survey_record(item.id) if item.id else None
            progress = store.progress(item.id) if item.id else None
            status = str(progress.status) if progress and progress.status else ""
            return labels.survey_label(survey, item.id, status, styles)
        if item.kind == "page":
            page = store.page(item.id)
            if page is None:
                return None
            blocks, rules = self._announced.get(item.id) or (
                len(self._desired.page_blocks.get(item.id, ())),
                len(store.rules(item.id)),
            )
            node.allow_expand = bool(blocks or rules)
            number = self._page_numbers.get(item.id, 0)
            if page.programming_state == "programming":
                self._spinning.add(item.id)
            else:
                self._spinning.discard(item.id)
            return labels.page_label(
                page,
                number,
                blocks,
                rules,
                styles,
                self._frame,
                self._problems.get(item.key, ()),
                self._inside.get(item.id, 0),
                self._columns,
            )
        findings = self._problems.get(item.key, ())
        if item.kind == "block":
            block = store.block(item.id)
            if block is None:
                return None
            return labels.block_label(
                block, self._desired.refs.get(item.id), styles, findings, self._columns
            )
        if item.kind == "rule":
            rule = store.rule(item.id)
            if rule is None:
                return None
            target = store.page(rule.target_page_id or "")
            return labels.rule_label(rule, target, styles, findings, self._columns)
        if item.kind == "variables":
            return labels.variables_label(len(node.children), styles)
        variable = store.variable(item.id)
        if variable is None:
            return None
        return labels.variable_label(variable, styles, findings, self._columns)

    def _start_flash(self, keys: set[NodeKey]) -> None:
        if not self.flash_ms or not keys:
            return
        # Real time, not the injectable clock: a flash is an effect, never shown as a value.
        until = time.monotonic() + self.flash_ms / 1000
        for key in keys:
            if key in self._index and key[0] != "survey":
                self._flash[key] = until
        self.set_timer(self.flash_ms / 1000 + 0.05, self._end_flash)

    def _end_flash(self) -> None:
        now = time.monotonic()
        ended = [key for key, until in self._flash.items() if until <= now]
        for key in ended:
            del self._flash[key]
        if ended:
            self.refresh()

    def is_flashing(self, key: NodeKey) -> bool:
        return key in self._flash

    def render_label(self, node: TreeNode[Item], base_style: Style, style: Style) -> Text:
        item = node.data
        if item is not None and item.kind == "page" and item.id in self._spinning:
            # Only the spinner's frame moves; the label itself is as last patched.
            label = node._label
            frame = labels.SPINNER[self._frame % len(labels.SPINNER)]
            node._label = Text.assemble(
                (frame, label.get_style_at_offset(self.app.console, 0)), label[1:]
            )
            try:
                text = super().render_label(node, base_style, style)
            finally:
                node._label = label
        else:
            text = super().render_label(node, base_style, style)
        if item is not None and item.key in self._flash:
            text.stylize(self._styles.get("flash", Style()))
        if item is not None and item.key in self.pending_marks:
            text.append(" ⧗ pending", Style(italic=True, dim=True))
        return text

    def _spin(self) -> None:
        if not self._spinning:
            return
        self._frame += 1
        for page_id in self._spinning:
            node = self._index.get(("page", page_id))
            if node is not None:
                node.refresh()

    def action_cursor_parent(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand and node.is_expanded:
            node.collapse()
            return
        super().action_cursor_parent()

    def action_open_node(self) -> None:
        """`→`, the mirror of `←`: open a closed page, or go to the first line inside an
        open one; on a line with nothing inside, the key is the app's (a replay's step)."""
        node = self.cursor_node
        if node is not None and node.allow_expand:
            if not node.is_expanded:
                node.expand()
                return
            if node.children:
                self.move_cursor(node.children[0])
                return
        raise SkipAction()

    # --- filter -----------------------------------------------------------------------

    def set_filter(self, text: str) -> None:
        """Filter the tree; clearing the filter puts back the pages open before it."""
        text = text.strip().lower()
        if text == self._desired.filter:
            return
        restore: set[str] | None = None
        if text and not self._desired.filter:  # a filter starts: remember what was open
            self._before_filter = (self._open_pages(), set(self._closed_by_user))
        elif not text and self._before_filter is not None:
            restore, closed = self._before_filter
            self._before_filter = None
            self._closed_by_user = closed
        self._desired.filter = text
        self.rebuild(restore)

    def has_matches(self) -> bool:
        """Whether the tree shows any page, block, rule or variable (a filter may hide all)."""
        return any(key[0] in ("page", "block", "rule", "variable") for key in self._index)
