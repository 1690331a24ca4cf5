"""`QuestraEditor`: sends an `Edit` to Questra's REST API through `QuestraClient`.

Before an update or delete it reads the item back and refuses (`EditConflict`) when it
changed since the form opened; a 4xx becomes `EditRefused` with the platform's message, no
answer or a 5xx after the client's retries becomes `EditUnsent`.
"""

from __future__ import annotations

from typing import Any

from qtui.core.edits import Edit, conflict
from qtui.editing.errors import EditConflict, EditRefused, EditUnsent
from qtui.questra.client import (
    NotFoundError,
    QuestraClient,
    QuestraError,
    RateLimitedError,
    ServerError,
    UnreachableError,
)


class QuestraEditor:
    kind = "questra"
    read_only_reason: str | None = None

    def __init__(self, client: QuestraClient, survey_id: str) -> None:
        self.client = client
        self.survey_id = survey_id

    @classmethod
    def connect(cls, url: str, api_key: str, org_id: str, survey_id: str) -> QuestraEditor:
        return cls(QuestraClient(url, api_key, org_id, max_retries=2, backoff=0.2), survey_id)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def current(self, entity: str, item_id: str) -> dict[str, Any] | None:
        """The item as the server holds it now (None if it is gone)."""
        getters = {
            "survey": self.client.get_survey,
            "page": self.client.get_page,
            "block": self.client.get_block,
            "navigation_rule": self.client.get_rule,
            "variable": self.client.get_variable,
        }
        try:
            return await getters[entity](item_id)
        except NotFoundError:
            return None
        except (UnreachableError, ServerError, RateLimitedError) as error:
            raise EditUnsent(error.message) from error
        except QuestraError as error:
            raise EditRefused(error.message, error.status) from error

    async def send(self, edit: Edit, *, check_conflict: bool = True) -> dict[str, Any] | None:
        """Send one edit; returns the server's answer (None for a delete)."""
        if check_conflict and edit.action != "create" and edit.before and edit.item_id:
            current = await self.current(edit.entity, edit.item_id)
            if conflict(edit.entity, edit.before, current):
                what = "was deleted" if current is None else "changed"
                raise EditConflict(
                    f"this {edit.entity.replace('_', ' ')} {what} on Questra since the form opened",
                    current,
                )
        try:
            return await self._dispatch(edit)
        except (UnreachableError, ServerError, RateLimitedError) as error:
            raise EditUnsent(error.message) from error
        except QuestraError as error:
            field = error.body.get("field") if isinstance(error.body, dict) else None
            raise EditRefused(error.message, error.status, field) from error

    async def _dispatch(self, edit: Edit) -> dict[str, Any] | None:
        c, f, item, parent = self.client, dict(edit.fields), edit.item_id or "", edit.parent_id
        entity, action = edit.entity, edit.action
        if action == "delete":
            deleters = {
                "page": c.delete_page,
                "block": c.delete_block,
                "navigation_rule": c.delete_rule,
                "variable": c.delete_variable,
            }
            if entity not in deleters:
                raise EditRefused(f"a {entity} cannot be deleted from qtui")
            await deleters[entity](item)
            return None
        if action == "create":
            if entity == "page":
                return await c.create_page(
                    parent or self.survey_id,
                    f.get("name", ""),
                    order=f.get("order"),
                    assign_response_status=f.get("assign_response_status"),
                )
            if entity == "block":
                return await c.create_block(parent or "", f.get("config", {}), order=f.get("order"))
            if entity == "navigation_rule":
                return await c.create_rule(
                    parent or "", f["target_page_id"], f.get("condition"), order=f.get("order")
                )
            if entity == "variable":
                return await c.create_variable(
                    parent or self.survey_id, f.get("name", ""), f.get("expression")
                )
            raise EditRefused(f"a {entity} cannot be created from qtui")
        if entity == "survey":
            return await c.update_survey(item, **f)
        if entity == "page":
            return await c.update_page(item, **f)
        if entity == "block":
            return await c.update_block(item, **f)
        if entity == "navigation_rule":
            return await c.update_rule(item, **f)
        return await c.update_variable(item, **f)
