"""Qualtrics `BooleanExpression` logic (DisplayLogic, BranchLogic): check its shape, evaluate it.

The shape, as Qualtrics stores it:

    {"Type": "BooleanExpression", "inPage": false,
     "0": {"Type": "If", "0": {condition}, "1": {condition, "Conjuction": "And"}},
     "1": {"Type": "If", "0": {condition, "Conjuction": "Or"}, ...}}

Numbered groups hold numbered conditions. A condition after the first in its group carries the
conjunction joining it to the one before; the first condition of a later group carries the
conjunction joining its group to the groups before (a group-level `Conjuction` key is read too).
Qualtrics spells the key `Conjuction`; `Conjunction` is accepted as well. A missing conjunction
means `And`. Within a sequence, `And` binds tighter than `Or`.

This module is the sandbox's own reading of Qualtrics logic: it knows nothing of Questra's
expression language, so a compiled survey walked here is checked against an independent engine.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from qtui.sandbox.qualtrics.envelope import BAD_REQUEST, UNKNOWN_REFERENCE, ApiError

SELECTION_OPERATORS = {"Selected", "NotSelected"}
DISPLAY_OPERATORS = {"Displayed", "NotDisplayed"}
VALUE_OPERATORS = {
    "EqualTo",
    "NotEqualTo",
    "GreaterThan",
    "GreaterThanOrEqual",
    "LessThan",
    "LessThanOrEqual",
    "Contains",
    "DoesNotContain",
    "Empty",
    "NotEmpty",
    "MatchesRegex",
    "Is",
    "IsNot",
}
# A logic set's Type: the first is `If`; later sets are `AndIf` or `OrIf`/`ElseIf` in exports.
GROUP_TYPES = ("If", "AndIf", "OrIf", "ElseIf")
OPERATORS = SELECTION_OPERATORS | DISPLAY_OPERATORS | VALUE_OPERATORS
UNARY_OPERATORS = SELECTION_OPERATORS | DISPLAY_OPERATORS | {"Empty", "NotEmpty"}

_LOCATOR = re.compile(r"^q://(QID[A-Za-z0-9]+)/([A-Za-z]+)(?:/(.*))?$")
_FIELD_PIPE = re.compile(r"^\$\{e://Field/(.+)\}$")


@dataclass
class Answer:
    """What a respondent gave to one question: chosen choice ids (MC/NPS) or text (TE)."""

    selected: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    text: str | None = None


@dataclass
class Respondent:
    """Everything logic can look at: answers by QID, displayed QIDs, embedded data."""

    answers: dict[str, Answer] = field(default_factory=dict)
    displayed: set[str] = field(default_factory=set)
    embedded: dict[str, str] = field(default_factory=dict)


def numbered(mapping: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The `"0"`, `"1"`, … entries of a logic object, in numeric order."""
    keys = [k for k in mapping if isinstance(k, str) and k.isdigit()]
    return [(k, mapping[k]) for k in sorted(keys, key=int)]


def parse_locator(locator: str) -> tuple[str, str, str | None] | None:
    """`q://QID4/SelectableChoice/1` → ("QID4", "SelectableChoice", "1")."""
    match = _LOCATOR.match(locator)
    if match is None:
        return None
    return match.group(1), match.group(2), match.group(3)


def field_name(operand: str) -> str:
    """An embedded-data operand: `name`, `e://Field/name` or `${e://Field/name}`."""
    piped = _FIELD_PIPE.match(operand)
    if piped:
        return piped.group(1)
    if operand.startswith("e://Field/"):
        return operand[len("e://Field/") :]
    return operand


def _conjunction(obj: Mapping[str, Any]) -> str | None:
    value = obj.get("Conjuction", obj.get("Conjunction"))
    return value if isinstance(value, str) else None


# --- shape ---------------------------------------------------------------------------------


def check_expression(
    logic: object, where: str, known_questions: Iterable[str] | None = None
) -> None:
    """Raise a 400 naming the offending field if `logic` is not a well-formed BooleanExpression.

    With `known_questions`, a condition on a question that does not exist is refused as well.
    """
    if not isinstance(logic, dict):
        raise ApiError(400, BAD_REQUEST, f"{where} must be an object (a BooleanExpression).")
    if logic.get("Type") != "BooleanExpression":
        raise ApiError(400, BAD_REQUEST, f"{where}.Type must be 'BooleanExpression'.")
    groups = numbered(logic)
    if not groups:
        raise ApiError(400, BAD_REQUEST, f"{where} has no condition groups ('0', '1', …).")
    known = set(known_questions) if known_questions is not None else None
    for gkey, group in groups:
        gwhere = f"{where}.{gkey}"
        if not isinstance(group, dict):
            raise ApiError(400, BAD_REQUEST, f"{gwhere} must be an object.")
        if group.get("Type", "If") not in GROUP_TYPES:
            raise ApiError(
                400, BAD_REQUEST, f"{gwhere}.Type must be one of {', '.join(GROUP_TYPES)}."
            )
        conditions = numbered(group)
        if not conditions:
            raise ApiError(400, BAD_REQUEST, f"{gwhere} has no conditions.")
        for ckey, condition in conditions:
            _check_condition(condition, f"{gwhere}.{ckey}", known)


