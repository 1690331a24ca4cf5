"""Build valid Questra event streams for tests: one clock, strictly increasing versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any


class StreamBuilder:
    def __init__(self, survey_id: str = "s1") -> None:
        self.survey_id = survey_id
        self.events: list[dict[str, Any]] = []
        self._now = datetime(2025, 4, 1, 10, 0, tzinfo=UTC)
        self._created: dict[str, str] = {}

    def _tick(self) -> str:
        self._now += timedelta(seconds=1)
        return self._now.isoformat().replace("+00:00", "Z")

    def emit(self, event: str, data: dict[str, Any]) -> dict[str, Any]:
        stamp = self._tick()
        body = {"event": event, "timestamp": stamp, "data": data}
        self.events.append(body)
        return body

    def _stamped(self, item_id: str, data: dict[str, Any]) -> dict[str, Any]:
        stamp = self._tick()
        self._now -= timedelta(seconds=1)  # emit() ticks again to the same second
        created = self._created.setdefault(item_id, stamp)
        return {**data, "created_at": created, "updated_at": stamp}

    def survey(self, action: str = "created", **fields: Any) -> None:
        data = {
            "id": self.survey_id,
            "slug": "study",
            "name": "Study",
            "status": "pending",
            "target_platform": None,
            **fields,
        }
        self.emit(f"survey.{action}", self._stamped(self.survey_id, data))

    def page(self, page_id: str, order: int, action: str = "created", **fields: Any) -> None:
        data = {
            "id": page_id,
            "survey_id": self.survey_id,
            "name": f"Page {page_id}",
            "order": order,
            "locked": False,
            "programming_started_at": None,
            "programming_completed_at": None,
            **fields,
        }
        self.emit(f"page.{action}", self._stamped(page_id, data))

    def block(
        self, block_id: str, page_id: str, order: int, action: str = "created", **config: Any
    ) -> None:
        cfg = {
            "type": "MultipleChoice",
            "label": f"Question {block_id}",
            "choices": [{"label": "Yes", "value": "1"}, {"label": "No", "value": "2"}],
            "allowMultiple": False,
            **config,
        }
        data = {"id": block_id, "page_id": page_id, "order": order, "config": cfg}
        self.emit(f"block.{action}", self._stamped(block_id, data))

    def rule(
        self,
        rule_id: str,
        source: str,
        target: str,
        condition: str | None,
        order: int = 0,
        action: str = "created",
    ) -> None:
        data = {
            "id": rule_id,
            "source_page_id": source,
            "target_page_id": target,
            "condition": condition,
            "order": order,
        }
        self.emit(f"navigation_rule.{action}", self._stamped(rule_id, data))

    def variable(self, var_id: str, name: str, expression: str, action: str = "created") -> None:
        self.emit(
            f"variable.{action}",
            {"id": var_id, "survey_id": self.survey_id, "name": name, "expression": expression},
        )

    def delete(self, entity: str, item_id: str) -> None:
        self.emit(f"{entity}.deleted", {"id": item_id})


def programming_run() -> list[dict[str, Any]]:
    """A realistic run: pages, blocks, rules, variables, updates, a move and deletes."""
    s = StreamBuilder()
    s.survey()
    s.emit("programming.started", {"survey_id": "s1", "file_id": "f1"})
    s.survey("updated", status="programming")
    for p in range(4):
        s.page(f"p{p}", p, programming_started_at="2025-04-01T10:00:00Z")
        for b in range(3):
            s.block(f"p{p}b{b}", f"p{p}", b)
        s.page(
            f"p{p}",
            p,
            "updated",
            programming_started_at="2025-04-01T10:00:00Z",
            programming_completed_at="2025-04-01T10:01:00Z",
        )
    s.rule("r1", "p0", "p3", "q1.value == '2'")
    s.variable("v1", "said_yes", "q1.value == '1'")
    s.block("p1b0", "p1", 0, "updated", label="Reworded question")
    s.block("p2b2", "p3", 5, "updated")  # moved to another page
    s.delete("block", "p0b2")
    s.variable("v1", "said_yes", "q1.value in ['1']", "updated")
    s.page("p9", 9)
    s.block("p9b0", "p9", 0)
    s.delete("page", "p9")
    s.emit("programming.finished", {"survey_id": "s1", "file_id": "f1", "status": "completed"})
    s.survey(
        "updated",
        status="reviewing",
        target_platform="qualtrics",
        platform_ir_last_pushed_at="2025-04-01T10:05:00Z",
    )
    return s.events
