"""The survey-taking engine behind the sessions API: walks a published flow, page by page.

A session walks the flow of the version that was published when it started:
- a Block (`Block`/`Standard`) shows its pages (split at `Page Break`); a question whose
  `DisplayLogic` is false is skipped, and a page with nothing left to show is skipped;
- a `Branch` is entered when its `BranchLogic` holds for the answers and embedded data so far;
- `EmbeddedData` sets fields (values may pipe `${e://Field/x}` or `${q://QIDn/...}`);
- `BlockRandomizer` shows `SubSet` of its children, picked by the session's seeded generator
  (least-shown first with `EvenPresentation`); `Group` and `Authenticator` are walked through;
- `EndSurvey` ends the session; its `Options` are recorded on the response;
- running off the end of the flow completes the session.
Display logic that looks at a question of the same page (`inPage: true`) is evaluated when
the page is submitted: if it is false then, the question's answer is dropped and it does not
count as displayed.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from qtui.sandbox.qualtrics.definitions import MULTI_SELECTORS, choice_items, is_forced
from qtui.sandbox.qualtrics.envelope import (
    SESSION_BAD_ANSWER,
    SESSION_FORCE_RESPONSE,
    SESSION_NOT_ON_PAGE,
    SESSION_UNSUPPORTED_TYPES,
    ApiError,
)
from qtui.sandbox.qualtrics.logic import (
    Answer,
    Respondent,
    evaluate,
    referenced_questions,
)
from qtui.sandbox.qualtrics.store import block_pages

_PIPE = re.compile(r"\$\{(e|q)://([^}]*)\}")


def session_type(question: Mapping[str, Any]) -> str | None:
    """The question's `type` in a session, or None when sessions cannot show it."""
    qtype = question.get("QuestionType")
    if qtype == "MC":
        return "NPS" if question.get("Selector") == "NPS" else "MC"
    if qtype == "TE" and question.get("Selector") != "FORM":
        return "TE"
    if qtype == "DB":
        return "DB"
    return None


def check_supported(snapshot: Mapping[str, Any]) -> None:
    """Refuse a survey the v1 sessions API cannot take (only MC, TE, NPS and text)."""
    unsupported = []
    for block in snapshot["Blocks"].values():
        if block.get("Type") == "Trash":
            continue
        for page in block_pages(block):
            for qid in page:
                question = snapshot["Questions"].get(qid, {})
                if session_type(question) is None:
                    kind = question.get("QuestionType", "?")
                    selector = question.get("Selector", "?")
                    unsupported.append(f"{qid} ({kind}/{selector})")
    if unsupported:
        raise ApiError(
            400,
            SESSION_UNSUPPORTED_TYPES,
            "The survey contains question types not supported by the sessions API "
            f"(only Multiple Choice, Text Entry and NPS): {', '.join(sorted(set(unsupported)))}.",
        )


@dataclass
class Page:
    block_id: str
    questions: list[str]
    in_page: set[str] = field(default_factory=set)
    loop: str | None = None