def _check_condition(condition: object, where: str, known: set[str] | None) -> None:
    if not isinstance(condition, dict):
        raise ApiError(400, BAD_REQUEST, f"{where} must be an object.")
    conj = _conjunction(condition)
    if conj is not None and conj not in ("And", "Or"):
        raise ApiError(400, BAD_REQUEST, f"{where}.Conjuction must be 'And' or 'Or'.")
    logic_type = condition.get("LogicType")
    if not isinstance(logic_type, str):
        raise ApiError(400, BAD_REQUEST, f"{where}.LogicType is required.")
    if logic_type not in ("Question", "EmbeddedField"):
        return  # GeoIP, DeviceType, Quota…: stored as given; they evaluate to false here
    operator = condition.get("Operator")
    if operator not in OPERATORS:
        raise ApiError(400, BAD_REQUEST, f"{where}.Operator {operator!r} is not a known operator.")
    left = condition.get("LeftOperand")
    if not isinstance(left, str) or not left:
        raise ApiError(400, BAD_REQUEST, f"{where}.LeftOperand is required.")
    if operator not in UNARY_OPERATORS and not isinstance(
        condition.get("RightOperand"), str | int | float
    ):
        raise ApiError(400, BAD_REQUEST, f"{where}.RightOperand is required for {operator}.")
    if logic_type == "Question":
        parsed = parse_locator(left)
        if parsed is None:
            raise ApiError(
                400,
                BAD_REQUEST,
                f"{where}.LeftOperand {left!r} is not a question locator (q://QIDn/...).",
            )
        if known is not None and parsed[0] not in known:
            raise ApiError(
                400,
                UNKNOWN_REFERENCE,
                f"{where}.LeftOperand refers to {parsed[0]}, which is not in this survey.",
            )


def referenced_questions(logic: Mapping[str, Any]) -> set[str]:
    """QIDs a BooleanExpression looks at."""
    found: set[str] = set()
    for _, group in numbered(logic):
        if not isinstance(group, dict):
            continue
        for _, condition in numbered(group):
            if isinstance(condition, dict) and condition.get("LogicType") == "Question":
                parsed = parse_locator(str(condition.get("LeftOperand", "")))
                if parsed:
                    found.add(parsed[0])
    return found


# --- evaluation ----------------------------------------------------------------------------


def evaluate(logic: Mapping[str, Any], respondent: Respondent) -> bool:
    """True when the BooleanExpression holds for what this respondent has given so far."""
    group_terms: list[tuple[str, bool]] = []
    for index, (_, group) in enumerate(numbered(logic)):
        if not isinstance(group, dict):
            continue
        conditions = [c for _, c in numbered(group) if isinstance(c, dict)]
        if not conditions:
            continue
        terms = [(_conjunction(c) or "And", _condition(c, respondent)) for c in conditions]
        value = _and_before_or(terms)
        joiner = _conjunction(group) or _conjunction(conditions[0])
        if joiner is None:
            joiner = "Or" if group.get("Type") in ("ElseIf", "OrIf") else "And"
        group_terms.append((joiner if index else "And", value))
    if not group_terms:
        return False
    return _and_before_or(group_terms)


def _and_before_or(terms: list[tuple[str, bool]]) -> bool:
    """Fold `a And b Or c …` (the first term's conjunction is ignored), And binding tighter."""
    runs: list[list[bool]] = [[]]
    for position, (conj, value) in enumerate(terms):
        if position and conj == "Or":
            runs.append([])
        runs[-1].append(value)
    return any(all(run) for run in runs)


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _condition(condition: Mapping[str, Any], respondent: Respondent) -> bool:
    logic_type = condition.get("LogicType")
    operator = str(condition.get("Operator", ""))
    right = condition.get("RightOperand")
    ignore_case = _truthy(condition.get("IgnoreCase", False))
    if logic_type == "EmbeddedField":
        name = field_name(str(condition.get("LeftOperand", "")))
        return compare(respondent.embedded.get(name), operator, right, ignore_case)
    if logic_type != "Question":
        return False
    parsed = parse_locator(str(condition.get("LeftOperand", "")))
    if parsed is None:
        return False
    qid, kind, rest = parsed
    if operator in DISPLAY_OPERATORS:
        shown = qid in respondent.displayed
        return shown if operator == "Displayed" else not shown
    answer = respondent.answers.get(qid)
    if kind == "SelectableChoice" and rest is not None:
        selected = answer is not None and rest in answer.selected
        if operator == "Selected":
            return selected
        if operator == "NotSelected":
            return not selected
        return False
    if kind == "ChoiceTextEntryValue":
        if answer is None:
            value = None
        elif rest is None:
            value = answer.text
        else:
            value = answer.texts.get(rest)
        return compare(value, operator, right, ignore_case)
    if kind == "SelectedChoicesCount":
        count = 0 if answer is None else len(answer.selected)
        return compare(str(count), operator, right, ignore_case)
    return False


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def compare(left: object, operator: str, right: object, ignore_case: bool = False) -> bool:
    """Qualtrics value operators: numeric when both sides are numbers, else text."""
    text = "" if left is None else str(left)
    if operator == "Empty":
        return text == ""
    if operator == "NotEmpty":
        return text != ""
    other = "" if right is None else str(right)
    a, b = (text.lower(), other.lower()) if ignore_case else (text, other)
    if operator in ("EqualTo", "NotEqualTo", "Is", "IsNot"):
        na, nb = _number(text), _number(other)
        equal = na == nb if na is not None and nb is not None else a == b
        return equal if operator in ("EqualTo", "Is") else not equal
    if operator == "Contains":
        return b in a
    if operator == "DoesNotContain":
        return b not in a
    if operator == "MatchesRegex":
        try:
            return re.search(other, text, re.IGNORECASE if ignore_case else 0) is not None
        except re.error:
            return False
    na, nb = _number(text), _number(other)
    if na is None or nb is None:
        return False
    if operator == "GreaterThan":
        return na > nb
    if operator == "GreaterThanOrEqual":
        return na >= nb
    if operator == "LessThan":
        return na < nb
    if operator == "LessThanOrEqual":
        return na <= nb
    return False
