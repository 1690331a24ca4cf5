"""Routes through a survey: which pages a respondent sees, given their answers.

Navigation, as qtui models it: after a page, its navigation rules are tried in ``order``; the
first whose condition is true is taken (no condition = always). When none is taken the
respondent goes on to the next page by ``order``, and after the last page the survey ends.
Variables are computed from the answers before any condition is evaluated.

Besides following one route (:func:`route`), this module checks the page graph as a whole
(:func:`analyze`: unreachable pages, dead ends, loops, unknown names, syntax errors) and finds
one example set of answers per distinct route (:func:`enumerate_routes`) for QA walks.
``docs/expressions.md`` describes the expression language and these rules for programmers.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from qtui.core.logic import (
    Call,
    Compare,
    Expr,
    ExpressionError,
    ListExpr,
    Membership,
    Reference,
    evaluate,
    is_true,
    parse_cached,
    reference_roots,
    walk,
)
from qtui.core.logic import Literal as LiteralNode
from qtui.core.models import (
    AutosumConfig,
    Block,
    CardSortConfig,
    InputListConfig,
    LoopConfig,
    MatrixConfig,
    MultipleChoiceConfig,
    NavigationRule,
    Page,
    RankOrderConfig,
    Survey,
    TextInputConfig,
    Variable,
    reference_names,
)

__all__ = [
    "Finding",
    "Route",
    "RouteAnalysis",
    "RoutePlan",
    "RouteStep",
    "analyze",
    "candidate_answers",
    "enumerate_routes",
    "route",
    "untaken_rules",
    "with_variables",
]

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
# analysis


@dataclass(frozen=True)
class Finding:
    """One problem, for a list in the UI. ``item_id`` is a page, rule, block or variable id."""

    kind: str
    item_id: str
    message: str


@dataclass
class RouteAnalysis:
    unreachable: list[str] = field(default_factory=list)
    dead_ends: list[str] = field(default_factory=list)
    cycles: list[list[str]] = field(default_factory=list)
    unknown_references: dict[str, list[str]] = field(default_factory=dict)
    parse_errors: dict[str, ExpressionError] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


_END = "\0end"  # graph node for "the survey ended"; no page id contains a NUL


def analyze(survey: Survey) -> RouteAnalysis:
    """Check the page graph and every expression of the survey.

    Each conditional rule is treated as possibly true and possibly false; an unconditional
    rule (or one whose condition reads nothing and is always true) cuts off the rules after it
    and the fall-through. Finding kinds: parse_error, unknown_reference, variable_cycle,
    duplicate_name, unknown_target, never_taken, unreachable, dead_end, cycle,
    read_before_asked, unknown_choice.
    """
    flow = _Flow(survey)
    result = RouteAnalysis()
    _check_expressions(survey, flow, result)
    graph = _graph(flow, result)
    _check_read_before_asked(survey, flow, graph, result)
    _check_choice_values(survey, flow, result)
    name = {page.id: page.name or page.id for page in flow.pages}

    reached = _reach(graph, flow.start.id) if flow.start is not None else set()
    result.unreachable = [p.id for p in flow.pages if p.id not in reached]
    for page_id in result.unreachable:
        result.findings.append(
            Finding(
                "unreachable", page_id, f"page {name[page_id]!r} cannot be reached from the start"
            )
        )

    reverse: dict[str, set[str]] = {node: set() for node in graph}
    reverse[_END] = set()
    for node, targets in graph.items():
        for target in targets:
            reverse.setdefault(target, set()).add(node)
    finishing = _reach(reverse, _END)
    result.dead_ends = [p.id for p in flow.pages if p.id not in finishing]
    for page_id in result.dead_ends:
        result.findings.append(
            Finding("dead_end", page_id, f"page {name[page_id]!r} can never reach the end")
        )

    result.cycles = _cycles(flow, graph)
    for cycle in result.cycles:
        path = " → ".join(repr(name[p]) for p in [*cycle, cycle[0]])
        result.findings.append(Finding("cycle", cycle[0], f"pages loop: {path}"))
    return result


def _check_expressions(survey: Survey, flow: _Flow, result: RouteAnalysis) -> None:
    refs = reference_names(survey)
    variable_names = [v.name for v in survey.variables if v.name]
    known = set(refs.values()) | set(variable_names)

    seen_names: dict[str, str] = {}
    for block_id, ref in refs.items():
        if ref in seen_names:
            result.findings.append(
                Finding(
                    "duplicate_name",
                    block_id,
                    f"name {ref!r} is already used by another block; expressions read the first",
                )
            )
        seen_names.setdefault(ref, block_id)

    def check(item_id: str, what: str, text: str | None, extra: Iterable[str] = ()) -> set[str]:
        roots: set[str] = set(extra)
        try:
            expr = _parse_text(text)
        except ExpressionError as error:
            result.parse_errors[item_id] = error
            result.findings.append(Finding("parse_error", item_id, f"{what}: {error}"))
            expr = None
        if expr is not None:
            roots |= reference_roots(expr)
        unknown = sorted(roots - known)
        if unknown:
            result.unknown_references[item_id] = unknown
            listed = ", ".join(repr(u) for u in unknown)
            result.findings.append(
                Finding(
                    "unknown_reference",
                    item_id,
                    f"{what} reads {listed}, which no question or variable is called",
                )
            )
        return roots

    for page in flow.pages:
        for entry in flow.rules[page.id]:
            check(entry.rule.id, "condition", entry.rule.condition)
        for block in page.blocks:
            loop_variable = (
                [block.config.variable]
                if isinstance(block.config, LoopConfig) and block.config.variable
                else []
            )
            check(block.id, "showIf", block.config.showIf, loop_variable)

    for variable in survey.variables:
        check(variable.id, f"variable {variable.name!r}", variable.expression)
    _, cycles = variable_order(survey)
    by_name = {v.name: v for v in survey.variables}
    for cycle in cycles:
        for name in cycle:
            result.findings.append(
                Finding(
                    "variable_cycle",
                    by_name[name].id,
                    f"variable {name!r} depends on itself through {', '.join(cycle)}; "
                    "it cannot be computed and reads null",
                )
            )


def _graph(flow: _Flow, result: RouteAnalysis) -> dict[str, set[str]]:
    """page id → the page ids (or _END) it may lead to."""
    graph: dict[str, set[str]] = {}
    for page in flow.pages:
        targets: set[str] = set()
        cut = False
        for entry in flow.rules[page.id]:
            rule = entry.rule
            if cut:
                result.findings.append(
                    Finding(
                        "never_taken",
                        rule.id,
                        f"rule to {_page_label(flow, rule.target_page_id)} is never tried: "
                        "an earlier rule always fires",
                    )
                )
                continue
            always = entry.error is None and (
                entry.condition is None
                or (not reference_roots(entry.condition) and is_true(entry.condition, {}))
            )
            never = (
                entry.error is None
                and entry.condition is not None
                and not reference_roots(entry.condition)
                and not always
            )
            if never:
                result.findings.append(
                    Finding(
                        "never_taken",
                        rule.id,
                        f"rule to {_page_label(flow, rule.target_page_id)} has a condition "
                        "that is always false",
                    )
                )
                continue
            if rule.target_page_id in flow.by_id:
                targets.add(rule.target_page_id)
            else:
                result.findings.append(
                    Finding(
                        "unknown_target",
                        rule.id,
                        f"rule leads to page id {rule.target_page_id!r}, which does not exist",
                    )
                )
            cut = always
        if not cut:
            targets.add(flow.next_of[page.id] or _END)
        graph[page.id] = targets
    return graph


def _parsed_expressions(
    survey: Survey, flow: _Flow
) -> Iterable[tuple[str, str, Expr | None, str | None]]:
    """(item id, what it is, parsed expression, page id or None) for every rule condition,
    showIf and variable expression that parses (the others are reported as parse errors)."""
    for page in flow.pages:
        for entry in flow.rules[page.id]:
            yield entry.rule.id, "condition", entry.condition, page.id
        for block in page.blocks:
            try:
                show_if = _parse_text(block.config.showIf)
            except ExpressionError:
                continue
            yield block.id, "showIf", show_if, page.id
    for variable in survey.variables:
        yield variable.id, f"variable {variable.name!r}", _variable_expr(variable), None


def _check_read_before_asked(
    survey: Survey, flow: _Flow, graph: Mapping[str, set[str]], result: RouteAnalysis
) -> None:
    """A rule or showIf that reads a question no route can have asked by then.

    The question's page must lead to the page by some route; otherwise the answer is always
    empty where the expression runs (say an under-18 screen-out that reads a question asked
    three pages later), which no syntax or name check can see. A rule runs once its page is
    answered, so it may read that page's questions. A showIf may read a question asked above
    it on its page (Qualtrics' in-page display logic: it shows once that one is answered),
    but not its own answer nor one asked below it: those are never there when it decides.
    """
    refs = reference_names(survey)
    asked_on: dict[str, str] = {}
    asked_in: dict[str, str] = {}  # question → the block that asks it
    place: dict[str, int] = {}  # block id → its place on its page
    for page in flow.pages:
        for index, block in enumerate(sorted(page.blocks, key=lambda b: (b.order, b.id))):
            place[block.id] = index
            if block.id in refs and refs[block.id] not in asked_on:
                asked_on[refs[block.id]] = page.id
                asked_in[refs[block.id]] = block.id
    variables = {v.name: v for v in survey.variables if v.name}
    questions_of: dict[str, set[str]] = {}

    def questions(name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        if name in asked_on:
            return {name}
        if name not in variables or name in seen:
            return set()
        if name not in questions_of:
            expr = _variable_expr(variables[name])
            roots = reference_roots(expr) if expr is not None else set()
            questions_of[name] = set().union(*(questions(r, seen | {name}) for r in roots))
        return questions_of[name]

    reach: dict[str, set[str]] = {}

    def never_before(question: str, page_id: str) -> str | None:
        """The page that asks `question`, when no route shows it before leaving `page_id`."""
        source = asked_on[question]
        if source == page_id:
            return None
        if source not in reach:
            reach[source] = _reach(graph, source)
        return source if page_id not in reach[source] else None

    def check(item_id: str, what: str, expr: Expr | None, page_id: str) -> None:
        if expr is None:
            return
        read = set().union(*(questions(root) for root in reference_roots(expr)))
        for question in sorted(read):
            asker = asked_in[question]
            if (
                what == "showIf"
                and asked_on[question] == page_id
                and place[asker] >= place[item_id]
            ):
                result.findings.append(
                    Finding(
                        "read_before_asked",
                        item_id,
                        _same_page(flow, refs, item_id, question, asker, page_id),
                    )
                )
                continue
            source = never_before(question, page_id)
            if source is not None:
                result.findings.append(
                    Finding(
                        "read_before_asked",
                        item_id,
                        f"{what} reads {question!r}, asked on page {_page_label(flow, source)}, "
                        f"which no route shows before page {_page_label(flow, page_id)}: "
                        "it is always unanswered there",
                    )
                )

    for item_id, what, expr, page_id in _parsed_expressions(survey, flow):
        if page_id is not None:  # a variable is computed wherever it is read
            check(item_id, what, expr, page_id)


def _same_page(
    flow: _Flow, refs: Mapping[str, str], block_id: str, question: str, asker: str, page_id: str
) -> str:
    """Why a showIf cannot read its own question or one asked below it on its page."""
    page = _page_label(flow, page_id)
    reader = refs.get(block_id, block_id)
    if asker == block_id:
        return (
            f"showIf of {reader!r} reads its own answer: the block is shown or hidden before "
            "it is answered, so it is always unanswered there"
        )
    return (
        f"showIf of {reader!r} reads {question!r}, asked below it on the same page {page}: "
        f"{reader!r} is shown or hidden before {question!r} is answered, so it is always "
        f"unanswered there (ask {question!r} above it or on an earlier page)"
    )


def _check_choice_values(survey: Survey, flow: _Flow, result: RouteAnalysis) -> None:
    """A condition, showIf or variable that compares a choice question with a value none of
    its choices has: `q1 == 'under_18'` after the choice was renamed `xunder_18` can never
    be true, so a screen-out silently stops screening anyone out."""
    refs = reference_names(survey)
    choices: dict[str, list[str]] = {}
    for page in flow.pages:
        for block in page.blocks:
            if isinstance(block.config, MultipleChoiceConfig) and block.id in refs:
                choices.setdefault(refs[block.id], [c.value for c in block.config.choices])

    def compared(expr: Expr) -> Iterable[tuple[str, object]]:
        """(question, value) for each literal the expression compares a choice answer with."""
        for node in walk(expr):
            pairs: list[tuple[Expr, Expr]] = []
            match node:
                case Compare(op="==" | "!=", left=left, right=right):
                    pairs = [(left, right), (right, left)]
                case Membership(item=item, options=ListExpr(items=items)):
                    pairs = [(item, option) for option in items]
                case Membership(item=LiteralNode() as item, options=options):
                    pairs = [(options, item)]
                case Call(name="contains", args=(container, LiteralNode() as value)):
                    pairs = [(container, value)]
            for subject, other in pairs:
                target = _probe_target(subject)
                if target is None or target[1:] != (None, None):
                    continue
                if isinstance(other, LiteralNode) and target[0] in choices:
                    yield target[0], other.value

    def check(item_id: str, what: str, expr: Expr | None) -> None:
        if expr is None:
            return
        for question, value in compared(expr):
            values = choices[question]
            if value is None or isinstance(value, bool) or _is_choice(value, values):
                continue
            listed = ", ".join(repr(v) for v in values[:8]) + (", …" if len(values) > 8 else "")
            result.findings.append(
                Finding(
                    "unknown_choice",
                    item_id,
                    f"{what} compares {question!r} with {value!r}, which none of its choices "
                    f"has ({listed or 'it has no choices'}): that comparison never matches",
                )
            )

    for item_id, what, expr, _ in _parsed_expressions(survey, flow):
        check(item_id, what, expr)


def _is_choice(value: object, values: list[str]) -> bool:
    if isinstance(value, str):
        return value in values
    number = _as_number(value)
    return number is not None and any(_as_number(v) == number for v in values)


def _page_label(flow: _Flow, page_id: str | None) -> str:
    page = flow.by_id.get(page_id or "")
    return repr(page.name or page.id) if page is not None else f"missing page {page_id!r}"


def _reach(graph: Mapping[str, set[str]], start: str) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in graph.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _cycles(flow: _Flow, graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle per group of mutually reachable pages, starting at its first page by order.

    Pages that reach each other form a group; listing every elementary cycle of a group can be
    exponential, and one concrete loop per group is what a programmer needs to find it.
    """
    position = {page.id: i for i, page in enumerate(flow.pages)}
    reach = {page.id: _reach(graph, page.id) for page in flow.pages}
    grouped: set[str] = set()
    cycles: list[list[str]] = []
    for page in flow.pages:
        if page.id in grouped:
            continue
        group = {other for other in reach[page.id] if other in reach and page.id in reach[other]}
        grouped |= group
        looped = page.id in graph[page.id] or len(group) > 1
        if not looped:
            continue
        cycles.append(_loop_through(page.id, graph, group, position))
    return cycles


def _loop_through(
    start: str, graph: Mapping[str, set[str]], group: set[str], position: Mapping[str, int]
) -> list[str]:
    """A shortest path start → … → start inside ``group``, without repeating ``start``."""
    parent: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph[node] & group, key=position.__getitem__):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return list(reversed(path))
            if nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    return [start]


