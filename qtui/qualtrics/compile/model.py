"""What the compiler produces: compiled questions, blocks and survey, and `rebind`."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

NEXT_PAGE_FIELD = "qtui_next_page"
STATUS_FIELD = "qtui_response_status"
END_OF_SURVEY = "END"

_PIPED_QID = re.compile(r"(?<=q://)(QID[A-Za-z0-9]+)")


@dataclass(frozen=True)
class CompileIssue:
    """Something of the Questra survey that Qualtrics cannot express (or only partly)."""

    item_id: str
    kind: str
    reason: str


@dataclass
class CompiledQuestion:
    block_id: str  # the Questra block
    page_id: str
    block_key: str  # the compiled block it sits in
    qid: str
    tag: str
    definition: dict[str, Any]


@dataclass
class CompiledBlock:
    key: str  # the page id, or page id + "#<n>" for the parts of a split page
    page_id: str
    block_id: str  # Qualtrics BL_ id (provisional until created)
    description: str
    question_ids: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    def definition(self) -> dict[str, Any]:
        return {
            "Type": "Standard",
            "Description": self.description,
            "BlockElements": [{"Type": "Question", "QuestionID": q} for q in self.question_ids],
            "Options": copy.deepcopy(self.options),
        }


@dataclass
class CompiledSurvey:
    survey_id: str
    name: str
    blocks: list[CompiledBlock]
    questions: dict[str, list[CompiledQuestion]]  # block key → its questions, in order
    flow: dict[str, Any]
    data_export_tags: dict[str, str]  # Questra block id → DataExportTag
    issues: list[CompileIssue]
    terminal_pages: dict[str, str] = field(default_factory=dict)  # page id → Completed|Screenout

    def question_list(self) -> list[CompiledQuestion]:
        return [q for block in self.blocks for q in self.questions.get(block.key, [])]

    def bind(self, qids: Mapping[str, str], block_ids: Mapping[str, str]) -> CompiledSurvey:
        """A copy with provisional ids replaced: `qids` and `block_ids` map old → new."""
        blocks = [
            replace(
                b,
                block_id=block_ids.get(b.block_id, b.block_id),
                question_ids=[qids.get(q, q) for q in b.question_ids],
                options=rebind(b.options, qids, block_ids),
            )
            for b in self.blocks
        ]
        questions = {
            key: [
                replace(
                    q, qid=qids.get(q.qid, q.qid), definition=rebind(q.definition, qids, block_ids)
                )
                for q in items
            ]
            for key, items in self.questions.items()
        }
        return replace(
            self, blocks=blocks, questions=questions, flow=rebind(self.flow, qids, block_ids)
        )


def rebind(value: Any, qids: Mapping[str, str], block_ids: Mapping[str, str]) -> Any:
    """Replace ids inside a definition: whole strings, and QIDs inside `q://QID…` locators."""
    if isinstance(value, dict):
        return {k: rebind(v, qids, block_ids) for k, v in value.items()}
    if isinstance(value, list):
        return [rebind(v, qids, block_ids) for v in value]
    if isinstance(value, str):
        if value in qids:
            return qids[value]
        if value in block_ids:
            return block_ids[value]
        if "q://" in value:
            return _PIPED_QID.sub(lambda m: qids.get(m.group(1), m.group(1)), value)
    return value
