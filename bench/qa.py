"""Route coverage: every route of the screener, on the sandbox and in the local engine.

    python -m bench.qa [--concurrency 4] [--rounds 3]

1. `screener_sessions` (12 pages, MC/TE only) pushed for sessions to the Qualtrics sandbox
   (in a child process, uvicorn on 127.0.0.1), then `--cover` on the platform: plan, walk every
   route through the sessions API, compare. Baseline: a plain `httpx.AsyncClient` sends the
   very session requests the walks sent (recorded once, same bodies, same order within a walk,
   `--concurrency` walks at a time) — the cost of HTTP and the sandbox alone.
2. the full `screener` (29 pages, every block type), pushed as is, `--cover --engine local`:
   the platform's definition walked in the sandbox's engine. Baseline: the same answer sets
   walked with `qtui.sandbox.qualtrics.walk.walk` directly, no planning, mapping or checks.

Prints plan time, walk time, walks/s, requests/s, and the ratio to the baseline (medians
of `--rounds`). Figures only; nothing here passes or fails on time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from bench.processes import SANDBOX_TOKEN, sandbox_process
from qtui.core.models import Survey
from qtui.qa.plan import plan_coverage
from qtui.qa.run import LocalTaker, PageLocator, PlatformTaker, encode_for, run_coverage
from qtui.qualtrics.client import QualtricsClient
from qtui.qualtrics.push import push_survey
from qtui.qualtrics.state import PushState
from qtui.sandbox.qualtrics import QualtricsSandbox
from qtui.sandbox.qualtrics.walk import walk
from qtui.sandbox.questionnaires import load
from qtui.serving import start_in_thread
from tests.qualtrics.surveys import materialize

TOKEN = SANDBOX_TOKEN


class Recorder(httpx.AsyncBaseTransport):
    """Records each session request (method, path, body) per session, then sends it."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.calls: list[tuple[str, str, bytes]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if "/sessions" in request.url.path or "/responses/" in request.url.path:
            self.calls.append((request.method, str(request.url), request.content))
        return await self.inner.handle_async_request(request)


async def platform_round(url: str, survey: Survey, survey_id: str, concurrency: int) -> Any:
    async with QualtricsClient(url, TOKEN) as client:
        started = time.perf_counter()
        definition = await client.get_definition(survey_id)
        plan = plan_coverage(survey)
        planned = time.perf_counter()
        run = await run_coverage(
            plan,
            PageLocator(survey, definition),
            lambda: PlatformTaker(client, survey_id),
            concurrency=concurrency,
        )
        ended = time.perf_counter()
        requests = client.requests_sent
    assert run.exit_code == 0, [r.error or r.divergence for r in run.results]
    return run, planned - started, ended - started, requests


async def bare_round(
    url: str, walks: list[list[tuple[str, str, bytes]]], concurrency: int
) -> float:
    """The recorded session requests of each walk, in order, `concurrency` walks at a time.
    Session ids differ per run: each walk starts its own and substitutes it."""
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(headers={"X-API-TOKEN": TOKEN}) as client:

        async def one(calls: list[tuple[str, str, bytes]]) -> None:
            async with gate:
                method, first, body = calls[0]
                started = await client.request(
                    method, first, content=body, headers={"Content-Type": "application/json"}
                )
                new = started.json()["result"]["sessionId"]
                old = None
                for method, address, body in calls[1:]:
                    if old is None and "/sessions/" in address:
                        old = address.split("/sessions/")[1].split("/")[0]
                    if "/responses/" in address:
                        continue  # the response id differs too; its read is one GET
                    target = address.replace(old, new) if old else address
                    await client.request(
                        method, target, content=body, headers={"Content-Type": "application/json"}
                    )

        begun = time.perf_counter()
        await asyncio.gather(*(one(calls) for calls in walks))
        return time.perf_counter() - begun


def split_by_session(calls: list[tuple[str, str, bytes]]) -> list[list[tuple[str, str, bytes]]]:
    """Recorded one walk at a time: each walk runs from its session's start to the next."""
    walks: list[list[tuple[str, str, bytes]]] = []
    for method, address, body in calls:
        if method == "POST" and address.endswith("/sessions"):
            walks.append([])
        walks[-1].append((method, address, body))
    return walks


