"""Request bodies the sandbox accepts, checked with pydantic; a bad one is a 422 naming the field.

Fields left out of an update keep their value; for `condition` and `expression`, an
explicit `null` removes the value (as Questra documents for both).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from qtui.core.models import KNOWN_BLOCK_TYPES, StrictBlockConfig, TargetPlatform
from qtui.sandbox.questra.errors import ApiError, invalid

SURVEY_SLUG = r"^[a-zA-Z][a-zA-Z0-9_-]*[a-zA-Z]$"
VARIABLE_NAME = r"^[a-zA-Z][a-zA-Z0-9_]*[a-zA-Z0-9]$"


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")

    def given(self) -> dict[str, Any]:
        """The fields the client sent, with their values (None included when sent as null)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class AttentionBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    reason: str = ""
    dismissed: bool = False


class SurveyCreate(Body):
    name: str = Field(min_length=1)
    slug: str | None = Field(default=None, pattern=SURVEY_SLUG)
    order: int | None = Field(default=None, ge=0)


class SurveyUpdate(Body):
    name: str | None = Field(default=None, min_length=1)
    slug: str | None = Field(default=None, pattern=SURVEY_SLUG)
    order: int | None = Field(default=None, ge=0)


class DestinationBody(Body):
    target_platform: TargetPlatform
    integration_id: str | None = None
    existing_survey_id: str | None = None


class StartProgramming(Body):
    qa: list[dict[str, Any]] | None = None
    # sandbox extensions: which bundled questionnaire to program, and an injected failure
    questionnaire: str | None = None
    fail: bool | None = None


class PageCreate(Body):
    name: str = Field(min_length=1)
    order: int | None = Field(default=None, ge=0)
    assign_response_status: str | None = None


class PageUpdate(Body):
    name: str | None = Field(default=None, min_length=1)
    order: int | None = Field(default=None, ge=0)
    assign_response_status: str | None = None


class BlockCreate(Body):
    config: dict[str, Any]
    order: int | None = Field(default=None, ge=0)


class BlockUpdate(Body):
    config: dict[str, Any] | None = None
    order: int | None = Field(default=None, ge=0)
    page_id: str | None = None


class VariableCreate(Body):
    name: str = Field(pattern=VARIABLE_NAME)
    expression: str | None = None
    attention_required: AttentionBody | None = None


class VariableUpdate(Body):
    name: str | None = Field(default=None, pattern=VARIABLE_NAME)
    expression: str | None = None


class RuleCreate(Body):
    target_page_id: str
    condition: str | None = None
    order: int | None = Field(default=None, ge=0)


class RuleUpdate(Body):
    source_page_id: str | None = None
    target_page_id: str | None = None
    condition: str | None = None
    order: int | None = Field(default=None, ge=0)


class WebhookCreate(Body):
    url: str = Field(pattern=r"^https?://")
    events: list[str] = Field(default_factory=list)
    description: str | None = None
    # sandbox extension: choose the secret (e.g. one a relay already knows)
    secret: str | None = Field(default=None, min_length=8)


class WebhookUpdate(Body):
    url: str | None = Field(default=None, pattern=r"^https?://")
    events: list[str] | None = None
    description: str | None = None
    active: bool | None = None


# Questra's API refuses a config of the wrong shape (qtui's reader keeps and marks it).
_block_config: TypeAdapter[Any] = TypeAdapter(StrictBlockConfig)


BodyT = TypeVar("BodyT", bound=Body)


def first_error(exc: ValidationError, prefix: str = "") -> ApiError:
    err = exc.errors(include_url=False)[0]
    loc = list(err["loc"])
    if loc and loc[0] in KNOWN_BLOCK_TYPES:  # the union's tag, not a field
        loc = loc[1:]
    path = ".".join(str(part) for part in (prefix, *loc) if part != "")
    return invalid(path or "body", err["msg"])


def parse_body(model: type[BodyT], data: Any) -> BodyT:
    if not isinstance(data, dict):
        raise invalid("body", "expected a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise first_error(exc) from None


def block_config(config: dict[str, Any], field: str = "config") -> dict[str, Any]:
    """A block config checked against qtui's models; unknown block types are refused."""
    kind = config.get("type")
    if kind not in KNOWN_BLOCK_TYPES:
        known = ", ".join(KNOWN_BLOCK_TYPES)
        raise invalid(f"{field}.type", f"unknown block type {kind!r}; expected one of {known}")
    try:
        parsed = _block_config.validate_python(config)
    except ValidationError as exc:
        raise first_error(exc, field) from None
    # keep what was sent (values normalised, e.g. choice values as strings)
    return parsed.dump()
