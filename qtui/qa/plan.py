"""Route coverage, planned from the source survey alone: which walks prove every route.

Pure (qtui.core only, no I/O). Three things are covered:

* every **page** (the respondent is shown it),
* every navigation **rule** (it is taken),
* both **outcomes** of every rule's condition (tried and true, tried and false).

`plan_coverage(survey)` takes the distinct routes `qtui.core.routes.enumerate_routes` finds,
completes each route's answers so every question it shows has one (a forced-response
platform refuses an empty page) without changing where it goes, and keeps the fewest of them
that cover everything coverable (greedy set cover, then every route left that adds nothing is
dropped). What cannot be covered is listed with the reason: an unreachable page, a rule an
earlier rule always pre-empts, a condition that does not parse, is constant, or contradicts
itself or the routing before it.

`predict(survey, answers)` is the expected walk for one set of answers: the pages shown (a
page whose every block is hidden is skipped, as the platform skips it), the rule deciding
each step with the outcome of every condition tried, and the final disposition.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from qtui.core.logic import ExpressionError, is_true, parse_cached, reference_roots
from qtui.core.models import (
    AutosumConfig,
    Block,
    CardSortConfig,
    InputListConfig,
    LoopConfig,
    MatrixConfig,
    MultipleChoiceConfig,
    Page,
    RankOrderConfig,
    Survey,
    TextInputConfig,
    reference_names,
)
from qtui.core.routes import analyze, candidate_answers, enumerate_routes, route, with_variables

TargetKind = Literal["page", "rule", "outcome"]

COMPLETE, SCREENED_OUT, OVER_QUOTA, ENDED, CLOSED = (
    "complete",
    "screened out",
    "over quota",
    "ended",
    "closed",
)

_STATUS_DISPOSITION = {
    "complete": COMPLETE,
    "completed": COMPLETE,
    "terminate": SCREENED_OUT,
    "terminated": SCREENED_OUT,
    "screenout": SCREENED_OUT,
    "screened_out": SCREENED_OUT,
    "screened": SCREENED_OUT,
    "disqualified": SCREENED_OUT,
    "over_quota": OVER_QUOTA,
    "overquota": OVER_QUOTA,
    "quota_full": OVER_QUOTA,
    "quotamet": OVER_QUOTA,
    "quota_met": OVER_QUOTA,
}

# Combinations of candidate answers tried when checking whether a condition can ever be
# true (or false); beyond it each question is varied alone.
MAX_OUTCOME_COMBINATIONS = 2048


def disposition_of(status: object) -> str | None:
    """A response status (Questra's, Qualtrics' terminate flag…) as a disposition, or None."""
    if not isinstance(status, str):
        return None
    key = status.strip().lower().replace("-", "_").replace(" ", "_")
    return _STATUS_DISPOSITION.get(key)


@dataclass(frozen=True, order=True)
class Target:
    """One thing to cover: a page shown, a rule taken, or a rule's condition true/false."""

    kind: TargetKind
    item_id: str
    outcome: bool | None = None

    @property
    def key(self) -> str:
        if self.kind == "outcome":
            return f"outcome:{self.item_id}:{'true' if self.outcome else 'false'}"
        return f"{self.kind}:{self.item_id}"


@dataclass
class Decision:
    """How a route left a page: the rule taken (None: fall-through or the end) and why."""

    page_id: str
    rule_id: str | None
    next_page_id: str | None
    tried: list[tuple[str, bool]] = field(default_factory=list)  # (rule id, condition result)


@dataclass
class Prediction:
    """The walk the source survey predicts for a set of answers."""

    answers: dict[str, Any]
    page_ids: list[str]  # every page of the route
    shown: list[str]  # the pages a respondent sees (pages with nothing to show skipped)
    decisions: list[Decision]
    ended: str  # routes' Ending: "end", "cycle" or "dead_end"
    disposition: str

    def decision_after(self, page_id: str) -> Decision | None:
        for decision in self.decisions:
            if decision.page_id == page_id:
                return decision
        return None

    def targets(self) -> set[Target]:
        found = {Target("page", page_id) for page_id in self.shown}
        for decision in self.decisions:
            if decision.rule_id is not None:
                found.add(Target("rule", decision.rule_id))
            found.update(Target("outcome", rule_id, value) for rule_id, value in decision.tried)
        return found

    @property
    def key(self) -> tuple[Any, ...]:
        rules = tuple(d.rule_id for d in self.decisions)
        return (tuple(self.shown), rules, self.ended, self.disposition)


