"""In-memory state of the Qualtrics sandbox: surveys (draft + published versions), responses."""

from __future__ import annotations

import copy
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from qtui.sandbox.qualtrics.definitions import PAGE_BREAK_TYPES, flow_number, walk_flow

OWNER_ID = "UR_sandboxOwner00001"
BRAND_ID = "sandbox"


def mysql_now() -> str:
    """Qualtrics metadata dates are MySQL DATETIME strings, not ISO-8601."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SurveyRecord:
    """One survey: the editable draft and the versions published from it."""

    id: str
    name: str
    language: str
    project_category: str
    default_block_id: str
    created: str = field(default_factory=mysql_now)
    last_modified: str = field(default_factory=mysql_now)
    last_activated: str | None = None
    status: str = "Inactive"
    description: str | None = None
    start_date: str | None = None
    expiration_date: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    questions: dict[str, dict[str, Any]] = field(default_factory=dict)
    blocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    flow: dict[str, Any] = field(default_factory=dict)
    next_question: int = 1
    versions: list[dict[str, Any]] = field(default_factory=list)
    published: dict[str, Any] | None = None
    # How often each randomizer child was shown, for EvenPresentation.
    presentations: Counter[tuple[str, int]] = field(default_factory=Counter)
    datacenter: str = "sandbox"
    # QSF elements the sandbox does not run (scoring, response sets…), kept from an import.
    extra_elements: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def new(
        cls, survey_id: str, name: str, language: str, category: str, default_block_id: str
    ) -> SurveyRecord:
        record = cls(survey_id, name, language, category, default_block_id)
        record.blocks[default_block_id] = {
            "Type": "Default",
            "Description": "Default Question Block",
            "ID": default_block_id,
            "BlockElements": [],
            "Options": {"BlockLocking": "false", "RandomizeQuestions": "false"},
        }
        record.flow = {
            "FlowID": "FL_1",
            "Type": "Root",
            "Flow": [{"Type": "Block", "ID": default_block_id, "FlowID": "FL_2", "Autofill": []}],
            "Properties": {"Count": 2, "RemovedFieldsets": []},
        }
        record.options = {
            "BackButton": "false",
            "SaveAndContinue": "true",
            "SurveyProtection": "PublicSurvey",
            "SurveyTermination": "DefaultMessage",
            "ProgressBarDisplay": "None",
            "SurveyTitle": name,
        }
        return record

    def touch(self) -> None:
        self.last_modified = mysql_now()

    # --- draft edits ---------------------------------------------------------------------

    def next_flow_id(self) -> str:
        properties = self.flow.setdefault("Properties", {})
        highest = max(
            [int(properties.get("Count", 1))]
            + [flow_number(e["FlowID"]) for e in walk_flow(self.flow.get("Flow", []))]
        )
        properties["Count"] = highest + 1
        return f"FL_{highest + 1}"

    def block_of(self, qid: str) -> str | None:
        for block_id, block in self.blocks.items():
            if any(e.get("QuestionID") == qid for e in block.get("BlockElements", [])):
                return block_id
        return None

    def remove_question(self, qid: str) -> None:
        self.questions.pop(qid, None)
        for block in self.blocks.values():
            block["BlockElements"] = [
                e for e in block.get("BlockElements", []) if e.get("QuestionID") != qid
            ]

    def remove_block(self, block_id: str) -> None:
        block = self.blocks.pop(block_id)
        for element in block.get("BlockElements", []):
            qid = element.get("QuestionID")
            if qid and self.block_of(qid) is None:
                self.questions.pop(qid, None)
        self.flow["Flow"] = _without_block(self.flow.get("Flow", []), block_id)

    # --- read models -----------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        return {
            "SurveyID": self.id,
            "SurveyName": self.name,
            "SurveyDescription": self.description,
            "SurveyOwnerID": OWNER_ID,
            "SurveyBrandID": BRAND_ID,
            "DivisionID": None,
            "SurveyLanguage": self.language,
            "SurveyActiveResponseSet": None,
            "SurveyStatus": self.status,
            "SurveyStartDate": self.start_date or "0000-00-00 00:00:00",
            "SurveyExpirationDate": self.expiration_date or "0000-00-00 00:00:00",
            "SurveyCreationDate": self.created,
            "CreatorID": OWNER_ID,
            "LastModified": self.last_modified,
            "LastAccessed": self.last_modified,
            "LastActivated": self.last_activated or "0000-00-00 00:00:00",
            "Deleted": None,
        }

    def definition(self, *, copied: bool = True) -> dict[str, Any]:
        """The full definition; `copied=False` shares the live dicts (to serialise at once)."""
        clone = _clone if copied else _same
        return {
            "SurveyID": self.id,
            "SurveyName": self.name,
            "SurveyDescription": self.description,
            "SurveyLanguage": self.language,
            "SurveyStatus": self.status,
            "SurveyOptions": clone(self.options),
            "Questions": clone(self.questions),
            "Blocks": clone(self.blocks),
            "SurveyFlow": clone(self.flow),
            "ResponseSets": {},
            "Scoring": {},
            "ProjectInfo": {"ProjectCategory": self.project_category, "SchemaVersion": "1.1.0"},
            "BrandBaseURL": f"https://{BRAND_ID}.{self.datacenter}.qualtrics.com",
            "BrandID": BRAND_ID,
            "OwnerID": OWNER_ID,
            "CreatorID": OWNER_ID,
            "LastModified": self.last_modified,
            "LastAccessed": self.last_modified,
            "LastActivated": self.last_activated,
            "QuestionCount": str(len(self.questions)),
        }

    def qsf(self) -> dict[str, Any]:
        """The definition as a QSF document (`?format=qsf`)."""
        elements: list[dict[str, Any]] = [
            _qsf_element(self.id, "BL", "Survey Blocks", list(copy.deepcopy(self.blocks).values())),
            _qsf_element(self.id, "FL", "Survey Flow", copy.deepcopy(self.flow)),
            _qsf_element(self.id, "SO", "Survey Options", copy.deepcopy(self.options)),
            _qsf_element(self.id, "QC", "Survey Question Count", None, str(len(self.questions))),
        ]
        for qid, question in self.questions.items():
            elements.append(
                _qsf_element(
                    self.id,
                    "SQ",
                    qid,
                    copy.deepcopy(question),
                    str(question.get("QuestionDescription") or qid),
                )
            )
        for extra in self.extra_elements:
            elements.append({**copy.deepcopy(extra), "SurveyID": self.id})
        entry = {k: v for k, v in self.metadata().items() if k != "SurveyActiveResponseSet"}
        return {"SurveyEntry": entry, "SurveyElements": elements}

    def snapshot(self) -> dict[str, Any]:
        """What publishing freezes: the definition sessions will run."""
        return {
            "Questions": _clone(self.questions),
            "Blocks": _clone(self.blocks),
            "SurveyFlow": _clone(self.flow),
            "SurveyName": self.name,
            "SurveyLanguage": self.language,
        }


def _clone(value: Any) -> Any:
    # Everything stored came from JSON, so a JSON round trip is a faithful (and fast) copy.
    return json.loads(json.dumps(value))


def _same(value: Any) -> Any:
    return value


def _qsf_element(
    survey_id: str, kind: str, primary: str, payload: Any, secondary: str | None = None
) -> dict[str, Any]:
    return {
        "SurveyID": survey_id,
        "Element": kind,
        "PrimaryAttribute": primary,
        "SecondaryAttribute": secondary,
        "TertiaryAttribute": None,
        "Payload": payload,
    }


def _without_block(elements: list[Any], block_id: str) -> list[Any]:
    kept = []
    for element in elements:
        if not isinstance(element, dict):
            continue
        if element.get("Type") in ("Block", "Standard") and element.get("ID") == block_id:
            continue
        if isinstance(element.get("Flow"), list):
            element = {**element, "Flow": _without_block(element["Flow"], block_id)}
        kept.append(element)
    return kept


def block_pages(block: dict[str, Any]) -> list[list[str]]:
    """The QIDs of a block, split into pages at its page breaks (empty pages dropped)."""
    pages: list[list[str]] = [[]]
    for element in block.get("BlockElements", []):
        if element.get("Type") in PAGE_BREAK_TYPES:
            pages.append([])
        elif element.get("Type") == "Question" and element.get("QuestionID"):
            pages[-1].append(element["QuestionID"])
    return [page for page in pages if page]
