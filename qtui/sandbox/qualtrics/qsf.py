"""Import a QSF document (a survey exported from Qualtrics) into the sandbox as it is.

A QSF is `{"SurveyEntry": {...}, "SurveyElements": [...]}`; the elements the sandbox runs are
`BL` (blocks: a list, or in newer exports an object keyed "0", "1", …), `FL` (the flow),
`SO` (options) and one `SQ` per question. Question ids, block ids and flow ids are kept, so
the imported survey is the exported one; every other element (scoring, response sets,
statistics, …) is kept as given and written back by `?format=qsf`.

Every question, block and the flow pass the same checks as the API's own endpoints; a
refusal names the element, e.g. "SurveyElements SQ QID7: Selector 'XX' is not valid …".
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from qtui.sandbox.qualtrics.definitions import (
    FLOW_ID,
    PROJECT_CATEGORIES,
    check_block,
    check_flow,
    check_question,
    walk_flow,
)
from qtui.sandbox.qualtrics.envelope import BAD_REQUEST, ApiError
from qtui.sandbox.qualtrics.store import SurveyRecord

RUN_ELEMENTS = ("BL", "FL", "SO", "SQ", "QC")


def _bad(message: str) -> ApiError:
    return ApiError(400, BAD_REQUEST, message)


def blocks_payload(payload: object) -> list[dict[str, Any]]:
    """The blocks of a `BL` element, whether exported as a list or an object keyed "0", "1"…"""
    if isinstance(payload, list):
        items = payload
    elif isinstance(payload, dict):
        keys = [k for k in payload if isinstance(k, str)]
        numeric = sorted((k for k in keys if k.isdigit()), key=int)
        items = [payload[k] for k in numeric + [k for k in keys if not k.isdigit()]]
    else:
        raise _bad("SurveyElements BL: Payload must be a list or an object of blocks.")
    return [b for b in items if isinstance(b, dict)]


def elements_of(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    entry = document.get("SurveyEntry")
    elements = document.get("SurveyElements")
    if not isinstance(entry, dict) or not isinstance(elements, list):
        raise _bad("A QSF document needs SurveyEntry (an object) and SurveyElements (a list).")
    return [e for e in elements if isinstance(e, dict)]


def load_qsf(
    document: Mapping[str, Any], survey_id: str, new_block_id: Callable[[], str]
) -> SurveyRecord:
    """A `SurveyRecord` holding the QSF's survey, under the new id `survey_id`."""
    elements = elements_of(document)
    entry = document["SurveyEntry"]
    questions: dict[str, dict[str, Any]] = {}
    block_list: list[dict[str, Any]] = []
    flow: dict[str, Any] | None = None
    options: dict[str, Any] = {}
    category = "CORE"
    extras: list[dict[str, Any]] = []
    for element in elements:
        kind = element.get("Element")
        payload = element.get("Payload")
        if kind == "SQ":
            qid = str((payload or {}).get("QuestionID") or element.get("PrimaryAttribute") or "")
            try:
                question = check_question(payload)
            except ApiError as error:
                raise _bad(f"SurveyElements SQ {qid}: {error.message}") from error
            question["QuestionID"] = qid
            questions[qid] = question
        elif kind == "BL":
            block_list = blocks_payload(payload)
        elif kind == "FL":
            flow = copy.deepcopy(payload) if isinstance(payload, dict) else None
        elif kind == "SO":
            options = copy.deepcopy(payload) if isinstance(payload, dict) else {}
        else:
            if kind == "PROJ" and isinstance(payload, dict):
                category = str(payload.get("ProjectCategory") or category)
            if kind != "QC":
                extras.append(copy.deepcopy(element))
    blocks: dict[str, dict[str, Any]] = {}
    for block in block_list:
        block_id = block.get("ID")
        if not isinstance(block_id, str):
            raise _bad("SurveyElements BL: every block needs an ID.")
        try:
            blocks[block_id] = check_block(block, questions, creating=False)
        except ApiError as error:
            raise _bad(f"SurveyElements BL {block_id}: {error.message}") from error
    default = next((b for b, v in blocks.items() if v.get("Type") == "Default"), None)
    record = SurveyRecord.new(
        survey_id,
        str(entry.get("SurveyName") or "Imported survey"),
        str(entry.get("SurveyLanguage") or "EN").upper(),
        category if category in PROJECT_CATEGORIES else "CORE",
        default or new_block_id(),
    )
    if default is not None:
        record.blocks = blocks
    else:
        record.blocks.update(blocks)
    record.questions = questions
    if flow is None:
        raise _bad("SurveyElements FL: a QSF needs its survey flow.")
    numbered = [
        int(e["FlowID"][3:])
        for e in walk_flow(flow.get("Flow") or [])
        if FLOW_ID.match(str(e.get("FlowID")))
    ]
    properties = flow.setdefault("Properties", {})
    if isinstance(properties, dict):
        properties.setdefault("Count", max([1, *numbered]))
    try:
        record.flow = check_flow(flow, record.blocks, questions)
    except ApiError as error:
        raise _bad(f"SurveyElements FL: {error.message}") from error
    record.options = options or record.options
    record.description = entry.get("SurveyDescription")
    record.extra_elements = extras
    numbers = [int(q[3:]) for q in questions if q[3:].isdigit()]
    record.next_question = max(numbers, default=0) + 1
    return record
