"""The programming simulator: an AI building a survey from a questionnaire, step by step.

A run changes the survey only through `Org` (the path the REST API uses), so every step
emits its webhook event. The sequence, as Questra's documentation describes it:

1. `programming.started`, then `survey.updated` (status `programming`, `locked` true);
2. per page: `page.created` (locked, `programming_started_at` set), its blocks one by one,
   then `page.updated` (unlocked, `programming_completed_at` set); after each page, the
   variables whose questions now exist and the navigation rules whose source, target and
   variables now exist;
3. the questionnaire's revisions: a label reworded, a block moved to another page, a block
   deleted and re-created differently, a rule condition changed;
4. `programming.finished` (completed), then `survey.updated`: `waiting_for_destination` when
   no destination is set, otherwise `compiling` and, a little later, `reviewing` with
   `platform_ir_last_pushed_at`.

With `fail=True` the run stops part-way: `programming.finished` with status `failed`, and
`survey.updated` back to `pending` with `failed_at` and `failure_reason`. Cancelling the
task (the survey is deleted, or the sandbox stops) sends `programming.finished` with status
`cancelled`.

Runs are deterministic: ids and pacing jitter come from RNGs seeded with the sandbox seed,
the survey id and the job number, so the same calls give the same events. `speed` divides
every pause (1.0: the screener takes about 80 s); `math.inf` does not pause at all, and with
`advance` set it moves the sandbox clock instead, so timestamps still look like a real run.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import random
from collections.abc import Callable
from typing import Any

from qtui.core.logic import ExpressionError, parse, reference_roots
from qtui.sandbox.questra.org import Org, Record, new_uuid
from qtui.sandbox.questra.payloads import block_config

logger = logging.getLogger("qtui.sandbox.simulator")

# Pauses at speed 1.0, in seconds, before each kind of step (each varies by ±25 %).
PACE: dict[str, float] = {
    "start": 1.0,
    "page": 1.0,
    "block": 0.45,
    "page_done": 0.5,
    "variable": 0.4,
    "rule": 0.4,
    "revision": 1.5,
    "finish": 1.0,
    "compile": 4.0,
}

FAILURE_REASON = (
    "The questionnaire's routing instructions could not be interpreted "
    "(failure injected by the sandbox)"
)


class Pacer:
    """Waits between steps: scaled real time, or (at infinite speed) none at all."""

    def __init__(
        self, speed: float, rng: random.Random, advance: Callable[[float], None] | None
    ) -> None:
        if speed <= 0 or math.isnan(speed):
            raise ValueError(f"speed must be positive, got {speed}")
        self.speed = speed
        self.rng = rng
        self.advance = advance
        self.planned = 0.0  # seconds this run would take at speed 1.0

    async def __call__(self, step: str) -> None:
        delay = PACE[step] * (0.75 + 0.5 * self.rng.random())
        self.planned += delay
        if math.isinf(self.speed):
            if self.advance is not None:
                self.advance(delay)
            await asyncio.sleep(0)
        else:
            await asyncio.sleep(delay / self.speed)


@functools.lru_cache(maxsize=4096)
def _roots(text: str | None) -> frozenset[str]:
    """The names an expression reads (none for one that does not parse)."""
    if not text:
        return frozenset()
    try:
        return frozenset(reference_roots(parse(text)))
    except ExpressionError:
        return frozenset()


def push(org: Org, survey_id: str) -> None:
    """The push to the platform has succeeded: `reviewing`, with `platform_ir_last_pushed_at`."""
    now = org.clock.stamp()
    org.update_survey(survey_id, now=now, status="reviewing", platform_ir_last_pushed_at=now)


async def compile_and_push(org: Org, survey_id: str, pace: Pacer) -> None:
    """A destination arrived after programming: `compiling`, then the push."""
    org.update_survey(survey_id, status="compiling")
    await pace("compile")
    push(org, survey_id)


class ProgrammingRun:
    """One programming job for one survey."""

    def __init__(
        self,
        org: Org,
        survey_id: str,
        questionnaire: dict[str, Any],
        *,
        seed: int,
        job: int,
        speed: float,
        fail: bool = False,
        advance: Callable[[float], None] | None = None,
    ) -> None:
        self.org = org
        self.survey_id = survey_id
        self.questionnaire = questionnaire  # the run's own copy: `questionnaires.load` is fresh
        self.ids = random.Random(f"{seed}:{survey_id}:{job}")
        self.pace = Pacer(speed, random.Random(f"{seed}:{survey_id}:{job}:pace"), advance)
        self.fail = fail
        self.file_id = new_uuid(self.ids)
        self.status: str = "running"
        self._pages: dict[str, str] = {}  # page name -> id
        self._blocks: dict[str, str] = {}  # block reference name -> id
        self._variables: set[str] = set()
        self._pending_variables: list[dict[str, Any]] = []
        self._pending_rules: list[tuple[str, int, dict[str, Any]]] = []

    def _job(self, status: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"survey_id": self.survey_id, "file_id": self.file_id}
        if status is not None:
            data["status"] = status
        return data

    def _new_id(self) -> str:
        return new_uuid(self.ids)

    async def run(self) -> str:
        """Program the survey; returns the job's final status (completed or failed)."""
        org = self.org
        try:
            # the survey is locked at once, so the start-programming answer holds
            org.emit("programming.started", self._job())
            now = org.clock.stamp()
            org.update_survey(
                self.survey_id,
                now=now,
                status="programming",
                locked=True,
                programming_status="running",
                programming_started_at=now,
                programming_completed_at=None,
                programmed_from_file_id=self.file_id,
                failed_at=None,
                failure_reason=None,
            )
            self._clear_leftovers()
            await self.pace("start")
            self._pending_variables = list(self.questionnaire.get("variables", []))
            pages = self.questionnaire["pages"]
            fail_at = max(1, len(pages) * 2 // 5) if self.fail else None
            for index, spec in enumerate(pages):
                if index == fail_at:
                    await self._fail_on(index, spec)
                    return self.status
                await self._program_page(index, spec)
                await self._create_ready(ready_only=True)
            await self._create_ready(ready_only=False)
            for revision in self.questionnaire.get("revisions", []):
                await self.pace("revision")
                await self._revise(revision)
            await self.pace("finish")
            self.status = "completed"
            org.emit("programming.finished", self._job("completed"))
            now = org.clock.stamp()
            survey = org.surveys[self.survey_id]
            has_destination = survey["target_platform"] is not None
            org.update_survey(
                self.survey_id,
                now=now,
                locked=False,
                programming_status="completed",
                programming_completed_at=now,
                status="compiling" if has_destination else "waiting_for_destination",
            )
            if has_destination:
                await self.pace("compile")
                push(org, self.survey_id)
            return self.status
        except asyncio.CancelledError:
            if self.status == "running" and self.survey_id in org.surveys:
                self.status = "cancelled"
                org.emit("programming.finished", self._job("cancelled"))
            raise
        except Exception as exc:  # a sandbox bug must not leave the survey locked forever
            logger.exception("programming run for survey %s crashed", self.survey_id)
            if self.survey_id in org.surveys:
                self._record_failure(f"sandbox error: {exc}")
            return self.status

    def _clear_leftovers(self) -> None:
        """Delete what an earlier, failed run left behind: programming starts over."""
        for page in self.org.pages_of(self.survey_id):
            self.org.delete_page(page["id"])
        for variable in self.org.variables_of(self.survey_id):
            self.org.delete_variable(variable["id"])

    # --- first pass ---------------------------------------------------------------------

    async def _program_page(self, index: int, spec: dict[str, Any]) -> None:
        org = self.org
        await self.pace("page")
        page = org.create_page(
            self.survey_id,
            spec["name"],
            order=index,
            assign_response_status=spec.get("assign_response_status"),
            attention_required=spec.get("attention_required"),
            programming=True,
            page_id=self._new_id(),
        )
        self._pages[spec["name"]] = page["id"]
        # ids are drawn for the whole page first, so a Loop can name blocks that follow it
        ids = [self._new_id() for _ in spec["blocks"]]
        planned = {
            block["config"]["name"]: block_id
            for block, block_id in zip(spec["blocks"], ids, strict=True)
            if block["config"].get("name")
        }
        for order, (block, block_id) in enumerate(zip(spec["blocks"], ids, strict=True)):
            await self.pace("block")
            config = block["config"]
            if config.get("type") == "Loop":
                # the questionnaire names the looped blocks; the survey holds their ids
                looped = [planned.get(n) or self._blocks.get(n) or n for n in config["blocks"]]
                config = {**config, "blocks": looped}
            self._create_block(page["id"], config, order, block_id)
        await self.pace("page_done")
        now = org.clock.stamp()
        org.update_page(page["id"], now=now, locked=False, programming_completed_at=now)
        for order, rule in enumerate(spec.get("navigation_rules", [])):
            self._pending_rules.append((spec["name"], order, rule))

    def _create_block(
        self, page_id: str, config: dict[str, Any], order: int, block_id: str | None = None
    ) -> Record:
        block = self.org.create_block(
            page_id, block_config(config), order=order, block_id=block_id or self._new_id()
        )
        if config.get("name"):
            self._blocks[config["name"]] = block["id"]
        return block

    def _known(self, names: frozenset[str]) -> bool:
        return all(name in self._blocks or name in self._variables for name in names)

    async def _create_ready(self, ready_only: bool) -> None:
        """Create the pending variables and rules that can exist now (all, at the end).

        A variable is ready once every name it reads exists; a rule once its target page
        exists and every name its condition reads (variables of this batch included).
        """
        variables = [
            v
            for v in self._pending_variables
            if not ready_only or self._known(_roots(v.get("expression")))
        ]
        for spec in variables:
            await self.pace("variable")
            self.org.create_variable(
                self.survey_id,
                spec["name"],
                spec.get("expression"),
                attention_required=spec.get("attention_required"),
                variable_id=self._new_id(),
            )
            self._variables.add(spec["name"])
            self._pending_variables.remove(spec)
        rules = [
            entry
            for entry in self._pending_rules
            if not ready_only
            or (
                entry[2]["target"] in self._pages and self._known(_roots(entry[2].get("condition")))
            )
        ]
        for entry in rules:
            source, order, spec = entry
            await self.pace("rule")
            self.org.create_rule(
                self._pages[source],
                self._pages[spec["target"]],
                spec.get("condition"),
                order=order,
                attention_required=spec.get("attention_required"),
                rule_id=self._new_id(),
            )
            self._pending_rules.remove(entry)

    # --- revisions ----------------------------------------------------------------------

    async def _revise(self, revision: dict[str, Any]) -> None:
        org = self.org
        kind = revision["kind"]
        if kind == "condition":
            source = self._pages[revision["source"]]
            target = self._pages[revision["target"]]
            rule = next(r for r in org.rules_of(source) if r["target_page_id"] == target)
            org.update_rule(rule["id"], condition=revision["condition"])
            return
        block = org.blocks[self._blocks[revision["block"]]]
        if kind == "reword":
            config = dict(block["config"], label=revision["label"])
            org.update_block(block["id"], config=block_config(config))
        elif kind == "move":
            org.update_block(block["id"], page_id=self._pages[revision["to_page"]])
        elif kind == "recreate":
            page_id, order = block["page_id"], block["order"]
            org.delete_block(block["id"])
            await self.pace("block")
            self._create_block(page_id, revision["config"], order)
        else:
            raise ValueError(f"unknown revision kind {kind!r}")

    # --- injected failure ---------------------------------------------------------------

    async def _fail_on(self, index: int, spec: dict[str, Any]) -> None:
        """Start page `index`, program one block, then fail the job."""
        org = self.org
        await self.pace("page")
        page = org.create_page(
            self.survey_id,
            spec["name"],
            order=index,
            assign_response_status=spec.get("assign_response_status"),
            programming=True,
            page_id=self._new_id(),
        )
        if spec["blocks"]:
            await self.pace("block")
            self._create_block(page["id"], spec["blocks"][0]["config"], 0)
        await self.pace("finish")
        self._record_failure(FAILURE_REASON)

    def _record_failure(self, reason: str) -> None:
        """Unlock what is locked, then `programming.finished` (failed) and the survey's failure."""
        org = self.org
        for page in org.pages_of(self.survey_id):
            if page["locked"]:
                org.update_page(page["id"], locked=False)
        self.status = "failed"
        org.emit("programming.finished", self._job("failed"))
        now = org.clock.stamp()
        org.update_survey(
            self.survey_id,
            now=now,
            status="pending",
            locked=False,
            programming_status="failed",
            failed_at=now,
            failure_reason=reason,
        )
