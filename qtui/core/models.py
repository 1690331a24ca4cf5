"""The Questra survey model: surveys, pages, blocks, variables, navigation rules.

Field names follow Questra's payloads exactly (snake_case on resources, camelCase inside
`block.config`). Every model keeps unknown fields (`extra="allow"`), so nothing a newer
Questra sends is lost when qtui saves a survey back; malformed input raises a pydantic
`ValidationError` whose message names the field path.
"""

from __future__ import annotations

import functools
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    GetPydanticSchema,
    SerializerFunctionWrapHandler,
    Tag,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapSerializer,
)
from pydantic_core import CoreConfig, SchemaValidator, core_schema


class SharedFieldsSet(set[str]):
    """The fields set of every instance the fast path (`qtui.core.decoding`) built from the
    same fields: one set for all of them (an instance's own set is most of its memory). A
    model copies it before setting a field; `model_copy` copies it anyway."""


class Model(BaseModel):
    """Base for outside payloads: unknown fields are kept, names are exact."""

    # Schemas are built on first validation or dump: the fast path (`qtui.core.decoding`)
    # builds instances without them, so a replay or a snapshot load may never need one.
    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)

    def __setattr__(self, name: str, value: Any) -> None:
        fields_set = self.__pydantic_fields_set__
        if type(fields_set) is SharedFieldsSet:  # this instance's own, before it changes
            object.__setattr__(self, "__pydantic_fields_set__", set(fields_set))
        super().__setattr__(name, value)

    def dump(self) -> dict[str, Any]:
        """The JSON form, as Questra would send it (None fields that were absent stay absent)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class SurveyStatus(StrEnum):
    PENDING = "pending"
    PROGRAMMING = "programming"
    WAITING_FOR_DESTINATION = "waiting_for_destination"
    COMPILING = "compiling"
    REVIEWING = "reviewing"
    LIVE = "live"
    CLOSED = "closed"


class TargetPlatform(StrEnum):
    DECIPHER = "decipher"
    CONFIRMIT = "confirmit"
    QUALTRICS = "qualtrics"
    ALCHEMER = "alchemer"


class ProgrammingStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class AttentionRequired(Model):
    reason: str = ""
    dismissed: bool = False


def _choice_of_text(value: Any) -> Any:
    """A bare string (or number) where a choice is expected is a choice of that text."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value)
        return {"label": text, "value": text}
    return value


# Questra's choice values are strings ("5"); a number sent by hand means the same.
_CHOICE_TEXT = core_schema.str_schema(coerce_numbers_to_str=True)
_CHOICE_FIELDS = core_schema.no_info_before_validator_function(
    _choice_of_text,
    core_schema.typed_dict_schema(
        {
            "label": core_schema.typed_dict_field(_CHOICE_TEXT, required=False),
            "value": core_schema.typed_dict_field(_CHOICE_TEXT),
        },
        extra_behavior="allow",
    ),
)


class Choice:
    """One item of a choice-like list: `{label, value}` plus any field Questra adds.

    Validates and dumps as a pydantic model with `extra="allow"` would (`value` required,
    `label` defaults to "", a field that was absent stays absent in the dump), but it is a
    slotted object holding the validated fields: a large survey holds a hundred thousand
    choices, and a model instance (its `__dict__` and fields set) cost twice the memory and
    twice the garbage collector's work.
    """

    __slots__ = ("_fields",)
    _validator = SchemaValidator(_CHOICE_FIELDS, CoreConfig(title="Choice"))

    def __init__(self, **fields: Any) -> None:
        self._fields: dict[str, Any] = self._validator.validate_python(fields)

    @classmethod
    def _of(cls, fields: dict[str, Any]) -> Choice:
        """A choice from fields already validated (and owned from now on by the choice)."""
        choice = cls.__new__(cls)
        choice._fields = fields
        return choice

    @classmethod
    def _validate(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Choice:
        # From Python, a Choice passes as it is, as a model instance would.
        return value if isinstance(value, Choice) else cls._of(handler(value))

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.json_or_python_schema(
            json_schema=core_schema.no_info_after_validator_function(cls._of, _CHOICE_FIELDS),
            python_schema=core_schema.no_info_wrap_validator_function(
                cls._validate, _CHOICE_FIELDS
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda choice: choice._fields
            ),
        )

    @property
    def label(self) -> str:
        return self._fields.get("label", "")

    @label.setter
    def label(self, label: str) -> None:
        self._fields["label"] = label

    @property
    def value(self) -> str:
        return self._fields["value"]

    @value.setter
    def value(self, value: str) -> None:
        self._fields["value"] = value

    def __getattr__(self, name: str) -> Any:
        # Unknown fields read as attributes, as on a model (never private names: copy and
        # pickle probe those before `_fields` exists).
        if not name.startswith("_") and name in self._fields:
            return self._fields[name]
        raise AttributeError(f"'Choice' object has no attribute {name!r}")

    def dump(self) -> dict[str, Any]:
        """The JSON form, as Questra would send it."""
        return _choice_adapter().dump_python(self, mode="json")

    def __copy__(self) -> Choice:
        return self._of(dict(self._fields))

    def _all_fields(self) -> dict[str, Any]:
        return {"label": "", **self._fields}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Choice):
            return NotImplemented
        return self._all_fields() == other._all_fields()

    def _shown(self) -> list[str]:
        return [f"{name}={value!r}" for name, value in self._all_fields().items()]

    def __str__(self) -> str:
        return " ".join(self._shown())

    def __repr__(self) -> str:
        return f"Choice({', '.join(self._shown())})"