def _expr(text: str | None) -> Any:
    """The parsed condition, None when blank; raises ExpressionError."""
    if text is None or not text.strip():
        return None
    return parse_cached(text)


def block_shown(block: Block, page: Page, ns: Mapping[str, object]) -> bool:
    """Whether a respondent sees this block: not a Loop itself, its showIf holds, and a looped
    block only when its loop has at least one item."""
    if isinstance(block.config, LoopConfig):
        return False
    for other in page.blocks:
        config = other.config
        if isinstance(config, LoopConfig) and block.id in config.blocks:
            items = ns.get(config.variable) if config.variable else None
            if isinstance(items, Mapping) and "value" in items:
                items = items["value"]
            if not items:
                return False
    try:
        condition = _expr(block.config.showIf)
    except ExpressionError:
        return True  # a showIf that does not parse hides nothing (the compiler reports it)
    return condition is None or is_true(condition, ns)


def page_shown(page: Page, ns: Mapping[str, object]) -> bool:
    return any(block_shown(block, page, ns) for block in page.blocks)


def predict(survey: Survey, answers: Mapping[str, Any]) -> Prediction:
    """The pages shown, the deciding rule of each step and the ending, for these answers."""
    walked = route(survey, answers)
    ns = with_variables(survey, answers)
    pages = {page.id: page for page in survey.pages}
    decisions: list[Decision] = []
    for step in walked.steps:
        page = pages[step.from_page_id]
        tried: list[tuple[str, bool]] = []
        if not page.ends_survey:
            for rule in sorted(page.navigation_rules, key=lambda r: r.order):
                try:
                    condition = _expr(rule.condition)
                except ExpressionError:
                    continue  # never fires; analyze() reports it
                if rule.id == step.rule_id:
                    if condition is not None:
                        tried.append((rule.id, True))
                    break
                if condition is not None:
                    tried.append((rule.id, False))
        decisions.append(Decision(page.id, step.rule_id, step.to_page_id, tried))
    shown = [page.id for page in walked.pages if page_shown(page, ns)]
    last = walked.pages[-1] if walked.pages else None
    if walked.ended == "cycle":
        disposition = ENDED
    elif last is not None and last.ends_survey:
        disposition = disposition_of(last.assign_response_status) or COMPLETE
    else:
        disposition = COMPLETE  # running off the last page completes the response
    return Prediction(dict(answers), walked.page_ids, shown, decisions, walked.ended, disposition)


# --- answers for every question a route shows ---------------------------------------------


def filler_answers(block: Block) -> list[Any]:
    """Answers that fill a question without meaning anything in particular, best first."""
    config = block.config
    if isinstance(config, MultipleChoiceConfig):
        values = [c.value for c in config.choices]
        return [[v] for v in values] if config.allowMultiple else values
    if isinstance(config, TextInputConfig):
        return ["qtui test"]
    if isinstance(config, MatrixConfig) and config.rows and config.columns:
        out = []
        for column in config.columns:
            value = [column.value] if config.allowMultiple else column.value
            out.append({row.value: value for row in config.rows})
        return out
    if isinstance(config, RankOrderConfig) and config.items:
        return [[item.value for item in config.items]]
    if isinstance(config, AutosumConfig) and config.items:
        first, *rest = [item.value for item in config.items]
        target = int(config.target) if float(config.target).is_integer() else config.target
        return [{first: target, **dict.fromkeys(rest, 0)}]
    if isinstance(config, CardSortConfig) and config.cards and config.categories:
        return [{card.value: config.categories[0].value for card in config.cards}]
    if isinstance(config, InputListConfig) and config.inputs:
        return [{item.value: "qtui test" for item in config.inputs}]
    return ["qtui test"]


