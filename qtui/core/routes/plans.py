"""`enumerate_routes`: one example set of answers per distinct route, for QA walks."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from qtui.core.logic import (
    Call,
    Compare,
    Expr,
    ExpressionError,
    ListExpr,
    Membership,
    Reference,
    walk,
)
from qtui.core.logic import Literal as LiteralNode
from qtui.core.models import (
    AutosumConfig,
    Block,
    CardSortConfig,
    InputListConfig,
    MatrixConfig,
    MultipleChoiceConfig,
    RankOrderConfig,
    Survey,
    TextInputConfig,
    reference_names,
)
from qtui.core.routes.flow import (
    Ending,
    RouteStep,
    _as_number,
    _Flow,
    _parse_text,
    _probe_target,
    _reach,
    with_variables,
)

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