@functools.cache
def _choice_adapter() -> TypeAdapter[Choice]:
    return TypeAdapter(Choice)  # built on first use: a replay may never dump a choice


# --- block configs -----------------------------------------------------------------------


class BlockConfigBase(Model):
    type: str
    name: str | None = None
    label: str | None = None
    showIf: str | None = None
    attentionRequired: AttentionRequired | None = None
    content_type: str | None = None

    @property
    def is_question(self) -> bool:
        return True

    @property
    def options(self) -> list[Choice]:
        """The choice-like items a respondent picks from, whatever the type calls them."""
        return []

    @property
    def summary(self) -> str:
        """A short human label for trees and lists."""
        return (self.label or getattr(self, "content", None) or "").strip()


class TextConfig(BlockConfigBase):
    type: Literal["Text"] = "Text"
    content: str = ""

    @property
    def is_question(self) -> bool:
        return False


class TextInputConfig(BlockConfigBase):
    type: Literal["TextInput"] = "TextInput"
    placeholder: str | None = None
    multiline: bool = False
    maxLength: int | None = None


class MultipleChoiceConfig(BlockConfigBase):
    type: Literal["MultipleChoice"] = "MultipleChoice"
    choices: list[Choice] = Field(default_factory=list)
    allowMultiple: bool = False

    @property
    def options(self) -> list[Choice]:
        return self.choices


class MatrixConfig(BlockConfigBase):
    type: Literal["Matrix"] = "Matrix"
    rows: list[Choice] = Field(default_factory=list)
    columns: list[Choice] = Field(default_factory=list)
    allowMultiple: bool = False

    @property
    def options(self) -> list[Choice]:
        return self.columns


class InputListConfig(BlockConfigBase):
    type: Literal["InputList"] = "InputList"
    inputs: list[Choice] = Field(default_factory=list)


class CardSortConfig(BlockConfigBase):
    type: Literal["CardSort"] = "CardSort"
    cards: list[Choice] = Field(default_factory=list)
    categories: list[Choice] = Field(default_factory=list)

    @property
    def options(self) -> list[Choice]:
        return self.categories


class RankOrderConfig(BlockConfigBase):
    type: Literal["RankOrder"] = "RankOrder"
    items: list[Choice] = Field(default_factory=list)

    @property
    def options(self) -> list[Choice]:
        return self.items


class AutosumConfig(BlockConfigBase):
    type: Literal["Autosum"] = "Autosum"
    items: list[Choice] = Field(default_factory=list)
    target: float = 100


class LoopConfig(BlockConfigBase):
    type: Literal["Loop"] = "Loop"
    variable: str = ""
    blocks: list[str] = Field(default_factory=list)

    @property
    def is_question(self) -> bool:
        return False


