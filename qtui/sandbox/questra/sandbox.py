"""`QuestraSandbox`: a faithful in-memory Questra — REST API, signed webhooks, AI programming.

    sandbox = QuestraSandbox(api_key="qk_test", org_id="org_test", speed=math.inf)
    async with serving(sandbox.app) as server:   # webhooks are delivered while it runs
        ...
        await sandbox.drain(5)                   # programming done, deliveries settled

State lives in memory; every change, made through the API or by the simulator, emits its
event to `events` (envelopes, in order), to listeners, and to the subscribed webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any

from starlette.applications import Starlette

from qtui.sandbox import questionnaires
from qtui.sandbox.questra.api import build_app
from qtui.sandbox.questra.errors import ApiError, invalid, not_found
from qtui.sandbox.questra.org import Clock, Emitted, Org, iso, serialize
from qtui.sandbox.questra.webhooks import Dispatcher, Webhook, new_secret

# The id of the synthetic survey in `POST /webhooks/{id}/test` deliveries.
TEST_SURVEY_ID = "00000000-0000-4000-8000-000000000000"

# Statuses after which a survey counts as programmed: start-programming then starts nothing.
PROGRAMMED = {"waiting_for_destination", "compiling", "reviewing", "live", "closed"}


class QuestraSandbox:
    def __init__(
        self,
        api_key: str = "qk_sandbox",
        org_id: str = "org_sandbox",
        *,
        speed: float = 1.0,
        seed: int | None = 0,
        clock: Callable[[], datetime] | None = None,
        delivery_timeout: float = 30.0,
        retry_delays: Sequence[float] = (1, 2, 4, 8, 60),
        fail_programming: bool = False,
        virtual_time: bool = False,
        user_id: str = "user_sandbox",
    ) -> None:
        """`speed` divides the simulator's pauses (`math.inf`: none). `virtual_time` makes an
        instant run move the clock by the pauses it skips, so a fixed `clock` still gives
        realistic timestamps. `fail_programming` makes every programming run fail part-way."""
        if speed <= 0 or math.isnan(speed):
            raise ValueError(f"speed must be positive, got {speed}")
        self.api_key = api_key
        self.org_id = org_id
        self.speed = speed
        # No seed: a fresh one, so ids never repeat across runs (a real Questra never reuses
        # an id, and qtui's push keeps its mapping by survey id).
        self.seed = seed if seed is not None else random.SystemRandom().getrandbits(32)
        self.fail_programming = fail_programming
        self.virtual_time = virtual_time
        self.clock = Clock(clock)
        self.events: list[dict[str, Any]] = []
        self._listeners: list[Callable[[Emitted], None]] = []
        self.dispatcher = Dispatcher(
            delivery_timeout=delivery_timeout,
            retry_delays=retry_delays,
            now=lambda: iso(self.clock.now()),
        )
        self.org = Org(
            org_id,
            user_id=user_id,
            rng=random.Random(self.seed),
            clock=self.clock,
            emit=self._emitted,
        )
        self._runs: dict[str, asyncio.Task[str]] = {}
        self._compiles: dict[str, asyncio.Task[None]] = {}
        self._jobs: dict[str, int] = {}
        self.app: Starlette = build_app(self)

    # --- events -----------------------------------------------------------------------

    def _emitted(self, emitted: Emitted) -> None:
        self.events.append(emitted.envelope)
        self.dispatcher.publish(emitted.event, emitted.body)
        for listener in self._listeners:
            listener(emitted)

    def add_listener(self, listener: Callable[[Emitted], None]) -> None:
        """Call `listener(emitted)` for every event, as it is emitted."""
        self._listeners.append(listener)

    # --- lifecycle ----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lifespan(self, app: object = None) -> AsyncIterator[None]:
        """Runs webhook delivery; on exit, cancels programming runs and stops delivery."""
        await self.dispatcher.start()
        try:
            yield
        finally:
            tasks = [*self._runs.values(), *self._compiles.values()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.dispatcher.stop()

    def busy(self) -> bool:
        """True while a programming run or push is going, or a delivery is unsettled."""
        tasks = [*self._runs.values(), *self._compiles.values()]
        return any(not t.done() for t in tasks) or self.dispatcher.outstanding > 0

    async def drain(self, timeout: float = 10.0) -> bool:
        """Wait until programming runs have ended and every delivery has settled.

        Returns False if that has not happened within `timeout` seconds. Deliveries only
        settle while the app is being served (its lifespan runs the delivery workers).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.busy():
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.005)
        return True

    # --- surveys ------------------------------------------------------------------------

    def survey(self, id_or_slug: str) -> dict[str, Any]:
        """The survey in FullSurvey form, as `GET /surveys/{id_or_slug}` returns it."""
        return self.org.full_survey(self.org.survey(id_or_slug))

    def running(self, survey_id: str) -> bool:
        task = self._runs.get(survey_id)
        return task is not None and not task.done()

    async def delete_survey(self, survey_id: str) -> None:
        """Delete a survey, first cancelling its programming run or push."""
        for tasks in (self._runs, self._compiles):
            task = tasks.pop(survey_id, None)
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.org.delete_survey(survey_id)

    async def set_destination(
        self,
        survey_id: str,
        target_platform: str,
        integration_id: str | None = None,
        existing_survey_id: str | None = None,
    ) -> dict[str, Any]:
        """Set the destination; a survey waiting for one is then compiled and pushed."""
        survey = self.org.update_survey(
            survey_id,
            target_platform=target_platform,
            target_integration_id=integration_id,
            target_existing_survey_id=existing_survey_id,
        )
        if survey["status"] == "waiting_for_destination":
            # imported here: the simulator imports this package, so a top-level import
            # would be circular
            from qtui.sandbox.simulator import Pacer, compile_and_push

            pace = Pacer(self.speed, random.Random(f"{self.seed}:{survey_id}:push"), self._advance)
            self._compiles[survey_id] = asyncio.create_task(
                compile_and_push(self.org, survey_id, pace), name=f"push-{survey_id}"
            )
        return survey

    @property
    def _advance(self) -> Callable[[float], None] | None:
        return self.clock.advance if self.virtual_time else None

    async def start_programming(
        self,
        survey_id: str,
        *,
        qa: list[dict[str, Any]] | None = None,
        questionnaire: str | None = None,
        fail: bool | None = None,
    ) -> dict[str, Any]:
        """Start AI programming, idempotently: `{ok, already_running, status}`.

        A survey already programming answers `already_running: true`; one already programmed
        (status past `programming`) answers `already_running: false` and starts nothing.
        The questionnaire is `questionnaire` if given, else chosen from the survey's name.
        """
        from qtui.sandbox.simulator import ProgrammingRun

        survey = self.org.survey(survey_id)
        survey_id = survey["id"]
        if self.running(survey_id):
            return {"ok": True, "already_running": True, "status": survey["status"]}
        if survey["status"] in PROGRAMMED:
            return {"ok": True, "already_running": False, "status": survey["status"]}
        name = questionnaire or questionnaires.choose(survey["name"], survey["slug"])
        if name not in questionnaires.names():
            raise invalid(
                "questionnaire",
                f"no questionnaire named {name!r}; "
                f"choose one of {', '.join(questionnaires.names())}",
            )
        if qa is not None:
            survey["prior_qa"] = qa
        job = self._jobs.get(survey_id, 0) + 1
        self._jobs[survey_id] = job
        run = ProgrammingRun(
            self.org,
            survey_id,
            questionnaires.load(name),
            seed=self.seed,
            job=job,
            speed=self.speed,
            fail=self.fail_programming if fail is None else fail,
            advance=self._advance,
        )
        self._runs[survey_id] = asyncio.create_task(run.run(), name=f"programming-{survey_id}")
        # let the run send programming.started before the caller hears "programming"
        await asyncio.sleep(0)
        return {"ok": True, "already_running": False, "status": "programming"}

    # --- webhooks -----------------------------------------------------------------------

    def _hook(self, hook_id: str) -> Webhook:
        hook = self.dispatcher.hooks.get(hook_id)
        if hook is None:
            raise not_found("webhook", hook_id)
        return hook

    def create_webhook(
        self,
        url: str,
        events: Sequence[str] = (),
        description: str | None = None,
        secret: str | None = None,
    ) -> dict[str, Any]:
        """Subscribe `url` (to `events`, or to all when empty); the result holds the secret."""
        now = self.clock.stamp()
        hook = Webhook(
            id=f"wh_{random.Random().getrandbits(64):016x}",
            org_id=self.org_id,
            url=url,
            events=list(events),
            description=description,
            secret=secret or new_secret(),
            created_at=now,
            updated_at=now,
        )
        self.dispatcher.add(hook)
        return hook.public(with_secret=True)

    def update_webhook(self, hook_id: str, **changes: Any) -> dict[str, Any]:
        hook = self._hook(hook_id)
        for name, value in changes.items():
            setattr(hook, name, list(value) if name == "events" else value)
        hook.updated_at = self.clock.stamp()
        return hook.public()

    def delete_webhook(self, hook_id: str) -> None:
        self._hook(hook_id)
        self.dispatcher.remove(hook_id)

    def rotate_webhook(self, hook_id: str) -> dict[str, Any]:
        """A new secret, effective at once: the old one signs nothing from now on."""
        hook = self._hook(hook_id)
        hook.secret = new_secret()
        hook.updated_at = self.clock.stamp()
        return hook.public(with_secret=True)

    async def test_webhook(self, hook_id: str) -> dict[str, Any]:
        """Send a synthetic `survey.created` to one webhook; returns its first attempt."""
        hook = self._hook(hook_id)
        if not self.dispatcher.started:
            raise ApiError(503, "unavailable", "webhook delivery is not running")
        if not hook.active:
            raise ApiError(
                409, "conflict", "the webhook is inactive; PATCH it with active: true first"
            )
        now = iso(self.clock.now())
        data = {
            "id": TEST_SURVEY_ID,
            "slug": "webhook-test",
            "name": "Webhook test",
            "user_id": self.org.user_id,
            "org_id": self.org_id,
            "status": "pending",
            "target_platform": None,
            "created_at": now,
            "updated_at": now,
        }
        emitted = serialize("survey.created", data, now)
        waiter = self.dispatcher.send_test(hook.id, emitted.event, emitted.body)
        try:
            return await asyncio.shield(waiter)
        except asyncio.CancelledError:
            if not waiter.cancelled():
                raise  # this request was cancelled, not the delivery
            raise ApiError(
                409, "conflict", "the webhook was deleted or deactivated before delivery"
            ) from None
