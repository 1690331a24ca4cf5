"""Checks on survey-definition payloads (questions, blocks, flow), refused as the real API would.

Every refusal is a 400 whose message names the offending field, e.g.
"Selector 'XYZ' is not valid for QuestionType 'MC'; expected one of DL, GRB, …".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from qtui.sandbox.qualtrics.envelope import (
    BAD_COMBINATION,
    BAD_FLOW,
    BAD_REQUEST,
    UNKNOWN_REFERENCE,
    ApiError,
)
from qtui.sandbox.qualtrics.logic import check_expression

# Selector enum of the spec (union over every question type).
ALL_SELECTORS = frozenset(
    "Bipolar Browser Captcha CompactView CS D DL DND DragAndDrop ESTB FORM FileUpload GRB HBAR "
    "HR HSLIDER I Image LikeDislike Likert MACOL MAHR MAVR ML MSB MaxDiff NPS OH OnOff POS PTB "
    "PW PageTimer Profile RB RO SACOL SAHR SAVR SB SBSMatrix SL STAR ScreenCapture SearchOnly "
    "Signature TA TB TBelow TE TL TRight Text V1 V2 VR VRTL WTXB".split()
)
ALL_SUBSELECTORS = frozenset(
    "SingleAnswer DL GR DND Long Medium MultipleAnswer Columns NoColumns Short TX TXOT WOTXB "
    "WOTB WTB WTXB WVTB Essay".split()
)

# QuestionType → (selectors, subselectors or None when any from the enum / none is fine,
#                 whether a SubSelector is required).
QUESTION_TYPES: dict[str, tuple[frozenset[str], frozenset[str] | None, bool]] = {
    "MC": (
        frozenset("DL GRB MACOL MAHR MAVR MSB NPS SACOL SAHR SAVR SB TB TXOT PTB".split()),
        frozenset("GR TX TXOT WOTXB WTXB".split()),
        False,
    ),
    "Matrix": (
        frozenset("Bipolar Likert TE Profile CS RO MaxDiff".split()),
        frozenset(
            "DL DND Long Medium MultipleAnswer Short SingleAnswer WOTB WTB WVTB WTXB Essay".split()
        ),
        False,
    ),
    "TE": (frozenset("SL ML ESTB FORM PW".split()), None, False),
    "Slider": (frozenset("HBAR HSLIDER STAR".split()), None, False),
    "DB": (frozenset({"TB", "GRB", "PTB"}), None, False),
    "CS": (frozenset("VRTL HR HBAR HSLIDER".split()), None, False),
    "RO": (frozenset("DND RB TB SB".split()), None, False),
    "PGR": (frozenset({"DragAndDrop"}), frozenset({"Columns", "NoColumns"}), True),
    "SBS": (frozenset({"SBSMatrix"}), None, False),
    "Timing": (frozenset({"PageTimer"}), None, False),
    "Meta": (frozenset({"Browser"}), None, False),
    "Captcha": (frozenset({"V1", "V2"}), None, False),
    "DD": (frozenset({"DL"}), None, False),
    "FileUpload": (frozenset({"FileUpload"}), None, False),
    "Draw": (frozenset({"Signature"}), None, False),
}
# Types of the spec enum with no per-type variant: any selector of the enum is taken.
for _loose in ("DynamicMatrix", "GAP", "HeatMap", "HL", "HotSpot", "SS", "TreeSelect"):
    QUESTION_TYPES[_loose] = (ALL_SELECTORS, None, False)

NEEDS_CHOICES = {"MC", "Matrix", "Slider", "CS", "RO", "PGR", "SBS"}
MULTI_SELECTORS = frozenset({"MAVR", "MAHR", "MACOL", "MSB"})
FORCE_RESPONSE_VALUES = {"ON", "OFF", "RequestResponse"}

FLOW_TYPES = frozenset(
    "Authenticator Block BlockRandomizer Branch Conjoint EmbeddedData EndSurvey Group QuotaCheck "
    "ReferenceSurvey Root Standard SupplementalData TableOfContents WebService".split()
)
FLOW_ID = re.compile(r"^FL_[1-9][0-9]*$")
PAGE_BREAK_TYPES = ("Page Break", "PageBreak")
PROJECT_CATEGORIES = ("CORE", "CX", "EX", "BX", "PX")
LOOPING_KINDS = ("None", "Static", "Question")
NUMBER = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")


def _bad(message: str, code: str = BAD_REQUEST) -> ApiError:
    return ApiError(400, code, message)


def _options(values: frozenset[str]) -> str:
    return ", ".join(sorted(values))


# --- questions -----------------------------------------------------------------------------


def choice_items(question: Mapping[str, Any], key: str = "Choices") -> list[tuple[str, dict]]:
    """(choice id, choice) pairs in display order (`ChoiceOrder`, else the ids' order).

    `Choices` may be a map of id → choice or, as in some exported QSF (NPS), a list whose
    index is the id.
    """
    raw = question.get(key)
    if isinstance(raw, list):
        choices = {str(i): c for i, c in enumerate(raw) if isinstance(c, dict)}
    elif isinstance(raw, dict):
        choices = {str(k): v for k, v in raw.items() if isinstance(v, dict)}
    else:
        return []
    order_key = "ChoiceOrder" if key == "Choices" else "AnswerOrder"
    order = question.get(order_key)
    ids = [str(i) for i in order] if isinstance(order, list) and order else list(choices)
    return [(cid, choices[cid]) for cid in ids if cid in choices]


def _check_choices(question: Mapping[str, Any], key: str) -> None:
    raw = question.get(key)
    if isinstance(raw, list):
        entries: list[tuple[str, object]] = [(str(i), c) for i, c in enumerate(raw)]
    elif isinstance(raw, dict):
        entries = [(str(k), v) for k, v in raw.items()]
    else:
        raise _bad(f'{key} must be an object mapping choice ids to {{"Display": ...}}.')
    for cid, choice in entries:
        if not isinstance(choice, dict) or not isinstance(choice.get("Display"), str):
            raise _bad(f"{key}.{cid}.Display is required and must be a string.")
    order_key = "ChoiceOrder" if key == "Choices" else "AnswerOrder"
    order = question.get(order_key)
    if order is None:
        return
    if not isinstance(order, list):
        raise _bad(f"{order_key} must be a list of choice ids.")
    ids = {cid for cid, _ in entries}
    for item in order:
        if str(item) not in ids:
            raise _bad(f"{order_key} lists {item!r}, which is not in {key}.")


def check_question(body: object) -> dict[str, Any]:
    """Validate a question definition; returns it (a copy) ready to store."""
    if not isinstance(body, dict):
        raise _bad("The request body must be a JSON object (a question definition).")
    question = dict(body)
    qtype = question.get("QuestionType")
    if not isinstance(qtype, str) or not qtype:
        raise _bad("QuestionType is required.")
    if qtype not in QUESTION_TYPES:
        raise _bad(
            f"QuestionType {qtype!r} is not valid; expected one of "
            f"{_options(frozenset(QUESTION_TYPES))}.",
            BAD_COMBINATION,
        )
    if not isinstance(question.get("QuestionText"), str):
        raise _bad("QuestionText is required and must be a string.")
    selectors, subselectors, sub_required = QUESTION_TYPES[qtype]
    selector = question.get("Selector")
    if not isinstance(selector, str) or not selector:
        raise _bad(f"Selector is required for QuestionType {qtype!r}.")
    if selector not in selectors:
        raise _bad(
            f"Selector {selector!r} is not valid for QuestionType {qtype!r}; expected one of "
            f"{_options(selectors)}.",
            BAD_COMBINATION,
        )
    sub = question.get("SubSelector")
    if sub in (None, ""):
        if sub_required:
            raise _bad(f"SubSelector is required for QuestionType {qtype!r}.")
    else:
        allowed = subselectors if subselectors is not None else ALL_SUBSELECTORS
        if sub not in allowed:
            raise _bad(
                f"SubSelector {sub!r} is not valid for QuestionType {qtype!r} with Selector "
                f"{selector!r}; expected one of {_options(allowed)}.",
                BAD_COMBINATION,
            )
    if qtype == "MC" and selector == "NPS" and "Choices" not in question:
        # An NPS question without choices gets the eleven points 0..10 it always has.
        question["Choices"] = {str(i): {"Display": str(i)} for i in range(11)}
        question["ChoiceOrder"] = [str(i) for i in range(11)]
    needs_choices = qtype in NEEDS_CHOICES or (qtype == "TE" and selector == "FORM")
    # Carried-forward choices (DynamicChoices) arrive at run time: Choices may be empty.
    if needs_choices and "DynamicChoices" not in question:
        if not question.get("Choices"):
            raise _bad(f"Choices is required for QuestionType {qtype!r} and must not be empty.")
    if "Choices" in question and question["Choices"] not in ([], {}):
        _check_choices(question, "Choices")
    if qtype == "Matrix":
        if not question.get("Answers"):
            raise _bad("Answers is required for QuestionType 'Matrix' (the columns).")
        _check_choices(question, "Answers")
    if qtype == "PGR":
        groups = question.get("Groups")
        if not isinstance(groups, list) or not groups:
            raise _bad("Groups is required for QuestionType 'PGR' (a list of group names).")
    if qtype == "DB" and selector == "GRB" and "Graphics" not in question:
        raise _bad("Graphics is required for a graphic descriptive block (Selector 'GRB').")
    _check_recodes(question.get("RecodeValues"))
    _check_validation(question.get("Validation"))
    if "DisplayLogic" in question and question["DisplayLogic"] not in (None, False, {}):
        check_expression(question["DisplayLogic"], "DisplayLogic")
    tag = question.get("DataExportTag")
    if tag is not None and not isinstance(tag, str):
        raise _bad("DataExportTag must be a string.")
    return question


def is_number(value: object) -> bool:
    """A recode value: an int, a float or a string holding one ("3", "-99", "2.5")."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and NUMBER.match(value.strip()) is not None


def _check_recodes(recodes: object) -> None:
    """RecodeValues map choice ids to numbers (exports show `[]` when none are set)."""
    if recodes is None or recodes == []:
        return
    if not isinstance(recodes, dict):
        raise _bad("RecodeValues must be an object mapping choice ids to numbers.")
    for cid, value in recodes.items():
        if not is_number(value):
            raise _bad(
                f"RecodeValues.{cid} {value!r} is not a number; a recode value is the numeric "
                "value of a choice (put names in VariableNaming)."
            )


def _check_validation(validation: object) -> None:
    if validation is None:
        return
    if not isinstance(validation, dict):
        raise _bad("Validation must be an object with a Settings object.")
    settings = validation.get("Settings", {})
    if not isinstance(settings, dict):
        raise _bad("Validation.Settings must be an object.")
    force = settings.get("ForceResponse")
    if force is not None and force not in FORCE_RESPONSE_VALUES:
        raise _bad(
            f"Validation.Settings.ForceResponse {force!r} is not valid; expected ON, OFF or "
            "RequestResponse."
        )


def is_forced(question: Mapping[str, Any]) -> bool:
    validation = question.get("Validation")
    settings = validation.get("Settings") if isinstance(validation, dict) else None
    return isinstance(settings, dict) and settings.get("ForceResponse") == "ON"


# --- blocks --------------------------------------------------------------------------------


def check_block(body: object, questions: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _bad("The request body must be a JSON object (a block definition).")
    block = dict(body)
    block_type = block.get("Type", "Standard" if not creating else None)
    if creating and block_type is None:
        raise _bad("Type is required (Standard).")
    if block_type not in ("Standard", "Default", "Trash"):
        raise _bad(f"Type {block_type!r} is not valid; expected Standard, Default or Trash.")
    if creating and block_type != "Standard":
        raise _bad("Only blocks of Type 'Standard' can be created.")
    description = block.get("Description", "")
    if not isinstance(description, str):
        raise _bad("Description must be a string.")
    elements = block.get("BlockElements", [])
    if not isinstance(elements, list):
        raise _bad("BlockElements must be a list.")
    for index, element in enumerate(elements):
        where = f"BlockElements.{index}"
        if not isinstance(element, dict):
            raise _bad(f"{where} must be an object.")
        kind = element.get("Type")
        if kind == "Question":
            qid = element.get("QuestionID")
            if not isinstance(qid, str):
                raise _bad(f"{where}.QuestionID is required.")
            if qid not in questions:
                raise _bad(
                    f"{where}.QuestionID {qid} is not a question of this survey.", UNKNOWN_REFERENCE
                )
        elif kind not in PAGE_BREAK_TYPES:
            raise _bad(f"{where}.Type {kind!r} is not valid; expected Question or Page Break.")
    options = block.get("Options")
    if options is not None:
        if not isinstance(options, dict):
            raise _bad("Options must be an object.")
        looping = options.get("Looping")
        if looping is not None and looping not in LOOPING_KINDS:
            raise _bad(
                f"Options.Looping {looping!r} is not valid; expected None, Static or Question."
            )
        if looping in ("Static", "Question") and not isinstance(
            options.get("LoopingOptions"), dict
        ):
            raise _bad(f"Options.LoopingOptions is required when Options.Looping is {looping!r}.")
        if looping == "Question":
            qid = options["LoopingOptions"].get("QID")
            if qid not in questions:
                raise _bad(
                    f"Options.LoopingOptions.QID {qid!r} is not a question of this survey.",
                    UNKNOWN_REFERENCE,
                )
    block["Type"] = block_type
    block.setdefault("BlockElements", [])
    block.setdefault("Description", "")
    return block


# --- flow ----------------------------------------------------------------------------------


def walk_flow(elements: list[Any]) -> Iterator[dict[str, Any]]:
    """Every element of a flow tree, depth first."""
    for element in elements:
        if isinstance(element, dict):
            yield element
            children = element.get("Flow")
            if isinstance(children, list):
                yield from walk_flow(children)


def flow_number(flow_id: str) -> int:
    return int(flow_id[3:])


def check_flow(
    body: object, blocks: Mapping[str, Any], questions: Mapping[str, Any]
) -> dict[str, Any]:
    """Validate a whole flow tree (PUT /flow); returns it ready to store."""
    if not isinstance(body, dict):
        raise _bad("The request body must be a JSON object (the Root flow element).", BAD_FLOW)
    if body.get("Type") != "Root":
        raise _bad("Type must be 'Root' for the top flow element.", BAD_FLOW)
    if not isinstance(body.get("Flow"), list):
        raise _bad("Flow must be a list of flow elements.", BAD_FLOW)
    root_id = body.get("FlowID")
    if not isinstance(root_id, str) or not FLOW_ID.match(root_id):
        raise _bad("FlowID of the Root must look like FL_1.", BAD_FLOW)
    seen = {root_id}
    highest = flow_number(root_id)
    for element in walk_flow(body["Flow"]):
        _check_flow_element(element, blocks, questions)
        flow_id = element["FlowID"]
        if flow_id in seen:
            raise _bad(
                f"FlowID {flow_id} is used more than once; FlowIDs must be unique.", BAD_FLOW
            )
        seen.add(flow_id)
        highest = max(highest, flow_number(flow_id))
    properties = body.get("Properties")
    if not isinstance(properties, dict) or not isinstance(properties.get("Count"), int):
        raise _bad("Properties.Count is required (the highest FL number allocated).", BAD_FLOW)
    if properties["Count"] < highest:
        raise _bad(
            f"Properties.Count is {properties['Count']} but FL_{highest} is used; Count must be "
            "at least the highest FL number.",
            BAD_FLOW,
        )
    return body


def _check_flow_element(
    element: dict[str, Any], blocks: Mapping[str, Any], questions: Mapping[str, Any]
) -> None:
    kind = element.get("Type")
    flow_id = element.get("FlowID")
    label = flow_id if isinstance(flow_id, str) else "a flow element"
    if kind not in FLOW_TYPES or kind == "Root":
        raise _bad(f"Type {kind!r} of {label} is not a valid flow element type.", BAD_FLOW)
    if not isinstance(flow_id, str) or not FLOW_ID.match(flow_id):
        raise _bad(f"FlowID {flow_id!r} of a {kind} element must look like FL_2.", BAD_FLOW)
    if kind in ("Block", "Standard"):
        block_id = element.get("ID")
        if block_id not in blocks:
            raise _bad(
                f"{flow_id}.ID {block_id!r} is not a block of this survey.", UNKNOWN_REFERENCE
            )
        if blocks[block_id].get("Type") == "Trash":
            raise _bad(
                f"{flow_id}.ID {block_id} is the trash block; it cannot be in the flow.", BAD_FLOW
            )
    children = element.get("Flow")
    if kind in ("BlockRandomizer", "Group") and not isinstance(children, list):
        raise _bad(f"{flow_id}.Flow must be a list for a {kind} element.", BAD_FLOW)
    if kind == "Branch" and children is not None and not isinstance(children, list):
        # An empty branch is exported without Flow; one given must be a list.
        raise _bad(f"{flow_id}.Flow must be a list for a Branch element.", BAD_FLOW)
    if kind == "Branch":
        check_expression(element.get("BranchLogic"), f"{flow_id}.BranchLogic", questions)
    if kind == "BlockRandomizer":
        subset = element.get("SubSet")
        try:
            count = int(subset)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            count = 0
        if count < 1:
            raise _bad(f"{flow_id}.SubSet must be a positive number.", BAD_FLOW)
    if kind == "EmbeddedData":
        items = element.get("EmbeddedData")
        if not isinstance(items, list):
            raise _bad(f"{flow_id}.EmbeddedData must be a list.", BAD_FLOW)
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("Field"), str):
                raise _bad(f"{flow_id}.EmbeddedData.{index}.Field is required.", BAD_FLOW)
    if kind == "EndSurvey" and not isinstance(element.get("Options", {}), dict):
        raise _bad(f"{flow_id}.Options must be an object.", BAD_FLOW)
