"""Walk planned routes on Qualtrics (or in the local engine) and compare with the prediction.

A `Taker` takes the survey once: `PlatformTaker` through the sessions API, `LocalTaker` in
the sandbox's engine on the definition fetched from the platform (labelled "local engine"
everywhere). `walk_route` answers each page from a set of answers keyed by reference name,
maps every page the platform shows back to the source survey's page (by DataExportTag, else
by the Qualtrics block's description, which qtui sets to the page name) and stops at the
first page that differs from the prediction. `run_coverage` walks every planned route with
bounded concurrency (the client honours 429 and Retry-After).

The sessions contract is read as Qualtrics documents it, not as the sandbox happens to answer:
an update whose `result` is empty is read back with a GET (in the client), a finished
session may carry no `responseId`, and the ending is read from what the platform records —
the recorded response's `Q_TerminateFlag` or qtui's status field, the finished flag — and
is "ended" when none of it says more.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from qtui.core.models import LoopConfig, Survey, TextConfig, reference_names
from qtui.qa.plan import (
    CLOSED,
    COMPLETE,
    ENDED,
    CoveragePlan,
    PlannedRoute,
    Prediction,
    Target,
    disposition_of,
)
from qtui.qualtrics.errors import QualtricsError
from qtui.qualtrics.payloads import SessionQuestion, SessionState
from qtui.qualtrics.session import (
    AnswerError,
    QuestionInfo,
    answer_for,
    encode_answer,
    question_index,
)

PLATFORM, LOCAL_ENGINE = "platform", "local engine"
STATUS_FIELD = "qtui_response_status"  # the compiler's response-status embedded field
SESSION_TYPES = ("MC", "TE", "NPS", "DB")


class TakeError(Exception):
    """The platform (or engine) refused an update; `question_id` names the question when known."""

    def __init__(self, message: str, question_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.question_id = question_id


_QID_IN_TEXT = re.compile(r"\b(QID[A-Za-z0-9]+)\b")


def _question_of(message: str) -> str | None:
    found = _QID_IN_TEXT.search(message)
    return found.group(1) if found else None


class Taker(Protocol):
    """One respondent's way through a survey."""

    label: str
    requests: int

    async def start(self, embedded: Mapping[str, Any] | None = None) -> SessionState: ...
    async def submit(self, responses: Mapping[str, Any], *, advance: bool) -> SessionState: ...
    async def close(self) -> SessionState: ...
    async def disposition(self, state: SessionState) -> str: ...


def disposition_from_record(record: Mapping[str, Any]) -> str | None:
    """The disposition a recorded response (or a final session state) states, if it does."""
    values = record.get("values") if isinstance(record.get("values"), Mapping) else {}
    embedded = record.get("embeddedData") if isinstance(record.get("embeddedData"), Mapping) else {}
    for source in (values, embedded, record):
        flag = disposition_of(source.get("Q_TerminateFlag"))
        if flag is not None:
            return flag
    for source in (values, embedded):
        status = disposition_of(source.get(STATUS_FIELD))
        if status is not None:
            return status
    reason = str(record.get("endReason") or "").lower()
    if reason in ("completed", "complete"):
        return COMPLETE
    if reason == "closed":
        return CLOSED
    if disposition_of(reason):
        return disposition_of(reason)
    if values.get("finished") in (1, "1", True, "true"):
        return COMPLETE
    return None


class PlatformTaker:
    """A session on Qualtrics (or the sandbox) through the sessions API."""

    label = PLATFORM

    def __init__(self, client: Any, survey_id: str, *, language: str = "EN") -> None:
        self.client = client
        self.survey_id = survey_id
        self.language = language
        self.session_id: str | None = None
        self.requests = 0

    async def _call(self, call: Awaitable[Any]) -> Any:
        before = self.client.requests_sent
        try:
            return await call
        except QualtricsError as error:
            raise TakeError(error.error_message, _question_of(error.error_message)) from error
        finally:
            self.requests += self.client.requests_sent - before

    async def start(self, embedded: Mapping[str, Any] | None = None) -> SessionState:
        state = await self._call(
            self.client.start_session(
                self.survey_id, language=self.language, embedded_data=embedded
            )
        )
        if not state.sessionId:
            raise TakeError("Qualtrics started a session without a sessionId")
        self.session_id = state.sessionId
        return state

    async def submit(self, responses: Mapping[str, Any], *, advance: bool) -> SessionState:
        assert self.session_id is not None
        return await self._call(
            self.client.update_session(
                self.survey_id, self.session_id, responses=dict(responses), advance=advance
            )
        )

    async def close(self) -> SessionState:
        assert self.session_id is not None
        return await self._call(
            self.client.update_session(self.survey_id, self.session_id, close=True)
        )

    async def disposition(self, state: SessionState) -> str:
        if state.responseId:
            try:
                record = await self._call(
                    self.client.get_response(self.survey_id, state.responseId)
                )
            except TakeError:
                record = {}
            found = disposition_from_record(record or {})
            if found is not None:
                return found
        return disposition_from_record({"embeddedData": state.embeddedData}) or ENDED