def complete_answers(survey: Survey, answers: Mapping[str, Any]) -> dict[str, Any]:
    """`answers` plus an answer for every question the route shows and they leave open.

    A question nothing reads (no condition, showIf or variable) gets its first filler at
    once. One that something reads gets the first filler (or candidate) answer that keeps
    the route the same; when none does, the first filler, and the route becomes what it then
    is (the pages it newly shows are filled in turn).
    """
    names = reference_names(survey)
    pages = {page.id: page for page in survey.pages}
    read = _names_read(survey)
    done = dict(answers)
    for _ in range(len(pages) + 1):
        before = predict(survey, done)
        ns = with_variables(survey, done)
        missing = [
            block
            for page_id in before.shown
            for block in pages[page_id].blocks
            if block.is_question
            and names.get(block.id) not in done
            and block_shown(block, pages[page_id], ns)
        ]
        if not missing:
            return done
        for block in missing:
            name = names[block.id]
            if name not in read:
                done[name] = filler_answers(block)[0]
                continue
            options = filler_answers(block)
            options += [c for c in candidate_answers(survey, [name])[name] if c not in options]
            chosen = options[0]
            for option in options:
                if predict(survey, {**done, name: option}).key == before.key:
                    chosen = option
                    break
            done[name] = chosen
            break  # the route may have changed: look again at what it shows
    return done


def _names_read(survey: Survey) -> set[str]:
    """Every name a condition, showIf, loop or variable of the survey reads."""
    texts = [v.expression for v in survey.variables]
    read: set[str] = set()
    for page in survey.pages:
        texts += [rule.condition for rule in page.navigation_rules]
        for block in page.blocks:
            texts.append(block.config.showIf)
            if isinstance(block.config, LoopConfig) and block.config.variable:
                read.add(block.config.variable)
    for text in texts:
        try:
            expr = _expr(text)
        except ExpressionError:
            continue
        if expr is not None:
            read |= reference_roots(expr)
    return read


# --- the plan ------------------------------------------------------------------------------


@dataclass
class PlannedRoute:
    number: int
    prediction: Prediction
    covers: set[Target]

    @property
    def name(self) -> str:
        return f"route {self.number}"

    @property
    def answers(self) -> dict[str, Any]:
        return self.prediction.answers


@dataclass(frozen=True)
class Uncoverable:
    """A target no walk can cover, and why. `proven` is False when the search only gave up."""

    target: Target
    reason: str
    proven: bool = True


@dataclass
class CoveragePlan:
    survey_id: str
    survey_name: str
    routes: list[PlannedRoute]
    targets: list[Target]  # every target, in survey order
    uncoverable: list[Uncoverable]
    labels: dict[str, str] = field(default_factory=dict)  # page / rule id → readable name

    @property
    def goal(self) -> list[Target]:
        """What complete coverage means: every target not proven impossible."""
        proven = {u.target for u in self.uncoverable if u.proven}
        return [t for t in self.targets if t not in proven]

    def totals(self, covered: Iterable[Target]) -> dict[str, tuple[int, int]]:
        """kind → (covered, coverable) over `goal`."""
        got = set(covered)
        out: dict[str, tuple[int, int]] = {}
        for kind in ("page", "rule", "outcome"):
            wanted = [t for t in self.goal if t.kind == kind]
            out[kind] = (sum(1 for t in wanted if t in got), len(wanted))
        return out

    def label(self, target: Target) -> str:
        name = self.labels.get(target.item_id, target.item_id)
        if target.kind == "outcome":
            return f"{name} is {'true' if target.outcome else 'false'}"
        return name


def all_targets(survey: Survey) -> list[Target]:
    pages = sorted(survey.pages, key=lambda p: p.order)
    out = [Target("page", page.id) for page in pages]
    for page in pages:
        for rule in sorted(page.navigation_rules, key=lambda r: r.order):
            out.append(Target("rule", rule.id))
            try:
                condition = _expr(rule.condition)
            except ExpressionError:
                condition = "unparsed"
            if condition is not None:
                out += [Target("outcome", rule.id, True), Target("outcome", rule.id, False)]
    return out


def labels(survey: Survey) -> dict[str, str]:
    """Readable names: pages by name, rules as `Page → Target if condition`."""
    pages = {page.id: page for page in survey.pages}
    out = {page.id: page.name or page.id for page in survey.pages}
    for page in survey.pages:
        for rule in page.navigation_rules:
            target = pages.get(rule.target_page_id or "")
            to = (target.name or target.id) if target else f"missing page {rule.target_page_id}"
            text = f"{page.name or page.id} → {to}"
            if rule.condition and rule.condition.strip():
                text += f" if {rule.condition.strip()}"
            out[rule.id] = text
    return out


