"""Push a large generated survey to the Qualtrics sandbox over loopback, then walk it.

    python -m bench.push [--pages 1000] [--per-page 21] [--concurrency 4] [--rounds 3]

The sandbox runs in a child process (uvicorn on 127.0.0.1), so client and server do not
share one interpreter lock. Prints: compile time, push time, requests and requests/s, an
unchanged re-push, and a scripted walkthrough through the sessions API (time per page).

Beside the push, a bare baseline: a plain `httpx.AsyncClient` sends the very requests the
push sent (recorded once, same bodies, same order, `--concurrency` at a time) to the same
sandbox. Rounds alternate push and baseline; the medians and their ratio are printed.
Figures only; nothing here passes or fails on time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.processes import SANDBOX_TOKEN, sandbox_process
from qtui.core.models import Survey
from qtui.qualtrics.client import QualtricsClient
from qtui.qualtrics.compile import compile_survey
from qtui.qualtrics.errors import QualtricsError
from qtui.qualtrics.push import push_survey
from qtui.qualtrics.session import SessionDriver, walkthrough
from qtui.qualtrics.state import PushState

CHOICES = [
    {"value": "1", "label": "Yes"},
    {"value": "2", "label": "No"},
    {"value": "3", "label": "Skip ahead"},
]
MULTI = [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}, {"value": "c", "label": "C"}]


def generate(pages: int, per_page: int) -> dict[str, Any]:
    """MC (single and multi) and TE blocks only, so the sessions API can walk all of it.

    Page 1 terminates on "No"; every tenth page skips the next one when its first question
    is "Skip ahead"; every fifth question after the first on a page shows only if the
    page's first question was not "No".
    """
    out_pages: list[dict[str, Any]] = []
    n = 0
    for p in range(pages):
        pid = f"p{p}"
        blocks = []
        first_name = f"q{n + 1}"
        for b in range(per_page):
            n += 1
            kind = b % 3
            config: dict[str, Any] = {"name": f"q{n}", "label": f"Page {p + 1}, question {b + 1}"}
            if kind == 0:
                config.update(type="MultipleChoice", choices=CHOICES)
            elif kind == 1:
                config.update(type="TextInput")
            else:
                config.update(type="MultipleChoice", choices=MULTI, allowMultiple=True)
            if b and b % 5 == 0:
                config["showIf"] = f"{first_name}.value != '2'"
            blocks.append({"id": f"{pid}-b{b}", "page_id": pid, "order": b, "config": config})
        rules = []
        if p == 0:
            rules.append(
                {
                    "id": "r-term",
                    "target_page_id": "p-term",
                    "condition": f"{first_name}.value == '2'",
                    "order": 0,
                }
            )
        elif p % 10 == 0 and p + 2 < pages:
            rules.append(
                {
                    "id": f"r{p}",
                    "target_page_id": f"p{p + 2}",
                    "condition": f"{first_name}.value == '3'",
                    "order": 0,
                }
            )
        out_pages.append(
            {
                "id": pid,
                "name": f"Page {p + 1}",
                "order": p,
                "blocks": blocks,
                "navigation_rules": rules,
            }
        )
    out_pages.append(
        {
            "id": "p-done",
            "name": "Complete",
            "order": pages,
            "assign_response_status": "complete",
            "blocks": [
                {
                    "id": "b-done",
                    "page_id": "p-done",
                    "order": 0,
                    "config": {"type": "Text", "content": "Thank you!"},
                }
            ],
        }
    )
    out_pages.append(
        {
            "id": "p-term",
            "name": "Terminate",
            "order": pages + 1,
            "assign_response_status": "terminated",
            "blocks": [
                {
                    "id": "b-term",
                    "page_id": "p-term",
                    "order": 0,
                    "config": {"type": "Text", "content": "Sorry."},
                }
            ],
        }
    )
    return {
        "id": "bench-large",
        "name": "Bench: large survey",
        "first_page_id": "p0",
        "pages": out_pages,
        "variables": [],
    }


def answers_for(survey: Survey) -> dict[str, Any]:
    """Yes to every single choice (no skips), A to every multi, text everywhere."""
    answers: dict[str, Any] = {}
    for block in survey.blocks():
        config = block.config
        if config.type == "MultipleChoice":
            answers[config.name] = ["a"] if getattr(config, "allowMultiple", False) else "1"
        elif config.type == "TextInput":
            answers[config.name] = "some text"
    return answers


TOKEN = SANDBOX_TOKEN


Recorded = list[tuple[str, str, Any]]


async def push_once(
    url: str, survey: Survey, concurrency: int, recorded: Recorded | None = None
) -> tuple[float, int]:
    """A fresh push (new Qualtrics survey); (seconds, requests). Optionally records requests."""
    with tempfile.TemporaryDirectory() as folder:
        async with QualtricsClient(url, TOKEN, timeout=120.0) as client:
            if recorded is not None:

                async def keep(request: httpx.Request) -> None:
                    body = json.loads(request.content) if request.content else None
                    recorded.append((request.method, str(request.url), body))

                client._http.event_hooks["request"].append(keep)
            state = PushState.load(survey.id, client.base_url, directory=Path(folder))
            report = await push_survey(client, survey, state=state, concurrency=concurrency)
    return report.duration, report.requests


async def raw_once(recorded: Recorded, concurrency: int) -> tuple[float, int]:
    """The recorded requests again, from a bare httpx client; (seconds, non-2xx answers).

    Bodies are JSON-encoded per request as any client has to; answers are read and decoded.
    """
    failures = 0
    position = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"X-API-TOKEN": TOKEN, "Accept": "application/json"}
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=120.0) as client:

        async def lane() -> None:
            nonlocal position, failures
            while position < len(recorded):
                method, target, body = recorded[position]
                position += 1
                response = await client.request(method, target, json=body)
                response.json()
                failures += response.status_code >= 300

        started = time.perf_counter()
        await asyncio.gather(*(lane() for _ in range(concurrency)))
        return time.perf_counter() - started, failures


async def compare(url: str, survey: Survey, concurrency: int, rounds: int) -> None:
    recorded: Recorded = []
    await push_once(url, survey, concurrency, recorded)  # also the warm-up
    ours: list[float] = []
    bare: list[float] = []
    for n in range(rounds):
        took, requests = await push_once(url, survey, concurrency)
        ours.append(requests / took)
        took, failures = await raw_once(recorded, concurrency)
        bare.append(len(recorded) / took)
        print(
            f"  round {n + 1}: push {ours[-1]:.0f} requests/s, bare httpx {bare[-1]:.0f}"
            f" requests/s ({failures} non-2xx)"
        )
    mine, base = statistics.median(ours), statistics.median(bare)
    paired = statistics.median(o / b for o, b in zip(ours, bare, strict=True))
    print(
        f"push vs bare client: {mine:.0f} vs {base:.0f} requests/s (medians of {rounds}), "
        f"ratio {mine / base:.2f}; median of the rounds' ratios {paired:.2f}"
    )


async def run(url: str, pages: int, per_page: int, concurrency: int, rounds: int = 3) -> None:
    data = generate(pages, per_page)
    survey = Survey.model_validate(data)
    question_blocks = sum(1 for b in survey.blocks() if b.is_question)
    print(f"survey: {len(survey.pages)} pages, {question_blocks} MC/TE blocks")

    started = time.perf_counter()
    compiled = compile_survey(survey)
    print(
        f"compile: {time.perf_counter() - started:.2f} s "
        f"({len(compiled.question_list())} questions, {len(compiled.blocks)} blocks, "
        f"{compiled.flow['Properties']['Count']} flow elements, "
        f"{len(compiled.issues)} issues)"
    )

    with tempfile.TemporaryDirectory() as folder:
        async with QualtricsClient(url, TOKEN, timeout=120.0) as client:
            state = PushState.load(survey.id, client.base_url, directory=Path(folder))
            report = await push_survey(client, survey, state=state, concurrency=concurrency)
            print(
                f"push: {report.duration:.2f} s, {report.requests} requests, "
                f"{report.requests / report.duration:.0f} requests/s, "
                f"created {report.created}, concurrency {concurrency}"
            )
            state = PushState.load(survey.id, client.base_url, directory=Path(folder))
            again = await push_survey(client, survey, state=state)
            print(f"re-push, nothing changed: {again.duration:.2f} s, {again.requests} requests")

            driver = SessionDriver(client, report.qualtrics_survey_id or "")
            await driver.questions()  # the definition is read once, outside the timing
            started = time.perf_counter()
            try:
                walk = await walkthrough(driver, answers_for(survey))
            except QualtricsError as exc:
                print(f"walkthrough: not run ({exc})")
            else:
                took = time.perf_counter() - started
                count = len(walk.steps)
                print(
                    f"walkthrough: {count} pages in {took:.2f} s, "
                    f"{took / count * 1000:.1f} ms per page ({walk.end_reason})"
                )
    if rounds:
        await compare(url, survey, concurrency, rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--per-page", type=int, default=21)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="push vs bare client rounds")
    args = parser.parse_args()
    with sandbox_process() as url:
        asyncio.run(run(url, args.pages, args.per_page, args.concurrency, args.rounds))


if __name__ == "__main__":
    main()