class LocalTaker:
    """The sandbox's engine (`qtui.sandbox.qualtrics.walk`), walking the definition fetched
    from the platform, every question type shown."""

    label = LOCAL_ENGINE

    def __init__(self, definition: Mapping[str, Any], *, seed: int | str = 0) -> None:
        self.definition = definition
        self.seed = seed
        self.session: Any = None
        self.requests = 0

    def _state(self) -> SessionState:
        return SessionState.model_validate(self.session.view())

    def _run(self, call: Callable[[], Any]) -> SessionState:
        from qtui.sandbox.qualtrics.envelope import ApiError

        try:
            call()
        except ApiError as error:
            raise TakeError(error.message, _question_of(error.message)) from error
        return self._state()

    async def start(self, embedded: Mapping[str, Any] | None = None) -> SessionState:
        from qtui.sandbox.qualtrics.walk import start

        self.session = start(self.definition, strict=False, embedded=embedded, seed=self.seed)
        return self._state()

    async def submit(self, responses: Mapping[str, Any], *, advance: bool) -> SessionState:
        def update() -> None:
            if self.session.done:
                return
            if responses:
                self.session.answer(dict(responses))
            if advance:
                self.session.advance()

        return self._run(update)

    async def close(self) -> SessionState:
        return self._run(lambda: None if self.session.done else self.session.close())

    async def disposition(self, state: SessionState) -> str:
        record = self.session.response("R_local", "")
        return disposition_from_record(record) or ENDED


# --- where the platform is, in the source survey ----------------------------------------------


class PageLocator:
    """Maps the questions a platform page shows to the source survey's page."""

    def __init__(self, survey: Survey, definition: Mapping[str, Any]) -> None:
        self.index: dict[str, QuestionInfo] = question_index(definition)
        names = reference_names(survey)
        page_of_block = {b.id: b.page_id or "" for b in survey.blocks()}
        self.page_of_name = {name: page_of_block[bid] for bid, name in names.items()}
        by_name: dict[str, str] = {}
        for page in survey.pages:
            by_name.setdefault(page.name or page.id, page.id)
        self.page_of_qid: dict[str, str] = {}
        blocks = definition.get("Blocks") or {}
        items = blocks.values() if isinstance(blocks, Mapping) else blocks
        for block in items:
            if not isinstance(block, Mapping):
                continue
            description = re.sub(r" \((?:part \d+|loop)\)$", "", str(block.get("Description", "")))
            page_id = by_name.get(description)
            for element in block.get("BlockElements") or []:
                if isinstance(element, Mapping) and page_id and element.get("QuestionID"):
                    self.page_of_qid[str(element["QuestionID"])] = page_id
        self.names = {p.id: p.name or p.id for p in survey.pages}
        present = set(self.page_of_qid.values()) | {
            self.page_of_name[info.tag]
            for info in self.index.values()
            if info.tag in self.page_of_name
        }
        # A page of text alone has no question when compiled for sessions (sessions cannot
        # show descriptive text): the platform never shows it, so no walk expects it.
        self.absent = {
            page.id
            for page in survey.pages
            if page.id not in present
            and all(isinstance(b.config, TextConfig | LoopConfig) for b in page.blocks)
        }

    def expected(self, shown: list[str]) -> list[str]:
        """The pages of a prediction the platform can show (text-only pages it lacks skipped)."""
        return [page_id for page_id in shown if page_id not in self.absent]

    def page_of(self, questions: list[SessionQuestion]) -> str:
        for question in questions:
            info = self.index.get(question.questionId)
            if info is not None and info.tag in self.page_of_name:
                return self.page_of_name[info.tag]
        for question in questions:
            if question.questionId in self.page_of_qid:
                return self.page_of_qid[question.questionId]
        return "?" + ",".join(q.questionId for q in questions)

    def name(self, page_id: str | None) -> str:
        if page_id is None:
            return "the end of the survey"
        return self.names.get(page_id, page_id)


