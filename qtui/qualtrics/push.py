"""Push a Questra survey to Qualtrics: compile, create or update, put the flow, publish, activate.

Idempotent and resumable: `PushState` remembers what exists (Questra block id → QID, page →
BL_, a hash of what was sent), so a second push updates questions in place, deletes the ones
that were removed and creates only new ones; a push that failed half-way picks up from what
was recorded. Only what changed is sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from qtui.core.models import Survey
from qtui.qualtrics.client import QualtricsClient
from qtui.qualtrics.compile import (
    CompiledQuestion,
    CompiledSurvey,
    CompileIssue,
    compile_survey,
    rebind,
)
from qtui.qualtrics.errors import NotFoundError
from qtui.qualtrics.state import PushState, TargetState

_QID_USE = re.compile(r"q://(QID[A-Za-z0-9]+)/|\"(?:QuestionID|QID)\": \"(QID[A-Za-z0-9]+)\"")


@dataclass(frozen=True)
class PushProgress:
    step: str  # survey, blocks, questions, deletions, block layout, flow, publish, activate
    done: int
    total: int


@dataclass
class PushPlan:
    """What a push would do, from the compiled survey and the push state alone."""

    create_survey: bool
    create_blocks: list[str] = field(default_factory=list)  # block keys
    create_questions: list[str] = field(default_factory=list)  # Questra block ids
    update_questions: list[str] = field(default_factory=list)
    unchanged_questions: list[str] = field(default_factory=list)
    delete_questions: list[str] = field(default_factory=list)
    delete_blocks: list[str] = field(default_factory=list)


@dataclass
class PushReport:
    questra_survey_id: str
    qualtrics_survey_id: str | None
    version_id: str | None = None
    version_number: int | None = None
    created: dict[str, int] = field(default_factory=lambda: {"blocks": 0, "questions": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"blocks": 0, "questions": 0})
    deleted: dict[str, int] = field(default_factory=lambda: {"blocks": 0, "questions": 0})
    unchanged: dict[str, int] = field(default_factory=lambda: {"questions": 0})
    flow_updated: bool = False
    published: bool = False
    activated: bool = False
    issues: list[CompileIssue] = field(default_factory=list)
    retries: int = 0
    requests: int = 0
    duration: float = 0.0
    dry_run: bool = False
    plan: PushPlan | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.plan is None:
            data.pop("plan")
        return data


def digest(value: Any) -> str:
    return hashlib.sha1(
        json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()[:16]


def compile_for(survey: Survey, target: TargetState, **options: Any) -> CompiledSurvey:
    """Compile against what the push state says exists (real ids for known items)."""
    known = target.survey_id is not None and (target.questions or target.blocks)
    return compile_survey(
        survey,
        qids=dict(target.questions) if known else None,
        block_ids=dict(target.blocks) if known else None,
        **options,
    )


def plan_push(compiled: CompiledSurvey, target: TargetState) -> PushPlan:
    plan = PushPlan(create_survey=target.survey_id is None)
    keys = {b.key for b in compiled.blocks}
    plan.create_blocks = [b.key for b in compiled.blocks if b.key not in target.blocks]
    present: set[str] = set()
    for question in compiled.question_list():
        present.add(question.block_id)
        qid = target.questions.get(question.block_id)
        if qid is None:
            plan.create_questions.append(question.block_id)
        elif target.question_hashes.get(qid) != digest(question.definition):
            plan.update_questions.append(question.block_id)
        else:
            plan.unchanged_questions.append(question.block_id)
    plan.delete_questions = [b for b in target.questions if b not in present]
    plan.delete_blocks = [k for k in target.blocks if k not in keys]
    return plan


async def push_survey(
    client: QualtricsClient | None,
    survey: Survey,
    *,
    target: str | None = None,
    state: PushState,
    progress: Callable[[PushProgress], None] | None = None,
    dry_run: bool = False,
    force_response: bool = True,
    concurrency: int = 4,
    for_sessions: bool = False,
) -> PushReport:
    """Compile `survey` and make the Qualtrics survey match it (see the module docstring).

    `concurrency` is how many blocks have their questions sent at the same time. With
    `dry_run` nothing is sent (the client may be None): the report holds the plan.
    `for_sessions` compiles for session walks (see `compile_survey`).
    """
    options = {"force_response": force_response, "for_sessions": for_sessions}
    if dry_run:
        return dry_run_report(survey, state, target=target, **options)
    if client is None:
        raise ValueError("push_survey needs a client unless dry_run is set")
    run = _Push(client, survey, state, progress, options, max(1, concurrency))
    return await run.go(target)


def dry_run_report(
    survey: Survey,
    state: PushState,
    *,
    target: str | None = None,
    force_response: bool = True,
    for_sessions: bool = False,
) -> PushReport:
    """What a push would do, from the push state alone: no request is sent, nothing written."""
    known = state.target
    if target and known.survey_id != target:
        known = TargetState(survey_id=target)
    compiled = compile_for(survey, known, force_response=force_response, for_sessions=for_sessions)
    return PushReport(
        survey.id,
        known.survey_id,
        known.version_id,
        known.version_number,
        issues=compiled.issues,
        dry_run=True,
        plan=plan_push(compiled, known),
    )


class _Push:
    def __init__(
        self,
        client: QualtricsClient,
        survey: Survey,
        state: PushState,
        progress: Callable[[PushProgress], None] | None,
        options: dict[str, Any],
        concurrency: int = 1,
    ) -> None:
        self.client = client
        self.concurrency = concurrency
        self.survey = survey
        self.state = state
        self.progress = progress or (lambda _: None)
        self.options = options
        self.qid_map: dict[str, str] = {}
        self.block_map: dict[str, str] = {}
        self.created_into: dict[str, list[str]] = {}  # BL_ created now → QIDs created into it
        self.created_options: dict[str, dict[str, Any]] = {}  # BL_ created now → options sent
        self.reused_default: str | None = None

    @property
    def t(self) -> TargetState:
        return self.state.target

    async def go(self, target: str | None) -> PushReport:
        started = time.monotonic()
        requests, retries = self.client.requests_sent, self.client.retries
        if target and self.t.survey_id != target:
            self.state.record("reset", survey_id=target)
        report = PushReport(self.survey.id, self.t.survey_id)
        try:
            await self.ensure_survey(target, report)
            compiled = compile_for(self.survey, self.t, **self.options)
            report.issues = compiled.issues
            report.plan = plan_push(compiled, self.t)
            await self.create_blocks(compiled, report)
            await self.put_questions(compiled, report)
            await self.delete_questions(compiled, report)
            await self.layout_blocks(compiled, report)
            await self.delete_blocks(compiled, report)
            await self.put_flow(compiled, report)
            await self.publish(report)
            await self.activate(report)
            self.state.save()
            pushed_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            self.state.remember_push(self.survey.dump(), pushed_at)
        finally:
            self.state.close()
            report.requests = self.client.requests_sent - requests
            report.retries = self.client.retries - retries
            report.duration = time.monotonic() - started
        return report

    # survey -------------------------------------------------------------------------------

    async def ensure_survey(self, target: str | None, report: PushReport) -> None:
        name = self.survey.name or self.survey.slug or self.survey.id
        self.progress(PushProgress("survey", 0, 1))
        if self.t.survey_id is not None:
            try:
                definition = await self.client.get_definition(self.t.survey_id)
            except NotFoundError:
                if target:
                    raise
                # The survey we made is gone (deleted in Qualtrics): start a fresh one.
                self.state.record("reset", survey_id=None)
                definition = None
            if definition is not None:
                await self.reconcile(definition, report)
        if self.t.survey_id is None:
            created = await self.client.create_survey(name)
            self.state.record(
                "survey",
                survey_id=created.SurveyID,
                default_block_id=created.DefaultBlockID,
                name=name,
            )
        elif self.t.name != name:
            await self.client.update_metadata(self.t.survey_id, SurveyName=name)
            self.state.record("name", name=name)
        report.qualtrics_survey_id = self.t.survey_id
        self.progress(PushProgress("survey", 1, 1))

    async def reconcile(self, definition: dict[str, Any], report: PushReport) -> None:
        """Align the state with the live survey: forget what is gone, drop orphans.

        An orphan is a question inside one of our blocks that the state does not know — what a
        create leaves behind when its answer was lost; it would otherwise be shown twice.
        """
        live_questions = definition.get("Questions") or {}
        live_blocks = definition.get("Blocks") or {}
        if self.t.default_block_id is None:
            for block_id, block in live_blocks.items():
                if isinstance(block, dict) and block.get("Type") == "Default":
                    self.state.record(
                        "survey",
                        survey_id=self.t.survey_id,
                        default_block_id=block_id,
                        name=self.t.name,
                    )
                    if block.get("BlockElements"):
                        # Someone else's questions live there: leave that block alone.
                        self.state.record("default_block_used")
        for block_key, qid in list(self.t.questions.items()):
            if qid not in live_questions:
                self.state.record("forget_question", block=block_key)
        for key, block_id in list(self.t.blocks.items()):
            if block_id not in live_blocks:
                self.state.record("forget_block", key=key)
        known = set(self.t.questions.values())
        for block_id in self.t.blocks.values():
            block = live_blocks.get(block_id) or {}
            for element in block.get("BlockElements") or []:
                qid = element.get("QuestionID")
                if qid and qid not in known and qid in live_questions:
                    await self.client.delete_question(self.t.survey_id or "", qid)
                    report.deleted["questions"] += 1

    # blocks and questions -----------------------------------------------------------------

    async def create_blocks(self, compiled: CompiledSurvey, report: PushReport) -> None:
        missing = [b for b in compiled.blocks if b.key not in self.t.blocks]
        for done, block in enumerate(missing, start=1):
            self.progress(PushProgress("blocks", done - 1, len(missing)))
            if self.t.default_block_id and not self.t.default_block_used:
                # A new survey comes with an empty default block: the first page uses it.
                self.state.record("default_block_used")
                self.state.record("block", key=block.key, block_id=self.t.default_block_id)
                self.reused_default = self.t.default_block_id
            else:
                # Looping names a question that may not exist yet: it is set by the layout PUT.
                options = {
                    k: v for k, v in block.options.items() if k not in ("Looping", "LoopingOptions")
                }
                body = {"Type": "Standard", "Description": block.description, "Options": options}
                created = await self.client.create_block(self.sid, body)
                self.created_into[created.BlockID] = []
                self.created_options[created.BlockID] = options
                self.state.record("block", key=block.key, block_id=created.BlockID)
            report.created["blocks"] += 1
        for block in compiled.blocks:
            self.block_map[block.block_id] = self.t.blocks[block.key]
        self.progress(PushProgress("blocks", len(missing), len(missing)))

    @property
    def sid(self) -> str:
        assert self.t.survey_id is not None
        return self.t.survey_id

    async def put_questions(self, compiled: CompiledSurvey, report: PushReport) -> None:
        """Create or update every question; blocks run side by side, each block in order.

        Within a block questions go one at a time, so they land in the block in order. A
        question whose logic reads a question of an earlier block waits for that one to
        exist; one that reads a later question is sent without its logic and PUT afterwards.
        """
        questions = compiled.question_list()
        provisional = {q.qid for q in questions if q.block_id not in self.t.questions}
        created: dict[str, asyncio.Event] = {qid: asyncio.Event() for qid in provisional}
        position = {b.key: i for i, b in enumerate(compiled.blocks)}
        owner = {q.qid: position[q.block_key] for q in questions}
        block_ids = {b.key: b.block_id for b in compiled.blocks}
        deferred: list[CompiledQuestion] = []
        counter = [0]
        gate = asyncio.Semaphore(self.concurrency)
        failed: list[BaseException] = []

        async def one(question: CompiledQuestion) -> None:
            if not provisional:
                # Everything exists already: the compiled ids are the real ones.
                await send(question, question.definition)
                return
            definition = rebind(question.definition, self.qid_map, self.block_map)
            here = position[question.block_key]
            waiting = [
                q
                for q in _qids_used(definition)
                if q in provisional and q not in self.qid_map and owner.get(q, here) < here
            ]
            for qid in waiting:
                await created[qid].wait()
            if failed:
                return
            if waiting:
                definition = rebind(question.definition, self.qid_map, self.block_map)
            if any(q in provisional and q not in self.qid_map for q in _qids_used(definition)):
                # Its logic reads a question not created yet: send it without, PUT it later.
                definition = {k: v for k, v in definition.items() if k != "DisplayLogic"}
                deferred.append(question)
            await send(question, definition)

        async def send(question: CompiledQuestion, definition: dict[str, Any]) -> None:
            qid = self.t.questions.get(question.block_id)
            if qid is None:
                block_id = self.block_map[block_ids[question.block_key]]
                qid = await self.client.create_question(self.sid, definition, block_id=block_id)
                self.qid_map[question.qid] = qid
                created[question.qid].set()
                if block_id in self.created_into:
                    self.created_into[block_id].append(qid)
                self.state.record(
                    "question", block=question.block_id, qid=qid, hash=digest(definition)
                )
                report.created["questions"] += 1
            elif self.t.question_hashes.get(qid) != digest(definition):
                await self.client.update_question(self.sid, qid, definition)
                self.state.record(
                    "question", block=question.block_id, qid=qid, hash=digest(definition)
                )
                report.updated["questions"] += 1
            else:
                report.unchanged["questions"] += 1
            counter[0] += 1
            if counter[0] % 50 == 0:
                self.progress(PushProgress("questions", counter[0], len(questions)))

        async def block(items: list[CompiledQuestion]) -> None:
            async with gate:
                for question in items:
                    if failed:
                        return  # another block failed: stop between requests, never mid-way
                    try:
                        await one(question)
                    except BaseException as error:
                        failed.append(error)
                        for event in created.values():
                            event.set()  # nobody waits for a question that will not come
                        raise

        self.progress(PushProgress("questions", 0, len(questions)))
        tasks = [
            asyncio.create_task(block(compiled.questions.get(b.key, []))) for b in compiled.blocks
        ]
        await asyncio.gather(*tasks, return_exceptions=True)
        if failed:
            raise failed[0]
        for question in deferred:
            definition = rebind(question.definition, self.qid_map, self.block_map)
            qid = self.t.questions[question.block_id]
            await self.client.update_question(self.sid, qid, definition)
            self.state.record("question", block=question.block_id, qid=qid, hash=digest(definition))
        self.progress(PushProgress("questions", len(questions), len(questions)))

    async def delete_questions(self, compiled: CompiledSurvey, report: PushReport) -> None:
        present = {q.block_id for q in compiled.question_list()}
        gone = [b for b in self.t.questions if b not in present]
        for done, block_key in enumerate(gone):
            self.progress(PushProgress("deletions", done, len(gone)))
            try:
                await self.client.delete_question(self.sid, self.t.questions[block_key])
            except NotFoundError:
                pass  # already gone: the state just catches up
            self.state.record("forget_question", block=block_key)
            report.deleted["questions"] += 1

    async def layout_blocks(self, compiled: CompiledSurvey, report: PushReport) -> None:
        """PUT each block whose elements, description or options differ from what was sent."""
        for done, block in enumerate(compiled.blocks):
            if done % 50 == 0:
                self.progress(PushProgress("block layout", done, len(compiled.blocks)))
            block_id = self.t.blocks[block.key]
            desired = rebind(block.definition(), self.qid_map, self.block_map)
            wanted = digest(desired)
            if self.t.block_hashes.get(block_id) == wanted:
                continue
            created_now = self.created_into.get(block_id)
            elements = [e["QuestionID"] for e in desired["BlockElements"]]
            same_options = self.created_options.get(block_id) == desired["Options"]
            if created_now is not None and created_now == elements and same_options:
                # Made by this push with these options, its questions created in this order.
                self.state.record("block_hash", block_id=block_id, hash=wanted)
                continue
            await self.client.update_block(self.sid, block_id, desired)
            self.state.record("block_hash", block_id=block_id, hash=wanted)
            if created_now is None and block_id != self.reused_default:
                report.updated["blocks"] += 1
        self.progress(PushProgress("block layout", len(compiled.blocks), len(compiled.blocks)))

    async def delete_blocks(self, compiled: CompiledSurvey, report: PushReport) -> None:
        keys = {b.key for b in compiled.blocks}
        for key in [k for k in self.t.blocks if k not in keys]:
            block_id = self.t.blocks[key]
            try:
                # Empty it first, so a question that moved out cannot go down with it.
                await self.client.update_block(
                    self.sid, block_id, {"Type": "Standard", "Description": "", "BlockElements": []}
                )
                await self.client.delete_block(self.sid, block_id)
            except NotFoundError:
                pass
            self.state.record("forget_block", key=key)
            report.deleted["blocks"] += 1

    # flow, publish, activate --------------------------------------------------------------

    async def put_flow(self, compiled: CompiledSurvey, report: PushReport) -> None:
        flow = rebind(compiled.flow, self.qid_map, self.block_map)
        _mark_default_block(flow["Flow"], self.t.default_block_id)
        wanted = digest(flow)
        self.progress(PushProgress("flow", 0, 1))
        if self.t.flow_hash != wanted:
            await self.client.put_flow(self.sid, flow)
            self.state.record("flow", hash=wanted)
            report.flow_updated = True
        self.progress(PushProgress("flow", 1, 1))

    async def publish(self, report: PushReport) -> None:
        self.progress(PushProgress("publish", 0, 1))
        if self.t.dirty or self.t.version_id is None:
            c, u, d = report.created, report.updated, report.deleted
            description = (
                f"qtui push: {c['questions']} created, {u['questions']} updated, "
                f"{d['questions']} deleted"
            )
            version = await self.client.publish(self.sid, description)
            self.state.record(
                "published", version_id=version.versionID, version_number=version.versionNumber
            )
            report.published = True
        report.version_id = self.t.version_id
        report.version_number = self.t.version_number
        self.progress(PushProgress("publish", 1, 1))

    async def activate(self, report: PushReport) -> None:
        self.progress(PushProgress("activate", 0, 1))
        if not self.t.active:
            await self.client.set_active(self.sid, True)
            self.state.record("active", active=True)
            report.activated = True
        self.progress(PushProgress("activate", 1, 1))


def _mark_default_block(elements: list[Any], default_block_id: str | None) -> None:
    """The survey's default block is a "Block" flow element, every other block "Standard"."""
    for element in elements:
        if element.get("Type") in ("Block", "Standard"):
            element["Type"] = "Block" if element.get("ID") == default_block_id else "Standard"
        _mark_default_block(element.get("Flow") or [], default_block_id)


def _qids_used(definition: dict[str, Any]) -> set[str]:
    text = json.dumps(definition)
    return {a or b for a, b in _QID_USE.findall(text)}
