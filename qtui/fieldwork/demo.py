"""The demo's fieldwork: push the programmed survey to the Qualtrics sandbox, then field it.

Runs in its own thread with its own event loop (like the demo's servers), so the UI's loop
only draws. It waits until Questra reports the survey pushed to its destination
(`reviewing`/`live`), pushes it to the Qualtrics sandbox with `qtui.qualtrics.push` if
no survey is live there yet, and then sends simulated respondents through whichever
survey is live (`keep_fielding`).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from qtui.sandbox.fieldwork import FieldingState, FieldworkPlan, fielded_survey, keep_fielding

PUSHED_STATUSES = {"reviewing", "live", "closed"}


@dataclass
class FieldworkThread:
    qualtrics: Any  # the QualtricsSandbox
    qualtrics_base_url: str
    qualtrics_token: str
    questra_url: str
    api_key: str
    org_id: str
    survey_id: str
    oktave_url: str
    oktave_secret: str
    rate: float
    seed: int | None
    state: FieldingState
    push_dir: Path
    poll_s: float = 1.0
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _task: asyncio.Task[None] | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> None:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._task = loop.create_task(self._run())
            ready.set()
            try:
                loop.run_until_complete(self._task)
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - ends with the demo
                pass
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="demo-fieldwork", daemon=True)
        self._thread.start()
        ready.wait(5)

    def stop(self) -> None:
        if self._loop is not None and self._task is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._task.cancel)
        if self._thread is not None:
            self._thread.join(timeout=5)

    async def _run(self) -> None:
        from qtui.qualtrics.client import QualtricsClient
        from qtui.sandbox import oktave

        async with (
            QualtricsClient(self.qualtrics_base_url, self.qualtrics_token, max_retries=2) as client,
            httpx.AsyncClient(timeout=5.0) as http,
        ):
            self.state.note = "waiting for programming to finish and the survey to be pushed"
            survey = await self._push_when_programmed(client)
            emitter = oktave.OktaveEmitter(self.oktave_url, self.oktave_secret, http)
            plan = await asyncio.to_thread(route_answers, survey) if survey else None
            await keep_fielding(
                self.qualtrics,
                client,
                self.rate,
                emitter=emitter,
                seed=self.seed or 0,
                state=self.state,
                poll_s=self.poll_s,
                plan=plan,
            )

    async def _push_when_programmed(self, client: Any) -> Any:
        from qtui.core.models import Survey
        from qtui.qualtrics.push import push_survey
        from qtui.qualtrics.state import PushState
        from qtui.questra.client import QuestraClient

        async with QuestraClient(self.questra_url, self.api_key, self.org_id) as questra:
            while True:
                record = await questra.get_survey(self.survey_id)
                if fielded_survey(self.qualtrics) is not None:
                    return Survey.model_validate(record)  # pushed from the view (P) already
                if record.get("status") in PUSHED_STATUSES:
                    break
                await asyncio.sleep(self.poll_s)
        self.state.note = "pushing the survey to the Qualtrics sandbox"
        state = PushState.load(self.survey_id, client.base_url, directory=self.push_dir)
        survey = Survey.model_validate(record)
        try:
            await push_survey(client, survey, state=state)
        except Exception as exc:  # noqa: BLE001 - shown in the fieldwork screen
            self.state.note = f"push to the Qualtrics sandbox failed: {exc}"
            raise
        return survey


def route_answers(survey: Any) -> FieldworkPlan:
    """A plan whose respondents spread over the survey's routes.

    Each predicted route (from `qtui.core.routes`) is an answer set; routes ending in a
    complete weigh more, and the answers that screen out are given only by respondents
    following a route that asks for them — so completes, screen-outs and quota ends all
    happen, instead of nearly everyone failing some screening question at random.
    """
    from qtui.core.routes import enumerate_routes

    pages = {p.id: p for p in survey.pages}
    weighted = []
    avoid: dict[str, set[str]] = {}
    for plan in enumerate_routes(survey, limit=60, budget=20_000):
        last = pages.get(plan.page_ids[-1]) if plan.page_ids else None
        complete = (
            last is not None
            and last.ends_survey
            and ((last.assign_response_status or "").lower().startswith("complete"))
        )
        weighted.append((dict(plan.answers), 10.0 if complete else 1.0))
        if not complete:
            for tag, value in plan.answers.items():
                values = value if isinstance(value, list) else [value]
                avoid.setdefault(tag, set()).update(str(v) for v in values)
    return FieldworkPlan(
        drop=0.012,
        incident=0.08,
        page_delay=(0.1, 0.6),
        routes=tuple(weighted),
        avoid={tag: frozenset(values) for tag, values in avoid.items()},
    )
