"""qtui's own routing encoding read back: the `qtui_next_page` field of an exported flow.

`qtui export` (docs/qualtrics-mapping.md, "Page routing → survey flow") writes a survey's
navigation as one embedded field holding the id of the next page: the top EmbeddedData sets
it to the first page; after each page, `Branch(condition) → qtui_next_page = target` is a
rule (rules after the first also carry the guard `qtui_next_page == <this page>`), a Branch
on the guard alone is the fall-through to the next page, and a page some route skips is
wrapped in `Branch(qtui_next_page == <its id>)`. A terminal page sets `qtui_response_status`
and ends with an EndSurvey. This module turns that back into pages (with their qtui ids) and
navigation rules, so that import → FullSurvey follows the same routes as the original.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from qtui.qualtrics.compile.model import END_OF_SURVEY, NEXT_PAGE_FIELD, STATUS_FIELD

if TYPE_CHECKING:
    from qtui.qsf.convert import _Converter

_RULE_ID = re.compile(r"^Rule (\S+): ")


def uses_pointer(flow: list[Any]) -> bool:
    """True when the flow's first EmbeddedData declares qtui's `qtui_next_page` field."""
    for element in flow:
        if isinstance(element, dict) and element.get("Type") == "EmbeddedData":
            return any(
                isinstance(item, dict) and item.get("Field") == NEXT_PAGE_FIELD
                for item in element.get("EmbeddedData") or []
            )
    return False


def _fields(element: dict[str, Any]) -> dict[str, str]:
    return {
        str(item["Field"]): str(item.get("Value") or "")
        for item in element.get("EmbeddedData") or []
        if isinstance(item, dict) and isinstance(item.get("Field"), str)
    }


def _is_guard(condition: object) -> bool:
    return (
        isinstance(condition, dict)
        and condition.get("LogicType") == "EmbeddedField"
        and condition.get("LeftOperand") == NEXT_PAGE_FIELD
        and condition.get("Operator") == "EqualTo"
    )


def split_guard(logic: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    """(page id of the `qtui_next_page ==` guard, the logic without it, or None if nothing is left).

    The compiler puts the guard in every And-group (the logic is in disjunctive normal form);
    a group's first condition carries `Conjuction: Or` for groups after the first, so that
    mark moves to the group's next condition when the guard is dropped.
    """
    page: str | None = None
    out: dict[str, Any] = {k: v for k, v in logic.items() if not str(k).isdigit()}
    groups = sorted(
        ((k, v) for k, v in logic.items() if str(k).isdigit() and isinstance(v, dict)),
        key=lambda kv: int(kv[0]),
    )
    for number, (_, group) in enumerate(groups):
        conditions = sorted(
            ((k, v) for k, v in group.items() if str(k).isdigit() and isinstance(v, dict)),
            key=lambda kv: int(kv[0]),
        )
        kept = []
        for _, condition in conditions:
            if _is_guard(condition):
                page = str(condition.get("RightOperand"))
            else:
                kept.append(dict(condition))
        if not kept:
            continue
        if conditions and _is_guard(conditions[0][1]) and number:
            conj = conditions[0][1].get("Conjuction")
            if conj:
                kept[0]["Conjuction"] = conj
        new = {k: v for k, v in group.items() if not str(k).isdigit()}
        new.update({str(i): c for i, c in enumerate(kept)})
        out[str(len([k for k in out if str(k).isdigit()]))] = new
    has_groups = any(str(k).isdigit() for k in out)
    return page, out if has_groups else None


class PointerFlow:
    """Walks a qtui-exported flow, placing pages under their qtui ids and rebuilding rules."""

    def __init__(self, converter: _Converter) -> None:
        self.c = converter
        self.next_id: str | None = None  # the page a top-level block is
        self.current: dict[str, Any] | None = None  # the page rules belong to
        # page id → [(condition, target, rule id or None, is_fallthrough)]
        self.rules: dict[str, list[tuple[str | None, str, str | None, bool]]] = {}
        self.declared: dict[str, str] = {}  # variables of the top EmbeddedData
        # variable → how the flow sets it: [(branch logic or None, value)]
        self.computed: dict[str, list[tuple[dict[str, Any] | None, str]]] = {}
        self.left_out: list[str] = []  # FlowIDs of elements read as something else

    def run(self, flow: list[Any]) -> None:
        self.walk(flow, wrapper=None)
        self.finish()

    def walk(self, elements: list[Any], wrapper: str | None) -> None:
        placed = False
        for element in elements:
            if not isinstance(element, dict):
                continue
            kind = element.get("Type")
            if kind in ("Block", "Standard"):
                base = wrapper if wrapper and not placed else self.next_id
                if self.current is not None and base == self.current["id"]:
                    base = None  # a page split in several blocks: the parts keep their ids
                before = len(self.c.pages)
                self.c.place(str(element.get("ID")), base)
                placed = True
                if len(self.c.pages) > before:
                    self.current = self.c.pages[-1]
            elif kind == "EmbeddedData":
                self.embedded(element)
            elif kind == "EndSurvey":
                if self.current is not None:
                    closing = "terminated" if self.c.screened(element) else "completed"
                    self.current.setdefault("assign_response_status", closing)
            elif kind == "Branch":
                self.branch(element)
            else:
                self.c.walk([element])

    def embedded(self, element: dict[str, Any]) -> None:
        fields = _fields(element)
        if not self.c.pages and self.current is None and not self.declared:
            self.declared = {k: v for k, v in fields.items() if k != STATUS_FIELD}
            self.next_id = self.declared.pop(NEXT_PAGE_FIELD, None)
            for name, value in self.declared.items():
                if value and "${" not in value:
                    self.c.variables.append(
                        {"id": f"var-{name}", "name": name, "expression": _quote(value)}
                    )
            return
        for name, value in fields.items():
            if name == NEXT_PAGE_FIELD:
                self.add_rule(None, value, None, fallthrough=True)
                self.next_id = value
            elif name == STATUS_FIELD:
                if self.current is not None and value:
                    self.current["assign_response_status"] = value
            else:
                self.computed.setdefault(name, []).append((None, value))

    def add_rule(
        self, condition: str | None, target: str, rule_id: str | None, *, fallthrough: bool
    ) -> None:
        if self.current is None:
            return
        entry = (condition, target, rule_id, fallthrough)
        self.rules.setdefault(self.current["id"], []).append(entry)

    def branch(self, element: dict[str, Any]) -> None:
        fid = str(element.get("FlowID") or "Branch")
        children = [c for c in element.get("Flow") or [] if isinstance(c, dict)]
        page, rest = split_guard(element.get("BranchLogic") or {})
        kinds = [c.get("Type") for c in children]
        if page and rest is None and kinds and kinds[0] in ("Block", "Standard"):
            self.walk(children, wrapper=page)  # a page some route skips
            return
        if kinds == ["EmbeddedData"]:
            fields = _fields(children[0])
            if list(fields) == [NEXT_PAGE_FIELD]:
                target = fields[NEXT_PAGE_FIELD]
                if rest is None:  # the guard alone: no rule fired, on to the next page
                    self.add_rule(None, target, None, fallthrough=True)
                    self.next_id = target
                    return
                try:
                    condition = self.c.expression(rest)
                except Exception as error:  # noqa: BLE001 - _Untranslatable, named in convert
                    self.c.note(fid, f"rule condition cannot be expressed ({error}); left out")
                    return
                found = _RULE_ID.match(str(element.get("Description") or ""))
                self.add_rule(condition, target, found and found.group(1), fallthrough=False)
                return
            if NEXT_PAGE_FIELD not in fields and STATUS_FIELD not in fields:
                for name, value in fields.items():
                    self.computed.setdefault(name, []).append((rest, value))
                return
        self.left_out.append(fid)
        self.c.branch(element, fid)

    def finish(self) -> None:
        pages = self.c.pages
        ids = {p["id"] for p in pages}
        for index, page in enumerate(pages):
            following = pages[index + 1]["id"] if index + 1 < len(pages) else END_OF_SURVEY
            entries = self.rules.get(page["id"], [])
            while entries and entries[-1][0] is None and entries[-1][1] == following:
                entries.pop()  # the fall-through: Questra's default, not a rule
            if entries and entries[-1][1] == END_OF_SURVEY and following == END_OF_SURVEY:
                entries.pop()
            for condition, target, rule_id, _ in entries:
                resolved = target if target in ids else None  # END (or unknown): the end
                self.c.rule(page, condition or "", resolved)
                if rule_id:
                    page["navigation_rules"][-1]["id"] = rule_id
        restored = {name: self.variable(setters) for name, setters in self.computed.items()}
        for name, expression in restored.items():
            if expression is not None:
                self.c.variables.append(
                    {"id": f"var-{name}", "name": name, "expression": expression}
                )
        computed = [n for n, e in restored.items() if e is None]
        empty = [n for n, v in self.declared.items() if not v and n not in restored]
        if computed or empty:
            names = ", ".join(computed + empty)
            self.c.note(
                "variables",
                f"variables the flow does not compute are not imported ({names}); the rule "
                "and showIf conditions that read them were compiled from their expressions, so "
                "routes are unchanged",
            )

    def variable(self, setters: list[tuple[dict[str, Any] | None, str]]) -> str | None:
        """The expression of a variable the flow computes, in the three shapes the compiler
        writes (docs/qualtrics-mapping.md, "Variables"), else None."""
        if [v for _, v in setters] == ["false", "true"] and setters[0][0] is None and setters[1][0]:
            try:
                return self.c.expression(setters[1][0])
            except Exception:  # noqa: BLE001 - _Untranslatable
                return None
        if len(setters) == 1 and setters[0][0] is None:
            piped = _PIPE.fullmatch(setters[0][1])
            if piped and piped.group(1) in self.c.names:
                return f"{self.c.names[piped.group(1)]}.value"
            return None
        qids = set()
        for logic, value in setters:  # one Branch per choice: choice k selected → its value
            condition = (logic or {}).get("0", {}).get("0", {})
            parsed = _CHOICE.fullmatch(str(condition.get("LeftOperand") or ""))
            if logic is None or len(logic.get("0", {})) > 2 or "1" in logic or not parsed:
                return None
            if condition.get("Operator") != "Selected":
                return None
            question = self.c.questions.get(parsed.group(1), {})
            if not any(
                c["id"] == parsed.group(2) and c["value"] == value for c in self.c.choices(question)
            ):
                return None
            qids.add(parsed.group(1))
        if len(qids) == 1 and (qid := qids.pop()) in self.c.names:
            return f"{self.c.names[qid]}.value"
        return None


_PIPE = re.compile(r"\$\{q://(QID[A-Za-z0-9]+)/(?:ChoiceTextEntryValue|SelectedChoicesRecode)\}")
_CHOICE = re.compile(r"q://(QID[A-Za-z0-9]+)/SelectableChoice/([^/]+)")


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
