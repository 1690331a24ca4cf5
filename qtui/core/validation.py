"""Checks for what an edit form is about to send, field by field.

The same models and expression language the rest of qtui reads surveys with: a block's
config goes through the pydantic `BlockConfig` union, expressions through `qtui.core.logic`.
Each check returns `{field: message}`; an empty dict means the form can be sent. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError

from qtui.core import logic
from qtui.core.models import BlockConfig, Survey, reference_names

VARIABLE_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*[a-zA-Z0-9]$")
REFERENCE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CHOICE_LISTS = ("choices", "rows", "columns", "items", "inputs", "cards", "categories")
FUNCTIONS = ("contains", "count", "empty", "answered", "sum", "len")

_CONFIG = TypeAdapter(BlockConfig)

Errors = dict[str, str]


def _pydantic_errors(exc: ValidationError, prefix: str = "") -> Errors:
    out: Errors = {}
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        # the discriminated union puts the tag first ("MultipleChoice", "choices", 0, "value")
        if loc and loc[0][:1].isupper():
            loc = loc[1:]
        name = prefix + (".".join(loc) or "config")
        out.setdefault(name, error["msg"])
    return out


def expression_error(text: str | None) -> logic.ExpressionError | None:
    """The syntax error in an expression, or None (an empty expression is fine)."""
    if not text or not text.strip():
        return None
    try:
        logic.parse_cached(text)
    except logic.ExpressionError as error:
        return error
    return None


def unknown_names(text: str | None, known: Iterable[str]) -> list[str]:
    """Names an expression reads that are neither a question nor a variable."""
    if not text or not text.strip():
        return []
    try:
        expr = logic.parse_cached(text)
    except logic.ExpressionError:
        return []
    names = known if isinstance(known, (set, frozenset)) else set(known)
    return sorted(root for root in logic.reference_roots(expr) if root not in names)


def check_expression(field: str, text: str | None, known: Iterable[str]) -> Errors:
    error = expression_error(text)
    if error is not None:
        return {field: f"{error.reason} at column {error.column}"}
    unknown = unknown_names(text, known)
    if unknown:
        return {field: f"unknown name{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}"}
    return {}


class _Names:
    """Reference names of the last survey asked about: a form asks on every key press, and
    naming 20,000 blocks each time would make typing lag. Keyed by the survey object, which
    a form keeps unchanged while it is open."""

    survey: Survey | None = None
    refs: dict[str, str] = {}
    known: frozenset[str] = frozenset()
    ordered: list[str] = []  # known names and functions, sorted, for completion
    options: dict[str, list[tuple[str, str]]] = {}

    @classmethod
    def of(cls, survey: Survey) -> type[_Names]:
        if survey is not cls.survey:
            refs = reference_names(survey)
            cls.refs = refs
            cls.known = frozenset(refs.values()) | {v.name for v in survey.variables if v.name}
            cls.ordered = sorted(cls.known) + list(FUNCTIONS)
            cls.options = {}
            for block in survey.blocks():
                name = refs.get(block.id)
                if name is not None and name not in cls.options:
                    cls.options[name] = [(c.value, c.label) for c in block.config.options]
            cls.survey = survey
        return cls


def known_names(survey: Survey | None) -> frozenset[str]:
    if survey is None:
        return frozenset()
    return _Names.of(survey).known


def completions(survey: Survey | None) -> list[str]:
    """Every name an expression can read, sorted, then the functions."""
    if survey is None:
        return list(FUNCTIONS)
    return _Names.of(survey).ordered


def check_block(
    config: Mapping[str, Any], survey: Survey | None, block_id: str | None = None
) -> Errors:
    """A block's config: the model, its showIf, its reference name, its lists."""
    errors: Errors = {}
    try:
        parsed = _CONFIG.validate_python(dict(config))
    except ValidationError as exc:
        return _pydantic_errors(exc)
    name = parsed.name
    if name:
        if not REFERENCE_NAME.match(name) or name in logic.KEYWORDS:
            errors["name"] = "a reference name is letters, digits and _ (not a keyword)"
        elif survey is not None:
            taken = {ref for bid, ref in reference_names(survey).items() if bid != block_id} | {
                v.name for v in survey.variables
            }
            if name in taken:
                errors["name"] = f"{name!r} is already used by another question or variable"
    errors.update(check_expression("showIf", parsed.showIf, known_names(survey)))
    for list_name in CHOICE_LISTS:
        items = getattr(parsed, list_name, None)
        if not isinstance(items, list):
            continue
        seen: set[str] = set()
        for index, choice in enumerate(items):
            value = str(choice.value).strip()
            if not value:
                errors[f"{list_name}.{index}.value"] = "a value cannot be empty"
            elif value in seen:
                errors[f"{list_name}.{index}.value"] = f"value {value!r} is used twice"
            seen.add(value)
    max_length = getattr(parsed, "maxLength", None)
    if max_length is not None and max_length < 1:
        errors["maxLength"] = "must be at least 1 (or empty for no limit)"
    target = getattr(parsed, "target", None)
    if parsed.type == "Autosum" and target is not None and target <= 0:
        errors["target"] = "must be more than 0"
    return errors


