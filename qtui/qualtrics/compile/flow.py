"""Page routing → Qualtrics survey flow (see docs/qualtrics-mapping.md, "Routing").

One embedded-data field, `qtui_next_page`, holds the page the respondent goes to next: each
page's rules (first true wins) set it, a page that some route skips is wrapped in a Branch on
it, pages every route passes through stay at the top level, and a terminal page ends the
survey with an EndSurvey element.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from qtui.core.logic import ExpressionError, Literal, Reference, parse_cached
from qtui.core.models import MultipleChoiceConfig, Page, Survey, TextInputConfig
from qtui.qualtrics.compile.model import (
    END_OF_SURVEY,
    NEXT_PAGE_FIELD,
    STATUS_FIELD,
    CompiledBlock,
)
from qtui.qualtrics.compile.questions import is_number
from qtui.qualtrics.conditions import (
    DNF,
    Cond,
    QuestionRef,
    Untranslatable,
    boolean_expression,
    choice_ids,
    conjoin,
    is_false,
    is_true,
    questions_read,
)

_SCREENOUT_WORDS = re.compile(r"terminat|screen|disqualif|quota|reject|fail|not ?eligible", re.I)


class Flow:
    """The compiler's flow stage (a mixin of `Compiler`): `build_flow` after layout."""

    survey: Survey
    pages: list[Page]
    blocks: list[CompiledBlock]
    page_blocks: dict[str, list[CompiledBlock]]
    question_refs: dict[str, QuestionRef]
    terminal: dict[str, tuple[str, str | None]]

    def issue(self, item_id: str, kind: str, reason: str) -> None:
        raise NotImplementedError

    def next_flow_id(self) -> str:
        raise NotImplementedError

    def translate(self, text: str) -> DNF:
        raise NotImplementedError

    def build_flow(self) -> dict[str, Any]:
        self.terminal = {p.id: kind for p in self.pages if (kind := self.terminal_kind(p))}
        index = {page.id: i for i, page in enumerate(self.pages)}
        start = self.survey.page(self.survey.first_page_id or "")
        start_index = index[start.id] if start is not None and start.id in index else 0
        rules = {page.id: self.page_rules(page, index) for page in self.pages}
        routing = any(rules.values()) or bool(self.pages and start_index != 0)
        edges = self.edges(rules, index)
        reachable = _reach(edges, start_index, len(self.pages)) if self.pages else set()
        always = self.always_reached(edges, reachable)
        for i, page in enumerate(self.pages):
            if i not in reachable:
                self.issue(
                    page.id,
                    "unreachable",
                    f"page {page.name or page.id!r} cannot be reached; its block is "
                    "created but left out of the flow",
                )
        top: list[dict[str, Any]] = []
        declared = self.declared_fields(routing, start_index)
        if declared:
            top.append(
                {"Type": "EmbeddedData", "FlowID": self.next_flow_id(), "EmbeddedData": declared}
            )
        setters = self.variable_setters()
        top.extend(setters.get(None, []))
        for i, page in enumerate(self.pages):
            if i not in reachable:
                continue
            body = [
                {
                    # The survey's default block (the first, as a new survey's default block
                    # takes the first page) is a "Block" element in real flows.
                    "Type": "Block" if compiled is self.blocks[0] else "Standard",
                    "ID": compiled.block_id,
                    "FlowID": self.next_flow_id(),
                    "Autofill": [],
                }
                for compiled in self.page_blocks[page.id]
            ]
            body.extend(setters.get(page.id, []))
            if page.id in self.terminal:
                body.extend(self.ending(page))
            elif routing:
                body.extend(self.routing_elements(page, i, rules[page.id]))
            if always[i] or not routing:
                top.extend(body)
            else:
                top.append(
                    self.branch([[self.at(page.id)]], f"Page {page.name or page.id!r}", body)
                )
        # Ids were taken as elements were built (bodies before their branch); number them
        # again in reading order so FL_n grows down the flow as it does in Qualtrics' editor.
        count = 1
        for element in _preorder(top):
            count += 1
            element["FlowID"] = f"FL_{count}"
        return {
            "FlowID": "FL_1",
            "Type": "Root",
            "Flow": top,
            "Properties": {"Count": count, "RemovedFieldsets": []},
        }

    def terminal_kind(self, page: Page) -> tuple[str, str | None] | None:
        """("Screenout"|"Completed", status) for a page that ends the survey, else None.

        The same rule as routes (`Page.ends_survey`), so the compiled flow and qtui's own
        route prediction end at the same pages.
        """
        if not page.ends_survey:
            return None
        status = (page.assign_response_status or "").strip() or None
        words = f"{status or ''} {page.name or ''}"
        return ("Screenout" if _SCREENOUT_WORDS.search(words) else "Completed", status)

    def page_rules(self, page: Page, index: Mapping[str, int]) -> list[tuple[DNF, int | None, str]]:
        """The page's rules that can fire in Qualtrics: (condition, target index, rule id).

        A target of None means "the survey ends" (a rule to a page that does not exist).
        """
        out: list[tuple[DNF, int | None, str]] = []
        if page.id in self.terminal:
            return out
        here = index[page.id]
        for rule in sorted(page.navigation_rules, key=lambda r: r.order):
            target = index.get(rule.target_page_id or "")
            if target is None:
                self.issue(
                    rule.id,
                    "unknown_target",
                    f"the rule leads to page {rule.target_page_id!r}, which does not "
                    "exist; in Qualtrics the survey ends there",
                )
            elif target <= here:
                self.issue(
                    rule.id,
                    "backward_jump",
                    "the rule jumps back to an earlier page (a loop); Qualtrics flow "
                    "only moves forward, so this rule is left out",
                )
                continue
            if rule.condition is None or not rule.condition.strip():
                dnf: DNF = [[]]
            else:
                try:
                    dnf = self.translate(rule.condition)
                except Untranslatable as error:
                    self.issue(
                        rule.id,
                        "condition",
                        f"condition {rule.condition!r} cannot be expressed ({error}); "
                        "the rule is left out",
                    )
                    continue
            if is_false(dnf):
                self.issue(
                    rule.id,
                    "condition",
                    f"condition {rule.condition!r} is never true; the rule is left out",
                )
                continue
            out.append((dnf, target, rule.id))
            if is_true(dnf):
                break  # an unconditional rule: later rules and the fall-through never run
        return out

    def edges(
        self, rules: Mapping[str, list[tuple[DNF, int | None, str]]], index: Mapping[str, int]
    ) -> dict[int, set[int]]:
        end = len(self.pages)
        edges: dict[int, set[int]] = {}
        for i, page in enumerate(self.pages):
            targets: set[int] = set()
            if page.id in self.terminal:
                edges[i] = {end}
                continue
            page_rules = rules[page.id]
            for _, target, _ in page_rules:
                targets.add(end if target is None else target)
            if not (page_rules and is_true(page_rules[-1][0])):
                targets.add(i + 1)
            edges[i] = targets
        return edges

    def always_reached(self, edges: Mapping[int, set[int]], reachable: set[int]) -> list[bool]:
        """Whether every route passes through each page: no reachable edge jumps over it."""
        n = len(self.pages)
        over = [0] * (n + 2)
        for a in reachable:
            for b in edges.get(a, ()):
                if b > a + 1:
                    over[a + 1] += 1
                    over[b] -= 1
        running = 0
        out = []
        for i in range(n):
            running += over[i]
            out.append(i in reachable and running == 0)
        return out

    def declared_fields(self, routing: bool, start_index: int) -> list[dict[str, Any]]:
        items = []
        for variable in self.survey.variables:
            if not variable.name:
                continue
            value = self.constant_value(variable.expression)
            items.append(_embedded(variable.name, "" if value is None else value))
        if routing and self.pages:
            items.append(_embedded(NEXT_PAGE_FIELD, self.pages[start_index].id))
        if any(status for _, status in self.terminal.values()):
            items.append(_embedded(STATUS_FIELD, ""))
        return items

    def constant_value(self, expression: str | None) -> str | None:
        try:
            expr = parse_cached(expression) if expression and expression.strip() else None
        except ExpressionError:
            return None
        if isinstance(expr, Literal) and expr.value is not None:
            value = expr.value
            if isinstance(value, bool):
                return "true" if value else "false"
            return str(value)
        return None

    def variable_setters(self) -> dict[str | None, list[dict[str, Any]]]:
        """Page id → flow elements that compute variables once that page is answered.

        A variable is computed in the flow whenever Qualtrics can express it: a text answer
        or a multi-answer of numeric choices is piped into an EmbeddedData field; a
        single-answer choice sets its Questra value through one Branch per choice; a
        condition sets "true" through a Branch (after a default "false"). The key None
        holds variables that read no question (they run right after the declarations).
        """
        setters: dict[str | None, list[dict[str, Any]]] = {}
        for variable in self.survey.variables:
            if not variable.name:
                continue
            text = variable.expression
            try:
                expr = parse_cached(text) if text and text.strip() else None
            except ExpressionError as error:
                self.issue(
                    variable.id,
                    "variable",
                    f"variable {variable.name!r} does not parse ({error}); left empty",
                )
                continue
            if expr is None or isinstance(expr, Literal):
                continue
            computed = self.compute_variable(variable.name, expr, text or "")
            if computed is None:
                self.issue(
                    variable.id,
                    "variable",
                    f"variable {variable.name!r} = {text!r} cannot be computed by "
                    "Qualtrics survey flow; its value is left empty (conditions that "
                    "read it are compiled from its expression)",
                )
                continue
            page_id, elements = computed
            setters.setdefault(page_id, []).extend(elements)
        return setters

    def compute_variable(
        self, name: str, expr: Any, text: str
    ) -> tuple[str | None, list[dict[str, Any]]] | None:
        """(page after which it runs, flow elements) computing `name`, or None."""
        target = (
            self.question_refs.get(expr.name)
            if isinstance(expr, Reference) and expr.member in (None, "value", "values")
            else None
        )
        if target is not None:
            page_id = self._page_of_key(target.page_key)
            config = target.config
            if isinstance(config, TextInputConfig):
                value = f"${{q://{target.qid}/ChoiceTextEntryValue}}"
                return page_id, [self.set_fields([_embedded(name, value)])]
            if isinstance(config, MultipleChoiceConfig) and not config.allowMultiple:
                ids = choice_ids(config)
                return page_id, [
                    self.branch(
                        [[Cond("choice", target.qid, "Selected", choice=cid, label=choice.value)]],
                        f"{name} = {choice.value}",
                        [self.set_fields([_embedded(name, choice.value)])],
                    )
                    for cid, choice in zip(ids, config.choices, strict=True)
                ]
            if isinstance(config, MultipleChoiceConfig) and all(
                is_number(c.value) for c in config.choices
            ):
                value = f"${{q://{target.qid}/SelectedChoicesRecode}}"
                return page_id, [self.set_fields([_embedded(name, value)])]
            return None
        try:
            dnf = self.translate(text)
        except Untranslatable:
            return None
        pages = [self.page_index_of(qid) for qid in questions_read(dnf)]
        page_id = self.pages[max(pages)].id if pages else None
        elements = [self.set_fields([_embedded(name, "false")])]
        if is_true(dnf):
            elements = [self.set_fields([_embedded(name, "true")])]
        elif not is_false(dnf):
            body = [self.set_fields([_embedded(name, "true")])]
            elements.append(self.branch(dnf, f"{name} is true", body))
        return page_id, elements

    def page_index_of(self, qid: str) -> int:
        keys = {ref.qid: ref.page_key for ref in self.question_refs.values()}
        page_id = self._page_of_key(keys.get(qid, ""))
        return next((i for i, p in enumerate(self.pages) if p.id == page_id), 0)

    def set_fields(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        return {"Type": "EmbeddedData", "FlowID": self.next_flow_id(), "EmbeddedData": items}

    def _page_of_key(self, key: str) -> str:
        for compiled in self.blocks:
            if compiled.key == key:
                return compiled.page_id
        return key

    def at(self, page_id: str) -> Cond:
        return Cond(
            "field", NEXT_PAGE_FIELD, "EqualTo", right=page_id, label=f"next page is {page_id}"
        )

    def set_next(self, target: int | None) -> dict[str, Any]:
        value = (
            END_OF_SURVEY
            if target is None or target >= len(self.pages)
            else (self.pages[target].id)
        )
        return {
            "Type": "EmbeddedData",
            "FlowID": self.next_flow_id(),
            "EmbeddedData": [_embedded(NEXT_PAGE_FIELD, value)],
        }

    def branch(self, dnf: DNF, description: str, body: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "Type": "Branch",
            "FlowID": self.next_flow_id(),
            "Description": description,
            "BranchLogic": boolean_expression(dnf),
            "Flow": body,
        }

    def routing_elements(
        self, page: Page, i: int, rules: list[tuple[DNF, int | None, str]]
    ) -> list[dict[str, Any]]:
        """Set the next page after `page`: its rules in order (first true wins), else the next.

        Every rule after the first also checks that the next page is still this one, so once
        a rule has fired the later ones cannot.
        """
        out: list[dict[str, Any]] = []
        guard = self.at(page.id)
        for position, (dnf, target, rule_id) in enumerate(rules):
            condition = dnf if position == 0 else conjoin(dnf, guard)
            name = "the end" if target is None else repr(self.pages[target].name or target)
            if is_true(condition):
                out.append(self.set_next(target))
            else:
                out.append(
                    self.branch(condition, f"Rule {rule_id}: to {name}", [self.set_next(target)])
                )
        if rules and is_true(rules[-1][0]):
            return out
        fall = [self.set_next(i + 1)]
        if rules:
            out.append(self.branch([[guard]], "No rule fired: next page", fall))
        else:
            out.extend(fall)
        return out

    def ending(self, page: Page) -> list[dict[str, Any]]:
        kind, status = self.terminal[page.id]
        out: list[dict[str, Any]] = []
        if status:
            out.append(
                {
                    "Type": "EmbeddedData",
                    "FlowID": self.next_flow_id(),
                    "EmbeddedData": [_embedded(STATUS_FIELD, status)],
                }
            )
        element: dict[str, Any] = {"Type": "EndSurvey", "FlowID": self.next_flow_id()}
        if kind == "Screenout":
            # As exports mark a screen-out: the response is flagged Screened, which the
            # Responses API reports as values.Q_TerminateFlag.
            element["EndingType"] = "Advanced"
            element["Options"] = {
                "Advanced": "true",
                "SurveyTermination": "DefaultMessage",
                "ResponseFlag": "Screened",
            }
        out.append(element)
        return out


def _preorder(elements: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for element in elements:
        yield element
        yield from _preorder(element.get("Flow", []))


def _reach(edges: Mapping[int, set[int]], start: int, end: int) -> set[int]:
    seen = {start}
    stack = [start]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt < end and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _embedded(name: str, value: str) -> dict[str, Any]:
    return {
        "Description": name,
        "Type": "Custom",
        "Field": name,
        "VariableType": "String",
        "DataVisibility": [],
        "AnalyzeText": False,
        "Value": value,
    }