def _cheap_targets(survey: Survey, plan: Any) -> set[Target]:
    """What a route found by enumeration covers, read from its steps (no answers filled in)."""
    pages = {page.id: page for page in survey.pages}
    found = {Target("page", page_id) for page_id in plan.page_ids}
    for step in plan.steps:
        page = pages[step.from_page_id]
        if step.rule_id is not None:
            found.add(Target("rule", step.rule_id))
        if page.ends_survey:
            continue
        for rule in sorted(page.navigation_rules, key=lambda r: r.order):
            try:
                condition = _expr(rule.condition)
            except ExpressionError:
                continue
            if rule.id == step.rule_id:
                if condition is not None:
                    found.add(Target("outcome", rule.id, True))
                break
            if condition is not None:
                found.add(Target("outcome", rule.id, False))
    return found


def plan_coverage(survey: Survey, *, limit: int = 200) -> CoveragePlan:
    """The fewest routes (greedy) that cover every coverable page, rule and outcome.

    Greedy over the routes `enumerate_routes` finds (at most `limit`; its first routes are
    the ones that take rules no earlier route took): the route promising the most not yet
    covered is completed (`complete_answers`) and predicted again, and kept when what it
    really covers adds something. Only the routes tried are completed, so a big survey
    costs a few completions, not one per route found.
    """
    found = enumerate_routes(survey, limit=limit)
    cheap = [(plan, _cheap_targets(survey, plan)) for plan in found]
    chosen: list[tuple[Prediction, set[Target]]] = []
    seen: set[tuple[Any, ...]] = set()
    covered: set[Target] = set()
    while cheap:
        best = max(cheap, key=lambda item: len(item[1] - covered))
        if not best[1] - covered:
            break
        cheap.remove(best)
        prediction = predict(survey, complete_answers(survey, best[0].answers))
        if prediction.key in seen:
            continue
        seen.add(prediction.key)
        targets = prediction.targets()
        if targets - covered:
            chosen.append((prediction, targets))
            covered |= targets
    # A route picked early may be covered entirely by later picks: drop it.
    for item in list(chosen):
        rest = set().union(*(c[1] for c in chosen if c is not item))
        if item[1] <= rest:
            chosen.remove(item)
    routes = [
        PlannedRoute(number, prediction, targets)
        for number, (prediction, targets) in enumerate(chosen, start=1)
    ]
    targets = all_targets(survey)
    missing = [t for t in targets if t not in covered]
    return CoveragePlan(
        survey_id=survey.id,
        survey_name=survey.name or survey.slug or survey.id,
        routes=routes,
        targets=targets,
        uncoverable=_explain(survey, missing),
        labels=labels(survey),
    )


# --- why a target cannot be covered ----------------------------------------------------------


def _explain(survey: Survey, missing: list[Target]) -> list[Uncoverable]:
    if not missing:
        return []
    analysis = analyze(survey)
    unreachable = set(analysis.unreachable)
    never = {f.item_id: f.message for f in analysis.findings if f.kind == "never_taken"}
    ordered = sorted(survey.pages, key=lambda p: p.order)
    rule_page = {rule.id: page for page in survey.pages for rule in page.navigation_rules}
    explained: dict[Target, Uncoverable] = {}
    for target in missing:
        if target.kind != "page":
            page = rule_page[target.item_id]
            rule = next(r for r in page.navigation_rules if r.id == target.item_id)
            explained[target] = _explain_rule(survey, target, page, rule, unreachable, never)
    impossible = {t.item_id for t, u in explained.items() if t.kind == "rule" and u.proven}
    missing_pages = {t.item_id for t in missing if t.kind == "page"}
    dead: set[str] = set()  # pages proven unreachable, in page order
    for index, page in enumerate(ordered):
        target = Target("page", page.id)
        if page.id not in missing_pages:
            continue
        ways_in = [r for p in ordered for r in p.navigation_rules if r.target_page_id == page.id]
        previous = ordered[index - 1] if index > 0 else None
        falls_in = previous is not None and not (
            previous.ends_survey
            or previous.id in dead
            or any(
                not (r.condition or "").strip() or r.id in never for r in previous.navigation_rules
            )
        )
        if page.id in unreachable:
            explained[target] = Uncoverable(
                target, "unreachable: no rule or fall-through leads to it"
            )
        elif not falls_in and all(r.id in impossible for r in ways_in):
            dead.add(page.id)
            explained[target] = Uncoverable(
                target,
                "unreachable: every rule leading to it can never be taken"
                + (" and the page before never falls through" if previous is not None else ""),
            )
        elif not page.blocks:
            explained[target] = Uncoverable(target, "the page has no blocks, so it is never shown")
        else:
            explained[target] = Uncoverable(
                target,
                "no answers found that show it (every block hidden, or outside the answers tried)",
                proven=False,
            )
    return [explained[t] for t in missing]