async def platform(url: str, concurrency: int, rounds: int) -> None:
    survey = Survey.model_validate(materialize(load("screener_sessions"), "srv-bench-sessions"))
    async with QualtricsClient(url, TOKEN) as client:
        report = await push_survey(
            client, survey, state=PushState.in_memory(survey.id, url), for_sessions=True
        )
    survey_id = report.qualtrics_survey_id
    assert survey_id
    # Record the session traffic once, for the baseline.
    recorder = Recorder()
    async with QualtricsClient(url, TOKEN, transport=recorder) as client:
        definition = await client.get_definition(survey_id)
        await run_coverage(
            plan_coverage(survey),
            PageLocator(survey, definition),
            lambda: PlatformTaker(client, survey_id),
            concurrency=1,
        )
    walks = split_by_session(recorder.calls)
    ours: list[float] = []
    bare: list[float] = []
    for _ in range(rounds):
        run, plan_s, total_s, requests = await platform_round(url, survey, survey_id, concurrency)
        ours.append(total_s)
        bare.append(await bare_round(url, walks, concurrency))
    total = statistics.median(ours)
    baseline = statistics.median(bare)
    walks_n = len(run.results)
    print("screener_sessions on the sandbox (--cover, sessions API)")
    rules = "/".join(map(str, run.plan.totals(run.covered)["rule"]))
    print(
        f"  {walks_n} routes covering rules {rules}, "
        f"plan {plan_s * 1000:.0f} ms, cover {total:.2f} s (median of {rounds})"
    )
    print(
        f"  {walks_n / total:.1f} walks/s, {requests / total:.0f} requests/s ({requests} requests)"
    )
    print(f"  bare httpx, same session requests: {baseline:.2f} s → ratio {total / baseline:.2f}")


def local(rounds: int) -> None:
    survey = Survey.model_validate(materialize(load("screener"), "srv-bench-full"))

    async def pushed() -> tuple[dict[str, Any], str]:
        sandbox = QualtricsSandbox(token=TOKEN)
        server = start_in_thread(Starlette(routes=[Mount("/API/v3", app=sandbox.app)]))
        try:
            async with QualtricsClient(server.url, TOKEN) as client:
                report = await push_survey(
                    client, survey, state=PushState.in_memory(survey.id, server.url)
                )
                assert report.qualtrics_survey_id
                return await client.get_definition(
                    report.qualtrics_survey_id
                ), report.qualtrics_survey_id
        finally:
            server.stop()

    definition, _ = asyncio.run(pushed())
    ours: list[float] = []
    planning: list[float] = []
    bare: list[float] = []
    pages = 0
    for _ in range(rounds):
        started = time.perf_counter()
        plan = plan_coverage(survey)
        locator = PageLocator(survey, definition)
        planning.append(time.perf_counter() - started)
        run = asyncio.run(run_coverage(plan, locator, lambda: LocalTaker(definition)))
        ours.append(time.perf_counter() - started)
        assert run.exit_code == 0, [r.error or r.divergence for r in run.results]
        pages = sum(len(r.visits) for r in run.results)
        begun = time.perf_counter()
        for route in plan.routes:
            answers = route.answers

            def choose(
                session: Any, answers: dict[str, Any] = answers, locator: Any = locator
            ) -> dict[str, Any]:
                out = {}
                for qid in session.page.questions:
                    info = locator.index.get(qid)
                    if info is None or info.kind == "DB":
                        continue
                    value = answers.get(info.tag)
                    if value is not None:
                        out[qid] = encode_for(info, value)
                return out

            walk(definition, choose, strict=False)
        bare.append(time.perf_counter() - begun)
    total = statistics.median(ours)
    baseline = statistics.median(bare)
    print("screener (full) in the local engine (--cover --engine local)")
    walking = total - statistics.median(planning)
    print(
        f"  {len(run.results)} routes, {pages} pages walked, cover {total:.3f} s "
        f"(plan {statistics.median(planning):.3f} s + walks {walking:.3f} s; median of {rounds}), "
        f"{len(run.results) / total:.0f} walks/s, 0 requests"
    )
    print(
        f"  the engine alone, same answer sets: {baseline:.3f} s → ratio {walking / baseline:.2f}"
        " (walks only)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with sandbox_process() as url:
        asyncio.run(platform(url, args.concurrency, args.rounds))
    local(args.rounds)


if __name__ == "__main__":
    main()