class GenericConfig(BlockConfigBase):
    """A block type this version of qtui does not know: shown and saved, never dropped."""


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class UnparsedConfig(BlockConfigBase):
    """A config whose shape the typed model does not accept: kept as received, never dropped.

    `raw` is the config exactly as it arrived (dumped back unchanged); `problem` is the
    validation message saying what was not understood. The common fields (`type`, `name`,
    `label`, `showIf`) are read from it when they are text, so the block still shows in
    trees and lists under its own name.
    """

    type: str = "?"
    raw: Any = Field(default=None, exclude=True)
    problem: str = Field(default="", exclude=True)

    @classmethod
    def of(cls, raw: Any, problem: str) -> UnparsedConfig:
        fields = raw if isinstance(raw, dict) else {}
        return cls.model_construct(
            type=_text_or_none(fields.get("type")) or "?",
            name=_text_or_none(fields.get("name")),
            label=_text_or_none(fields.get("label")),
            showIf=_text_or_none(fields.get("showIf")),
            content_type=_text_or_none(fields.get("content_type")),
            raw=raw,
            problem=problem,
        )

    @property
    def is_question(self) -> bool:
        return self.type not in ("Text", "Loop")

    @property
    def summary(self) -> str:
        content = self.raw.get("content") if isinstance(self.raw, dict) else None
        return (self.label or _text_or_none(content) or "").strip()

    def dump(self) -> Any:  # type: ignore[override]  # the config as received
        return self.raw


def _problem(exc: ValidationError) -> str:
    """A validation error in one line: the first problem's field path and message."""
    err = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in err["loc"] if part not in _CONFIG_TAGS)
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where + ': ' if where else ''}{err['msg']}{more}"


KNOWN_BLOCK_TYPES: dict[str, type[BlockConfigBase]] = {
    "Text": TextConfig,
    "TextInput": TextInputConfig,
    "MultipleChoice": MultipleChoiceConfig,
    "Matrix": MatrixConfig,
    "InputList": InputListConfig,
    "CardSort": CardSortConfig,
    "RankOrder": RankOrderConfig,
    "Autosum": AutosumConfig,
    "Loop": LoopConfig,
}


def _config_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if kind in KNOWN_BLOCK_TYPES else "generic"


# The typed configs only: what Questra's API accepts (its emulator validates with this).
StrictBlockConfig = Annotated[
    Annotated[TextConfig, Tag("Text")]
    | Annotated[TextInputConfig, Tag("TextInput")]
    | Annotated[MultipleChoiceConfig, Tag("MultipleChoice")]
    | Annotated[MatrixConfig, Tag("Matrix")]
    | Annotated[InputListConfig, Tag("InputList")]
    | Annotated[CardSortConfig, Tag("CardSort")]
    | Annotated[RankOrderConfig, Tag("RankOrder")]
    | Annotated[AutosumConfig, Tag("Autosum")]
    | Annotated[LoopConfig, Tag("Loop")]
    | Annotated[GenericConfig, Tag("generic")],
    Discriminator(_config_tag),
]
_CONFIG_TAGS = {*KNOWN_BLOCK_TYPES, "generic"}


def _unparsed(value: Any, exc: ValidationError) -> UnparsedConfig:
    if not isinstance(value, dict):
        kind = "null" if value is None else type(value).__name__
        return UnparsedConfig.of(value, f"config is {kind}, not an object")
    return UnparsedConfig.of(value, _problem(exc))


def _lenient_config(value: Any) -> Any:
    """What the typed configs did not take: a config instance as it is, an unknown type as
    `GenericConfig`, anything else as an `UnparsedConfig` saying what was wrong."""
    if isinstance(value, BlockConfigBase):
        return value
    try:
        return _strict_config().validate_python(value)
    except ValidationError as exc:
        return _unparsed(value, exc)


def _dump_config(config: Any, handler: SerializerFunctionWrapHandler) -> Any:
    if isinstance(config, UnparsedConfig):
        return config.raw
    return handler(config)