def blockers(definition: Mapping[str, Any]) -> list[str]:
    """Questions the sessions API (v1: Multiple Choice, Text Entry, NPS) cannot show, with why."""
    out: list[str] = []
    blocks = definition.get("Blocks") or {}
    in_blocks: list[str] = []
    for block in blocks.values() if isinstance(blocks, Mapping) else blocks:
        if isinstance(block, Mapping) and block.get("Type") != "Trash":
            for element in block.get("BlockElements") or []:
                if isinstance(element, Mapping) and element.get("Type") == "Question":
                    in_blocks.append(str(element.get("QuestionID")))
    questions = definition.get("Questions") or {}
    for qid in in_blocks:
        question = questions.get(qid) if isinstance(questions, Mapping) else None
        if not isinstance(question, Mapping):
            continue
        kind = str(question.get("QuestionType", "?"))
        selector = str(question.get("Selector", "?"))
        if kind == "MC" or (kind == "TE" and selector != "FORM"):
            continue
        tag = question.get("DataExportTag") or qid
        what = _TYPE_NAMES.get(kind, kind)
        why = "the sessions API takes only Multiple Choice, Text Entry and NPS"
        if kind == "DB":
            why += " (push with --for-sessions to fold text into the page's question)"
        out.append(f"{qid} ({tag}): {what} ({kind}/{selector}) — {why}")
    return out


_TYPE_NAMES = {
    "DB": "descriptive text",
    "Matrix": "matrix table",
    "RO": "rank order",
    "CS": "constant sum",
    "PGR": "pick, group and rank",
    "Slider": "slider",
    "SBS": "side by side",
    "TE": "form field",
    "HotSpot": "hot spot",
    "HeatMap": "heat map",
    "FileUpload": "file upload",
    "Draw": "signature",
    "Timing": "timing",
    "Meta": "meta info",
}


# --- one walk ----------------------------------------------------------------------------------


@dataclass
class Divergence:
    """Where the platform first went somewhere other than the prediction."""

    step: int  # 1-based page number of the walk
    expected: str | None  # source page id (None: the end of the survey)
    reached: str | None  # source page id (None: the end of the survey)
    rule: str | None  # the rule that decided the expected step (None: fall-through)
    after: str | None  # the page before (None at the start)
    answers: dict[str, Any]  # the answers given up to there, by name
    kind: str = "page"  # "page" or "ending"
    expected_ending: str | None = None
    reached_ending: str | None = None
    tried: list[tuple[str, bool]] = field(default_factory=list)  # conditions the step tried


@dataclass
class PageVisit:
    page_id: str
    question_ids: list[str]
    given: dict[str, Any]  # by name (tag, else QID)
    error: str | None = None
    error_question: str | None = None


@dataclass
class WalkResult:
    route: str
    engine: str
    prediction: Prediction
    visits: list[PageVisit] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)  # source page ids, in order
    ending: str | None = None
    divergence: Divergence | None = None
    error: str | None = None
    requests: int = 0
    seconds: float = 0.0
    covers: set[Target] = field(default_factory=set)

    @property
    def agreed(self) -> bool:
        return self.divergence is None and self.error is None and self.ending is not None


def encode_for(info: QuestionInfo, value: Any) -> Any:
    """Wire form of an answer; a question sessions cannot show gets its first choice picked
    (only the local engine takes those, and only to get past them)."""
    form = info.kind == "TE" and isinstance(value, dict)  # a form (InputList) of text fields
    if info.kind in ("MC", "TE", "NPS") and not form:
        return encode_answer(info, value)
    if info.choices:
        return {info.choices[0][0]: {"selected": True}}
    return {"1": {"selected": True}}


