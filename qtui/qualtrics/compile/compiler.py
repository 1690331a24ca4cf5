"""The compiler: runs layout, questions and flow over a Questra survey (see `compile_survey`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qtui.core.models import Block, Survey, reference_names
from qtui.qualtrics.compile.flow import Flow
from qtui.qualtrics.compile.layout import Layout
from qtui.qualtrics.compile.model import CompiledQuestion, CompiledSurvey, CompileIssue
from qtui.qualtrics.compile.questions import question
from qtui.qualtrics.conditions import (
    DNF,
    Cond,
    Scope,
    Untranslatable,
    boolean_expression,
    is_false,
    is_true,
    questions_read,
    translate,
)


def compile_survey(
    survey: Survey,
    *,
    qids: Mapping[str, str] | None = None,
    block_ids: Mapping[str, str] | None = None,
    force_response: bool = True,
) -> CompiledSurvey:
    """Compile a Questra survey.

    `qids` (Questra block id → QID) and `block_ids` (block key → BL_) name what already exists
    in Qualtrics; everything else gets provisional ids. `force_response` is the default for
    question blocks (a block's own `required: false|true` wins).
    """
    return Compiler(survey, qids, block_ids, force_response).run()


class Compiler(Layout, Flow):
    def __init__(
        self,
        survey: Survey,
        qids: Mapping[str, str] | None,
        block_ids: Mapping[str, str] | None,
        force_response: bool,
    ) -> None:
        self.survey = survey
        self.known_qids = qids
        self.known_blocks = block_ids
        self.force_response = force_response
        self.refs = reference_names(survey)
        self.pages = sorted(survey.pages, key=lambda p: p.order)
        self.issues: list[CompileIssue] = []
        self.flow_count = 1
        self.fields_read: set[str] = set()
        self._new_qids = 0
        self._new_blocks = 0
        self._translated: dict[str, DNF | Untranslatable] = {}

    def translate(self, text: str) -> DNF:
        """`conditions.translate`, once per distinct text (large surveys repeat conditions)."""
        if text not in self._translated:
            try:
                self._translated[text] = translate(text, self.scope)
            except Untranslatable as error:
                self._translated[text] = error
        result = self._translated[text]
        if isinstance(result, Untranslatable):
            raise result
        return result

    def issue(self, item_id: str, kind: str, reason: str) -> None:
        entry = CompileIssue(item_id, kind, reason)
        if entry not in self.issues:
            self.issues.append(entry)

    def next_flow_id(self) -> str:
        self.flow_count += 1
        return f"FL_{self.flow_count}"

    # ids ----------------------------------------------------------------------------------

    def qid_for(self, block_id: str, number: int) -> str:
        if self.known_qids is None:
            return f"QID{number}"
        if block_id in self.known_qids:
            return self.known_qids[block_id]
        self._new_qids += 1
        return f"QIDnew{self._new_qids}"

    def block_id_for(self, key: str) -> str:
        if self.known_blocks is not None and key in self.known_blocks:
            return self.known_blocks[key]
        self._new_blocks += 1
        return f"BL_qtui{self._new_blocks:011d}"

    # run ----------------------------------------------------------------------------------

    def run(self) -> CompiledSurvey:
        self.layout()
        self.qids_by_key: dict[str, set[str]] = {}
        for ref in self.question_refs.values():
            self.qids_by_key.setdefault(ref.page_key, set()).add(ref.qid)
        self.scope = Scope(
            questions=self.question_refs,
            variables={v.name: v.expression for v in self.survey.variables if v.name},
            on_field=self.fields_read.add,
        )
        questions: dict[str, list[CompiledQuestion]] = {b.key: [] for b in self.blocks}
        for block_key, page, block, qid in self.placements:
            definition = question(self, block, self.refs.get(block.id, ""))
            if definition is None:
                continue
            logic = self.display_logic(block, block_key)
            if logic is not None:
                definition["DisplayLogic"] = logic
            questions[block_key].append(
                CompiledQuestion(
                    block.id, page.id, block_key, qid, self.refs.get(block.id, ""), definition
                )
            )
        for compiled in self.blocks:
            compiled.question_ids = [q.qid for q in questions[compiled.key]]
        flow = self.build_flow()
        tags = {q.block_id: q.tag for items in questions.values() for q in items if q.tag}
        self.check_tags(tags)
        for name in sorted(self.fields_read):
            self.issue(
                name,
                "embedded_field",
                f"{name!r} is not a question or variable; it is read as an embedded-data "
                "field (pass it when the session starts)",
            )
        return CompiledSurvey(
            survey_id=self.survey.id,
            name=self.survey.name or self.survey.slug or self.survey.id,
            blocks=self.blocks,
            questions=questions,
            flow=flow,
            data_export_tags=tags,
            issues=self.issues,
            terminal_pages={p: kind for p, (kind, _) in self.terminal.items()},
        )

    def display_logic(self, block: Block, block_key: str) -> dict[str, Any] | None:
        text = block.config.showIf
        if text is None or not text.strip():
            return None
        try:
            dnf = self.translate(text)
        except Untranslatable as error:
            self.issue(
                block.id,
                "show_if",
                f"showIf {text!r} cannot be expressed ({error}); the question is always shown",
            )
            return None
        if is_true(dnf):
            return None
        if is_false(dnf):
            self.issue(
                block.id, "show_if", f"showIf {text!r} is never true; the question is never shown"
            )
            dnf = [[Cond("field", "qtui_never_shown", "EqualTo", right="1", label="never shown")]]
        in_page = bool(questions_read(dnf) & self.qids_by_key.get(block_key, set()))
        return boolean_expression(dnf, in_page=in_page)

    def check_tags(self, tags: Mapping[str, str]) -> None:
        seen: dict[str, str] = {}
        for block_id, tag in tags.items():
            if not tag:
                continue
            if tag in seen:
                self.issue(
                    block_id,
                    "duplicate_tag",
                    f"DataExportTag {tag!r} is also used by block {seen[tag]}; Qualtrics "
                    "exports both under the same column name",
                )
            seen.setdefault(tag, block_id)
