"""`SessionDriver`: take a published Qualtrics survey through the sessions API, page by page.

Answers can name a question by QID or by its DataExportTag (qtui sets it to the Questra
reference name, e.g. `q1`), and give a multiple-choice answer as a choice's value (its
`VariableNaming`, else its recode value: qtui puts numeric Questra values in `RecodeValues`
and the others in `VariableNaming`), a choice id or a choice label — tried in that order —
or a list of those for several choices.
Text entry takes a string, NPS a number 0–10.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qtui.qualtrics.client import QualtricsClient
from qtui.qualtrics.errors import QualtricsError
from qtui.qualtrics.payloads import SessionQuestion, SessionState

_QID = re.compile(r"^QID[A-Za-z0-9]+$")


class AnswerError(ValueError):
    """An answer that cannot be put to the survey (unknown question or choice)."""


@dataclass
class SessionPage:
    """The page a session is on (or its end): questions, and when done the response id."""

    number: int
    questions: list[SessionQuestion]
    done: bool
    response_id: str | None = None
    embedded_data: dict[str, Any] = field(default_factory=dict)

    @property
    def question_ids(self) -> list[str]:
        return [q.questionId for q in self.questions]


@dataclass
class QuestionInfo:
    """What the definition says about a question: its tag, choices and their recodes."""

    qid: str
    tag: str
    kind: str
    text: str
    choices: list[tuple[str, str, str]]  # (choice id, label, value: variable name or recode)
    multi: bool


def question_index(definition: Mapping[str, Any]) -> dict[str, QuestionInfo]:
    """QID → QuestionInfo, read from a survey definition (GET /survey-definitions/{id})."""
    index: dict[str, QuestionInfo] = {}
    questions = definition.get("Questions") or {}
    for qid, question in questions.items():
        if not isinstance(question, dict):
            continue
        raw = question.get("Choices")
        if isinstance(raw, list):
            choices = {str(i): c for i, c in enumerate(raw) if isinstance(c, dict)}
        elif isinstance(raw, dict):
            choices = {str(k): v for k, v in raw.items() if isinstance(v, dict)}
        else:
            choices = {}
        order = question.get("ChoiceOrder") or list(choices)
        recodes = question.get("RecodeValues") or {}
        names = question.get("VariableNaming") or {}
        recodes = recodes if isinstance(recodes, dict) else {}
        names = names if isinstance(names, dict) else {}
        listed = [
            (
                str(cid),
                _plain(str(choices[str(cid)].get("Display", ""))),
                str(names.get(str(cid), recodes.get(str(cid), cid))),
            )
            for cid in order
            if str(cid) in choices
        ]
        kind = str(question.get("QuestionType", ""))
        if kind == "MC" and question.get("Selector") == "NPS":
            kind = "NPS"
        index[qid] = QuestionInfo(
            qid=qid,
            tag=str(question.get("DataExportTag") or ""),
            kind=kind,
            text=_plain(str(question.get("QuestionText", ""))),
            choices=listed,
            multi=question.get("Selector") in ("MAVR", "MAHR", "MACOL", "MSB"),
        )
    return index


class SessionDriver:
    """One respondent's walk through a survey. Start it, answer and advance until `done`."""

    def __init__(
        self,
        client: QualtricsClient,
        survey_id: str,
        *,
        definition: Mapping[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.survey_id = survey_id
        self.session_id: str | None = None
        self.state: SessionState | None = None
        self.pages_seen = 0
        self._index = question_index(definition) if definition is not None else None

    async def questions(self) -> dict[str, QuestionInfo]:
        if self._index is None:
            self._index = question_index(await self.client.get_definition(self.survey_id))
        return self._index

    @property
    def page(self) -> SessionPage:
        if self.state is None:
            raise RuntimeError("the session has not started; call start() first")
        return SessionPage(
            number=self.pages_seen,
            questions=list(self.state.questions),
            done=self.state.done,
            response_id=self.state.responseId,
            embedded_data=dict(self.state.embeddedData),
        )

    def _took(self, state: SessionState) -> SessionPage:
        moved = self.state is None or [q.questionId for q in state.questions] != [
            q.questionId for q in self.state.questions
        ]
        self.state = state
        if moved and not state.done:
            self.pages_seen += 1
        return self.page

    async def start(
        self, language: str = "EN", embedded_data: Mapping[str, Any] | None = None
    ) -> SessionPage:
        await self.questions()
        state = await self.client.start_session(
            self.survey_id, language=language, embedded_data=embedded_data
        )
        if not state.sessionId:
            raise QualtricsError("Qualtrics started a session without a sessionId")
        self.session_id = state.sessionId
        return self._took(state)

    def _sid(self) -> str:
        if self.session_id is None:
            raise RuntimeError("the session has not started; call start() first")
        return self.session_id

    async def answer(self, answers: Mapping[str, Any]) -> SessionPage:
        """Give answers for the current page without moving on."""
        responses = await self.encode(answers)
        state = await self.client.update_session(self.survey_id, self._sid(), responses=responses)
        return self._took(state)

    async def advance(self, answers: Mapping[str, Any] | None = None) -> SessionPage:
        """Submit the page (with `answers`, if given) and go to the next one."""
        responses = await self.encode(answers) if answers else None
        state = await self.client.update_session(
            self.survey_id, self._sid(), responses=responses, advance=True
        )
        return self._took(state)

    async def close(self) -> SessionPage:
        state = await self.client.update_session(self.survey_id, self._sid(), close=True)
        return self._took(state)

    async def delete(self) -> None:
        await self.client.delete_session(self.survey_id, self._sid())
        self.session_id = None

    # answers ------------------------------------------------------------------------------

    async def resolve(self, key: str) -> QuestionInfo:
        """A question by QID or DataExportTag (exact, then ignoring case)."""
        index = await self.questions()
        if _QID.match(key) and key in index:
            return index[key]
        for info in index.values():
            if info.tag == key:
                return info
        for info in index.values():
            if info.tag.lower() == key.lower():
                return info
        names = ", ".join(sorted(i.tag or i.qid for i in index.values()))
        raise AnswerError(f"no question {key!r} in survey {self.survey_id} (questions: {names})")

    async def encode(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Answers keyed by name → the sessions API's `responses` (keyed by QID)."""
        responses: dict[str, Any] = {}
        for key, value in answers.items():
            info = await self.resolve(str(key))
            responses[info.qid] = self.encode_one(info, value)
        return responses

    def encode_one(self, info: QuestionInfo, value: Any) -> Any:
        return encode_answer(info, value)

    def choice_id(self, info: QuestionInfo, value: Any) -> str:
        return choice_id(info, value)


def encode_answer(info: QuestionInfo, value: Any) -> Any:
    """One answer (a recode value, choice id or label, a list of them, or text) → wire form."""
    label = info.tag or info.qid
    if info.kind == "DB":
        raise AnswerError(f"{label} is descriptive text; it takes no answer")
    if info.kind == "TE":
        if isinstance(value, dict | list):
            raise AnswerError(f"{label} takes text, not {type(value).__name__}")
        return "" if value is None else str(value)
    if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
        return value  # already in the wire form {choiceId: {"selected": …}}
    wanted = value if isinstance(value, list) else [value]
    chosen: dict[str, dict[str, Any]] = {}
    for item in wanted:
        cid = choice_id(info, item)
        chosen[cid] = {"selected": True}
    if len(chosen) > 1 and not info.multi:
        raise AnswerError(f"{label} takes one answer, {len(chosen)} were given")
    # Every choice, selected or not, as real clients send it.
    return {cid: chosen.get(cid, {"selected": False}) for cid, _, _ in info.choices}


def choice_id(info: QuestionInfo, value: Any) -> str:
    """The choice id a recode value, choice id or label (any case) names."""
    text = str(value).strip()
    for by in (2, 0):  # recode (qtui's recodes are the Questra values), then choice id
        for choice in info.choices:
            if choice[by] == text:
                return choice[0]
    for cid, choice_label, _ in info.choices:
        if choice_label.lower() == text.lower():
            return cid
    listed = ", ".join(f"{lab} ({rec})" for _, lab, rec in info.choices)
    raise AnswerError(f"{info.tag or info.qid}: no choice matches {value!r}; choices: {listed}")


def _plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", text)).strip()


# --- a scripted walkthrough ----------------------------------------------------------------


class WalkError(Exception):
    """The platform refused a page of a scripted walkthrough; `str()` is one line."""

    def __init__(self, message: str, walk: Walkthrough) -> None:
        super().__init__(message)
        self.walk = walk


@dataclass
class WalkStep:
    page: int
    questions: list[dict[str, Any]]  # questionId, tag, type, display, answer
    next: str = ""  # "page 3: QID4 (q4), …" or "end of survey"


@dataclass
class Walkthrough:
    survey_id: str
    session_id: str | None = None
    steps: list[WalkStep] = field(default_factory=list)
    response_id: str | None = None
    end_reason: str | None = None
    done: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "survey_id": self.survey_id,
            "session_id": self.session_id,
            "pages": [
                {"page": s.page, "questions": s.questions, "next": s.next} for s in self.steps
            ],
            "response_id": self.response_id,
            "end_reason": self.end_reason,
            "done": self.done,
        }


def answer_for(info: QuestionInfo, answers: Mapping[str, Any]) -> tuple[bool, Any]:
    """The answer given for a question, looked up by DataExportTag then QID."""
    for key in (info.tag, info.qid):
        if key and key in answers:
            return True, answers[key]
    lowered = {str(k).lower(): v for k, v in answers.items()}
    if info.tag and info.tag.lower() in lowered:
        return True, lowered[info.tag.lower()]
    return False, None


def _describe_page(page: SessionPage, index: Mapping[str, QuestionInfo]) -> str:
    if page.done:
        return "end of survey"
    names = [
        f"{q.questionId} ({index[q.questionId].tag})"
        if q.questionId in index and index[q.questionId].tag
        else q.questionId
        for q in page.questions
    ]
    return f"page {page.number}: " + ", ".join(names)


def end_reason(response: Mapping[str, Any]) -> str | None:
    """How a recorded response ended, read from the Responses API shape: Screenout when
    `values.Q_TerminateFlag` is "Screened", else Completed or Closed by `values.finished`."""
    values = response.get("values") or {}
    if values.get("Q_TerminateFlag") == "Screened":
        return "Screenout"
    if values.get("finished") in (1, "1", True, "true"):
        return "Completed"
    if values.get("finished") in (0, "0", False, "false"):
        return "Closed"
    return None


async def walkthrough(
    driver: SessionDriver,
    answers: Mapping[str, Any],
    *,
    language: str = "EN",
    embedded_data: Mapping[str, Any] | None = None,
    max_pages: int = 10_000,
) -> Walkthrough:
    """Start a session and answer every page from `answers` (by tag or QID) until the end."""
    walk = Walkthrough(driver.survey_id)
    page = await driver.start(language=language, embedded_data=embedded_data)
    walk.session_id = driver.session_id
    index = await driver.questions()
    while not page.done:
        if len(walk.steps) >= max_pages:
            raise WalkError(f"stopped after {max_pages} pages without reaching the end", walk)
        given: dict[str, Any] = {}
        shown: list[dict[str, Any]] = []
        for question in page.questions:
            info = index.get(question.questionId)
            found, value = (False, None) if info is None else answer_for(info, answers)
            if found and question.type != "DB":
                given[question.questionId] = value
            shown.append(
                {
                    "questionId": question.questionId,
                    "tag": info.tag if info else "",
                    "type": question.type,
                    "display": _plain(question.display),
                    "answer": value if found and question.type != "DB" else None,
                }
            )
        step = WalkStep(page.number, shown)
        walk.steps.append(step)
        try:
            page = await driver.advance(given)
        except QualtricsError as error:
            missing = [
                q["tag"] or q["questionId"]
                for q in shown
                if q["questionId"] in error.error_message and q["answer"] is None
            ]
            hint = f"; add an answer for {missing[0]!r}" if missing else ""
            raise WalkError(
                f"Qualtrics refused page {step.page}: {error.error_message}{hint}", walk
            ) from error
        except AnswerError as error:
            raise WalkError(f"page {step.page}: {error}", walk) from error
        step.next = _describe_page(page, index)
    walk.done = True
    walk.response_id = page.response_id
    if page.response_id:
        try:
            response = await driver.client.get_response(driver.survey_id, page.response_id)
        except QualtricsError:
            response = {}
        walk.end_reason = end_reason(response)
    return walk