@dataclass
class Ending:
    reason: str  # Completed, Screenout or Closed
    flow_id: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class Session:
    """One respondent going through a published version."""

    def __init__(
        self,
        session_id: str,
        survey_id: str,
        snapshot: dict[str, Any],
        *,
        language: str,
        embedded: Mapping[str, object],
        rng: random.Random,
        presentations: Counter[tuple[str, int]],
        version_id: str | None = None,
        started: str = "",
    ) -> None:
        self.id = session_id
        self.survey_id = survey_id
        self.version_id = version_id
        self.language = language
        self.started = started
        self._snapshot = snapshot
        self._questions: dict[str, dict[str, Any]] = snapshot["Questions"]
        self._rng = rng
        self._presentations = presentations
        self.respondent = Respondent(embedded={k: _text(v) for k, v in embedded.items()})
        self.pending: dict[str, Any] = {}
        self.given: dict[str, Any] = {}  # every committed answer, in the wire form
        self.loop_values: dict[str, Any] = {}
        self.page: Page | None = None
        self.ending: Ending | None = None
        self.response_id: str | None = None
        self.pages_seen: list[Page] = []
        self._steps = self._walk(snapshot["SurveyFlow"].get("Flow", []))
        self._move()

    @property
    def done(self) -> bool:
        return self.ending is not None

    # --- the walk --------------------------------------------------------------------------

    def _walk(self, elements: list[Any]) -> Iterator[Page | Ending]:
        for element in elements:
            if not isinstance(element, dict):
                continue
            kind = element.get("Type")
            if kind in ("Block", "Standard"):
                yield from self._block(str(element.get("ID")))
            elif kind == "Branch":
                if evaluate(element.get("BranchLogic", {}), self.respondent):
                    yield from self._walk(element.get("Flow", []))
            elif kind == "EmbeddedData":
                self._set_fields(element.get("EmbeddedData", []))
            elif kind == "EndSurvey":
                options = element.get("Options") or {}
                screened = _truthy(options.get("Screenout")) or options.get("ResponseFlag") in (
                    "Screened",
                    "Screenout",
                )
                yield Ending(
                    "Screenout" if screened else "Completed", element.get("FlowID"), dict(options)
                )
                return
            elif kind == "BlockRandomizer":
                yield from self._walk(self._randomize(element))
            elif kind in ("Group", "Authenticator"):
                yield from self._walk(element.get("Flow", []))
            # WebService, QuotaCheck, TableOfContents…: nothing a session can show.

    def _block(self, block_id: str) -> Iterator[Page]:
        block = self._snapshot["Blocks"].get(block_id)
        if block is None:
            return
        for loop in self._iterations(block):
            for qids in block_pages(block):
                page = self._page(block_id, qids, loop)
                if page is not None:
                    yield page

    def _iterations(self, block: Mapping[str, Any]) -> list[str | None]:
        options = block.get("Options") or {}
        looping = options.get("Looping")
        loop_options = options.get("LoopingOptions") or {}
        if looping == "Static":
            static = loop_options.get("Static") or {}
            return [str(k) for k in static]
        if looping == "Question":
            answer = self.respondent.answers.get(str(loop_options.get("QID")))
            return list(answer.selected) if answer else []
        return [None]

    def _page(self, block_id: str, qids: list[str], loop: str | None) -> Page | None:
        shown: list[str] = []
        in_page: set[str] = set()
        for qid in qids:
            question = self._questions.get(qid)
            if question is None:
                continue
            logic = question.get("DisplayLogic")
            if isinstance(logic, dict) and logic:
                if logic.get("inPage") or referenced_questions(logic) & set(qids):
                    in_page.add(qid)
                elif not evaluate(logic, self.respondent):
                    continue
            shown.append(qid)
        if not shown:
            return None
        return Page(block_id, shown, in_page, loop)

    def _randomize(self, element: Mapping[str, Any]) -> list[Any]:
        children = list(element.get("Flow", []))
        count = min(int(element.get("SubSet", len(children)) or 0), len(children))
        flow_id = str(element.get("FlowID"))
        indexes = list(range(len(children)))
        self._rng.shuffle(indexes)
        if _truthy(element.get("EvenPresentation")):
            indexes.sort(key=lambda i: self._presentations[(flow_id, i)])
        chosen = indexes[:count]
        for i in chosen:
            self._presentations[(flow_id, i)] += 1
        self._rng.shuffle(chosen)
        return [children[i] for i in chosen]

    def _set_fields(self, items: list[Any]) -> None:
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("Field"), str):
                continue
            name = item["Field"]
            if "Value" in item and item["Value"] is not None:
                self.respondent.embedded[name] = self.pipe(str(item["Value"]))
            else:
                self.respondent.embedded.setdefault(name, "")

    def pipe(self, text: str) -> str:
        """Replace `${e://Field/x}` and `${q://QIDn/...}` piped text with their values."""

        def value(match: re.Match[str]) -> str:
            scheme, path = match.group(1), match.group(2)
            if scheme == "e":
                name = path[len("Field/") :] if path.startswith("Field/") else path
                return self.respondent.embedded.get(name, "")
            qid, _, what = path.partition("/")
            answer = self.respondent.answers.get(qid)
            if answer is None:
                return ""
            if what == "ChoiceTextEntryValue":
                return answer.text or ""
            choices = dict(choice_items(self._questions.get(qid, {})))
            if what == "SelectedChoicesRecode":
                recodes = self._questions.get(qid, {}).get("RecodeValues") or {}
                return ",".join(str(recodes.get(c, c)) for c in answer.selected)
            if what == "ChoiceGroup/SelectedChoices":
                return ", ".join(str(choices.get(c, {}).get("Display", c)) for c in answer.selected)
            return ""

        return _PIPE.sub(value, text)

    def _move(self) -> None:
        self.pending = {}
        try:
            step = next(self._steps)
        except StopIteration:
            self.page = None
            self.ending = Ending("Completed")
            return
        if isinstance(step, Ending):
            self.page = None
            self.ending = step
            return
        self.page = step
        self.pages_seen.append(step)
        self.respondent.displayed.update(q for q in step.questions if q not in step.in_page)

    # --- what the client does --------------------------------------------------------------

    def answer(self, responses: object) -> None:
        if not isinstance(responses, dict):
            raise ApiError(
                400, SESSION_BAD_ANSWER, "responses must be an object keyed by question id (QIDn)."
            )
        assert self.page is not None
        for qid, value in responses.items():
            if qid not in self.page.questions:
                raise ApiError(
                    400,
                    SESSION_NOT_ON_PAGE,
                    f"{qid} is not on the current page; the page shows "
                    f"{', '.join(self.page.questions)}.",
                )
            question = self._questions[qid]
            parsed, wire = parse_answer(qid, question, value)
            if parsed is None:
                self.respondent.answers.pop(qid, None)
                self.pending.pop(qid, None)
            else:
                self.respondent.answers[qid] = parsed
                self.pending[qid] = wire

    def set_embedded(self, values: object) -> None:
        if not isinstance(values, dict):
            raise ApiError(400, SESSION_BAD_ANSWER, "embeddedData must be an object.")
        for name, value in values.items():
            self.respondent.embedded[str(name)] = _text(value)

    def advance(self) -> None:
        assert self.page is not None
        page = self.page
        visible = []
        for qid in page.questions:
            if qid in page.in_page and not evaluate(
                self._questions[qid]["DisplayLogic"], self.respondent
            ):
                # Hidden by logic on this same page: whatever was typed does not count.
                self.respondent.answers.pop(qid, None)
                self.pending.pop(qid, None)
                continue
            visible.append(qid)
        for qid in visible:
            question = self._questions[qid]
            if is_forced(question) and not _answered(self.respondent.answers.get(qid)):
                tag = question.get("DataExportTag") or qid
                raise ApiError(
                    400,
                    SESSION_FORCE_RESPONSE,
                    f"Question {qid} ({tag}) requires a response: "
                    f"{_plain(question.get('QuestionText', ''))[:80]}",
                )
        self.respondent.displayed.update(visible)
        for qid, wire in self.pending.items():
            if page.loop is not None:
                self.loop_values[f"{page.loop}_{qid}"] = wire
            self.given[qid] = wire
        self._move()

    def close(self) -> None:
        if self.page is not None:
            for qid, wire in self.pending.items():
                self.given[qid] = wire
        self.page = None
        self.ending = Ending("Closed")

    # --- read models -----------------------------------------------------------------------

    def question_view(self, qid: str) -> dict[str, Any]:
        question = self._questions[qid]
        kind = session_type(question) or str(question.get("QuestionType"))
        choices = (
            [
                {"choiceId": cid, "display": self.pipe(str(choice.get("Display", "")))}
                for cid, choice in choice_items(question)
            ]
            if kind in ("MC", "NPS")
            else []
        )
        labels = question.get("ColumnLabels") if kind == "NPS" else None
        column_labels = (
            [str(label.get("Display", "")) for label in labels if isinstance(label, dict)]
            if isinstance(labels, list)
            else []
        )
        return {
            "questionId": qid,
            "type": kind,
            "display": self.pipe(str(question.get("QuestionText", ""))),
            "choices": choices,
            "options": {
                "columnLabels": column_labels,
                "multiSelect": question.get("Selector") in MULTI_SELECTORS,
            },
        }

    def view(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "sessionId": self.id,
            "questions": [self.question_view(q) for q in self.page.questions] if self.page else [],
            "embeddedData": dict(self.respondent.embedded),
            "responses": dict(self.pending) if not self.done else dict(self.given),
            "done": self.done,
        }
        if self.response_id:
            result["responseId"] = self.response_id
        return result

    def response(self, response_id: str, ended: str) -> dict[str, Any]:
        """The recorded response, in the single-response read model (values keyed by QID)."""
        assert self.ending is not None
        values: dict[str, Any] = {
            "startDate": self.started,
            "endDate": ended,
            "recordedDate": ended,
            "finished": 0 if self.ending.reason == "Closed" else 1,
            "progress": 0 if self.ending.reason == "Closed" else 100,
            "status": 0,
            "userLanguage": self.language,
        }
        labels: dict[str, Any] = {}
        for qid, wire in self.given.items():
            self._record(qid, wire, values, labels)
        for key, wire in self.loop_values.items():
            values[key] = wire if isinstance(wire, str) else sorted(wire)
        values.update(self.respondent.embedded)
        return {
            "responseId": response_id,
            "surveyId": self.survey_id,
            "sessionId": self.id,
            "values": values,
            "labels": labels,
            "displayedFields": sorted(self.respondent.displayed, key=_qid_number),
            "embeddedData": dict(self.respondent.embedded),
            "endReason": self.ending.reason,
            "endFlowId": self.ending.flow_id,
            "endOptions": dict(self.ending.options),
        }

    def _record(self, qid: str, wire: Any, values: dict[str, Any], labels: dict[str, Any]) -> None:
        question = self._questions[qid]
        if isinstance(wire, str):
            values[qid] = wire
            return
        choices = dict(choice_items(question))
        recodes = question.get("RecodeValues") or {}
        chosen = [cid for cid in wire if wire[cid].get("selected")]
        codes = [_number_or_text(recodes.get(cid, cid)) for cid in chosen]
        names = [str(choices.get(cid, {}).get("Display", cid)) for cid in chosen]
        multi = question.get("Selector") in MULTI_SELECTORS
        values[qid] = codes if multi else (codes[0] if codes else None)
        labels[qid] = names if multi else (names[0] if names else None)
        for cid in chosen:
            if wire[cid].get("text"):
                values[f"{qid}_{cid}_TEXT"] = wire[cid]["text"]


