"""A QSF as a Questra FullSurvey, as far as it maps; what does not map is listed, never dropped.

Pages are the flow's blocks in flow order, split at page breaks (a block the flow shows
again becomes pages of its own, its questions copied under `<tag>_r<n>`). Questions map by
type (MC → MultipleChoice, NPS → MultipleChoice 0–10, TE → TextInput / InputList, DB → Text,
Matrix Likert → Matrix, RO → RankOrder, CS → Autosum, PGR → CardSort); a choice's value is
its `VariableNaming`, else its recode value, else its id. Display logic on answers and
embedded fields becomes `showIf`. The flow's routing maps where it is a page rule:

- a Branch holding only blocks (and maybe an EndSurvey last) → a rule on the page before it,
  `not (condition)` → the page after the branch; an EndSurvey inside ends on a terminal page;
- a Branch holding only an EndSurvey → a rule on the page before, `condition` → a terminal
  page (status `terminated` when the ending is flagged Screened, else `complete`);
- skip logic to the end of the survey → a rule on the question's page to a terminal page;
- top-level EmbeddedData with literal values → variables;
- loop & merge, static or over an earlier choice question → a Loop block.

Everything else (randomizers, web services, other logic types, skip logic within a block,
choice-level display logic, question types with no Questra block) is listed in `unmapped`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qtui.qsf import document as qsf
from qtui.qsf.pointer import PointerFlow, uses_pointer

MULTI = {"MAVR", "MAHR", "MACOL", "MSB"}
_LOCATOR = re.compile(r"^q://(QID[A-Za-z0-9]+)/([A-Za-z]+)(?:/(.*))?$")


@dataclass(frozen=True)
class Unmapped:
    """Something of the QSF the FullSurvey does not hold (or holds only in part)."""

    where: str  # a QID, block id or FlowID
    reason: str


@dataclass
class Conversion:
    survey: dict[str, Any]
    unmapped: list[Unmapped] = field(default_factory=list)


class _Untranslatable(Exception):
    pass


def to_full_survey(document: Mapping[str, Any]) -> Conversion:
    return _Converter(document).run()


def _plain(text: object) -> str:
    """QuestionText HTML → plain text (paragraphs and breaks kept as new lines)."""
    value = re.sub(r"<\s*br\s*/?>|</\s*(p|div|h[1-6])\s*>", "\n", str(text or ""), flags=re.I)
    value = html.unescape(re.sub(r"<[^>]+>", "", value))
    lines = [line.strip() for line in value.splitlines()]
    return "\n".join(line for line in lines if line).strip()


def _public(choices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Choices as Questra has them (value and label; the QSF choice id stays behind)."""
    return [{"value": c["value"], "label": c["label"]} for c in choices]


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _name(tag: str) -> str:
    """A reference name from a DataExportTag (Questra names are identifiers)."""
    name = re.sub(r"\W", "_", tag).strip("_") or "q"
    return name if not name[0].isdigit() else f"q_{name}"