# ---------------------------------------------------------------------------------------------
# route enumeration


@dataclass
class RoutePlan:
    """A distinct route and one set of answers that takes it.

    ``answers`` holds only the answers the route's conditions depend on; questions it leaves
    out may be answered any way (or left unanswered) without changing the route.
    """

    page_ids: list[str]
    answers: dict[str, object]
    ended: Ending
    steps: list[RouteStep]

    @property
    def rule_ids(self) -> list[str]:
        return [step.rule_id for step in self.steps if step.rule_id is not None]


_ABSENT = object()  # candidate meaning "leave this question unanswered"

# Per page, the combinations of candidate answers tried; beyond it each question is varied
# alone, the others left unanswered.
MAX_COMBINATIONS = 512
# Dict-shaped answers (matrix rows, autosum items…) try every mix of per-key values up to this.
MAX_DICT_COMBINATIONS = 64


def enumerate_routes(
    survey: Survey, limit: int = 1000, *, budget: int = 100_000
) -> list[RoutePlan]:
    """Distinct routes, each with example answers that take it.

    Routes differ by their pages, the rules taken or how they end: two plans may show the same
    pages when different rules lead the same way, because a QA walk of each checks a
    different rule.

    Depth-first over pages: at each page, the questions its rules read (through variables
    too) that are not yet fixed get candidate answers — the choices of multiple-choice, matrix,
    card-sort and rank-order questions, literals from the conditions themselves for free text
    and numbers, and "unanswered" — and each distinct outcome is followed. Candidates of a
    question that a later page reads again stay apart, since a later rule may tell them apart.

    Three passes share ``budget`` (condition evaluations): the first visits each page once and
    the second each (page, answers later pages read) state once — both record a plan whenever
    they take a rule (or fall-through) no plan has taken yet, so plans that cover every branch
    come first; the third looks for further distinct routes. At most ``limit`` plans.
    """
    flow = _Flow(survey)
    if flow.start is None or limit <= 0:
        return []
    search = _RouteSearch(survey, flow, limit, budget)
    for memo in ("page", "state", None):
        search.run(memo)
    return list(search.plans.values())[:limit]