async def walk_route(
    taker: Taker,
    locator: PageLocator,
    prediction: Prediction,
    *,
    route: str = "walk",
    embedded: Mapping[str, Any] | None = None,
    max_pages: int = 2000,
) -> WalkResult:
    """Take the survey with `prediction.answers`; stop at the first difference."""
    started = time.perf_counter()
    result = WalkResult(route, taker.label, prediction)
    answers = prediction.answers
    expected = locator.expected(prediction.shown)
    given_so_far: dict[str, Any] = {}
    try:
        state = await taker.start(embedded)
        while not state.done:
            page_id = locator.page_of(state.questions)
            if not result.visited or result.visited[-1] != page_id:
                result.visited.append(page_id)
                at = len(result.visited) - 1
                want = expected[at] if at < len(expected) else None
                if page_id != want:
                    result.divergence = _diverged(prediction, result, want, page_id, given_so_far)
                    await taker.close()
                    break
            if len(result.visits) >= max_pages:
                result.error = f"stopped after {max_pages} pages without reaching the end"
                break
            visit = PageVisit(page_id, [q.questionId for q in state.questions], {})
            result.visits.append(visit)
            responses: dict[str, Any] = {}
            for question in state.questions:
                info = locator.index.get(question.questionId)
                if info is None or question.type == "DB" or info.kind == "DB":
                    continue
                found, value = answer_for(info, answers)
                if found:
                    responses[question.questionId] = encode_for(info, value)
                    visit.given[info.tag or info.qid] = value
            given_so_far.update(visit.given)
            try:
                state = await taker.submit(responses, advance=True)
            except TakeError as error:
                visit.error = error.message
                visit.error_question = error.question_id
                result.error = f"the {taker.label} refused page {len(result.visits)}: {error}"
                break
        else:
            result.ending = await taker.disposition(state)
            if len(result.visited) < len(expected):
                want = expected[len(result.visited)]
                result.divergence = _diverged(prediction, result, want, None, given_so_far)
            elif result.ending not in (ENDED, prediction.disposition):
                result.divergence = Divergence(
                    step=len(result.visited),
                    expected=None,
                    reached=None,
                    rule=_rule_into(prediction, None),
                    after=result.visited[-1] if result.visited else None,
                    answers=dict(given_so_far),
                    kind="ending",
                    expected_ending=prediction.disposition,
                    reached_ending=result.ending,
                )
    except TakeError as error:
        result.error = f"the {taker.label} refused the walk: {error}"
    except AnswerError as error:
        result.error = str(error)
    result.requests = taker.requests
    result.seconds = time.perf_counter() - started
    return result


def _rule_into(prediction: Prediction, page_id: str | None) -> str | None:
    """The rule that leads into `page_id` on the predicted route (None: fall-through)."""
    for decision in prediction.decisions:
        if decision.next_page_id == page_id and page_id is not None:
            return decision.rule_id
    if page_id is None and prediction.decisions:
        return prediction.decisions[-1].rule_id
    return None


def _diverged(
    prediction: Prediction,
    result: WalkResult,
    want: str | None,
    reached: str | None,
    answers: Mapping[str, Any],
) -> Divergence:
    step = len(result.visited) if reached is not None else len(result.visited) + 1
    before = result.visited[-2] if reached is not None and len(result.visited) > 1 else None
    if reached is None:
        before = result.visited[-1] if result.visited else None
    # The rule that decided the step the prediction expected.
    decision = prediction.decision_after(before) if before is not None else None
    return Divergence(
        step=step,
        expected=want,
        reached=reached,
        rule=decision.rule_id if decision is not None else None,
        after=before,
        answers=dict(answers),
        tried=list(decision.tried) if decision is not None else [],
    )


# --- every route -------------------------------------------------------------------------------


@dataclass
class CoverageRun:
    plan: CoveragePlan
    engine: str
    results: list[WalkResult]
    seconds: float
    requests: int
    blockers: list[str] = field(default_factory=list)

    @property
    def covered(self) -> set[Target]:
        return set().union(*(r.covers for r in self.results if r.agreed)) if self.results else set()

    @property
    def divergences(self) -> list[WalkResult]:
        return [r for r in self.results if r.divergence is not None]

    @property
    def errors(self) -> list[WalkResult]:
        return [r for r in self.results if r.error is not None]

    @property
    def complete(self) -> bool:
        covered = self.covered
        return all(t in covered for t in self.plan.goal)

    @property
    def exit_code(self) -> int:
        if self.divergences or self.errors:
            return 1
        return 0 if self.complete else 3


async def run_coverage(
    plan: CoveragePlan,
    locator: PageLocator,
    make_taker: Callable[[], Taker],
    *,
    concurrency: int = 4,
    progress: Callable[[WalkResult], None] | None = None,
    embedded: Mapping[str, Any] | None = None,
) -> CoverageRun:
    """Walk every planned route, at most `concurrency` at a time."""
    started = time.perf_counter()
    gate = asyncio.Semaphore(max(1, concurrency))
    engine = make_taker().label

    async def one(route: PlannedRoute) -> WalkResult:
        async with gate:
            result = await walk_route(
                make_taker(), locator, route.prediction, route=route.name, embedded=embedded
            )
        result.covers = set(route.covers)
        if progress is not None:
            progress(result)
        return result

    results = await asyncio.gather(*(one(route) for route in plan.routes))
    return CoverageRun(
        plan=plan,
        engine=engine,
        results=list(results),
        seconds=time.perf_counter() - started,
        requests=sum(r.requests for r in results),
    )
