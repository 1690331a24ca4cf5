"""How the sample streams in this package are made; `scripts/make_samples.py` writes them.

* `seed-events.jsonl` — the example events of Questra's webhook documentation, verbatim,
  in document order (organisation events, then survey events), one envelope per line.
* `screener-run.jsonl` — every webhook body a subscriber received while the sandbox
  programmed the screener questionnaire, then while a user made three edits (renamed a
  page, deleted a block, deleted a rule); one body per line, exactly as received.

Both are deterministic: the run uses a fixed seed and a fixed clock (time moves only by the
simulator's pauses), so regenerating gives the same bytes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from qtui.questra.client import QuestraClient
from qtui.questra.signing import verify
from qtui.sandbox.questra import QuestraSandbox
from qtui.serving import serving

SEED_EVENTS_FILE = "seed-events.jsonl"
SCREENER_RUN_FILE = "screener-run.jsonl"

RUN_SEED = 0
RUN_START = datetime(2025, 4, 1, 10, 0, tzinfo=UTC)
RUN_SECRET = "sample_webhook_secret"
RUN_SURVEY_NAME = "Streaming Services Brand Study – Screener"

# Verbatim from the documentation's examples (field order kept).
SEED_EVENTS: list[dict[str, Any]] = [
    {
        "event": "survey.created",
        "timestamp": "2025-04-01T10:00:00Z",
        "data": {
            "id": "a1b2c3d4-e5f6-4890-abcd-ef1234567890",
            "slug": "q4-customer-satisfaction-study",
            "name": "Q4 Customer Satisfaction Study",
            "user_id": "user_abc123",
            "org_id": "c0c1c2c3-d4d5-4678-9abc-def012345678",
            "status": "pending",
            "target_platform": None,
            "created_at": "2025-04-01T10:00:00Z",
            "updated_at": "2025-04-01T10:00:00Z",
        },
    },
    {
        "event": "survey.updated",
        "timestamp": "2025-04-01T10:04:12Z",
        "data": {
            "id": "a1b2c3d4-e5f6-4890-abcd-ef1234567890",
            "slug": "q4-customer-satisfaction-study",
            "name": "Q4 Customer Satisfaction Study",
            "user_id": "user_abc123",
            "org_id": "c0c1c2c3-d4d5-4678-9abc-def012345678",
            "status": "reviewing",
            "target_platform": "decipher",
            "platform_ir_last_pushed_at": "2025-04-01T10:04:12Z",
            "created_at": "2025-04-01T10:00:00Z",
            "updated_at": "2025-04-01T10:04:12Z",
        },
    },
    {
        "event": "survey.deleted",
        "timestamp": "2025-04-01T11:00:00Z",
        "data": {"id": "a1b2c3d4-e5f6-4890-abcd-ef1234567890"},
    },
    {
        "event": "programming.started",
        "timestamp": "2025-04-01T10:00:10Z",
        "data": {
            "survey_id": "a1b2c3d4-e5f6-4890-abcd-ef1234567890",
            "file_id": "b9c8d7e6-f5a4-4321-9876-543210fedcba",
        },
    },
    {
        "event": "programming.finished",
        "timestamp": "2025-04-01T10:02:34Z",
        "data": {
            "survey_id": "a1b2c3d4-e5f6-4890-abcd-ef1234567890",
            "file_id": "b9c8d7e6-f5a4-4321-9876-543210fedcba",
            "status": "completed",
        },
    },
    {
        "event": "page.created",
        "timestamp": "2025-04-01T10:00:45Z",
        "data": {
            "id": "d1e2f3a4-b5c6-7890-defa-012345678901",
            "survey_id": "a1b2c3d4-e5f6-4890-abcd-ef1234567890",
            "name": "Screener",
            "order": 0,
            "locked": False,
            "programming_started_at": None,
            "programming_completed_at": None,
            "created_at": "2025-04-01T10:00:45Z",
            "updated_at": "2025-04-01T10:00:45Z",
        },
    },
    {
        "event": "page.deleted",
        "timestamp": "2025-04-01T10:01:00Z",
        "data": {"id": "d1e2f3a4-b5c6-7890-defa-012345678901"},
    },
    {
        "event": "block.created",
        "timestamp": "2025-04-01T10:00:50Z",
        "data": {
            "id": "e2f3a4b5-c6d7-8901-efab-123456789012",
            "page_id": "d1e2f3a4-b5c6-7890-defa-012345678901",
            "order": 0,
            "config": {
                "type": "MultipleChoice",
                "label": "How satisfied are you with our service?",
                "choices": [
                    {"label": "Very satisfied", "value": "5"},
                    {"label": "Satisfied", "value": "4"},
                    {"label": "Neutral", "value": "3"},
                    {"label": "Dissatisfied", "value": "2"},
                    {"label": "Very dissatisfied", "value": "1"},
                ],
                "allowMultiple": False,
            },
            "created_at": "2025-04-01T10:00:50Z",
            "updated_at": "2025-04-01T10:00:50Z",
        },
    },
    {
        "event": "block.deleted",
        "timestamp": "2025-04-01T10:01:10Z",
        "data": {"id": "e2f3a4b5-c6d7-8901-efab-123456789012"},
    },
    {
        "event": "variable.created",
        "timestamp": "2025-04-01T10:01:20Z",
        "data": {
            "id": "f3a4b5c6-d7e8-9012-fabc-234567890123",
            "survey_id": "a1b2c3d4-e5f6-4890-abcd-ef1234567890",
            "name": "satisfaction_score",
            "expression": "q1.value",
        },
    },
    {
        "event": "variable.deleted",
        "timestamp": "2025-04-01T10:01:30Z",
        "data": {"id": "f3a4b5c6-d7e8-9012-fabc-234567890123"},
    },
    {
        "event": "navigation_rule.created",
        "timestamp": "2025-04-01T10:01:40Z",
        "data": {
            "id": "a4b5c6d7-e8f9-0123-abcd-345678901234",
            "source_page_id": "d1e2f3a4-b5c6-7890-defa-012345678901",
            "target_page_id": "e2f3a4b5-c6d7-8901-efab-123456789012",
            "condition": "q1.value == '1'",
            "order": 0,
            "sourcePage": {
                "id": "d1e2f3a4-b5c6-7890-defa-012345678901",
                "survey_id": "a1b2c3d4-e5f6-4890-abcd-ef1234567890",
                "name": "Screener",
                "order": 0,
                "locked": False,
                "programming_started_at": None,
                "programming_completed_at": None,
                "created_at": "2025-04-01T10:00:45Z",
                "updated_at": "2025-04-01T10:00:45Z",
            },
            "targetPage": {
                "id": "e2f3a4b5-c6d7-8901-efab-123456789012",
                "survey_id": "a1b2c3d4-e5f6-4890-abcd-ef1234567890",
                "name": "Disqualified",
                "order": 1,
                "locked": False,
                "programming_started_at": None,
                "programming_completed_at": None,
                "created_at": "2025-04-01T10:00:46Z",
                "updated_at": "2025-04-01T10:00:46Z",
            },
        },
    },
    {
        "event": "navigation_rule.deleted",
        "timestamp": "2025-04-01T10:01:50Z",
        "data": {"id": "a4b5c6d7-e8f9-0123-abcd-345678901234"},
    },
]


def line(envelope: dict[str, Any]) -> bytes:
    """One JSON-lines record: compact, UTF-8, no newline inside."""
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def seed_event_lines() -> list[bytes]:
    return [line(event) for event in SEED_EVENTS]


@dataclass
class ScreenerRun:
    bodies: list[bytes]  # webhook bodies in the order they arrived
    survey: dict[str, Any]  # the sandbox's own FullSurvey at the end


async def screener_run() -> ScreenerRun:
    """Program the screener on a sandbox and record what a webhook receiver gets."""
    bodies: list[bytes] = []
    forged: list[bytes] = []

    async def receive(request: Request) -> Response:
        body = await request.body()
        if not verify(body, RUN_SECRET, request.headers.get("X-Questra-Signature")):
            forged.append(body)
            return Response("bad signature", status_code=401)
        bodies.append(body)
        return Response(status_code=204)

    receiver = Starlette(routes=[Route("/hooks/questra", receive, methods=["POST"])])
    sandbox = QuestraSandbox(
        "qk_samples",
        "org_samples",
        speed=math.inf,
        seed=RUN_SEED,
        clock=lambda: RUN_START,
        virtual_time=True,
        delivery_timeout=10,
        retry_delays=(0.05, 0.1),
    )
    async with (
        serving(receiver) as hooks,
        serving(sandbox.app) as server,
        QuestraClient(server.url, sandbox.api_key, sandbox.org_id) as questra,
    ):
        await questra.create_webhook(f"{hooks.url}/hooks/questra", secret=RUN_SECRET)
        survey = await questra.create_survey(RUN_SURVEY_NAME)
        await questra.set_destination(
            survey["id"], "qualtrics", integration_id="int_sample_qualtrics"
        )
        await questra.start_programming(survey["id"])
        if not await sandbox.drain(60):
            raise RuntimeError("the simulated programming run did not finish within 60 s")
        await _edit_like_a_user(questra, survey["id"])
        if not await sandbox.drain(30):
            raise RuntimeError("the edits' webhooks were not delivered within 30 s")
        final = await questra.get_survey(survey["id"])
    if forged:
        raise RuntimeError(f"{len(forged)} deliveries failed signature verification")
    return ScreenerRun(bodies, final)


async def _edit_like_a_user(questra: QuestraClient, survey_id: str) -> None:
    pages = {page["name"]: page for page in await questra.list_pages(survey_id)}
    intro = pages["Introduction"]
    await questra.update_page(intro["id"], name="Welcome")
    privacy = intro["blocks"][-1]
    await questra.delete_block(privacy["id"])
    # the rule from "Final thoughts" to "Complete" only restates the page order
    redundant = pages["Final thoughts"]["navigation_rules"][0]
    await questra.delete_rule(redundant["id"])


def write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(item + b"\n" for item in lines))


async def write_all(directory: Path) -> dict[str, int]:
    """Write both samples into `directory`; returns the number of lines of each."""
    seed_lines = seed_event_lines()
    write_lines(directory / SEED_EVENTS_FILE, seed_lines)
    run = await screener_run()
    write_lines(directory / SCREENER_RUN_FILE, run.bodies)
    return {SEED_EVENTS_FILE: len(seed_lines), SCREENER_RUN_FILE: len(run.bodies)}