class _RouteSearch:
    def __init__(self, survey: Survey, flow: _Flow, limit: int, budget: int) -> None:
        self.survey = survey
        self.flow = flow
        self.limit = limit
        self.budget = budget
        self.candidates = _Candidates(survey, flow)
        self.page_roots = {p.id: self.candidates.roots_read_at(p.id) for p in flow.pages}
        # every page a page may lead to, conditions aside
        successors = {
            page.id: {e.rule.target_page_id for e in flow.rules[page.id]} | {flow.next_of[page.id]}
            for page in flow.pages
        }
        graph = {
            page_id: {t for t in targets if t in flow.by_id}
            for page_id, targets in successors.items()
        }
        self.reads_from: dict[str, set[str]] = {
            page_id: {root for later in _reach(graph, page_id) for root in self.page_roots[later]}
            for page_id in graph
        }
        self.plans: dict[tuple[str, ...], RoutePlan] = {}  # by pages, rules taken, ending
        self.taken: set[tuple[str, str | None]] = set()  # (page, rule or None) some plan takes

    def run(self, memo: str | None) -> None:
        """Depth-first from the start; ``memo`` ("page", "state" or None) skips repeats."""
        assert self.flow.start is not None
        expanded: set[tuple] = set()
        stack: list[_SearchState] = [_SearchState(self.flow.start.id, {}, {}, frozenset())]
        while stack and len(self.plans) < self.limit and self.budget > 0:
            here = stack.pop()
            if memo is not None:
                key: tuple = (here.page_id,)
                if memo == "state":
                    later = self.reads_from[here.page_id]
                    key += tuple(sorted((r, i) for r, i in here.fixed.items() if r in later))
                if key in expanded:
                    continue
                expanded.add(key)
            children = []
            for rule_id, target, after in self.outcomes(here):
                nxt = self.flow.by_id.get(target or "")
                if nxt is None or nxt.id in here.visited or nxt.id == here.page_id:
                    self.record(after.answers)
                    continue
                if memo is not None and (here.page_id, rule_id) not in self.taken:
                    self.record(after.answers)  # the route it starts, unanswered from here on
                children.append(
                    _SearchState(nxt.id, after.fixed, after.answers, here.visited | {here.page_id})
                )
            stack.extend(reversed(children))

    def outcomes(self, here: _SearchState) -> list[tuple[str | None, str | None, _SearchState]]:
        """(rule id, next page id, state after) for each distinct way of leaving the page."""
        page = self.flow.by_id[here.page_id]
        open_roots = [r for r in self.page_roots[here.page_id] if r not in here.fixed]
        values = self.candidates.values
        found: dict[tuple, tuple[dict[str, int], dict[str, object]]] = {}
        for combo in _combinations(open_roots, self.candidates):
            self.budget -= 1
            picked = {r: values[r][i] for r, i in combo.items() if i}  # index 0: unanswered
            answers = {**here.answers, **picked}
            rule, target = self.flow.decide(page, with_variables(self.survey, answers))
            later = self.reads_from.get(target or "", set())
            key = (
                rule.id if rule else None,
                target,
                tuple(combo[r] for r in open_roots if r in later),
            )
            if key not in found:
                found[key] = (combo, answers)
        return [
            (rule_id, target, _SearchState("", {**here.fixed, **combo}, answers, here.visited))
            for (rule_id, target, _), (combo, answers) in found.items()
        ]

    def record(self, answers: dict[str, object]) -> None:
        walked = self.flow.walk(with_variables(self.survey, answers))
        key = (*walked.page_ids, *map(str, walked.rule_ids), walked.ended)
        if key not in self.plans and len(self.plans) < self.limit:
            self.plans[key] = RoutePlan(walked.page_ids, answers, walked.ended, walked.steps)
            self.taken.update((step.from_page_id, step.rule_id) for step in walked.steps)


