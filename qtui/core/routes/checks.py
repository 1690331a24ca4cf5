"""`analyze`: the page graph and every expression of a survey checked as a whole."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from qtui.core.logic import (
    Call,
    Compare,
    Expr,
    ExpressionError,
    ListExpr,
    Membership,
    is_true,
    reference_roots,
    walk,
)
from qtui.core.logic import Literal as LiteralNode
from qtui.core.models import (
    LoopConfig,
    MultipleChoiceConfig,
    Survey,
    reference_names,
)
from qtui.core.routes.flow import (
    _as_number,
    _Flow,
    _parse_text,
    _probe_target,
    _reach,
    _variable_expr,
    variable_order,
)

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
