"""Questra expressions (`qtui.core.logic` AST) → Qualtrics `BooleanExpression` logic.

The translation works on the parsed expression: `not` is pushed down to the comparisons with
De Morgan's laws, the result is put in disjunctive normal form (an `Or` of `And` groups), and
each comparison becomes one Qualtrics condition:

- a multiple-choice answer compared with a value → `Selected` / `NotSelected` on the choice(s)
  whose value matches (ordering comparisons pick the choices whose values satisfy them);
- a text answer compared with a value → `ChoiceTextEntryValue` with `EqualTo`, `NotEqualTo`,
  `GreaterThan`… (`Empty`/`NotEmpty` for null);
- a variable → its own expression, substituted (Qualtrics cannot compute variables);
- a name that is neither a question nor a variable → an embedded-data field condition.

Anything else raises `Untranslatable` with the reason, for the caller to report.
Pure: no I/O.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from qtui.core.logic import (
    BoolOp,
    Call,
    Compare,
    Expr,
    ExpressionError,
    ListExpr,
    Literal,
    Membership,
    Not,
    Reference,
    parse_cached,
)
from qtui.core.logic import evaluate as core_evaluate
from qtui.core.models import (
    Choice,
    MatrixConfig,
    MultipleChoiceConfig,
    TextInputConfig,
)

# Past this many condition sets a condition is refused rather than sent as a monster.
MAX_GROUPS = 64


class Untranslatable(Exception):
    """The expression (or a part of it) has no Qualtrics logic equivalent; `str()` says why."""


@dataclass(frozen=True)
class Cond:
    """One Qualtrics condition.

    kind: "choice" (locator q://QID/SelectableChoice/<choice>[/<column>]), "text"
    (q://QID/ChoiceTextEntryValue), "count" (q://QID/SelectedChoicesCount) or "field"
    (an embedded-data field named by `subject`).
    """

    kind: str
    subject: str  # QID, or the field name
    op: str
    choice: str | None = None
    right: str | None = None
    label: str = ""

    def negated(self) -> list[list[Cond]]:
        """¬self as DNF (text/field ordering negations also admit an empty value)."""
        flip = {
            "Selected": "NotSelected",
            "NotSelected": "Selected",
            "EqualTo": "NotEqualTo",
            "NotEqualTo": "EqualTo",
            "Empty": "NotEmpty",
            "NotEmpty": "Empty",
            "Contains": "DoesNotContain",
            "DoesNotContain": "Contains",
        }
        if self.op in flip:
            return [[_replace(self, op=flip[self.op])]]
        ordering = {
            "GreaterThan": "LessThanOrEqual",
            "GreaterThanOrEqual": "LessThan",
            "LessThan": "GreaterThanOrEqual",
            "LessThanOrEqual": "GreaterThan",
        }
        if self.op in ordering:
            # ¬(a > b) holds for an unanswered a too; Qualtrics' LessThanOrEqual does not.
            opposite = [[_replace(self, op=ordering[self.op])]]
            if self.kind == "count":
                return opposite
            return opposite + [[_replace(self, op="Empty", right=None)]]
        raise Untranslatable(f"cannot negate the Qualtrics operator {self.op}")

    def to_qualtrics(self) -> dict[str, Any]:
        if self.kind == "field":
            condition: dict[str, Any] = {
                "LogicType": "EmbeddedField",
                "LeftOperand": self.subject,
                "Operator": self.op,
                "Type": "Expression",
            }
        else:
            if self.kind == "choice":
                locator = f"q://{self.subject}/SelectableChoice/{self.choice}"
            elif self.kind == "count":
                locator = f"q://{self.subject}/SelectedChoicesCount"
            else:
                locator = f"q://{self.subject}/ChoiceTextEntryValue"
            condition = {
                "LogicType": "Question",
                "QuestionID": self.subject,
                "QuestionIsInLoop": "no",
                "ChoiceLocator": locator,
                "Operator": self.op,
                "QuestionIDFromLocator": self.subject,
                "LeftOperand": locator,
                "Type": "Expression",
            }
        if self.right is not None:
            condition["RightOperand"] = self.right
        condition["Description"] = html.escape(
            self.label or f"{self.subject} {self.op}", quote=False
        )
        return condition


def _replace(cond: Cond, **changes: Any) -> Cond:
    values = {**cond.__dict__, **changes}
    return Cond(**values)


DNF = list[list[Cond]]
TRUE: DNF = [[]]
FALSE: DNF = []


def is_true(dnf: DNF) -> bool:
    return any(not group for group in dnf)


def is_false(dnf: DNF) -> bool:
    return not dnf


@dataclass
class QuestionRef:
    """What a reference name points at, for translation: its QID and its Questra config."""

    qid: str
    config: Any
    page_key: str = ""


@dataclass
class Scope:
    """Names a condition may read: question reference names, variables (name → expression)."""

    questions: Mapping[str, QuestionRef]
    variables: Mapping[str, str | None] = field(default_factory=dict)
    # Called with a name read as an embedded-data field (neither question nor variable).
    on_field: Callable[[str], None] | None = None


# --- DNF algebra ---------------------------------------------------------------------------


def _or(*parts: DNF) -> DNF:
    if any(is_true(p) for p in parts):
        return TRUE
    out: DNF = []
    seen: set[tuple[Cond, ...]] = set()
    for part in parts:
        for group in part:
            key = tuple(group)
            if key not in seen:
                seen.add(key)
                out.append(group)
    if len(out) > MAX_GROUPS:
        raise Untranslatable(f"the condition needs over {MAX_GROUPS} condition sets in Qualtrics")
    return out


def _and(*parts: DNF) -> DNF:
    result: DNF = TRUE
    for part in parts:
        if is_false(part):
            return FALSE
        combined: DNF = []
        for left, right in itertools.product(result, part):
            group = list(dict.fromkeys([*left, *right]))
            if _contradicts(group):
                continue
            combined.append(group)
        if len(combined) > MAX_GROUPS:
            raise Untranslatable(
                f"the condition needs over {MAX_GROUPS} condition sets in Qualtrics"
            )
        result = _or(combined) if combined else FALSE
        if is_false(result):
            return FALSE
    return result


def _contradicts(group: list[Cond]) -> bool:
    selected = {(c.subject, c.choice) for c in group if c.kind == "choice" and c.op == "Selected"}
    return any(
        c.kind == "choice" and c.op == "NotSelected" and (c.subject, c.choice) in selected
        for c in group
    )


def conjoin(dnf: DNF, cond: Cond) -> DNF:
    return _and([[cond]], dnf)


# --- translation ---------------------------------------------------------------------------


def translate(expr: Expr | str, scope: Scope) -> DNF:
    """The expression as DNF over Qualtrics conditions; raises `Untranslatable`."""
    if isinstance(expr, str):
        try:
            expr = parse_cached(expr)
        except ExpressionError as error:
            raise Untranslatable(f"does not parse: {error}") from error
    return _Translator(scope).run(expr, True)


class _Translator:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.expanding: list[str] = []

    def run(self, expr: Expr, positive: bool) -> DNF:
        match expr:
            case BoolOp(op=op, operands=operands):
                parts = [self.run(o, positive) for o in operands]
                conjunctive = (op == "and") == positive
                return _and(*parts) if conjunctive else _or(*parts)
            case Not(operand=operand):
                return self.run(operand, not positive)
            case Literal(value=value):
                truth = _truthy_literal(value)
                return TRUE if truth == positive else FALSE
            case Compare():
                return self.compare(expr, positive)
            case Membership(item=item, options=options, negated=negated):
                return self.membership(item, options, positive != negated)
            case Call(name=name, args=args):
                return self.call(name, args, positive)
            case Reference():
                return self.truthiness(expr, positive)
            case ListExpr():
                raise Untranslatable("a list on its own is not a condition")
        raise Untranslatable(f"unsupported expression {expr!r}")

    # references ---------------------------------------------------------------------------

    def variable(self, ref: Reference) -> Expr | None:
        """The parsed expression of a variable read by `ref`, or None if it is not one."""
        if ref.name not in self.scope.variables or ref.name in self.scope.questions:
            return None
        if ref.member not in (None, "value"):
            raise Untranslatable(f"variable {ref.name!r} has no member {ref.member!r}")
        if ref.name in self.expanding:
            raise Untranslatable(f"variable {ref.name!r} refers to itself")
        text = self.scope.variables[ref.name]
        if text is None or not text.strip():
            return Literal(None)
        try:
            return parse_cached(text)
        except ExpressionError as error:
            raise Untranslatable(f"variable {ref.name!r} does not parse: {error}") from error

    def with_variable(self, ref: Reference, build: Callable[[Expr], DNF]) -> DNF:
        expr = self.variable(ref)
        assert expr is not None
        self.expanding.append(ref.name)
        try:
            return build(expr)
        except Untranslatable as error:
            raise Untranslatable(f"variable {ref.name!r}: {error}") from error
        finally:
            self.expanding.pop()

    def question(self, ref: Reference) -> QuestionRef | None:
        return self.scope.questions.get(ref.name)

    def field_name(self, ref: Reference) -> str:
        if ref.member not in (None, "value"):
            raise Untranslatable(f"{ref.name!r} is not a question or variable of the survey")
        if self.scope.on_field is not None:
            self.scope.on_field(ref.name)
        return ref.name

    # comparisons --------------------------------------------------------------------------

    def compare(self, expr: Compare, positive: bool) -> DNF:
        left, right, op = expr.left, expr.right, expr.op
        if isinstance(left, Literal) and not isinstance(right, Literal):
            left, right, op = right, left, _MIRROR[op]
        if isinstance(left, Literal) and isinstance(right, Literal):
            truth = bool(core_evaluate(expr, {}))
            return TRUE if truth == positive else FALSE
        if not isinstance(right, Literal):
            raise Untranslatable(
                "Qualtrics logic compares an answer with a fixed value, not two answers"
            )
        value = right.value
        if isinstance(value, bool) and op in ("==", "!="):
            # `(a > 1) == true` and `isTeen == false`: the truth of the other side.
            wanted = value if op == "==" else not value
            return self.run(left, positive == wanted)
        if isinstance(left, Call) and left.name in ("count", "len"):
            return self.count(left, op, value, positive)
        if not isinstance(left, Reference):
            raise Untranslatable("only answers, variables and count() can be compared")
        if self.variable(left) is not None:
            return self.with_variable(left, lambda e: self.run(Compare(op, e, right), positive))
        target = self.question(left)
        if target is None:
            return self.field_compare(self.field_name(left), op, value, positive)
        config = target.config
        if op == "!=" and not isinstance(config, TextInputConfig):
            # `a != v` is "v is not chosen" (true when unanswered), not "another is chosen".
            return self.compare(Compare("==", left, right), not positive)
        if isinstance(config, MultipleChoiceConfig) and left.member in (None, "value", "values"):
            return self.choices(
                target,
                config.choices,
                lambda v: _holds(op, v, value),
                positive,
                f"{left.name} {op} {_show(value)}",
            )
        if isinstance(config, TextInputConfig) and left.member in (None, "value"):
            return self.text(target.qid, op, value, positive, f"{left.name} {op} {_show(value)}")
        if isinstance(config, MatrixConfig) and left.member not in (None, "value", "values"):
            row = _choice_index(config.rows, left.member)
            if row is None:
                raise Untranslatable(f"{left.name} has no row {left.member!r}")
            return self.matrix_cell(
                target.qid,
                row,
                config.columns,
                op,
                value,
                positive,
                f"{left.name}.{left.member} {op} {_show(value)}",
            )
        raise Untranslatable(
            f"{left.name} is a {getattr(config, 'type', '?')} block; Qualtrics logic here "
            "covers multiple-choice and text answers"
        )

    def choices(
        self,
        target: QuestionRef,
        choices: list[Choice],
        holds: Callable[[str], bool],
        positive: bool,
        label: str,
    ) -> DNF:
        ids = choice_ids(target.config)
        matching = [ids[i] for i, c in enumerate(choices) if holds(c.value)]
        if positive:
            return (
                _or(
                    *[
                        [[Cond("choice", target.qid, "Selected", cid, label=label)]]
                        for cid in matching
                    ]
                )
                if matching
                else FALSE
            )
        return (
            _and(
                *[
                    [[Cond("choice", target.qid, "NotSelected", cid, label=f"not {label}")]]
                    for cid in matching
                ]
            )
            if matching
            else TRUE
        )

    def matrix_cell(
        self,
        qid: str,
        row: int,
        columns: list[Choice],
        op: str,
        value: object,
        positive: bool,
        label: str,
    ) -> DNF:
        matching = [str(i) for i, c in enumerate(columns, start=1) if _holds(op, c.value, value)]
        conds = [
            Cond(
                "choice",
                qid,
                "Selected" if positive else "NotSelected",
                f"{row}/{cid}",
                label=label,
            )
            for cid in matching
        ]
        if positive:
            return _or(*[[[c]] for c in conds]) if conds else FALSE
        return _and(*[[[c]] for c in conds]) if conds else TRUE

    def text(self, qid: str, op: str, value: object, positive: bool, label: str) -> DNF:
        if value is None:
            if op not in ("==", "!="):
                return FALSE if positive else TRUE
            empty = (op == "==") == positive
            return [[Cond("text", qid, "Empty" if empty else "NotEmpty", label=label)]]
        cond = Cond("text", qid, _OPERATORS[op], right=_text(value), label=label)
        return [[cond]] if positive else cond.negated()

    def field_compare(self, name: str, op: str, value: object, positive: bool) -> DNF:
        label = f"{name} {op} {_show(value)}"
        if value is None:
            if op not in ("==", "!="):
                return FALSE if positive else TRUE
            empty = (op == "==") == positive
            return [[Cond("field", name, "Empty" if empty else "NotEmpty", label=label)]]
        cond = Cond("field", name, _OPERATORS[op], right=_text(value), label=label)
        return [[cond]] if positive else cond.negated()

    def count(self, call: Call, op: str, value: object, positive: bool) -> DNF:
        (arg,) = call.args
        if (
            not isinstance(arg, Reference)
            or isinstance(value, bool)
            or not isinstance(value, int | float)
        ):
            raise Untranslatable(f"{call.name}() is compared with a number of an answer only")
        target = self.question(arg)
        if target is None or not isinstance(target.config, MultipleChoiceConfig):
            raise Untranslatable(f"{call.name}() translates for multiple-choice answers only")
        if call.name == "len":
            raise Untranslatable("len() of an answer has no Qualtrics equivalent")
        cond = Cond(
            "count",
            target.qid,
            _OPERATORS[op],
            right=_text(value),
            label=f"count({arg.name}) {op} {_show(value)}",
        )
        return [[cond]] if positive else cond.negated()

    # membership, calls, truthiness ---------------------------------------------------------

    def membership(self, item: Expr, options: Expr, positive: bool) -> DNF:
        if isinstance(item, Reference) and isinstance(options, ListExpr):
            values = [_literal(o) for o in options.items]
            if self.variable(item) is not None:
                return self.with_variable(
                    item,
                    lambda e: self.run(Membership(e, options), positive),
                )
            parts = [self.compare(Compare("==", item, Literal(v)), True) for v in values]
            either = _or(*parts) if parts else FALSE
            return either if positive else self.negate(either)
        if isinstance(item, Literal) and isinstance(options, Reference):
            return self.contains(options, [item.value], positive)
        raise Untranslatable("'in' translates as `answer in [values]` or `'value' in answer`")

    def negate(self, dnf: DNF) -> DNF:
        if is_true(dnf):
            return FALSE
        if is_false(dnf):
            return TRUE
        return _and(*[_or(*[c.negated() for c in group]) for group in dnf])

    def contains(self, ref: Reference, values: list[object], positive: bool) -> DNF:
        if self.variable(ref) is not None:
            raise Untranslatable(f"contains() on variable {ref.name!r} has no Qualtrics form")
        target = self.question(ref)
        if target is None:
            name = self.field_name(ref)
            parts = [self.field_compare(name, "==", v, True) for v in values]
        elif isinstance(target.config, MultipleChoiceConfig):
            parts = [
                self.choices(
                    target,
                    target.config.choices,
                    lambda c, v=v: _holds("==", c, v),
                    True,
                    f"{ref.name} has {_show(v)}",
                )
                for v in values
            ]
        elif isinstance(target.config, TextInputConfig):
            parts = [
                self.text(target.qid, "==", v, True, f"{ref.name} == {_show(v)}") for v in values
            ]
        else:
            raise Untranslatable(
                f"contains() on a {target.config.type} block has no Qualtrics form"
            )
        both = _and(*parts)
        return both if positive else self.negate(both)

    def call(self, name: str, args: tuple[Expr, ...], positive: bool) -> DNF:
        if name in ("answered", "empty"):
            (arg,) = args
            if not isinstance(arg, Reference):
                raise Untranslatable(f"{name}() of something other than an answer")
            answered = self.answered(arg)
            wanted = positive if name == "answered" else not positive
            return answered if wanted else self.negate(answered)
        if name == "contains":
            container, wanted_value = args
            if not isinstance(container, Reference):
                raise Untranslatable("contains() needs an answer as its first argument")
            if isinstance(wanted_value, ListExpr):
                values = [_literal(i) for i in wanted_value.items]
            else:
                values = [_literal(wanted_value)]
            return self.contains(container, values, positive)
        raise Untranslatable(f"{name}() has no Qualtrics logic equivalent")

    def answered(self, ref: Reference) -> DNF:
        if self.variable(ref) is not None:
            raise Untranslatable(f"answered() on variable {ref.name!r} has no Qualtrics form")
        target = self.question(ref)
        if target is None:
            name = self.field_name(ref)
            return [[Cond("field", name, "NotEmpty", label=f"{name} is set")]]
        if isinstance(target.config, MultipleChoiceConfig):
            return self.choices(
                target, target.config.choices, lambda _: True, True, f"{ref.name} answered"
            )
        if isinstance(target.config, TextInputConfig):
            return [[Cond("text", target.qid, "NotEmpty", label=f"{ref.name} answered")]]
        raise Untranslatable(f"answered() on a {target.config.type} block has no Qualtrics form")

    def truthiness(self, ref: Reference, positive: bool) -> DNF:
        if self.variable(ref) is not None:
            return self.with_variable(ref, lambda e: self.run(e, positive))
        target = self.question(ref)
        if target is None:
            name = self.field_name(ref)
            truthy = _and(
                [[Cond("field", name, "NotEmpty", label=f"{name} is set")]],
                [[Cond("field", name, "NotEqualTo", right="0", label=f"{name} is not 0")]],
            )
            return truthy if positive else self.negate(truthy)
        if isinstance(target.config, MultipleChoiceConfig):
            return self.choices(
                target, target.config.choices, _truthy_value, positive, f"{ref.name} is true"
            )
        if isinstance(target.config, TextInputConfig):
            truthy = _and(
                [[Cond("text", target.qid, "NotEmpty", label=f"{ref.name} answered")]],
                [[Cond("text", target.qid, "NotEqualTo", right="0", label=f"{ref.name} ≠ 0")]],
            )
            return truthy if positive else self.negate(truthy)
        raise Untranslatable(f"the truth of a {target.config.type} answer has no Qualtrics form")


NPS_VALUES = [str(i) for i in range(11)]


def is_nps(config: object) -> bool:
    """A single-answer multiple choice whose values are exactly 0..10: an NPS question."""
    return (
        isinstance(config, MultipleChoiceConfig)
        and not config.allowMultiple
        and [c.value for c in config.choices] == NPS_VALUES
    )


def choice_ids(config: object) -> list[str]:
    """Qualtrics choice ids of a multiple choice: "1".."n" in order ("0".."10" for NPS)."""
    if is_nps(config):
        return list(NPS_VALUES)
    options = getattr(config, "choices", None) or getattr(config, "options", [])
    return [str(i) for i in range(1, len(options) + 1)]


_MIRROR = {"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
_OPERATORS = {
    "==": "EqualTo",
    "!=": "NotEqualTo",
    ">": "GreaterThan",
    ">=": "GreaterThanOrEqual",
    "<": "LessThan",
    "<=": "LessThanOrEqual",
}


def _holds(op: str, choice_value: str, literal: object) -> bool:
    """Whether a choice with this value satisfies `answer op literal`, by the core's rules."""
    return bool(core_evaluate(Compare(op, Literal(choice_value), Literal(literal)), {}))


def _truthy_value(choice_value: str) -> bool:
    return bool(core_evaluate(Not(Not(Literal(choice_value))), {}))


def _truthy_literal(value: object) -> bool:
    return bool(core_evaluate(Not(Not(Literal(value))), {}))  # type: ignore[arg-type]


def _choice_index(choices: list[Choice], value: str) -> int | None:
    for index, choice in enumerate(choices, start=1):
        if choice.value == value:
            return index
    return None


def _literal(expr: Expr) -> object:
    if not isinstance(expr, Literal):
        raise Untranslatable("Qualtrics logic compares with fixed values only")
    return expr.value


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _show(value: object) -> str:
    return repr(value) if isinstance(value, str) else _text(value)


# --- rendering -----------------------------------------------------------------------------


def boolean_expression(dnf: DNF, *, in_page: bool | None = None) -> dict[str, Any]:
    """DNF → Qualtrics BooleanExpression (`And` inside a group, `Or` between groups).

    The conjunction joining a group to the ones before sits on its first condition, as
    Qualtrics stores it.
    """
    if not dnf or is_true(dnf):
        raise ValueError("a constant condition has no BooleanExpression")
    logic: dict[str, Any] = {"Type": "BooleanExpression"}
    for g, group in enumerate(dnf):
        entry: dict[str, Any] = {}
        for c, cond in enumerate(group):
            condition = cond.to_qualtrics()
            if c > 0:
                condition["Conjuction"] = "And"
            elif g > 0:
                condition["Conjuction"] = "Or"
            entry[str(c)] = condition
        entry["Type"] = "If"
        logic[str(g)] = entry
    if in_page is not None:
        logic["inPage"] = in_page
    return logic


def questions_read(dnf: DNF) -> set[str]:
    return {c.subject for group in dnf for c in group if c.kind != "field"}