def _qid_number(qid: str) -> tuple[int, str]:
    digits = qid[3:]
    return (int(digits), qid) if digits.isdigit() else (0, qid)


def _number_or_text(value: object) -> object:
    text = str(value)
    try:
        return int(text)
    except ValueError:
        return text


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).strip()


def _answered(answer: Answer | None) -> bool:
    if answer is None:
        return False
    if answer.text is not None:
        return answer.text.strip() != ""
    return bool(answer.selected)


def _selected_flag(qid: str, cid: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ApiError(
        400, SESSION_BAD_ANSWER, f"responses.{qid}.{cid}.selected must be true or false."
    )


def parse_answer(qid: str, question: Mapping[str, Any], value: object) -> tuple[Answer | None, Any]:
    """Read one answer from an update body: MC/NPS as {choiceId: {selected, text?}}, TE as text.

    Returns the answer for logic and its normalised wire form (only selected choices kept),
    or (None, None) when the answer clears the question.
    """
    kind = session_type(question)
    if kind == "DB":
        raise ApiError(400, SESSION_BAD_ANSWER, f"{qid} is descriptive text; it takes no response.")
    if kind == "TE":
        if value is None:
            return None, None
        if not isinstance(value, str):
            raise ApiError(
                400, SESSION_BAD_ANSWER, f"responses.{qid} must be a string (a text entry answer)."
            )
        return Answer(text=value), value
    if value is None:
        return None, None
    if not isinstance(value, dict):
        raise ApiError(
            400,
            SESSION_BAD_ANSWER,
            f"responses.{qid} must be an object keyed by choice id, e.g. "
            '{"1": {"selected": true}}.',
        )
    items = choice_items(question)
    order = [cid for cid, _ in items]
    choices = dict(items)
    selected: list[str] = []
    texts: dict[str, str] = {}
    for cid, entry in value.items():
        cid = str(cid)
        if cid not in choices:
            raise ApiError(
                400,
                SESSION_BAD_ANSWER,
                f"responses.{qid}: {cid!r} is not a choice of {qid}; its choices are "
                f"{', '.join(order)}.",
            )
        if not isinstance(entry, dict):
            raise ApiError(
                400,
                SESSION_BAD_ANSWER,
                f'responses.{qid}.{cid} must be an object like {{"selected": true}}.',
            )
        if _selected_flag(qid, cid, entry.get("selected", False)):
            selected.append(cid)
            text = entry.get("text")
            if text is not None:
                if not isinstance(text, str):
                    raise ApiError(
                        400, SESSION_BAD_ANSWER, f"responses.{qid}.{cid}.text must be a string."
                    )
                texts[cid] = text
    selected.sort(key=order.index)
    multi = question.get("Selector") in MULTI_SELECTORS
    if not multi and len(selected) > 1:
        raise ApiError(
            400,
            SESSION_BAD_ANSWER,
            f"{qid} takes a single answer but {len(selected)} choices were selected "
            f"({', '.join(selected)}).",
        )
    exclusive = [c for c in selected if _truthy(choices[c].get("ExclusiveAnswer"))]
    if exclusive and len(selected) > 1:
        raise ApiError(
            400,
            SESSION_BAD_ANSWER,
            f"{qid}: choice {exclusive[0]} is exclusive and cannot be selected with others.",
        )
    wire = {
        cid: ({"selected": True, "text": texts[cid]} if cid in texts else {"selected": True})
        for cid in selected
    }
    return Answer(selected=selected, texts=texts), wire
