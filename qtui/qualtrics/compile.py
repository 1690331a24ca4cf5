"""Questra survey → Qualtrics survey definition (questions, blocks, flow). Pure: no I/O.

`compile_survey(survey)` returns a `CompiledSurvey`: one Qualtrics block per page (a page with
a Loop over only some of its blocks is split, see below), a question definition per question
block, and a flow that reproduces the page routing. Whatever cannot be expressed in Qualtrics
is listed in `issues` with the item id and the reason — never dropped silently.

The full mapping table and the routing encoding are explained in docs/qualtrics-mapping.md.
In short, routing uses one embedded-data field, `qtui_next_page`, as the page the respondent
goes to next: each page's rules (first true wins) set it, a page that some route skips is
wrapped in a Branch on it, pages every route passes through stay at the top level, and a
terminal page (`Page.ends_survey`: it assigns a closing response status, the rule routes use
too) ends the survey with an EndSurvey element (flagged `Screenout` for terminations).

Ids: the Qualtrics QIDs and BL_ ids of things not yet created are provisional (QID1…, or
QIDnew1… when a mapping of existing ones is given; BL_qtui…); `CompiledSurvey.bind` swaps in
the real ones once they exist.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from qtui.core.logic import ExpressionError, ListExpr, Literal, Reference, parse_cached
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
    TextConfig,
    TextInputConfig,
    UnparsedConfig,
    reference_names,
)
from qtui.qualtrics.conditions import (
    DNF,
    Cond,
    QuestionRef,
    Scope,
    Untranslatable,
    boolean_expression,
    conjoin,
    is_false,
    is_nps,
    is_true,
    questions_read,
    translate,
)

NEXT_PAGE_FIELD = "qtui_next_page"
STATUS_FIELD = "qtui_response_status"
END_OF_SURVEY = "END"

_SCREENOUT_WORDS = re.compile(r"terminat|screen|disqualif|quota|reject|fail|not ?eligible", re.I)
_PIPED_QID = re.compile(r"(?<=q://)(QID[A-Za-z0-9]+)")


@dataclass(frozen=True)
class CompileIssue:
    """Something of the Questra survey that Qualtrics cannot express (or only partly)."""

    item_id: str
    kind: str
    reason: str


@dataclass
class CompiledQuestion:
    block_id: str  # the Questra block
    page_id: str
    block_key: str  # the compiled block it sits in
    qid: str
    tag: str
    definition: dict[str, Any]


@dataclass
class CompiledBlock:
    key: str  # the page id, or page id + "#<n>" for the parts of a split page
    page_id: str
    block_id: str  # Qualtrics BL_ id (provisional until created)
    description: str
    question_ids: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    def definition(self) -> dict[str, Any]:
        return {
            "Type": "Standard",
            "Description": self.description,
            "BlockElements": [{"Type": "Question", "QuestionID": q} for q in self.question_ids],
            "Options": copy.deepcopy(self.options),
        }


@dataclass
class CompiledSurvey:
    survey_id: str
    name: str
    blocks: list[CompiledBlock]
    questions: dict[str, list[CompiledQuestion]]  # block key → its questions, in order
    flow: dict[str, Any]
    data_export_tags: dict[str, str]  # Questra block id → DataExportTag
    issues: list[CompileIssue]
    terminal_pages: dict[str, str] = field(default_factory=dict)  # page id → Completed|Screenout

    def question_list(self) -> list[CompiledQuestion]:
        return [q for block in self.blocks for q in self.questions.get(block.key, [])]

    def bind(self, qids: Mapping[str, str], block_ids: Mapping[str, str]) -> CompiledSurvey:
        """A copy with provisional ids replaced: `qids` and `block_ids` map old → new."""
        blocks = [
            replace(
                b,
                block_id=block_ids.get(b.block_id, b.block_id),
                question_ids=[qids.get(q, q) for q in b.question_ids],
                options=rebind(b.options, qids, block_ids),
            )
            for b in self.blocks
        ]
        questions = {
            key: [
                replace(
                    q, qid=qids.get(q.qid, q.qid), definition=rebind(q.definition, qids, block_ids)
                )
                for q in items
            ]
            for key, items in self.questions.items()
        }
        return replace(
            self, blocks=blocks, questions=questions, flow=rebind(self.flow, qids, block_ids)
        )


def rebind(value: Any, qids: Mapping[str, str], block_ids: Mapping[str, str]) -> Any:
    """Replace ids inside a definition: whole strings, and QIDs inside `q://QID…` locators."""
    if isinstance(value, dict):
        return {k: rebind(v, qids, block_ids) for k, v in value.items()}
    if isinstance(value, list):
        return [rebind(v, qids, block_ids) for v in value]
    if isinstance(value, str):
        if value in qids:
            return qids[value]
        if value in block_ids:
            return block_ids[value]
        if "q://" in value:
            return _PIPED_QID.sub(lambda m: qids.get(m.group(1), m.group(1)), value)
    return value


# --- the compiler --------------------------------------------------------------------------


def compile_survey(
    survey: Survey,
    *,
    qids: Mapping[str, str] | None = None,
    block_ids: Mapping[str, str] | None = None,
    force_response: bool = True,
) -> CompiledSurvey:
    """Compile a Questra survey.

    `qids` (Questra block id → QID) and `block_ids` (block key → BL_) name what already exists
    in Qualtrics; everything else gets provisional ids. `force_response` is the default for
    question blocks (a block's own `required: false|true` wins).
    """
    return _Compiler(survey, qids, block_ids, force_response).run()


class _Compiler:
    def __init__(
        self,
        survey: Survey,
        qids: Mapping[str, str] | None,
        block_ids: Mapping[str, str] | None,
        force_response: bool,
    ) -> None:
        self.survey = survey
        self.known_qids = qids
        self.known_blocks = block_ids
        self.force_response = force_response
        self.refs = reference_names(survey)
        self.pages = sorted(survey.pages, key=lambda p: p.order)
        self.issues: list[CompileIssue] = []
        self.flow_count = 1
        self.fields_read: set[str] = set()
        self._new_qids = 0
        self._new_blocks = 0
        self._translated: dict[str, DNF | Untranslatable] = {}

    def translate(self, text: str) -> DNF:
        """`conditions.translate`, once per distinct text (large surveys repeat conditions)."""
        if text not in self._translated:
            try:
                self._translated[text] = translate(text, self.scope)
            except Untranslatable as error:
                self._translated[text] = error
        result = self._translated[text]
        if isinstance(result, Untranslatable):
            raise result
        return result

    def issue(self, item_id: str, kind: str, reason: str) -> None:
        entry = CompileIssue(item_id, kind, reason)
        if entry not in self.issues:
            self.issues.append(entry)

    def next_flow_id(self) -> str:
        self.flow_count += 1
        return f"FL_{self.flow_count}"

    # ids ----------------------------------------------------------------------------------

    def qid_for(self, block_id: str, number: int) -> str:
        if self.known_qids is None:
            return f"QID{number}"
        if block_id in self.known_qids:
            return self.known_qids[block_id]
        self._new_qids += 1
        return f"QIDnew{self._new_qids}"

    def block_id_for(self, key: str) -> str:
        if self.known_blocks is not None and key in self.known_blocks:
            return self.known_blocks[key]
        self._new_blocks += 1
        return f"BL_qtui{self._new_blocks:011d}"

    # run ----------------------------------------------------------------------------------

    def run(self) -> CompiledSurvey:
        self.layout()
        self.qids_by_key: dict[str, set[str]] = {}
        for ref in self.question_refs.values():
            self.qids_by_key.setdefault(ref.page_key, set()).add(ref.qid)
        self.scope = Scope(
            questions=self.question_refs,
            variables={v.name: v.expression for v in self.survey.variables if v.name},
            on_field=self.fields_read.add,
        )
        questions: dict[str, list[CompiledQuestion]] = {b.key: [] for b in self.blocks}
        for block_key, page, block, qid in self.placements:
            definition = self.question(block, qid)
            if definition is None:
                continue
            logic = self.display_logic(block, block_key)
            if logic is not None:
                definition["DisplayLogic"] = logic
            questions[block_key].append(
                CompiledQuestion(
                    block.id, page.id, block_key, qid, self.refs.get(block.id, ""), definition
                )
            )
        for compiled in self.blocks:
            compiled.question_ids = [q.qid for q in questions[compiled.key]]
        flow = self.build_flow()
        tags = {q.block_id: q.tag for items in questions.values() for q in items if q.tag}
        self.check_tags(tags)
        for name in sorted(self.fields_read):
            self.issue(
                name,
                "embedded_field",
                f"{name!r} is not a question or variable; it is read as an embedded-data "
                "field (pass it when the session starts)",
            )
        return CompiledSurvey(
            survey_id=self.survey.id,
            name=self.survey.name or self.survey.slug or self.survey.id,
            blocks=self.blocks,
            questions=questions,
            flow=flow,
            data_export_tags=tags,
            issues=self.issues,
            terminal_pages={p: kind for p, (kind, _) in self.terminal.items()},
        )

    # layout: pages → blocks ---------------------------------------------------------------

    def layout(self) -> None:
        self.blocks: list[CompiledBlock] = []
        self.page_blocks: dict[str, list[CompiledBlock]] = {}
        self.placements: list[tuple[str, Page, Block, str]] = []
        self.question_refs: dict[str, QuestionRef] = {}
        self.block_key_of: dict[str, str] = {}
        number = 0
        for page in self.pages:
            segments = self.segments(page)
            compiled_here: list[CompiledBlock] = []
            for key, members, options, suffix in segments:
                description = (page.name or page.id) + suffix
                compiled = CompiledBlock(
                    key, page.id, self.block_id_for(key), description, options=options
                )
                compiled_here.append(compiled)
                for block in members:
                    self.block_key_of[block.id] = key
                    if isinstance(block.config, LoopConfig):
                        continue
                    number += 1
                    qid = self.qid_for(block.id, number)
                    self.placements.append((key, page, block, qid))
                    name = self.refs.get(block.id)
                    if name and block.is_question and name not in self.question_refs:
                        self.question_refs[name] = QuestionRef(qid, block.config, key)
            self.blocks.extend(compiled_here)
            self.page_blocks[page.id] = compiled_here

    def segments(self, page: Page) -> list[tuple[str, list[Block], dict[str, Any], str]]:
        """The page's blocks grouped into Qualtrics blocks (key, blocks, options, suffix)."""
        base_options = {
            "BlockLocking": "false",
            "RandomizeQuestions": "false",
            "BlockVisibility": "Expanded",
        }
        loops = [b for b in page.blocks if isinstance(b.config, LoopConfig)]
        looped: dict[str, tuple[Block, dict[str, Any]]] = {}
        on_page = {b.id for b in page.blocks}
        for loop in loops:
            config = loop.config
            assert isinstance(config, LoopConfig)
            if config.showIf:
                self.issue(
                    loop.id,
                    "not_expressed",
                    "a Loop's showIf is not compiled; put showIf on the looped blocks",
                )
            elsewhere = [b for b in config.blocks if b not in on_page]
            if elsewhere:
                self.issue(
                    loop.id,
                    "not_expressed",
                    f"the Loop lists blocks that are not on its page ({', '.join(elsewhere)}"
                    "); Qualtrics loops one block",
                )
            members = [b for b in config.blocks if b in on_page and b not in looped]
            if not members:
                continue
            looping = self.looping(loop)
            if looping is None:
                continue
            for member in members:
                looped[member] = (loop, looping)
        content = [b for b in page.blocks if not isinstance(b.config, LoopConfig)]
        if not looped:
            return [(page.id, list(page.blocks), base_options, "")]
        groups: list[tuple[str | None, list[Block]]] = []
        for block in content:
            owner = looped[block.id][0].id if block.id in looped else None
            if groups and groups[-1][0] == owner:
                groups[-1][1].append(block)
            else:
                groups.append((owner, [block]))
        if len(groups) == 1:
            owner = groups[0][0]
            assert owner is not None
            options = {**base_options, **looped[groups[0][1][0].id][1]}
            return [(page.id, content, options, "")]
        self.issue(
            page.id,
            "page_split",
            "a Loop covers only part of this page; Qualtrics loops whole blocks, so the "
            "looped blocks become their own block (shown as a page of their own)",
        )
        out: list[tuple[str, list[Block], dict[str, Any], str]] = []
        for index, (owner, members) in enumerate(groups):
            key = page.id if index == 0 else f"{page.id}#{index}"
            if owner is None:
                out.append(
                    (key, members, dict(base_options), "" if index == 0 else f" (part {index + 1})")
                )
            else:
                options = {**base_options, **looped[members[0].id][1]}
                out.append((key, members, options, " (loop)"))
        return out

    def looping(self, loop: Block) -> dict[str, Any] | None:
        config = loop.config
        assert isinstance(config, LoopConfig)
        name = config.variable
        variables = {v.name: v.expression for v in self.survey.variables if v.name}
        if name in self.refs.values() and name not in variables:
            text: str | None = name
        elif name in variables:
            text = variables[name]
        else:
            self.issue(
                loop.id,
                "not_expressed",
                f"the Loop's variable {name!r} does not exist; the blocks are not looped",
            )
            return None
        try:
            expr = parse_cached(text) if text else None
        except ExpressionError as error:
            self.issue(loop.id, "not_expressed", f"the Loop's variable does not parse: {error}")
            return None
        if isinstance(expr, ListExpr) and all(isinstance(i, Literal) for i in expr.items):
            static = {
                str(i): {"1": str(item.value)}  # type: ignore[union-attr]
                for i, item in enumerate(expr.items, start=1)
            }
            return {
                "Looping": "Static",
                "LoopingOptions": {"Static": static, "Randomization": "None"},
            }
        if isinstance(expr, Reference) and expr.member in (None, "value", "values"):
            target = self.question_refs.get(expr.name)
            if target is not None and isinstance(target.config, MultipleChoiceConfig):
                return {
                    "Looping": "Question",
                    "LoopingOptions": {
                        "QID": target.qid,
                        "ChoiceGroupLocator": f"q://{target.qid}/ChoiceGroup/SelectedChoices",
                        "QuestionLoopLocators": [],
                        "Static": {},
                        "Randomization": "None",
                    },
                }
        self.issue(
            loop.id,
            "not_expressed",
            f"the Loop repeats over {name!r} = {text!r}; Qualtrics loops over a fixed list "
            "or the choices selected in an earlier multiple-choice question, so the "
            "blocks are not looped",
        )
        return None

    # questions ----------------------------------------------------------------------------

    def forced(self, block: Block) -> str:
        extra = block.config.model_extra or {}
        if isinstance(extra.get("required"), bool):
            return "ON" if extra["required"] else "OFF"
        if isinstance(extra.get("optional"), bool):
            return "OFF" if extra["optional"] else "ON"
        return "ON" if self.force_response else "OFF"

    def question(self, block: Block, qid: str) -> dict[str, Any] | None:
        config = block.config
        tag = self.refs.get(block.id, "")
        text = _escape(config.label or config.name or tag)
        base: dict[str, Any] = {
            "QuestionText": text,
            "QuestionDescription": _plain(config.label or tag)[:100],
            "Configuration": {"QuestionDescriptionOption": "UseText"},
            "Validation": {
                "Settings": {
                    "ForceResponse": self.forced(block),
                    "ForceResponseType": "ON",
                    "Type": "None",
                }
            },
            "Language": [],
            "DataVisibility": {"Private": False, "Hidden": False},
        }
        if tag:
            base["DataExportTag"] = tag  # without one, Qualtrics numbers it (Q<n>)
        if isinstance(config, TextConfig):
            body = markdown_html(config.content or config.label or "")
            return {
                **base,
                "QuestionText": body,
                "QuestionDescription": _plain(body)[:100] or tag,
                "QuestionType": "DB",
                "Selector": "TB",
                "Validation": {"Settings": {"Type": "None"}},
            }
        if isinstance(config, TextInputConfig):
            if config.placeholder:
                self.issue(
                    block.id,
                    "not_expressed",
                    "the placeholder text has no Qualtrics text-entry equivalent",
                )
            if config.maxLength is not None:
                self.issue(
                    block.id,
                    "not_expressed",
                    f"maxLength {config.maxLength} is not enforced; add a text-entry "
                    "length validation in Qualtrics if it matters",
                )
            return {**base, "QuestionType": "TE", "Selector": "ML" if config.multiline else "SL"}
        if isinstance(config, MultipleChoiceConfig):
            if not config.choices:
                self.issue(block.id, "not_expressed", "a multiple choice with no choices; skipped")
                return None
            if is_nps(config):
                return {**base, "QuestionType": "MC", "Selector": "NPS", **_nps(config.choices)}
            return {
                **base,
                "QuestionType": "MC",
                "Selector": "MAVR" if config.allowMultiple else "SAVR",
                "SubSelector": "TX",
                **_choices(config.choices),
            }
        if isinstance(config, MatrixConfig):
            if not config.rows or not config.columns:
                self.issue(block.id, "not_expressed", "a matrix needs rows and columns; skipped")
                return None
            rows = _choices(config.rows)
            columns = _choices(config.columns, key="Answers", order_key="AnswerOrder")
            return {
                **base,
                "QuestionType": "Matrix",
                "Selector": "Likert",
                "SubSelector": "MultipleAnswer" if config.allowMultiple else "SingleAnswer",
                "Choices": rows["Choices"],
                "ChoiceOrder": rows["ChoiceOrder"],
                "Answers": columns["Answers"],
                "AnswerOrder": columns["AnswerOrder"],
                # Matrix recodes apply to the columns; rows keep their values as export tags.
                "RecodeValues": columns["RecodeValues"],
                "ChoiceDataExportTags": {
                    str(i): row.value for i, row in enumerate(config.rows, start=1)
                },
                "DefaultChoices": False,
            }
        if isinstance(config, InputListConfig):
            if not config.inputs:
                self.issue(block.id, "not_expressed", "an input list with no inputs; skipped")
                return None
            return {**base, "QuestionType": "TE", "Selector": "FORM", **_choices(config.inputs)}
        if isinstance(config, CardSortConfig):
            if not config.cards or not config.categories:
                self.issue(
                    block.id, "not_expressed", "a card sort needs cards and categories; skipped"
                )
                return None
            return {
                **base,
                "QuestionType": "PGR",
                "Selector": "DragAndDrop",
                "SubSelector": "Columns",
                **_choices(config.cards),
                # Groups are listed by name; their order gives back the category values.
                "Groups": [c.label or c.value for c in config.categories],
                "NumberOfGroups": len(config.categories),
                "Configuration": {
                    "QuestionDescriptionOption": "UseText",
                    "Stack": False,
                    "StackItemsInGroups": False,
                },
            }
        if isinstance(config, RankOrderConfig):
            if not config.items:
                self.issue(block.id, "not_expressed", "a rank order with no items; skipped")
                return None
            return {
                **base,
                "QuestionType": "RO",
                "Selector": "DND",
                "SubSelector": "TX",
                **_choices(config.items),
            }
        if isinstance(config, AutosumConfig):
            if not config.items:
                self.issue(block.id, "not_expressed", "an autosum with no items; skipped")
                return None
            total = int(config.target) if float(config.target).is_integer() else config.target
            return {
                **base,
                "QuestionType": "CS",
                "Selector": "VRTL",
                "SubSelector": "TX",
                **_choices(config.items),
                "Validation": {
                    "Settings": {
                        "ForceResponse": self.forced(block),
                        "ForceResponseType": "ON",
                        "Type": "ChoicesTotal",
                        "ChoiceTotal": str(total),
                        "EnforceRange": None,
                    }
                },
            }
        if isinstance(config, UnparsedConfig):
            self.issue(
                block.id,
                "config_not_understood",
                f"the {config.type} block's config is not understood ({config.problem}); "
                "skipped: fix the block in Questra and push again",
            )
            return None
        self.issue(
            block.id,
            "unsupported_block",
            f"block type {config.type!r} has no Qualtrics mapping; skipped",
        )
        return None

    def display_logic(self, block: Block, block_key: str) -> dict[str, Any] | None:
        text = block.config.showIf
        if text is None or not text.strip():
            return None
        try:
            dnf = self.translate(text)
        except Untranslatable as error:
            self.issue(
                block.id,
                "show_if",
                f"showIf {text!r} cannot be expressed ({error}); the question is always shown",
            )
            return None
        if is_true(dnf):
            return None
        if is_false(dnf):
            self.issue(
                block.id, "show_if", f"showIf {text!r} is never true; the question is never shown"
            )
            dnf = [[Cond("field", "qtui_never_shown", "EqualTo", right="1", label="never shown")]]
        in_page = bool(questions_read(dnf) & self.qids_by_key.get(block_key, set()))
        return boolean_expression(dnf, in_page=in_page)

    def check_tags(self, tags: Mapping[str, str]) -> None:
        seen: dict[str, str] = {}
        for block_id, tag in tags.items():
            if not tag:
                continue
            if tag in seen:
                self.issue(
                    block_id,
                    "duplicate_tag",
                    f"DataExportTag {tag!r} is also used by block {seen[tag]}; Qualtrics "
                    "exports both under the same column name",
                )
            seen.setdefault(tag, block_id)

    # flow ---------------------------------------------------------------------------------

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
        for i, page in enumerate(self.pages):
            if i not in reachable:
                continue
            body = [
                {
                    "Type": "Standard",
                    "ID": compiled.block_id,
                    "FlowID": self.next_flow_id(),
                    "Autofill": [],
                }
                for compiled in self.page_blocks[page.id]
            ]
            if setters.get(page.id):
                body.append(
                    {
                        "Type": "EmbeddedData",
                        "FlowID": self.next_flow_id(),
                        "EmbeddedData": setters[page.id],
                    }
                )
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

    def variable_setters(self) -> dict[str, list[dict[str, Any]]]:
        """Page id → EmbeddedData items that copy an answer into a variable after that page."""
        setters: dict[str, list[dict[str, Any]]] = {}
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
            target = (
                self.question_refs.get(expr.name)
                if isinstance(expr, Reference) and expr.member in (None, "value", "values")
                else None
            )
            if target is not None and isinstance(target.config, MultipleChoiceConfig):
                value = f"${{q://{target.qid}/SelectedChoicesRecode}}"
            elif target is not None and isinstance(target.config, TextInputConfig):
                value = f"${{q://{target.qid}/ChoiceTextEntryValue}}"
            else:
                self.issue(
                    variable.id,
                    "variable",
                    f"variable {variable.name!r} = {text!r} cannot be computed by "
                    "Qualtrics embedded data; its value is left empty (conditions that "
                    "read it are compiled from its expression)",
                )
                continue
            page_id = self._page_of_key(target.page_key)
            setters.setdefault(page_id, []).append(_embedded(variable.name, value))
        return setters

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
            element["EndingType"] = "Advanced"
            element["Options"] = {
                "Advanced": "true",
                "SurveyTermination": "DefaultMessage",
                "Screenout": "true",
            }
        out.append(element)
        return out


# --- small pieces --------------------------------------------------------------------------


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


def _choices(
    choices: Iterable[Any], key: str = "Choices", order_key: str = "ChoiceOrder"
) -> dict[str, Any]:
    """Choice ids "1".."n" in order; RecodeValues carry the Questra values back."""
    items = list(choices)
    return {
        key: {str(i): {"Display": _escape(c.label or c.value)} for i, c in enumerate(items, 1)},
        order_key: [str(i) for i in range(1, len(items) + 1)],
        "RecodeValues": {str(i): c.value for i, c in enumerate(items, 1)},
    }


def _nps(choices: list[Any]) -> dict[str, Any]:
    """NPS choices keep Qualtrics' own ids 0..10 (equal to their values)."""
    labels = [c.label for c in choices]
    column_labels = []
    if labels[0] and labels[0] != "0":
        column_labels.append({"Display": _escape(labels[0]), "IsLabelDefault": False})
    if labels[-1] and labels[-1] != "10":
        column_labels.append({"Display": _escape(labels[-1]), "IsLabelDefault": False})
    return {
        "Choices": {c.value: {"Display": c.value} for c in choices},
        "ChoiceOrder": [c.value for c in choices],
        "RecodeValues": {c.value: c.value for c in choices},
        "ColumnLabels": column_labels,
    }


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", text)).strip()


def markdown_html(text: str) -> str:
    """The small part of Markdown that question texts use: headings, paragraphs, line breaks,
    bold and italics."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    out = []
    for paragraph in paragraphs:
        heading = re.fullmatch(r"(#{1,6})\s+(.+)", paragraph.strip())
        if heading:
            level = len(heading.group(1))
            out.append(f"<h{level}>{heading.group(2).strip()}</h{level}>")
            continue
        body = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", paragraph)
        body = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", body)
        body = re.sub(r"(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)", r"<em>\1</em>", body)
        out.append("<p>" + "<br>".join(line.strip() for line in body.splitlines()) + "</p>")
    return "".join(out)
