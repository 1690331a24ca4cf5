"""Typed shapes of the Qualtrics results qtui reads field by field.

Unknown fields are kept (`extra="allow"`); where sources disagree on a name (`questionId` vs
`questionID`, `options` as an object or a list) both are read.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator


class Payload(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class SurveyCreated(Payload):
    SurveyID: str
    DefaultBlockID: str | None = None


class BlockCreated(Payload):
    BlockID: str
    FlowID: str | None = None


class VersionMetadata(Payload):
    versionID: str
    versionNumber: int | None = None
    description: str | None = None
    surveyID: str | None = None
    published: bool | None = None
    creationDate: str | None = None

    @field_validator("versionID", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class SessionChoice(Payload):
    choiceId: str = Field(validation_alias=AliasChoices("choiceId", "choiceID", "id"))
    display: str = ""

    @field_validator("choiceId", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class SessionQuestionOptions(Payload):
    columnLabels: list[Any] = Field(default_factory=list)
    multiSelect: bool = False


class SessionQuestion(Payload):
    questionId: str = Field(validation_alias=AliasChoices("questionId", "questionID"))
    type: str = ""
    display: str = ""
    choices: list[SessionChoice] = Field(default_factory=list)
    options: SessionQuestionOptions = Field(default_factory=SessionQuestionOptions)

    @field_validator("options", mode="before")
    @classmethod
    def _options_object(cls, value: object) -> object:
        # One real client types `options` as a list; nothing useful is in it then.
        return value if isinstance(value, dict) else {}

    @field_validator("choices", mode="before")
    @classmethod
    def _choices_list(cls, value: object) -> object:
        if isinstance(value, dict):  # {"1": {"display": ...}} → [{"choiceId": "1", ...}]
            return [{"choiceId": k, **(v if isinstance(v, dict) else {})} for k, v in value.items()]
        return value if value is not None else []


class SessionState(Payload):
    """A session's result: the current page's questions, or `done` and the response id."""

    sessionId: str | None = None
    questions: list[SessionQuestion] = Field(default_factory=list)
    embeddedData: dict[str, Any] = Field(default_factory=dict)
    responses: dict[str, Any] = Field(default_factory=dict)
    done: bool = False
    responseId: str | None = None

    @field_validator("embeddedData", "responses", mode="before")
    @classmethod
    def _mapping(cls, value: object) -> object:
        return value if isinstance(value, dict) else {}