class _Converter:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.entry = document.get("SurveyEntry") or {}
        self.questions = qsf.questions(document)
        self.blocks = qsf.blocks(document)
        self.flow = qsf.flow(document)
        self.unmapped: list[Unmapped] = []
        self.pages: list[dict[str, Any]] = []
        self.variables: list[dict[str, Any]] = []
        self.names: dict[str, str] = {}  # QID → reference name (first occurrence)
        self.configs: dict[str, dict[str, Any]] = {}  # QID → block config (first occurrence)
        self.shown: dict[str, int] = {}  # block id → times placed
        self.rule_count = 0
        self.terminal: dict[str, str] = {}  # status → terminal page id
        self.terminal_pages: dict[str, dict[str, Any]] = {}  # status → page (added last)
        self.page_skips: dict[str, list[str | None]] = {}  # page id → its skip conditions
        # Rules that skip a branch's pages, waiting for the page after them (their target).
        self.open_skips: list[tuple[dict[str, Any], int]] = []

    def note(self, where: str, reason: str) -> None:
        entry = Unmapped(where, reason)
        if entry not in self.unmapped:
            self.unmapped.append(entry)

    # --- run -------------------------------------------------------------------------------

    def run(self) -> Conversion:
        for qid, question in self.questions.items():
            tag = str(question.get("DataExportTag") or qid)
            self.names[qid] = _name(tag)
        flow = self.flow.get("Flow") or []
        if uses_pointer(flow):  # qtui's own export: routing is in the qtui_next_page field
            PointerFlow(self).run(flow)
        else:
            self.walk(flow, top=True)
        for block_id, block in self.blocks.items():
            if block.get("Type") == "Trash":
                for element in block.get("BlockElements") or []:
                    if isinstance(element, dict) and element.get("QuestionID"):
                        self.note(str(element["QuestionID"]), "question in the trash; not imported")
            elif block_id not in self.shown:
                self.note(block_id, "block not in the survey flow; not imported")
            elif (block.get("Options") or {}).get("RandomizeQuestions") not in (None, "false"):
                self.note(block_id, "question randomization within the block is not imported")
        if self.open_skips:  # a branch at the very end: skipping it ends the survey
            end = self.terminal_page("complete")
            for rule, _ in self.open_skips:
                rule["target_page_id"] = end
        if self.terminal:
            # Terminal pages go last, reached by rules only: the last page of the survey
            # proper goes on to the completion page, never falls through to a screen-out.
            complete = self.terminal_page("complete")
            if self.pages:
                self.rule(self.pages[-1], "", complete)
            for status in ("complete", "terminated"):
                if status in self.terminal_pages:
                    self.pages.append(self.terminal_pages[status])
        for order, page in enumerate(self.pages):
            page["order"] = order
        survey_id = str(self.entry.get("SurveyID") or "qsf")
        survey = {
            "id": survey_id,
            "name": str(self.entry.get("SurveyName") or survey_id),
            "first_page_id": self.pages[0]["id"] if self.pages else None,
            "pages": self.pages,
            "variables": self.variables,
        }
        return Conversion(survey, self.unmapped)

    # --- flow ------------------------------------------------------------------------------

    def walk(self, elements: list[Any], *, top: bool = False) -> None:
        for element in elements:
            if not isinstance(element, dict):
                continue
            kind = element.get("Type")
            fid = str(element.get("FlowID") or kind)
            if kind in ("Block", "Standard"):
                self.place(str(element.get("ID")))
            elif kind == "Branch":
                self.branch(element, fid)
            elif kind == "EmbeddedData":
                self.embedded(element, fid, top)
            elif kind == "EndSurvey":
                if top and element is not elements[-1]:
                    self.note(
                        fid, "an EndSurvey in the middle of the flow; the pages after it are kept"
                    )
                if self.pages and self.screened(element):
                    self.pages[-1]["assign_response_status"] = "terminated"
            elif kind in ("BlockRandomizer", "Group", "Randomizer"):
                if kind != "Group":
                    self.note(fid, f"{kind}: its elements are imported in order, not randomized")
                self.walk(element.get("Flow") or [])
            else:
                self.note(fid, f"flow element {kind!r} has no Questra equivalent")

    def screened(self, element: Mapping[str, Any]) -> bool:
        return (element.get("Options") or {}).get("ResponseFlag") == "Screened"

    def branch(self, element: dict[str, Any], fid: str) -> None:
        children = [c for c in element.get("Flow") or [] if isinstance(c, dict)]
        try:
            condition = self.expression(element.get("BranchLogic") or {})
        except _Untranslatable as error:
            self.note(
                fid,
                f"branch logic cannot be a page rule ({error}); its blocks are shown to everyone",
            )
            self.walk(children)
            return
        kinds = [c.get("Type") for c in children]
        ends = bool(kinds) and kinds[-1] == "EndSurvey"
        body = kinds[:-1] if ends else kinds
        if not all(k in ("Block", "Standard") for k in body) or not self.pages:
            self.note(
                fid, "a branch that is not a page rule; its elements are imported unconditionally"
            )
            self.walk(children)
            return
        before = self.pages[-1]
        if not body:  # only an EndSurvey: the page before goes to a terminal page
            status = "terminated" if self.screened(children[-1]) else "complete"
            self.rule(before, condition, self.terminal_page(status))
            return
        start = len(self.pages)
        for child in children[: len(body)]:
            self.place(str(child.get("ID")))
        if len(self.pages) == start:
            return
        if ends:
            self.pages[-1]["assign_response_status"] = (
                "terminated" if self.screened(children[-1]) else "complete"
            )
        self.rule(before, f"not ({condition})", None, skip_from=start)

    def rule(
        self,
        page: dict[str, Any],
        condition: str,
        target: str | None,
        *,
        skip_from: int | None = None,
    ) -> None:
        self.rule_count += 1
        rule = {
            "id": f"rule{self.rule_count}",
            "source_page_id": page["id"],
            "target_page_id": target,
            "condition": condition or None,
            "order": len(page["navigation_rules"]),
        }
        page["navigation_rules"].append(rule)
        if skip_from is not None:
            # The target is the page after the branch's pages: known once the next one exists.
            self.open_skips.append((rule, skip_from))

    def terminal_page(self, status: str) -> str:
        if status not in self.terminal:
            page_id = f"end-{status}"
            self.terminal_pages[status] = {
                "id": page_id,
                "name": "Screened out" if status == "terminated" else "End of survey",
                "assign_response_status": status,
                "blocks": [],
                "navigation_rules": [],
            }
            self.terminal[status] = page_id
        return self.terminal[status]

    def embedded(self, element: dict[str, Any], fid: str, top: bool) -> None:
        for item in element.get("EmbeddedData") or []:
            if not isinstance(item, dict) or not isinstance(item.get("Field"), str):
                continue
            name = item["Field"]
            value = item.get("Value")
            if value is None:
                self.note(
                    fid, f"embedded field {name!r} is set when the session starts; pass it then"
                )
            elif top and "${" not in str(value) and not self.pages:
                self.variables.append(
                    {"id": f"var-{name}", "name": name, "expression": _quote(str(value))}
                )
            else:
                self.note(
                    fid, f"embedded field {name!r} = {value!r} is set in the flow; not imported"
                )

    # --- pages and questions ---------------------------------------------------------------

    def place(self, block_id: str, base: str | None = None) -> None:
        block = self.blocks.get(block_id)
        if block is None:
            self.note(block_id, "the flow names a block the QSF does not have")
            return
        self.shown[block_id] = self.shown.get(block_id, 0) + 1
        repeat = self.shown[block_id]
        if repeat > 1:
            self.note(
                block_id, f"the block is shown again (time {repeat}); its questions are copied"
            )
        options = block.get("Options") or {}
        loop_variable = self.loop_variable(block_id, options)
        groups: list[list[str]] = [[]]
        skips: dict[str, list[dict[str, Any]]] = {}
        for element in block.get("BlockElements") or []:
            if not isinstance(element, dict):
                continue
            if element.get("Type") in ("Page Break", "PageBreak"):
                groups.append([])
            elif element.get("Type") == "Question" and element.get("QuestionID"):
                qid = str(element["QuestionID"])
                groups[-1].append(qid)
                if isinstance(element.get("SkipLogic"), list):
                    skips[qid] = element["SkipLogic"]
        suffix = "" if repeat == 1 else f"-r{repeat}"
        block_qids = {q for g in groups for q in g}
        for number, qids in enumerate([g for g in groups if g] or [[]], start=1):
            page_id = f"{base or block_id}{suffix}" + ("" if number == 1 else f"-p{number}")
            name = str(block.get("Description") or block_id) + (
                "" if repeat == 1 else f" (again {repeat})"
            )
            page = {"id": page_id, "name": name, "blocks": [], "navigation_rules": []}
            self.close_skips(page_id)
            self.pages.append(page)
            for position, qid in enumerate(qids):
                config = self.question(qid, repeat)
                if config is not None:
                    page["blocks"].append(
                        {
                            "id": f"{qid}{suffix}",
                            "page_id": page_id,
                            "order": position,
                            "config": config,
                        }
                    )
            if loop_variable and page["blocks"]:
                page["blocks"].append(
                    {
                        "id": f"loop-{page_id}",
                        "page_id": page_id,
                        "order": len(page["blocks"]),
                        "config": {
                            "type": "Loop",
                            "variable": loop_variable,
                            "blocks": [b["id"] for b in page["blocks"]],
                        },
                    }
                )
            for qid in qids:
                for rule in skips.get(qid, []):
                    last = number == len([g for g in groups if g])
                    self.skip_logic(page, qid, rule, last=last, repeat=repeat, block=block_qids)

    def loop_variable(self, block_id: str, options: Mapping[str, Any]) -> str | None:
        """The Questra Loop variable of a loop & merge block, or None (listed if it loops)."""
        looping = options.get("Looping")
        loop = options.get("LoopingOptions") or {}
        if looping in (None, "None"):
            return None
        if looping == "Static" and isinstance(loop.get("Static"), dict) and loop["Static"]:
            rows = sorted(
                loop["Static"].items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0
            )
            values = [str((row or {}).get("1", key)) for key, row in rows]
            name = _name(f"loop_{block_id}")
            if not any(v["name"] == name for v in self.variables):
                items = ", ".join(_quote(v) for v in values)
                self.variables.append(
                    {"id": f"var-{name}", "name": name, "expression": f"[{items}]"}
                )
            if any(len(row or {}) > 1 for _, row in rows):
                self.note(block_id, "loop & merge fields after the first are not imported")
            if loop.get("Randomization") not in (None, "None"):
                self.note(block_id, "the loop's randomization is not imported")
            return name
        if looping == "Question":
            qid = str(loop.get("QID") or "")
            config = self.configs.get(qid)
            if config is not None and config["type"] == "MultipleChoice":
                return str(config["name"])
        self.note(block_id, "loop & merge that Questra cannot express; the block is shown once")
        return None

    def close_skips(self, next_page_id: str) -> None:
        for rule, start in list(self.open_skips):
            if len(self.pages) > start:
                rule["target_page_id"] = next_page_id
                self.open_skips.remove((rule, start))

    def skip_logic(
        self,
        page: dict[str, Any],
        qid: str,
        rule: Mapping[str, Any],
        *,
        last: bool,
        repeat: int,
        block: set[str],
    ) -> None:
        where = f"{qid} skip logic {rule.get('SkipLogicID', '')}".strip()
        destination = rule.get("SkipToDestination")
        # The first skip logic of the page that holds wins: each rule also needs the
        # earlier ones (in question order) not to hold.
        earlier = self.page_skips.setdefault(page["id"], [])
        try:
            condition = self.choice_condition(
                str(rule.get("Locator") or rule.get("ChoiceLocator") or ""),
                str(rule.get("Condition") or ""),
                repeat=repeat,
                block=block,
            )
        except _Untranslatable as error:
            self.note(where, f"skip logic cannot be expressed ({error})")
            earlier.append(None)
            return
        before = list(earlier)
        earlier.append(condition)
        if destination == "ENDOFSURVEY":
            if None in before:
                self.note(where, "an earlier skip logic of the page cannot be expressed")
            guards = [f"not ({c})" for c in dict.fromkeys(before) if c is not None]
            self.rule(page, " and ".join([condition, *guards]), self.terminal_page("complete"))
        elif destination == "ENDOFBLOCK" and last:
            self.note(where, "skip to the end of the block from its last page changes nothing")
        else:
            self.note(where, f"skip logic to {destination!r} inside a block is not imported")

    def question(self, qid: str, repeat: int) -> dict[str, Any] | None:
        question = self.questions.get(qid)
        if question is None:
            self.note(qid, "the block lists a question the QSF does not have")
            return None
        config = self.config(qid, question)
        if config is None:
            return None
        name = self.names[qid] if repeat == 1 else f"{self.names[qid]}_r{repeat}"
        config["name"] = name
        config.setdefault("label", _plain(question.get("QuestionText")))
        settings = (question.get("Validation") or {}).get("Settings") or {}
        if config["type"] != "Text":
            config["required"] = settings.get("ForceResponse") == "ON"
        logic = question.get("DisplayLogic")
        if isinstance(logic, dict) and logic:
            try:
                config["showIf"] = self.expression(logic)
            except _Untranslatable as error:
                self.note(qid, f"display logic cannot be expressed ({error}); always shown")
        for key in ("Choices", "Answers"):
            items = question.get(key)
            values = items.values() if isinstance(items, dict) else items or []
            entries = [c for c in values if isinstance(c, dict)]
            for feature, reason in (
                ("DisplayLogic", f"display logic on {key.lower()} is not imported"),
                ("TextEntry", f"text boxes on {key.lower()} are not imported"),
                ("ExclusiveAnswer", f"exclusive {key.lower()} are not marked exclusive"),
            ):
                if any(c.get(feature) not in (None, False, "false") for c in entries):
                    self.note(qid, reason)
        randomization = question.get("Randomization")
        if isinstance(randomization, dict) and randomization.get("Type") not in (None, "None"):
            self.note(qid, "choice randomization is not imported")
        validation = settings.get("Type")
        if validation not in (None, "None", "ChoicesTotal"):
            self.note(qid, f"validation {validation!r} is not imported")
        if repeat == 1:
            self.configs[qid] = config
        return config

    def config(self, qid: str, question: Mapping[str, Any]) -> dict[str, Any] | None:
        kind = question.get("QuestionType")
        selector = question.get("Selector")
        sub = question.get("SubSelector")
        if kind == "MC" and selector == "NPS":
            return {
                "type": "MultipleChoice",
                "choices": [{"value": str(i), "label": str(i)} for i in range(11)],
            }
        if kind == "MC":
            if question.get("DynamicChoices"):
                if not self.choices(question):
                    self.note(
                        qid,
                        "question with carried-forward choices (DynamicChoices) only; not imported",
                    )
                    return None
                self.note(qid, "carried-forward choices (DynamicChoices) are not imported")
            return {
                "type": "MultipleChoice",
                "allowMultiple": selector in MULTI,
                "choices": _public(self.choices(question)),
            }
        if kind == "TE" and selector == "FORM":
            return {"type": "InputList", "inputs": _public(self.choices(question))}
        if kind == "TE":
            return {"type": "TextInput", "multiline": selector in ("ML", "ESTB")}
        if kind == "DB":
            return {"type": "Text", "content": _plain(question.get("QuestionText"))}
        if kind == "Matrix" and selector == "Likert":
            rows = self.choices(question)
            tags = question.get("ChoiceDataExportTags")
            if isinstance(tags, dict):
                rows = [{**r, "value": str(tags.get(r["id"], r["value"]))} for r in rows]
            return {
                "type": "Matrix",
                "allowMultiple": sub == "MultipleAnswer",
                "rows": _public(rows),
                "columns": _public(self.choices(question, "Answers")),
            }
        if kind == "RO":
            return {"type": "RankOrder", "items": _public(self.choices(question))}
        if kind == "CS":
            settings = (question.get("Validation") or {}).get("Settings") or {}
            total = settings.get("ChoiceTotal")
            return {
                "type": "Autosum",
                "items": _public(self.choices(question)),
                "target": float(total) if total not in (None, "") else 100,
            }
        if kind == "PGR":
            groups = question.get("Groups") or []
            return {
                "type": "CardSort",
                "cards": _public(self.choices(question)),
                "categories": [{"value": str(g), "label": str(g)} for g in groups],
            }
        self.note(qid, f"question type {kind}/{selector} has no Questra block; not imported")
        return None

    def choices(self, question: Mapping[str, Any], key: str = "Choices") -> list[dict[str, Any]]:
        raw = question.get(key)
        if isinstance(raw, list):
            items = {str(i): c for i, c in enumerate(raw) if isinstance(c, dict)}
        elif isinstance(raw, dict):
            items = {str(k): v for k, v in raw.items() if isinstance(v, dict)}
        else:
            items = {}
        order = question.get("ChoiceOrder" if key == "Choices" else "AnswerOrder") or list(items)
        # A matrix's recodes and variable names belong to its columns (Answers), not rows.
        valued = key == "Answers" or question.get("QuestionType") != "Matrix"
        names = question.get("VariableNaming") if valued else None
        recodes = question.get("RecodeValues") if valued else None
        names = names if isinstance(names, dict) else {}
        recodes = recodes if isinstance(recodes, dict) else {}
        out = []
        for cid in [str(c) for c in order if str(c) in items]:
            value = names.get(cid, recodes.get(cid, cid))
            out.append({"id": cid, "value": str(value), "label": _plain(items[cid].get("Display"))})
        return out

    # --- logic -----------------------------------------------------------------------------

    def expression(self, logic: Mapping[str, Any]) -> str:
        """A BooleanExpression as a Questra condition (And binds tighter than Or)."""
        runs: list[list[str]] = [[]]
        groups = [(k, v) for k, v in logic.items() if str(k).isdigit() and isinstance(v, dict)]
        for gi, (_, group) in enumerate(sorted(groups, key=lambda kv: int(kv[0]))):
            conditions = [
                (k, v) for k, v in group.items() if str(k).isdigit() and isinstance(v, dict)
            ]
            terms: list[list[str]] = [[]]
            for ci, (_, condition) in enumerate(sorted(conditions, key=lambda kv: int(kv[0]))):
                conj = condition.get("Conjuction", condition.get("Conjunction")) or "And"
                if ci and conj == "Or":
                    terms.append([])
                terms[-1].append(self.condition(condition))
            text = " or ".join(" and ".join(t) for t in terms if t)
            text = f"({text})" if len(terms) > 1 else text
            joiner = group.get("Type")
            first = conditions and sorted(conditions, key=lambda kv: int(kv[0]))[0][1]
            conj = (first or {}).get("Conjuction") if isinstance(first, dict) else None
            if gi and (joiner in ("OrIf", "ElseIf") or conj == "Or"):
                runs.append([])
            runs[-1].append(text)
        if not any(runs):
            raise _Untranslatable("no conditions")
        return " or ".join(" and ".join(r) for r in runs if r)

    def condition(self, condition: Mapping[str, Any]) -> str:
        logic_type = condition.get("LogicType")
        operator = str(condition.get("Operator") or "")
        right = condition.get("RightOperand")
        if logic_type == "EmbeddedField":
            name = str(condition.get("LeftOperand") or "")
            return self.compare(_name(name), operator, right)
        if logic_type == "DeviceType" and operator in ("Is", "IsNot"):
            self.note(
                "DeviceType",
                "device-type conditions read the embedded field device_type (pass it when the "
                "session starts)",
            )
            return self.compare("device_type", operator, condition.get("LeftOperand"))
        if logic_type != "Question":
            raise _Untranslatable(f"{logic_type} conditions")
        locator = str(condition.get("LeftOperand") or "")
        parsed = _LOCATOR.match(locator)
        if parsed is None:
            raise _Untranslatable(f"locator {locator!r}")
        qid, kind, _ = parsed.groups()
        if kind == "SelectableChoice":
            return self.choice_condition(locator, operator)
        if kind == "ChoiceTextEntryValue" and qid in self.names:
            return self.compare(self.names[qid], operator, right)
        if kind == "SelectedChoicesCount" and qid in self.names:
            return self.compare(f"count({self.names[qid]})", operator, right)
        raise _Untranslatable(f"{operator} on {kind}")

    def choice_condition(
        self, locator: str, operator: str, *, repeat: int = 1, block: set[str] | None = None
    ) -> str:
        parsed = _LOCATOR.match(locator)
        if parsed is None or parsed.group(2) != "SelectableChoice" or not parsed.group(3):
            raise _Untranslatable(f"locator {locator!r}")
        qid, _, cid = parsed.groups()
        config = self.configs.get(qid)
        question = self.questions.get(qid, {})
        if config is None or config["type"] != "MultipleChoice" or "/" in cid:
            raise _Untranslatable(f"a condition on {qid}, which is not an earlier choice question")
        value = next(
            (c["value"] for c in self.choices(question) if c["id"] == cid),
            str(cid) if question.get("Selector") == "NPS" else None,
        )
        if value is None:
            raise _Untranslatable(f"{qid} has no choice {cid}")
        name = self.names[qid]
        if repeat > 1 and qid in (block or set()):
            name = f"{name}_r{repeat}"  # the copy shown this time
        if config.get("allowMultiple"):
            selected = f"{_quote(value)} in {name}"
            return selected if operator == "Selected" else f"not ({selected})"
        if operator == "Selected":
            return f"{name}.value == {_quote(value)}"
        if operator == "NotSelected":
            return f"{name}.value != {_quote(value)}"
        raise _Untranslatable(f"operator {operator}")

    def compare(self, name: str, operator: str, right: object) -> str:
        text = _quote(str(right if right is not None else ""))
        number = str(right) if re.fullmatch(r"-?\d+(\.\d+)?", str(right or "")) else None
        simple = {"EqualTo": "==", "NotEqualTo": "!=", "Is": "==", "IsNot": "!="}
        ordered = {
            "GreaterThan": ">",
            "GreaterThanOrEqual": ">=",
            "LessThan": "<",
            "LessThanOrEqual": "<=",
        }
        if operator in simple:
            return f"{name} {simple[operator]} {number or text}"
        if operator in ordered and number is not None:
            return f"{name} {ordered[operator]} {number}"
        if operator == "Empty":
            return f"empty({name})"
        if operator == "NotEmpty":
            return f"answered({name})"
        if operator == "Contains":
            return f"contains({name}, {text})"
        raise _Untranslatable(f"operator {operator}")
