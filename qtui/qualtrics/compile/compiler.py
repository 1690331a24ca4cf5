"""The compiler: runs layout, questions and flow over a Questra survey (see `compile_survey`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qtui.core.models import Block, Survey, TextConfig, reference_names
from qtui.qualtrics.compile.flow import Flow
from qtui.qualtrics.compile.layout import Layout
from qtui.qualtrics.compile.markup import markdown_html
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
    for_sessions: bool = False,
) -> CompiledSurvey:
    """Compile a Questra survey.

    `qids` (Questra block id → QID) and `block_ids` (block key → BL_) name what already exists
    in Qualtrics; everything else gets provisional ids. `force_response` is the default for
    question blocks (a block's own `required: false|true` wins). `for_sessions` compiles a
    survey meant to be walked through the sessions API, which shows only MC, TE and NPS: a
    text block's text is folded into the question after it on its page (or, last on its
    page, the one before) instead of becoming a descriptive-text question.
    """
    return Compiler(survey, qids, block_ids, force_response, for_sessions).run()


class Compiler(Layout, Flow):
    def __init__(
        self,
        survey: Survey,
        qids: Mapping[str, str] | None,
        block_ids: Mapping[str, str] | None,
        force_response: bool,
        for_sessions: bool = False,
    ) -> None:
        self.for_sessions = for_sessions
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
        untagged = 0
        folded: dict[str, list[Block]] = {}  # block key → text blocks waiting for a question
        for block_key, page, block, qid in self.placements:
            tag = self.refs.get(block.id, "")
            if self.for_sessions and isinstance(block.config, TextConfig):
                folded.setdefault(block_key, []).append(block)
                continue
            if not tag:
                # Every question carries its tag: replacing one (PUT) without it is refused.
                untagged += 1
                tag = f"text_{untagged}"
            definition = question(self, block, tag)
            if definition is None:
                continue
            if folded.get(block_key):
                self.fold_text(folded.pop(block_key), definition, before=True)
            logic = self.display_logic(block, block_key)
            if logic is not None:
                definition["DisplayLogic"] = logic
            questions[block_key].append(
                CompiledQuestion(block.id, page.id, block_key, qid, tag, definition)
            )
        for block_key, texts in folded.items():
            if questions[block_key]:
                self.fold_text(texts, questions[block_key][-1].definition, before=False)
            else:
                for text in texts:
                    self.issue(
                        text.id,
                        "text_for_sessions",
                        "a text block on a page with no question: sessions cannot show "
                        "descriptive text, so a session walk does not see this page (its "
                        "routing still runs)",
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

    def fold_text(self, texts: list[Block], definition: dict[str, Any], *, before: bool) -> None:
        """Put text blocks' content into a question's text (sessions show no text blocks)."""
        body = "".join(
            markdown_html(t.config.content or t.config.label or "")  # type: ignore[union-attr]
            for t in texts
        )
        for text in texts:
            if text.config.showIf:
                self.issue(
                    text.id,
                    "show_if",
                    "the text is folded into a question for sessions; its showIf is not kept",
                )
        question_text = definition["QuestionText"]
        definition["QuestionText"] = body + question_text if before else question_text + body

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
