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
from datetime import datetime
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
    parse_locator,
    referenced_questions,
)
from qtui.sandbox.qualtrics.store import block_pages

_PIPE = re.compile(r"\$\{(e|q)://([^}]*)\}")


def session_type(question: Mapping[str, Any]) -> str | None:
    """The question's `type` in a session (MC, NPS or TE), or None when the sessions API
    documents it as unsupported (descriptive text included)."""
    qtype = question.get("QuestionType")
    if qtype == "MC":
        return "NPS" if question.get("Selector") == "NPS" else "MC"
    if qtype == "TE" and question.get("Selector") != "FORM":
        return "TE"
    return None


def shown_type(question: Mapping[str, Any]) -> str:
    """The `type` a session shows: the documented one, else the QuestionType (lenient mode)."""
    return session_type(question) or str(question.get("QuestionType") or "?")


def check_supported(snapshot: Mapping[str, Any]) -> None:
    """Refuse a survey the v1 sessions API cannot take: only MC, TE and NPS are documented."""
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
        # (export key, QID, wire form) of every committed answer; inside a loop & merge
        # iteration the key is `<loop>_QIDn`, as response exports name it.
        self.answered: list[tuple[str, str, Any]] = []
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
                # Exports mark a screen-out as EndingType Advanced + Options.ResponseFlag.
                screened = options.get("ResponseFlag") == "Screened"
                yield Ending(
                    "Screenout" if screened else "Completed", element.get("FlowID"), dict(options)
                )
                return
            elif kind == "BlockRandomizer":
                yield from self._walk(self._randomize(element))
            elif kind in ("Group", "Authenticator"):
                yield from self._walk(element.get("Flow", []))
            # WebService, QuotaCheck, TableOfContents…: nothing a session can show.

    def _block(self, block_id: str) -> Iterator[Page | Ending]:
        block = self._snapshot["Blocks"].get(block_id)
        if block is None:
            return
        skips = _skip_logic(block)
        for loop in self._iterations(block):
            pages = block_pages(block)
            index = 0
            while index < len(pages):
                page = self._page(block_id, pages[index], loop)
                index += 1
                if page is None:
                    continue
                yield page
                target = self._skip_target(page, skips)
                if target == "ENDOFSURVEY":
                    yield Ending("Completed")
                    return
                if target == "ENDOFBLOCK":
                    break
                if target is not None:
                    # Skip to a later question: go on from the page that holds it.
                    later = [i for i in range(index, len(pages)) if target in pages[i]]
                    if later:
                        index = later[0]

    def _skip_target(self, page: Page, skips: Mapping[str, list[dict[str, Any]]]) -> str | None:
        """Where the first skip logic of the page's questions that holds sends the respondent."""
        for qid in page.questions:
            for rule in skips.get(qid, []):
                parsed = parse_locator(str(rule.get("Locator") or rule.get("ChoiceLocator") or ""))
                if parsed is None:
                    continue
                answer = self.respondent.answers.get(parsed[0])
                chosen = answer is not None and parsed[2] in answer.selected
                condition = rule.get("Condition")
                if (condition == "Selected" and chosen) or (
                    condition == "NotSelected" and not chosen
                ):
                    return str(rule.get("SkipToDestination") or "") or None
        return None

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
            parsed, wire = parse_answer(qid, self.question(qid), value)
            if parsed is None:
                self.respondent.answers.pop(qid, None)
                self.pending.pop(qid, None)
            else:
                self.respondent.answers[qid] = parsed
                self.pending[qid] = wire

    def update(self, body: Mapping[str, Any], *, advance: bool, close: bool) -> None:
        """One session update, applied whole or not at all: on ApiError nothing changed.

        Embedded data, then answers, then advance or close — and if any step refuses
        (a bad answer after good ones, a forced question left empty), the respondent's
        answers, embedded data and the page's pending answers are put back as they were.
        """
        respondent = self.respondent
        saved = (dict(respondent.answers), dict(respondent.embedded), dict(self.pending))
        try:
            if "embeddedData" in body:
                self.set_embedded(body["embeddedData"])
            if "responses" in body:
                self.answer(body["responses"])
            if advance:
                self.advance()
            elif close:
                self.close()
        except ApiError:
            for current, before in zip(
                (respondent.answers, respondent.embedded, self.pending), saved, strict=True
            ):
                current.clear()
                current.update(before)
            raise

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
        self._commit(page)
        self._move()

    def _commit(self, page: Page) -> None:
        for qid, wire in self.pending.items():
            key = qid if page.loop is None else f"{page.loop}_{qid}"
            self.answered = [a for a in self.answered if a[0] != key]
            self.answered.append((key, qid, wire))
            self.given[qid] = wire

    def close(self) -> None:
        if self.page is not None:
            self._commit(self.page)
        self.page = None
        self.ending = Ending("Closed")

    # --- read models -----------------------------------------------------------------------

    def question(self, qid: str) -> dict[str, Any]:
        """The question as shown now: carried-forward choices (`DynamicChoices` on
        `q://QIDn/ChoiceGroup/SelectedChoices`) filled in from that question's answer."""
        question = self._questions[qid]
        dynamic = question.get("DynamicChoices")
        if not isinstance(dynamic, dict):
            return question
        parsed = parse_locator(str(dynamic.get("Locator", "")))
        if parsed is None or parsed[1:] != ("ChoiceGroup", "SelectedChoices"):
            return question
        source = self._questions.get(parsed[0], {})
        answer = self.respondent.answers.get(parsed[0])
        chosen = set(answer.selected) if answer else set()
        carried = {cid: c for cid, c in choice_items(source) if cid in chosen}
        return {**question, "Choices": carried, "ChoiceOrder": list(carried)}

    def question_view(self, qid: str) -> dict[str, Any]:
        question = self.question(qid)
        kind = shown_type(question)
        choices = (
            [
                {"choiceId": cid, "display": self.pipe(str(choice.get("Display", "")))}
                for cid, choice in choice_items(question)
            ]
            if kind not in ("TE", "DB")
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

    @property
    def end_reason(self) -> str | None:
        """Completed, Screenout (an EndSurvey flagged Screened) or Closed; None while open."""
        return self.ending.reason if self.ending else None

    def response(self, response_id: str, ended: str) -> dict[str, Any]:
        """The recorded response as `GET /surveys/{id}/responses/{responseId}` returns it.

        `values` holds the response's own fields, each answer under its export key (`QIDn`
        for choices as recode values, `QIDn_TEXT` for text entry, `QIDn_NPS_GROUP` for NPS,
        `QIDn_k_TEXT` for a choice's text box, `<loop>_…` inside loop & merge), embedded data
        by name and `Q_TerminateFlag` for a screen-out; `labels` the choice texts;
        `displayedFields` the questions shown and `displayedValues` the choices they showed.
        """
        assert self.ending is not None
        finished = self.ending.reason != "Closed"
        values: dict[str, Any] = {
            "startDate": self.started,
            "endDate": ended,
            "status": 0,
            "progress": 100 if finished else 0,
            "duration": _seconds_between(self.started, ended),
            "finished": 1 if finished else 0,
            "recordedDate": ended,
            "_recordId": response_id,
            "userLanguage": self.language,
        }
        labels: dict[str, Any] = {"status": "IP Address", "finished": str(finished)}
        for key, qid, wire in self.answered:
            self._record(key, qid, wire, values, labels)
        displayed = sorted(self.respondent.displayed, key=_qid_number)
        displayed_values = {
            qid: [_recode(self._questions[qid], cid) for cid, _ in choice_items(self.question(qid))]
            for qid in displayed
            if session_type(self._questions.get(qid, {})) in ("MC", "NPS")
        }
        if self.ending.options.get("ResponseFlag") == "Screened":
            values["Q_TerminateFlag"] = "Screened"
        values.update(self.respondent.embedded)
        return {
            "responseId": response_id,
            "values": values,
            "labels": labels,
            "displayedFields": displayed,
            "displayedValues": displayed_values,
        }

    def _record(
        self, key: str, qid: str, wire: Any, values: dict[str, Any], labels: dict[str, Any]
    ) -> None:
        question = self._questions[qid]
        kind = session_type(question)
        if isinstance(wire, str):
            values[f"{key}_TEXT"] = wire
            return
        if not isinstance(wire, dict):
            return  # lenient mode: an answer to a type the Responses API shape is not known for
        choices = dict(choice_items(question))
        chosen = [cid for cid in wire if isinstance(wire[cid], dict) and wire[cid].get("selected")]
        codes = [_recode(question, cid) for cid in chosen]
        names = [_plain(str(choices.get(cid, {}).get("Display", cid))) for cid in chosen]
        multi = question.get("Selector") in MULTI_SELECTORS
        values[key] = codes if multi else (codes[0] if codes else None)
        labels[key] = names if multi else (names[0] if names else None)
        if kind == "NPS" and codes and isinstance(codes[0], int):
            group = 1 if codes[0] <= 6 else 2 if codes[0] <= 8 else 3
            values[f"{key}_NPS_GROUP"] = group
            labels[f"{key}_NPS_GROUP"] = ("Detractor", "Passive", "Promoter")[group - 1]
        for cid in chosen:
            if wire[cid].get("text"):
                values[f"{key}_{cid}_TEXT"] = wire[cid]["text"]


def _recode(question: Mapping[str, Any], cid: str) -> object:
    """A choice's recode value (the choice id when none is set), as a number when it is one."""
    recodes = question.get("RecodeValues")
    value = recodes.get(cid, cid) if isinstance(recodes, dict) else cid
    return _number_or_text(value)


def _seconds_between(start: str, end: str) -> int:
    try:
        a = datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ")
        b = datetime.strptime(end, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return 0
    return max(0, int((b - a).total_seconds()))


def _skip_logic(block: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """QID → its skip logic (`BlockElements[].SkipLogic`), applied when its page is left."""
    out: dict[str, list[dict[str, Any]]] = {}
    for element in block.get("BlockElements") or []:
        rules = element.get("SkipLogic") if isinstance(element, dict) else None
        if isinstance(rules, list) and element.get("QuestionID"):
            out[str(element["QuestionID"])] = [r for r in rules if isinstance(r, dict)]
    return out


def _qid_number(qid: str) -> tuple[int, str]:
    digits = qid[3:]
    return (int(digits), qid) if digits.isdigit() else (0, qid)


def _number_or_text(value: object) -> object:
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
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
    if question.get("QuestionType") == "DB":
        raise ApiError(400, SESSION_BAD_ANSWER, f"{qid} is descriptive text; it takes no response.")
    kind = session_type(question)
    if kind is None:
        # Lenient mode only (strict sessions never show such a question): take what is sent.
        if value is None:
            return None, None
        if isinstance(value, str):
            return Answer(text=value), value
        ids = {cid for cid, _ in choice_items(question)}
        if not (isinstance(value, dict) and value and set(map(str, value)) <= ids):
            return Answer(), value
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