@dataclass(frozen=True)
class _SearchState:
    page_id: str
    fixed: dict[str, int]  # reference name → candidate index, for every question decided
    answers: dict[str, object]  # the same, as answers (unanswered ones left out)
    visited: frozenset[str]


def untaken_rules(survey: Survey, plans: Iterable[RoutePlan]) -> list[str]:
    """Ids of rules (by page order, then rule order) that none of the plans takes."""
    taken = {rule_id for plan in plans for rule_id in plan.rule_ids}
    flow = _Flow(survey)
    return [
        entry.rule.id
        for page in flow.pages
        for entry in flow.rules[page.id]
        if entry.rule.id not in taken
    ]


def _combinations(roots: list[str], candidates: _Candidates) -> Iterable[dict[str, int]]:
    sizes = [len(candidates.values[r]) for r in roots]
    if math.prod(sizes) <= MAX_COMBINATIONS:
        for indexes in itertools.product(*(range(s) for s in sizes)):
            yield dict(zip(roots, indexes, strict=True))
        return
    base = dict.fromkeys(roots, 0)
    yield base
    for root, size in zip(roots, sizes, strict=True):
        for index in range(1, size):
            yield {**base, root: index}


class _Candidates:
    """Candidate answers per reference name, index 0 always meaning "unanswered"."""

    def __init__(self, survey: Survey, flow: _Flow) -> None:
        self.flow = flow
        by_id = {block.id: block for block in survey.blocks()}
        self.blocks: dict[str, Block] = {}
        for block_id, name in reference_names(survey).items():
            self.blocks.setdefault(name, by_id[block_id])
        self.variables: dict[str, Expr | None] = {}
        for variable in survey.variables:
            if variable.name and variable.name not in self.variables:
                try:
                    self.variables[variable.name] = _parse_text(variable.expression)
                except ExpressionError:
                    self.variables[variable.name] = None
        self.probes: dict[tuple[str, str | None], list[tuple[object, str | None]]] = {}
        for expr in self._expressions():
            self._collect_probes(expr)
        self.values: dict[str, list[object]] = {}

    # which questions a page depends on --------------------------------------------------

    def roots_read_at(self, page_id: str) -> list[str]:
        out: list[str] = []
        for entry in self.flow.rules[page_id]:
            if entry.condition is None:
                continue
            for root in self._expand(entry.condition, set()):
                if root not in out:
                    out.append(root)
        for root in out:
            if root not in self.values:
                self.values[root] = self._values_for(root)
        return out

    def _expand(self, expr: Expr, seen: set[str]) -> list[str]:
        """Answer names an expression depends on, looking through variables."""
        out: list[str] = []
        for ref in (node for node in walk(expr) if isinstance(node, Reference)):
            name = ref.name
            if name in self.blocks or name not in self.variables:
                if name not in out:
                    out.append(name)
            elif name not in seen:
                seen.add(name)
                inner = self.variables[name]
                for root in self._expand(inner, seen) if inner is not None else []:
                    if root not in out:
                        out.append(root)
        return out

    # literals the conditions compare answers with ---------------------------------------

    def _expressions(self) -> Iterable[Expr]:
        for entries in self.flow.rules.values():
            for entry in entries:
                if entry.condition is not None:
                    yield entry.condition
        for expr in self.variables.values():
            if expr is not None:
                yield expr

    def _collect_probes(self, expr: Expr) -> None:
        for node in walk(expr):
            match node:
                case Compare(op=op, left=left, right=right):
                    for subject, other in ((left, right), (right, left)):
                        target = _probe_target(subject)
                        if target is not None and isinstance(other, LiteralNode):
                            self._add_probes(target, other.value, ordered=op not in ("==", "!="))
                case Membership(item=item, options=options):
                    target = _probe_target(item)
                    if target is not None and isinstance(options, ListExpr):
                        for option in options.items:
                            if isinstance(option, LiteralNode):
                                self._add_probes(target, option.value, ordered=False)
                    target = _probe_target(options)
                    if target is not None and isinstance(item, LiteralNode):
                        self._add_probes(target, item.value, ordered=False)
                case Call(name="contains", args=(container, LiteralNode(value=value))):
                    target = _probe_target(container)
                    if target is not None:
                        self._add_probes(target, value, ordered=False)

    def _add_probes(
        self, target: tuple[str, str | None, str | None], value: object, ordered: bool
    ) -> None:
        name, member, via = target
        found = self.probes.setdefault((name, member), [])
        values = [value]
        if ordered and isinstance(value, int | float | str) and not isinstance(value, bool):
            number = _as_number(value)
            if number is not None:
                step = 1
                values += [_like(value, number + step), _like(value, number - step)]
        for v in values:
            if v is not None and (v, via) not in found:
                found.append((v, via))

    # candidate answers per question -----------------------------------------------------

    def _values_for(self, root: str) -> list[object]:
        block = self.blocks.get(root)
        config = block.config if block is not None else None
        whole = self.probes.get((root, None), [])
        members = {m: p for (r, m), p in self.probes.items() if r == root and m is not None}
        out: list[object] = [_ABSENT]
        if isinstance(config, MultipleChoiceConfig) and config.choices:
            choices = [c.value for c in config.choices]
            if not config.allowMultiple:
                out += choices
            else:
                out += [[c] for c in choices]
                counts = {
                    int(_as_number(n) or 0) for n, via in whole if via == "count" and _is_count(n)
                }
                counts |= {2, len(choices)}
                out += [choices[:n] for n in sorted(counts) if 1 < n <= len(choices)]
        elif isinstance(config, RankOrderConfig) and config.items:
            items = [i.value for i in config.items]
            out += [[item, *[i for i in items if i != item]] for item in items]
        elif isinstance(config, MatrixConfig) and config.rows:
            columns = [c.value for c in config.columns] or _probe_values(whole)
            wrap = (lambda c: [c]) if config.allowMultiple else (lambda c: c)
            keys = list(members) or [r.value for r in config.rows]
            out += _dict_candidates(keys, {k: [wrap(c) for c in columns] for k in keys})
        elif isinstance(config, CardSortConfig) and config.cards:
            categories = [c.value for c in config.categories]
            keys = list(members) or [c.value for c in config.cards]
            out += _dict_candidates(keys, {k: categories for k in keys})
        elif isinstance(config, AutosumConfig | InputListConfig):
            items = config.items if isinstance(config, AutosumConfig) else config.inputs
            keys = list(members) or [i.value for i in items]
            numeric = isinstance(config, AutosumConfig)
            per_key = {
                k: [_shape(v, numeric) for v in _probe_values(members.get(k, []))] for k in keys
            }
            out += _dict_candidates(keys, {k: vs for k, vs in per_key.items() if vs})
            if numeric and keys:
                totals = [_as_number(n) for n, via in whole if via == "sum"]
                out += [{keys[0]: n} for n in totals if n is not None]
        else:
            text = isinstance(config, TextInputConfig)
            for value, via in whole:
                if via == "len" and _is_count(value):
                    out.append("x" * int(_as_number(value) or 0))
                elif via is None:
                    out.append(_shape(value, numeric=False) if text else value)
            if members and not text:
                out += _dict_candidates(
                    list(members), {m: _probe_values(p) for m, p in members.items()}
                )
        return _unique(out)