def check_page(
    fields: Mapping[str, Any], survey: Survey | None, page_id: str | None = None
) -> Errors:
    errors: Errors = {}
    name = str(fields.get("name") or "").strip()
    if not name:
        errors["name"] = "a page needs a name"
    elif survey is not None and any(p.name == name and p.id != page_id for p in survey.pages):
        errors["name"] = f"another page is already named {name!r}"
    order = fields.get("order")
    if order is not None and (not isinstance(order, int) or order < 0):
        errors["order"] = "must be a whole number, 0 or more"
    return errors


def check_rule(fields: Mapping[str, Any], survey: Survey | None) -> Errors:
    errors: Errors = {}
    target = fields.get("target_page_id")
    if not target:
        errors["target_page_id"] = "pick the page the rule leads to"
    elif survey is not None and survey.page(str(target)) is None:
        errors["target_page_id"] = "that page does not exist (any more)"
    order = fields.get("order")
    if order is not None and (not isinstance(order, int) or order < 0):
        errors["order"] = "must be a whole number, 0 or more"
    errors.update(check_expression("condition", fields.get("condition"), known_names(survey)))
    return errors


def check_variable(
    fields: Mapping[str, Any], survey: Survey | None, variable_id: str | None = None
) -> Errors:
    errors: Errors = {}
    name = str(fields.get("name") or "")
    if not VARIABLE_NAME.match(name) or name in logic.KEYWORDS:
        errors["name"] = "letters, digits and _, starting with a letter (e.g. isAdult)"
    elif survey is not None:
        taken = {v.name for v in survey.variables if v.id != variable_id}
        taken |= set(reference_names(survey).values())
        if name in taken:
            errors["name"] = f"{name!r} is already a variable or question name"
    known = known_names(survey) - {name}
    errors.update(check_expression("expression", fields.get("expression"), known))
    return errors


def check_survey(fields: Mapping[str, Any]) -> Errors:
    if not str(fields.get("name") or "").strip():
        return {"name": "a survey needs a name"}
    return {}


# --- what completion offers, and what a rule does -----------------------------------------


def option_values(survey: Survey | None, reference: str) -> list[tuple[str, str]]:
    """(value, label) of the options of the question named `reference`."""
    if survey is None:
        return []
    return list(_Names.of(survey).options.get(reference, []))


def describe_condition(text: str | None, survey: Survey | None) -> str:
    """A few words for what a condition tests: `q1 is Under 18`, or the text itself."""
    if not text or not text.strip():
        return "always"
    try:
        expr = logic.parse_cached(text)
    except logic.ExpressionError:
        return text.strip()
    return _describe(expr, survey)


def _label_of(survey: Survey | None, ref: logic.Reference, value: object) -> str:
    for option, label in option_values(survey, ref.name):
        if option == str(value):
            return label or option
    return repr(value) if isinstance(value, str) else str(value)


def _describe(expr: logic.Expr, survey: Survey | None) -> str:
    if isinstance(expr, logic.Compare):
        left, right = expr.left, expr.right
        if isinstance(left, logic.Reference) and isinstance(right, logic.Literal):
            shown = _label_of(survey, left, right.value)
            if expr.op == "==":
                return f"{left.name} is {shown}"
            if expr.op == "!=":
                return f"{left.name} is not {shown}"
            return f"{left.name} {expr.op} {shown}"
    if isinstance(expr, logic.Membership) and isinstance(expr.options, logic.ListExpr):
        item = expr.item
        if isinstance(item, logic.Reference) and all(
            isinstance(i, logic.Literal) for i in expr.options.items
        ):
            shown = " or ".join(
                _label_of(survey, item, i.value)  # type: ignore[union-attr]
                for i in expr.options.items
            )
            return f"{item.name} is {'not ' if expr.negated else ''}{shown}"
    if isinstance(expr, logic.BoolOp):
        return f" {expr.op} ".join(_describe(part, survey) for part in expr.operands)
    if isinstance(expr, logic.Not):
        return f"not ({_describe(expr.operand, survey)})"
    return logic.to_text(expr)


def rule_preview(target_name: str, condition: str | None, survey: Survey | None) -> str:
    """`→ Terminate when q1 is Under 18` (or `→ End always`)."""
    what = describe_condition(condition, survey)
    return f"→ {target_name} always" if what == "always" else f"→ {target_name} when {what}"