def _explain_rule(
    survey: Survey,
    target: Target,
    page: Page,
    rule: Any,
    unreachable: set[str],
    never: Mapping[str, str],
) -> Uncoverable:
    name = page.name or page.id
    if page.id in unreachable:
        return Uncoverable(target, f"its page {name!r} cannot be reached")
    if page.ends_survey:
        return Uncoverable(target, f"page {name!r} ends the survey; its rules are never followed")
    try:
        condition = _expr(rule.condition)
    except ExpressionError as error:
        return Uncoverable(target, f"the condition does not parse ({error}); it never fires")
    if rule.id in never:
        return Uncoverable(target, never[rule.id].replace("rule to", "the rule to", 1))
    for earlier in sorted(page.navigation_rules, key=lambda r: r.order):
        if earlier.order >= rule.order or earlier.id == rule.id:
            break
        try:
            before = _expr(earlier.condition)
        except ExpressionError:
            continue
        if before is not None and not _can_be(survey, before, False):
            return Uncoverable(
                target,
                f"never tried: the earlier rule if {earlier.condition.strip()!r} is true for "
                "every answer tried",
            )
    if condition is None:
        return Uncoverable(target, "no answers found that reach it", proven=False)
    wanted = True if target.kind == "rule" else bool(target.outcome)
    if not reference_roots(condition):
        value = is_true(condition, {})
        return Uncoverable(target, f"the condition reads no answer and is always {value}".lower())
    if not _can_be(survey, condition, wanted):
        word = "true" if wanted else "false"
        kind = "contradictory" if wanted else "always true"
        return Uncoverable(
            target, f"{kind}: {rule.condition.strip()!r} is never {word} for any answer tried"
        )
    word = "true" if wanted else "false"
    return Uncoverable(
        target,
        f"not reachable together: the answers that make it {word} are routed away before "
        f"{name!r} (or an earlier rule of the page takes them)",
    )


def _roots(survey: Survey, condition: Any) -> list[str]:
    """Answer names a condition depends on, looking through variables."""
    expressions = {v.name: v.expression for v in survey.variables if v.name}
    out: list[str] = []
    queue = sorted(reference_roots(condition))
    seen: set[str] = set()
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        if name in expressions:
            try:
                inner = _expr(expressions[name])
            except ExpressionError:
                inner = None
            queue += sorted(reference_roots(inner)) if inner is not None else []
        else:
            out.append(name)
    return out


def _can_be(survey: Survey, condition: Any, wanted: bool) -> bool:
    roots = _roots(survey, condition)
    values = candidate_answers(survey, roots)
    options = [[None, *values[r]] for r in roots]
    sizes = [len(o) for o in options]
    total = 1
    for size in sizes:
        total *= size
    if total <= MAX_OUTCOME_COMBINATIONS:
        combos: Iterable[tuple[Any, ...]] = itertools.product(*options)
    else:
        base = tuple(o[0] for o in options)
        combos = [base] + [
            base[:i] + (value,) + base[i + 1 :] for i, o in enumerate(options) for value in o[1:]
        ]
    for combo in combos:
        answers = {r: v for r, v in zip(roots, combo, strict=True) if v is not None}
        if is_true(condition, with_variables(survey, answers)) == wanted:
            return True
    return False