def _probe_target(node: Expr) -> tuple[str, str | None, str | None] | None:
    """(name, member, function) when ``node`` reads an answer directly or through f(answer)."""
    via = None
    if isinstance(node, Call) and len(node.args) == 1 and node.name in ("count", "len", "sum"):
        via, node = node.name, node.args[0]
    if isinstance(node, Reference):
        member = None if node.member in (None, "value", "values") else node.member
        return node.name, member, via
    return None


def _probe_values(probes: list[tuple[object, str | None]]) -> list[object]:
    return [value for value, via in probes if via is None]


def _dict_candidates(keys: list[str], per_key: Mapping[str, list[object]]) -> list[object]:
    keys = [k for k in keys if per_key.get(k)]
    if not keys:
        return []
    sizes = [len(per_key[k]) + 1 for k in keys]  # +1: the key left out
    out: list[object] = []
    if math.prod(sizes) <= MAX_DICT_COMBINATIONS:
        for picks in itertools.product(*(range(s) for s in sizes)):
            answer = {k: per_key[k][i - 1] for k, i in zip(keys, picks, strict=True) if i}
            if answer:
                out.append(answer)
        return out
    widest = max(len(per_key[k]) for k in keys)
    for i in range(widest):  # every key on its i-th value
        out.append({k: per_key[k][i % len(per_key[k])] for k in keys})
    for k in keys:  # one key at a time
        out += [{k: v} for v in per_key[k]]
    return out


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


def _like(original: object, number: int | float) -> object:
    """``number`` in the type the condition wrote: a string literal stays a string."""
    return str(number) if isinstance(original, str) else number


def _shape(value: object, numeric: bool) -> object:
    if numeric:
        number = _as_number(value)
        return number if number is not None else value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _is_count(value: object) -> bool:
    number = _as_number(value)
    return number is not None and float(number).is_integer() and 0 <= number <= 1000


def _unique(values: list[object]) -> list[object]:
    out: list[object] = []
    for value in values:
        if value is _ABSENT and out:
            continue
        if not any(v is not _ABSENT and type(v) is type(value) and v == value for v in out):
            out.append(value)
    return out


def candidate_answers(survey: Survey, names: Iterable[str]) -> dict[str, list[object]]:
    """Answers worth trying for each named question, as route enumeration tries them.

    The choices of choice-like questions and the literals conditions compare an answer
    with; "unanswered" is not listed. A name no block or condition gives values for maps
    to an empty list.
    """
    candidates = _Candidates(survey, _Flow(survey))
    return {name: [v for v in candidates._values_for(name) if v is not _ABSENT] for name in names}
