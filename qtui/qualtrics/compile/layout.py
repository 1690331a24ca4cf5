"""Pages → Qualtrics blocks: one block per page, split where a Loop covers part of a page."""

from __future__ import annotations

from typing import Any

from qtui.core.logic import ExpressionError, ListExpr, Literal, Reference, parse_cached
from qtui.core.models import Block, LoopConfig, MultipleChoiceConfig, Page, Survey
from qtui.qualtrics.compile.model import CompiledBlock
from qtui.qualtrics.conditions import QuestionRef


class Layout:
    """The compiler's layout stage (a mixin of `Compiler`): fills `blocks`, `page_blocks`,
    `placements` (block key, page, block, QID) and `question_refs`."""

    survey: Survey
    pages: list[Page]
    refs: dict[str, str]

    def issue(self, item_id: str, kind: str, reason: str) -> None:
        raise NotImplementedError

    def qid_for(self, block_id: str, number: int) -> str:
        raise NotImplementedError

    def block_id_for(self, key: str) -> str:
        raise NotImplementedError

    def layout(self) -> None:
        self.blocks: list[CompiledBlock] = []
        self.page_blocks: dict[str, list[CompiledBlock]] = {}
        self.placements: list[tuple[str, Page, Block, str]] = []
        self.question_refs: dict[str, QuestionRef] = {}
        self.block_key_of: dict[str, str] = {}
        number = 0
        for page in self.pages:
            segments = self.segments(page)
            compiled_here: list[CompiledBlock] = []
            for key, members, options, suffix in segments:
                description = (page.name or page.id) + suffix
                compiled = CompiledBlock(
                    key, page.id, self.block_id_for(key), description, options=options
                )
                compiled_here.append(compiled)
                for block in members:
                    self.block_key_of[block.id] = key
                    if isinstance(block.config, LoopConfig):
                        continue
                    number += 1
                    qid = self.qid_for(block.id, number)
                    self.placements.append((key, page, block, qid))
                    name = self.refs.get(block.id)
                    if name and block.is_question and name not in self.question_refs:
                        self.question_refs[name] = QuestionRef(qid, block.config, key)
            self.blocks.extend(compiled_here)
            self.page_blocks[page.id] = compiled_here

    def segments(self, page: Page) -> list[tuple[str, list[Block], dict[str, Any], str]]:
        """The page's blocks grouped into Qualtrics blocks (key, blocks, options, suffix)."""
        base_options = {
            "BlockLocking": "false",
            "RandomizeQuestions": "false",
            "BlockVisibility": "Expanded",
        }
        loops = [b for b in page.blocks if isinstance(b.config, LoopConfig)]
        looped: dict[str, tuple[Block, dict[str, Any]]] = {}
        on_page = {b.id for b in page.blocks}
        for loop in loops:
            config = loop.config
            assert isinstance(config, LoopConfig)
            if config.showIf:
                self.issue(
                    loop.id,
                    "not_expressed",
                    "a Loop's showIf is not compiled; put showIf on the looped blocks",
                )
            elsewhere = [b for b in config.blocks if b not in on_page]
            if elsewhere:
                self.issue(
                    loop.id,
                    "not_expressed",
                    f"the Loop lists blocks that are not on its page ({', '.join(elsewhere)}"
                    "); Qualtrics loops one block",
                )
            members = [b for b in config.blocks if b in on_page and b not in looped]
            if not members:
                continue
            looping = self.looping(loop)
            if looping is None:
                continue
            for member in members:
                looped[member] = (loop, looping)
        content = [b for b in page.blocks if not isinstance(b.config, LoopConfig)]
        if not looped:
            return [(page.id, list(page.blocks), base_options, "")]
        groups: list[tuple[str | None, list[Block]]] = []
        for block in content:
            owner = looped[block.id][0].id if block.id in looped else None
            if groups and groups[-1][0] == owner:
                groups[-1][1].append(block)
            else:
                groups.append((owner, [block]))
        if len(groups) == 1:
            owner = groups[0][0]
            assert owner is not None
            options = {**base_options, **looped[groups[0][1][0].id][1]}
            return [(page.id, content, options, "")]
        self.issue(
            page.id,
            "page_split",
            "a Loop covers only part of this page; Qualtrics loops whole blocks, so the "
            "looped blocks become their own block (shown as a page of their own)",
        )
        out: list[tuple[str, list[Block], dict[str, Any], str]] = []
        for index, (owner, members) in enumerate(groups):
            key = page.id if index == 0 else f"{page.id}#{index}"
            if owner is None:
                out.append(
                    (key, members, dict(base_options), "" if index == 0 else f" (part {index + 1})")
                )
            else:
                options = {**base_options, **looped[members[0].id][1]}
                out.append((key, members, options, " (loop)"))
        return out

    def looping(self, loop: Block) -> dict[str, Any] | None:
        config = loop.config
        assert isinstance(config, LoopConfig)
        name = config.variable
        variables = {v.name: v.expression for v in self.survey.variables if v.name}
        if name in self.refs.values() and name not in variables:
            text: str | None = name
        elif name in variables:
            text = variables[name]
        else:
            self.issue(
                loop.id,
                "not_expressed",
                f"the Loop's variable {name!r} does not exist; the blocks are not looped",
            )
            return None
        try:
            expr = parse_cached(text) if text else None
        except ExpressionError as error:
            self.issue(loop.id, "not_expressed", f"the Loop's variable does not parse: {error}")
            return None
        if isinstance(expr, ListExpr) and all(isinstance(i, Literal) for i in expr.items):
            static = {
                str(i): {"1": str(item.value)}  # type: ignore[union-attr]
                for i, item in enumerate(expr.items, start=1)
            }
            return {
                "Looping": "Static",
                "LoopingOptions": {"Static": static, "Randomization": "None"},
            }
        if isinstance(expr, Reference) and expr.member in (None, "value", "values"):
            target = self.question_refs.get(expr.name)
            if target is not None and isinstance(target.config, MultipleChoiceConfig):
                locator = f"q://{target.qid}/ChoiceGroup/SelectedChoices"
                return {
                    "Looping": "Question",
                    # The keys of a loop over selected choices in real exports.
                    "LoopingOptions": {
                        "Locator": locator,
                        "QID": target.qid,
                        "ChoiceGroupLocator": locator,
                        "Static": {},
                        "Randomization": "None",
                    },
                }
        self.issue(
            loop.id,
            "not_expressed",
            f"the Loop repeats over {name!r} = {text!r}; Qualtrics loops over a fixed list "
            "or the choices selected in an earlier multiple-choice question, so the "
            "blocks are not looped",
        )
        return None
