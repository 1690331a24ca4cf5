"""Webhook bodies built by hand, in Questra's shapes (seeds 000 and 001)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

SURVEY = "a1b2c3d4-e5f6-4890-abcd-ef1234567890"
T0 = datetime(2025, 4, 1, 10, 0, 0, tzinfo=UTC)


class Clocked:
    """Hands out increasing timestamps, one second apart, so every write is newer."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def tick(self, seconds: float = 1) -> str:
        self.now += timedelta(seconds=seconds)
        return self.now.isoformat().replace("+00:00", "Z")


def env(event: str, data: dict[str, Any], ts: str) -> dict[str, Any]:
    return {"event": event, "timestamp": ts, "data": data}


def survey(ts: str, status: str = "pending", platform: str | None = None, **extra: Any):
    data = {
        "id": SURVEY,
        "slug": "q4-customer-satisfaction-study",
        "name": "Q4 Customer Satisfaction Study",
        "user_id": "user_abc123",
        "org_id": "c0c1c2c3-d4d5-4678-9abc-def012345678",
        "status": status,
        "target_platform": platform,
        "created_at": "2025-04-01T10:00:00Z",
        "updated_at": ts,
        **extra,
    }
    return env("survey.created" if status == "pending" else "survey.updated", data, ts)


def page(
    ts: str,
    page_id: str,
    name: str,
    order: int,
    *,
    event: str = "page.created",
    started: str | None = None,
    completed: str | None = None,
    **extra: Any,
):
    data = {
        "id": page_id,
        "survey_id": SURVEY,
        "name": name,
        "order": order,
        "locked": False,
        "programming_started_at": started,
        "programming_completed_at": completed,
        "created_at": "2025-04-01T10:00:45Z",
        "updated_at": ts,
        **extra,
    }
    return env(event, data, ts)


def block(
    ts: str,
    block_id: str,
    page_id: str,
    order: int,
    config: dict[str, Any],
    *,
    event: str = "block.created",
):
    data = {
        "id": block_id,
        "page_id": page_id,
        "order": order,
        "config": config,
        "created_at": "2025-04-01T10:00:50Z",
        "updated_at": ts,
    }
    return env(event, data, ts)


def mc(label: str, *choices: tuple[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "type": "MultipleChoice",
        "label": label,
        "choices": [{"value": v, "label": lbl} for v, lbl in choices],
        "allowMultiple": False,
        **extra,
    }


def text(content: str) -> dict[str, Any]:
    return {"type": "Text", "content": content, "content_type": "markdown"}


def rule(
    ts: str,
    rule_id: str,
    source: str,
    target: str,
    condition: str | None,
    order: int = 0,
    *,
    event: str = "navigation_rule.created",
    **extra: Any,
):
    data = {
        "id": rule_id,
        "source_page_id": source,
        "target_page_id": target,
        "condition": condition,
        "order": order,
        "created_at": "2025-04-01T10:01:40Z",
        "updated_at": ts,
        **extra,
    }
    return env(event, data, ts)


def variable(ts: str, var_id: str, name: str, expression: str, *, event: str = "variable.created"):
    data = {
        "id": var_id,
        "survey_id": SURVEY,
        "name": name,
        "expression": expression,
        "updated_at": ts,
    }
    return env(event, data, ts)


def deleted(ts: str, entity: str, item_id: str):
    return env(f"{entity}.deleted", {"id": item_id}, ts)


def programming(ts: str, action: str, status: str | None = None, **extra: Any):
    data: dict[str, Any] = {"survey_id": SURVEY, "file_id": "b9c8d7e6-f5a4-4321-9876-543210fedcba"}
    if status:
        data["status"] = status
    data.update(extra)
    return env(f"programming.{action}", data, ts)


def screener_stream() -> list[dict[str, Any]]:
    """A small survey being programmed: 3 pages, 5 blocks, 2 rules, a variable."""
    c = Clocked()
    out = [survey(c.tick())]
    out.append(programming(c.tick(), "started"))
    out.append(survey(c.tick(), status="programming", platform="qualtrics"))
    t = c.tick()
    out.append(page(t, "p1", "Screener", 0, started=t))
    out.append(block(c.tick(), "b1", "p1", 0, text("Welcome to our **survey**.")))
    out.append(
        block(
            c.tick(),
            "b2",
            "p1",
            1,
            mc("How old are you?", ("1", "Under 18"), ("2", "18-34"), ("3", "35+")),
        )
    )
    out.append(
        block(
            c.tick(),
            "b3",
            "p1",
            2,
            mc(
                "Do you own a car?",
                ("1", "Yes"),
                ("2", "No"),
                showIf="q1.value != '1'",
                attentionRequired={"reason": "Unclear skip logic in source", "dismissed": False},
            ),
        )
    )
    out.append(page(c.tick(), "p2", "Disqualified", 1))
    out.append(page(c.tick(), "p3", "Satisfaction", 2))
    out.append(rule(c.tick(), "r1", "p1", "p2", "q1.value == '1'"))
    out.append(rule(c.tick(), "r2", "p1", "p3", None, 1))
    t = c.tick()
    out.append(
        page(t, "p1", "Screener", 0, event="page.updated", started=out[3]["timestamp"], completed=t)
    )
    out.append(
        block(
            c.tick(),
            "b4",
            "p3",
            0,
            {
                "type": "Matrix",
                "label": "Rate each aspect",
                "rows": [{"value": "a", "label": "Price"}, {"value": "b", "label": "Service"}],
                "columns": [{"value": "1", "label": "Bad"}, {"value": "5", "label": "Good"}],
            },
        )
    )
    out.append(variable(c.tick(), "v1", "isAdult", "q1.value in ['2', '3']"))
    t = c.tick()
    out.append(page(t, "p3", "Satisfaction", 2, event="page.updated", started=t))
    return out


def problem_stream() -> list[dict[str, Any]]:
    """The screener, then two routing problems: a page no route reaches ("Bonus": the rule
    before it always jumps past it) and a rule whose condition does not parse."""
    out = screener_stream()
    c = Clocked(T0.replace(minute=5))
    out.append(page(c.tick(), "p4", "Bonus", 3))
    out.append(page(c.tick(), "p5", "Thanks", 4, assign_response_status="complete"))
    out.append(rule(c.tick(), "r3", "p3", "p5", None))
    out.append(rule(c.tick(), "r4", "p2", "p5", "q2.value == '1' and (q1 = '2'"))
    return out
