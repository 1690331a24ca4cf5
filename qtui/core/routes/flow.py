"""The survey's flow prepared once (pages in order, rules parsed) and one route through it."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from qtui.core.logic import (
    Call,
    Expr,
    ExpressionError,
    Reference,
    evaluate,
    is_true,
    parse_cached,
    reference_roots,
)
from qtui.core.models import (
    NavigationRule,
    Page,
    Survey,
    Variable,
)

Ending = Literal["end", "cycle", "dead_end"]


@dataclass(frozen=True)
class RouteStep:
    """One move: from a page, by a rule (None = fall-through), to a page (None = no page)."""

    from_page_id: str
    rule_id: str | None
    to_page_id: str | None


@dataclass
class Route:
    """The pages visited, in order, and why the walk stopped.

    ``ended`` is ``"end"`` after the last page, ``"cycle"`` when a page would be shown a
    second time (the revisiting step is the last one), ``"dead_end"`` when a rule points at a
    page that does not exist (its step has ``to_page_id=None``).
    """

    pages: list[Page]
    ended: Ending
    steps: list[RouteStep]

    @property
    def page_ids(self) -> list[str]:
        return [page.id for page in self.pages]

    @property
    def rule_ids(self) -> list[str]:
        return [step.rule_id for step in self.steps if step.rule_id is not None]


# ---------------------------------------------------------------------------------------------
# the survey's flow, prepared once


@dataclass
class _Rule:
    rule: NavigationRule
    condition: Expr | None  # None: always
    error: ExpressionError | None


class _Flow:
    """Pages in order with their rules parsed; shared by routing, analysis and enumeration."""

    def __init__(self, survey: Survey) -> None:
        self.survey = survey
        self.pages: list[Page] = sorted(survey.pages, key=lambda p: p.order)
        self.by_id: dict[str, Page] = {p.id: p for p in self.pages}
        self.next_of: dict[str, str | None] = {
            page.id: (
                self.pages[i + 1].id if i + 1 < len(self.pages) and not page.ends_survey else None
            )
            for i, page in enumerate(self.pages)
        }
        first = self.by_id.get(survey.first_page_id or "")
        self.start: Page | None = first or (self.pages[0] if self.pages else None)
        self.rules: dict[str, list[_Rule]] = {
            # an end page closes the response: its rules are never followed
            page.id: []
            if page.ends_survey
            else [_parse_rule(r) for r in sorted(page.navigation_rules, key=lambda r: r.order)]
            for page in self.pages
        }

    def decide(
        self, page: Page, ns: Mapping[str, object]
    ) -> tuple[NavigationRule | None, str | None]:
        """The rule taken after ``page`` (None = fall-through) and the page id it leads to."""
        for entry in self.rules[page.id]:
            if entry.error is not None:
                continue  # a condition that does not parse never fires; analyze() reports it
            if entry.condition is None or is_true(entry.condition, ns):
                return entry.rule, entry.rule.target_page_id
        return None, self.next_of[page.id]

    def walk(self, ns: Mapping[str, object]) -> Route:
        pages: list[Page] = []
        steps: list[RouteStep] = []
        seen: set[str] = set()
        page = self.start
        while page is not None:
            pages.append(page)
            seen.add(page.id)
            rule, target = self.decide(page, ns)
            rule_id = rule.id if rule is not None else None
            if rule is None and target is None:
                steps.append(RouteStep(page.id, None, None))
                return Route(pages, "end", steps)
            nxt = self.by_id.get(target or "")
            if nxt is None:
                steps.append(RouteStep(page.id, rule_id, None))
                return Route(pages, "dead_end", steps)
            steps.append(RouteStep(page.id, rule_id, nxt.id))
            if nxt.id in seen:
                return Route(pages, "cycle", steps)
            page = nxt
        return Route(pages, "end", steps)


def _parse_text(text: str | None) -> Expr | None:
    """An expression, or None for a missing or blank one; raises ExpressionError."""
    if text is None or not text.strip():
        return None
    return parse_cached(text)


def _parse_rule(rule: NavigationRule) -> _Rule:
    try:
        return _Rule(rule, _parse_text(rule.condition), None)
    except ExpressionError as error:
        return _Rule(rule, None, error)


# ---------------------------------------------------------------------------------------------
# following one route


def _variable_expr(variable: Variable) -> Expr | None:
    try:
        return _parse_text(variable.expression)
    except ExpressionError:
        return None


def variable_order(survey: Survey) -> tuple[list[Variable], list[list[str]]]:
    """Variables in the order they can be computed: each after the variables it reads.

    Questra sends variables without timestamps, so their list order means nothing; the
    dependencies decide. Ties keep list order. Returns the order and the cycles (variable
    names that read each other), whose members are computed in list order and read null.
    """
    by_name = {v.name: v for v in survey.variables if v.name}
    position = {v.name: i for i, v in enumerate(survey.variables)}
    reads: dict[str, set[str]] = {}
    for name, variable in by_name.items():
        expr = _variable_expr(variable)
        roots = reference_roots(expr) if expr is not None else set()
        reads[name] = {r for r in roots if r in by_name and r != name}
    order: list[str] = []
    remaining = dict(reads)
    while remaining:
        ready = sorted((n for n, deps in remaining.items() if not deps), key=position.get)
        if not ready:
            break
        for name in ready:
            order.append(name)
            del remaining[name]
        for deps in remaining.values():
            deps.difference_update(ready)
    cycles = [sorted(remaining, key=position.get)] if remaining else []
    order += sorted(remaining, key=position.get)
    unnamed = [v for v in survey.variables if not v.name]
    return [by_name[n] for n in order] + unnamed, cycles


def with_variables(survey: Survey, answers: Mapping[str, object]) -> dict[str, object]:
    """The answers plus every variable's value, the namespace conditions are evaluated in.

    Variables are computed in dependency order (`variable_order`). An answer given for a
    variable's name wins over its expression; an expression that does not parse gives None.
    """
    ns = dict(answers)
    for variable in variable_order(survey)[0]:
        if not variable.name or variable.name in answers:
            continue
        expr = _variable_expr(variable)
        ns[variable.name] = evaluate(expr, ns) if expr is not None else None
    return ns


def route(survey: Survey, answers: Mapping[str, object]) -> Route:
    """The route a respondent with these answers takes from the first page."""
    return _Flow(survey).walk(with_variables(survey, answers))


# ---------------------------------------------------------------------------------------------
# shared by the checks and the enumeration


def _reach(graph: Mapping[str, set[str]], start: str) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in graph.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _probe_target(node: Expr) -> tuple[str, str | None, str | None] | None:
    """(name, member, function) when ``node`` reads an answer directly or through f(answer)."""
    via = None
    if isinstance(node, Call) and len(node.args) == 1 and node.name in ("count", "len", "sum"):
        via, node = node.name, node.args[0]
    if isinstance(node, Reference):
        member = None if node.member in (None, "value", "values") else node.member
        return node.name, member, via
    return None


def _as_number(value: object) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        if not math.isfinite(number):
            return None
        return int(number) if number.is_integer() and "." not in value else number
    return None
