"""What the tree should show, read from the store: pages, their children, variables and the
filter that narrows them, and the reference names (`q3`) by the core's numbering rule.

Pure: no Textual, no nodes. The widget compares this desired state with its nodes and patches
the difference.
"""

from __future__ import annotations

from qtui.core.models import Block, Page, reference_names
from qtui.core.outline import badge
from qtui.core.store import SurveyStore
from qtui.tui.widgets.survey_tree.items import Item


class _BlocksInOrder:
    """What `reference_names` reads of a survey (its blocks in order), without building one."""

    def __init__(self, blocks: list[Block]) -> None:
        self._blocks = blocks

    def blocks(self) -> list[Block]:
        return self._blocks


class DesiredTree:
    """The survey's pages, blocks, rules and variables as the tree should list them."""

    def __init__(self, store: SurveyStore) -> None:
        self.store = store
        self.survey_id: str | None = None
        self.filter = ""
        self.refs: dict[str, str] = {}
        # Page id → its visible blocks in order; refreshed with the reference names, i.e.
        # whenever a block or page is created, deleted, moved or reordered.
        self.page_blocks: dict[str, list[Block]] = {}

    # --- filter -----------------------------------------------------------------------

    def matches(self, *texts: str | None) -> bool:
        needle = self.filter
        return any(needle in text.lower() for text in texts if text)

    def block_matches(self, block: Block) -> bool:
        config = block.config
        return self.matches(
            config.summary, config.name, self.refs.get(block.id), badge(block.type), block.type
        )

    def page_matches(self, page: Page) -> bool:
        return self.matches(page.name)

    def rule_matches(self, condition: str | None, target_id: str | None) -> bool:
        target = self.store.page(target_id or "")
        return self.matches(condition, target.name if target else None)

    # --- desired children ---------------------------------------------------------------

    def page_children(self, page_id: str) -> list[Item]:
        blocks = self.store.blocks(page_id)
        rules = self.store.rules(page_id)
        if self.filter:
            page = self.store.page(page_id)
            if page is None or not self.page_matches(page):
                blocks = [b for b in blocks if self.block_matches(b)]
                rules = [r for r in rules if self.rule_matches(r.condition, r.target_page_id)]
        return [Item("block", b.id) for b in blocks] + [Item("rule", r.id) for r in rules]

    def all_pages(self) -> list[Page]:
        """Every page in survey order, filtered or not (pages are numbered over these)."""
        assert self.survey_id is not None
        return self.store.pages(self.survey_id)

    def pages(self) -> list[Page]:
        pages = self.all_pages()
        if not self.filter:
            return pages
        return [p for p in pages if self.page_matches(p) or self.page_children(p.id)]

    def variables(self) -> list[Item]:
        assert self.survey_id is not None
        variables = self.store.variables(self.survey_id)
        if self.filter:
            variables = [v for v in variables if self.matches(v.name, v.expression)]
        return [Item("variable", v.id) for v in variables]

    # --- reference names --------------------------------------------------------------

    def compute_refs(self) -> set[str]:
        """Reference names by the core's rule, over the whole survey (built or not); returns
        the ids of blocks whose name changed."""
        before = self.refs
        if self.survey_id is None:
            self.refs = {}
        else:
            self.page_blocks = {
                p.id: self.store.blocks(p.id) for p in self.store.pages(self.survey_id)
            }
            blocks = [b for page_blocks in self.page_blocks.values() for b in page_blocks]
            self.refs = reference_names(_BlocksInOrder(blocks))  # type: ignore[arg-type]
        return {block_id for block_id, ref in self.refs.items() if before.get(block_id) != ref}