def _config_schema(source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
    # A well-formed config of a known type is picked by its `type` string and validated
    # without a Python call; only the rest (unknown types, malformed configs, instances)
    # goes through `_lenient_config`.
    typed = {tag: handler.generate_schema(model) for tag, model in KNOWN_BLOCK_TYPES.items()}
    return core_schema.union_schema(
        [
            core_schema.tagged_union_schema(typed, discriminator="type"),
            core_schema.no_info_plain_validator_function(_lenient_config),
        ],
        mode="left_to_right",
    )


@functools.cache
def _strict_config() -> TypeAdapter[Any]:
    # Built on first use: only unknown or malformed configs need it.
    return TypeAdapter(StrictBlockConfig)


# A config of a known type that does not validate becomes an `UnparsedConfig`: the block
# stays in the survey, its config kept as received, marked with what was not understood.
BlockConfig = Annotated[
    StrictBlockConfig, GetPydanticSchema(_config_schema), WrapSerializer(_dump_config)
]


# --- resources ---------------------------------------------------------------------------


class Block(Model):
    id: str
    page_id: str | None = None
    order: int = 0
    config: BlockConfig
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def type(self) -> str:
        return self.config.type

    @property
    def is_question(self) -> bool:
        return self.config.is_question


class NavigationRule(Model):
    id: str
    source_page_id: str | None = None
    target_page_id: str | None = None
    condition: str | None = None
    order: int = 0
    attention_required: AttentionRequired | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Variable(Model):
    id: str
    survey_id: str | None = None
    name: str = ""
    expression: str | None = None
    attention_required: AttentionRequired | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


ENDING_STATUSES = frozenset(
    {
        "complete",
        "completed",
        "terminate",
        "terminated",
        "screenout",
        "screened_out",
        "disqualified",
        "over_quota",
        "overquota",
        "quota_full",
    }
)


class Page(Model):
    id: str
    survey_id: str | None = None
    name: str = ""
    order: int = 0
    locked: bool = False
    assign_response_status: str | None = None
    programming_started_at: datetime | None = None
    programming_completed_at: datetime | None = None
    attention_required: AttentionRequired | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    blocks: list[Block] = Field(default_factory=list)
    navigation_rules: list[NavigationRule] = Field(default_factory=list)

    @property
    def ends_survey(self) -> bool:
        """A page that closes the response (Terminate, Complete, Over quota…): routes end here.

        Questra does not document `assign_response_status` values; a page whose status is
        one of `ENDING_STATUSES` ends the survey when reached, its rules are not followed.
        """
        status = (self.assign_response_status or "").strip().lower().replace("-", "_")
        return status in ENDING_STATUSES

    @property
    def programming_state(self) -> Literal["waiting", "programming", "done"]:
        if self.programming_completed_at is not None:
            return "done"
        if self.programming_started_at is not None:
            return "programming"
        return "waiting"


class Survey(Model):
    """A survey: the organisation-level fields and, in its FullSurvey form, its contents."""

    id: str
    slug: str | None = None
    name: str = ""
    user_id: str | None = None
    org_id: str | None = None
    # Known values become enums; a status a newer Questra adds is kept as a plain string.
    status: SurveyStatus | str | None = Field(default=None, union_mode="left_to_right")
    target_platform: TargetPlatform | str | None = Field(default=None, union_mode="left_to_right")
    platform_ir_last_pushed_at: datetime | None = None
    first_page_id: str | None = None
    locked: bool | None = None
    paid_at: datetime | None = None
    programming_started_at: datetime | None = None
    programming_completed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    pages: list[Page] = Field(default_factory=list)
    variables: list[Variable] = Field(default_factory=list)

    def ordered_pages(self) -> list[Page]:
        return sorted(self.pages, key=lambda p: (p.order, p.id))

    def blocks(self) -> list[Block]:
        """Every block, in survey order (pages by order, then blocks by order)."""
        return [
            block
            for page in self.ordered_pages()
            for block in sorted(page.blocks, key=lambda b: (b.order, b.id))
        ]

    def rules(self) -> list[NavigationRule]:
        return [rule for page in self.ordered_pages() for rule in page.navigation_rules]

    def page(self, page_id: str) -> Page | None:
        return next((p for p in self.pages if p.id == page_id), None)


def reference_names(survey: Survey) -> dict[str, str]:
    """Block id → the name expressions use for its answer (`q1`, `age`, …).

    The rule: `config.name` when the block has one; otherwise `q{n}`, where n numbers the
    question blocks (every type but Text and Loop) from 1 in survey order. A named block
    still takes its number, so naming one block never renumbers the others.
    """
    names: dict[str, str] = {}
    n = 0
    for block in survey.blocks():
        if not block.is_question:
            if block.config.name:
                names[block.id] = block.config.name
            continue
        n += 1
        names[block.id] = block.config.name or f"q{n}"
    return names
