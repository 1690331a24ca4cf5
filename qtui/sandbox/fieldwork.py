"""The fieldwork simulator: simulated respondents through a published Qualtrics survey.

Each respondent is a real walk through the Qualtrics sessions API (by default the
sandbox's own engine, which evaluates the compiled flow and branches itself): it starts a
session, answers every question on each page — multiple choice drawn from configurable
answer distributions, text and NPS made up — and advances until the survey ends it
(complete, or screened out by the survey's own logic). Some respondents leave part-way:
most close the session (Qualtrics records a partial response), some just stop (the session
stays open: started, never recorded). The platform records what happened and, through its
event subscriptions, posts the callbacks; nothing here counts anything for the view.

With an `OktaveEmitter`, now and then a completed respondent raises an Oktave incident
(`incident.created`, later `incident.updated` with a comment) about that response, and a
recipient occasionally unsubscribes (`blacklist_item.created`) — the Oktave campaign is
pointed at the fielded survey's id so these file under the same survey.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal

from qtui.qualtrics.client import QualtricsClient
from qtui.qualtrics.session import AnswerError, QuestionInfo, SessionDriver
from qtui.sandbox import oktave

Outcome = Literal["ended", "closed", "abandoned"]


@dataclass
class FieldworkPlan:
    """How respondents behave. Probabilities are per respondent unless said otherwise."""

    drop: float = 0.05  # per page: leave the survey there
    abandon_share: float = 0.3  # of those who leave: just stop (no partial recorded)
    incident: float = 0.06  # a completed respondent raises an Oktave incident
    blacklist: float = 0.02  # a recipient unsubscribes (Oktave blacklist item)
    # tag or QID → {choice (recode, id or label): weight}; unlisted questions: uniform.
    distributions: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    page_delay: tuple[float, float] = (0.0, 0.0)  # seconds spent on a page (min, max)
    # Answer sets that take known routes (tag → answer, as a QA plan gives them) and their
    # weights: a respondent follows one, answering everything else at random.
    routes: tuple[tuple[Mapping[str, Any], float], ...] = ()
    # tag → answers a respondent gives only when the route it follows asks for them (the
    # answers that screen out, say), so the rest qualify as often as the routes say.
    avoid: Mapping[str, frozenset[str]] = field(default_factory=dict)


_walk_rng: ContextVar[random.Random | None] = ContextVar("walk_rng", default=None)


@dataclass
class Walk:
    """One respondent as the simulator saw it (for tests and the log, not for counting)."""

    number: int
    session_id: str | None = None
    response_id: str | None = None
    outcome: Outcome | None = None
    pages: list[list[str]] = field(default_factory=list)  # QIDs shown, page by page
    answers: dict[str, Any] = field(default_factory=dict)  # tag → answer given
    incident_id: str | None = None
    error: str | None = None


class FieldworkSimulator:
    """Sends respondents through `survey_id` on `client` (a Qualtrics API)."""

    def __init__(
        self,
        client: QualtricsClient,
        survey_id: str,
        *,
        plan: FieldworkPlan | None = None,
        seed: int | str = 0,
        emitter: oktave.OktaveEmitter | None = None,
        survey_name: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.survey_id = survey_id
        self.plan = plan or FieldworkPlan()
        self.seed = seed
        self._rng = random.Random(seed)
        self.emitter = emitter
        self.clock = clock
        self.walks: list[Walk] = []
        self._definition: dict[str, Any] | None = None
        self._campaign = oktave.campaign(survey_id, survey_name)
        self._pending: set[asyncio.Task[None]] = set()

    @property
    def rng(self) -> random.Random:
        """The current respondent's own generator (the simulator's outside a walk)."""
        return _walk_rng.get() or self._rng

    async def definition(self) -> dict[str, Any]:
        if self._definition is None:
            self._definition = await self.client.get_definition(self.survey_id)
        return self._definition

    async def respondent(self, walk: Walk | None = None) -> Walk:
        """Walk one respondent to the end (or to where they leave)."""
        if walk is None:
            walk = self._new_walk()
        # Respondents run concurrently: each draws from a generator of its own, seeded by the
        # run's seed and its number, so a seeded run gives the same walks however they interleave.
        _walk_rng.set(random.Random(f"{self.seed}:{walk.number}"))
        driver = SessionDriver(self.client, self.survey_id, definition=await self.definition())
        index = await driver.questions()
        started = self.clock()
        recipient = f"MLRP_{uuid.UUID(int=self.rng.getrandbits(128)).hex[:15]}"
        page = await driver.start(embedded_data={"RecipientID": recipient})
        walk.session_id = driver.session_id
        intended = self._intended()
        if self.emitter is not None and self.rng.random() < self.plan.blacklist:
            await self._blacklist(recipient)
        while not page.done:
            walk.pages.append(page.question_ids)
            if self.rng.random() < self.plan.drop:
                if self.rng.random() < self.plan.abandon_share:
                    walk.outcome = "abandoned"
                    return walk
                page = await driver.close()
                walk.outcome = "closed"
                walk.response_id = page.response_id
                return walk
            answers = {}
            for qid in page.question_ids:
                info = index.get(qid)
                if info is None or info.kind == "DB":
                    continue
                answers[qid] = self._answer(info, driver, intended)
                walk.answers[info.tag or qid] = answers[qid]
            await self._linger()
            page = await driver.advance(answers)
        walk.outcome = "ended"
        walk.response_id = page.response_id
        if self.emitter is not None and self.rng.random() < self.plan.incident:
            await self._incident(walk, index, started)
        return walk

    def _intended(self) -> Mapping[str, Any]:
        routes = self.plan.routes
        if not routes:
            return {}
        weights = [max(0.0, w) for _, w in routes]
        if not any(weights):
            return {}
        return self.rng.choices([answers for answers, _ in routes], weights=weights)[0]

    def _answer(
        self,
        info: QuestionInfo,
        driver: SessionDriver | None = None,
        intended: Mapping[str, Any] | None = None,
    ) -> Any:
        if intended and driver is not None and info.tag in intended:
            try:
                return driver.encode_one(info, intended[info.tag])
            except (AnswerError, TypeError, ValueError):
                pass  # a value this question cannot take as given: answer at random
        if info.kind == "TE":
            return self.rng.choice(["ok", "fine", "no comment", "great service", "too long"])
        if not info.choices:
            return self.rng.randint(0, 10)
        weights = self.plan.distributions.get(info.tag) or self.plan.distributions.get(info.qid)
        avoided = self.plan.avoid.get(info.tag, frozenset())
        options = [cid for cid, label, rec in info.choices if rec not in avoided]
        options = options or [c[0] for c in info.choices]
        if info.multi:
            picked = self.rng.sample(options, k=self.rng.randint(1, min(2, len(options))))
            return {c[0]: {"selected": c[0] in picked} for c in info.choices}
        if weights:
            chosen_weights = [
                float(weights.get(rec, weights.get(cid, weights.get(label, 0.0))))
                for cid, label, rec in info.choices
                if cid in options
            ]
            if sum(chosen_weights) > 0:
                chosen = self.rng.choices(options, weights=chosen_weights)[0]
                return {c[0]: {"selected": c[0] == chosen} for c in info.choices}
        chosen = self.rng.choice(options)
        # The wire form: a bare id could be mistaken for another choice's recode value.
        return {c[0]: {"selected": c[0] == chosen} for c in info.choices}

    async def _linger(self) -> None:
        low, high = self.plan.page_delay
        if high > 0:
            await asyncio.sleep(self.rng.uniform(low, high))

    async def _incident(
        self, walk: Walk, index: Mapping[str, QuestionInfo], started: float
    ) -> None:
        assert self.emitter is not None
        now = self.clock()
        answers = []
        position = 0
        for qids in walk.pages:
            for qid in qids:
                info = index.get(qid)
                if info is None or info.kind == "DB":
                    continue
                position += 1
                kind = "short-answer" if info.kind == "TE" else "mcq" if info.choices else "nps"
                comp = oktave.component(info.tag or qid, position, kind)
                given = walk.answers.get(info.tag or qid)
                selected = (
                    {c for c, v in given.items() if isinstance(v, dict) and v.get("selected")}
                    if isinstance(given, dict)
                    else {given}
                )
                labels = [label for cid, label, _ in info.choices if cid in selected]
                answers.append(
                    oktave.answer(
                        walk.response_id or "",
                        comp,
                        text=given if isinstance(given, str) and kind == "short-answer" else None,
                        choices=labels,
                        number=given if isinstance(given, int) else None,
                        now=now,
                    )
                )
        resp = oktave.response(
            walk.response_id or "",
            self._campaign,
            status="completed",
            started_at=started,
            completed_at=now,
            answers=answers,
            unique_identifier=walk.response_id,
            now=now,
        )
        incident_id = str(uuid.UUID(int=self.rng.getrandbits(128)))
        walk.incident_id = incident_id
        created = oktave.incident(
            incident_id,
            "Unhappy respondent",
            "A respondent left a low score; call them back.",
            resp,
            created_at=now,
            now=now,
        )
        await self.emitter.send("incident.created", created)
        # The follow-up comes a little later, like a person picking the incident up.
        task = asyncio.get_running_loop().create_task(self._follow_up(incident_id, resp, now))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _follow_up(self, incident_id: str, resp: Mapping[str, Any], created: float) -> None:
        assert self.emitter is not None
        await asyncio.sleep(self.rng.uniform(0.2, 1.0))
        now = self.clock()
        note = oktave.comment(
            incident_id, "Called back; waiting for an answer.", "opened", "Field team", now=now
        )
        updated = oktave.incident(
            incident_id,
            "Unhappy respondent",
            "A respondent left a low score; call them back.",
            resp,
            comments=[note],
            created_at=created,
            now=now,
        )
        await self.emitter.send("incident.updated", updated)

    async def _blacklist(self, recipient: str) -> None:
        assert self.emitter is not None
        address = f"{recipient.lower()}@example.com"
        item = oktave.blacklist_item(address, self._campaign, now=self.clock())
        await self.emitter.send("blacklist_item.created", item)

    async def run(self, count: int | None, rate: float) -> list[Walk]:
        """Start a respondent every 1/`rate` seconds (`count` of them, or until cancelled)."""
        if rate <= 0:
            raise ValueError("rate must be a positive number of respondents per second")
        running: set[asyncio.Task[Walk]] = set()
        started = 0
        try:
            while count is None or started < count:
                task = asyncio.get_running_loop().create_task(self.safe_respondent())
                running.add(task)
                task.add_done_callback(running.discard)
                started += 1
                await asyncio.sleep(1 / rate)
            await self.settle(running)
        finally:
            for task in running:
                task.cancel()
        return self.walks

    def _new_walk(self) -> Walk:
        walk = Walk(len(self.walks) + 1)
        self.walks.append(walk)
        return walk

    async def safe_respondent(self) -> Walk:
        walk = self._new_walk()
        try:
            return await self.respondent(walk)
        except Exception as exc:  # noqa: BLE001 - one failed walk must not stop fieldwork
            walk.error = f"{type(exc).__name__}: {exc}"
            return walk

    async def settle(self, running: set[asyncio.Task[Walk]] | None = None) -> None:
        """Wait for walks still going and incident follow-ups still pending."""
        while running:
            await asyncio.gather(*list(running), return_exceptions=True)
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)


def fielded_survey(sandbox: Any) -> str | None:
    """The survey respondents go to: the last one activated with a published version."""
    live = [s for s in sandbox.surveys.values() if s.published is not None and s.status == "Active"]
    if not live:
        return None
    return max(live, key=lambda s: (s.last_activated or "", s.last_modified)).id


@dataclass
class FieldingState:
    """What `keep_fielding` is doing, for a banner or a status line."""

    survey_id: str | None = None
    respondents: int = 0
    note: str | None = None  # why nothing is being fielded, when that is the case
    refused: dict[str, str] = field(default_factory=dict)  # survey id → why it cannot be


async def keep_fielding(
    sandbox: Any,
    client: QualtricsClient,
    rate: float,
    *,
    emitter: oktave.OktaveEmitter | None = None,
    plan: FieldworkPlan | None = None,
    seed: int | str = 0,
    log: Callable[[str], None] = lambda line: None,
    poll_s: float = 1.0,
    state: FieldingState | None = None,
) -> None:
    """Send `rate` respondents a second to whichever survey is live, until cancelled.

    A survey the sessions API refuses (question types it cannot take) is left alone, and
    `state.note` says why.
    """
    state = state or FieldingState()
    running: set[asyncio.Task[Walk]] = set()
    try:
        await _field_forever(
            sandbox, client, rate, emitter, plan, seed, log, poll_s, state, running
        )
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)


async def _field_forever(
    sandbox: Any,
    client: QualtricsClient,
    rate: float,
    emitter: oktave.OktaveEmitter | None,
    plan: FieldworkPlan | None,
    seed: int | str,
    log: Callable[[str], None],
    poll_s: float,
    state: FieldingState,
    running: set[asyncio.Task[Walk]],
) -> None:
    simulator: FieldworkSimulator | None = None
    while True:
        fielded = fielded_survey(sandbox)
        if fielded is None or fielded in state.refused:
            if fielded is None:
                state.note = "waiting for a published, active survey (push one)"
            await asyncio.sleep(poll_s)
            continue
        if fielded != state.survey_id or simulator is None:
            state.survey_id = fielded
            state.note = None
            simulator = FieldworkSimulator(
                client,
                fielded,
                plan=plan or FieldworkPlan(page_delay=(0.2, 1.5)),
                seed=f"{seed}:{fielded}",
                emitter=emitter,
                survey_name=sandbox.surveys[fielded].name,
            )
            log(f"fieldwork: {rate:g} respondents/s into {fielded}")
        task = asyncio.get_running_loop().create_task(_logged(simulator, log, state))
        running.add(task)
        task.add_done_callback(running.discard)
        state.respondents += 1
        await asyncio.sleep(1 / rate)


async def _logged(
    simulator: FieldworkSimulator, log: Callable[[str], None], state: FieldingState
) -> Walk:
    walk = await simulator.safe_respondent()
    if walk.error:
        if "SESS_2" in walk.error and simulator.survey_id not in state.refused:
            reason = (
                f"{simulator.survey_id} cannot be fielded: it has questions the sessions API "
                "cannot take (only multiple choice, text entry and NPS)"
            )
            state.refused[simulator.survey_id] = reason
            state.note = reason
            log(f"fieldwork: {reason} ({walk.error})")
        elif "SESS_2" not in walk.error:
            log(f"fieldwork: respondent {walk.number} failed: {walk.error}")
    return walk
