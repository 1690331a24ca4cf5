"""The fast path from JSON to the survey models: msgspec checks the shape, qtui builds.

Validating every webhook body and every FullSurvey snapshot with pydantic costs more than
everything else qtui does with them. This module decodes the JSON once with msgspec (to
plain dicts and lists, three times faster than `json.loads`), checks it against msgspec
`Struct`s generated from the pydantic models in `qtui.core.models` (the block config a
tagged union on its `type` string), and builds the pydantic instances directly: the
fields as received (unknown ones kept as extras, as `extra="allow"` does), dates and
numbers as msgspec converted them, the defaults for what was absent.

msgspec is stricter than pydantic's lax mode (a number where text is expected, a date
without a time zone's format, an unknown block type, a config the typed model rejects):
whatever it does not accept is left to the pydantic models, which either take it (a
`GenericConfig`, an `UnparsedConfig`, a coerced value) or say precisely what is wrong.
So the result is always the one pydantic gives; only the time to get there differs.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

import msgspec
from pydantic import BaseModel

from qtui.core.models import KNOWN_BLOCK_TYPES, Block, Choice

__all__ = ["decode_json", "envelope_of", "model_of", "validated"]

# JSON text or bytes to dicts, lists, str, int, float, bool and None.
decode_json: Callable[[bytes | str], Any] = msgspec.json.Decoder().decode

M = TypeVar("M", bound=BaseModel)

_new = object.__new__
_set = object.__setattr__

# A field is taken as msgspec converted it unless it holds a model (built in turn), a
# choice list (each one a `Choice`), a block config or an enum.
_AS_IS, _MODEL, _MODELS, _CHOICES, _CONFIG, _ENUM = range(6)


class _Choice(msgspec.Struct):
    value: str
    label: str = ""


def _metadata_says_left_to_right(info: Any) -> bool:
    return any(getattr(item, "union_mode", None) == "left_to_right" for item in info.metadata)


def _options(annotation: Any) -> tuple[Any, ...]:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return typing.get_args(annotation)
    return (annotation,)


class _Shape:
    """One pydantic model's msgspec `Struct` and a function building the model from both.

    The `Struct` has the model's fields and defaults, so its fields are the model's values
    but for those holding models, choices or enums, which the builder makes from the
    decoded JSON. The builder is generated source, like a dataclass's `__init__`: one
    straight function per model, no loop over fields.
    """

    def __init__(self, model: type[BaseModel], tag: str | None = None) -> None:
        self.model = model
        struct_fields: list[tuple[str, Any, Any]] = []
        lines: list[str] = []
        names: dict[str, Any] = {
            "asdict": msgspec.structs.asdict,
            "new": _new,
            "setattr": _set,
            "model": model,
            "fields": frozenset(model.model_fields),
            "choice": Choice._of,
            "configs": _config_builders,
            "extra_of": _extra_of,
        }
        for name, info in model.model_fields.items():
            if tag is not None and name == "type":
                lines.append(f"    values['type'] = {tag!r}")
                continue  # the tag: msgspec checks it, the dict holds it
            kind, struct_type, how = self._kind(info)
            if info.default_factory is not None:
                default = msgspec.field(default_factory=info.default_factory)  # type: ignore[arg-type]
            elif info.is_required():
                default = msgspec.NODEFAULT
            else:
                default = info.default
            struct_fields.append((name, struct_type, default))
            names[f"build_{name}"] = how
            if kind == _CHOICES:
                lines.append(f"    if {name!r} in data:")
                lines.append(f"        values[{name!r}] = list(map(choice, data[{name!r}]))")
            elif kind == _CONFIG:
                lines.append(f"    config = data[{name!r}]")
                lines.append(f"    values[{name!r}] = configs[config['type']](config, s.{name})")
            elif kind == _MODEL:
                lines.append(f"    if s.{name} is not None:")
                lines.append(f"        values[{name!r}] = build_{name}(data[{name!r}], s.{name})")
            elif kind == _MODELS:
                lines.append(f"    if {name!r} in data:")
                lines.append(
                    f"        values[{name!r}] = list(map(build_{name}, data[{name!r}], s.{name}))"
                )
            elif kind == _ENUM:
                lines.append(f"    if s.{name} is not None:")
                lines.append(f"        values[{name!r}] = build_{name}.get(s.{name}, s.{name})")
        options: dict[str, Any] = {"tag_field": "type", "tag": tag} if tag else {}
        self.struct = msgspec.defstruct(
            f"{model.__name__}Shape", struct_fields, kw_only=True, **options
        )
        source = "\n".join(
            [
                "def build(data, s):",
                "    values = asdict(s)",
                *lines,
                "    made = new(model)",
                "    setattr(made, '__dict__', values)",
                "    setattr(made, '__pydantic_fields_set__', set(data))",
                "    setattr(made, '__pydantic_extra__',"
                " {} if data.keys() <= fields else extra_of(data, fields))",
                "    setattr(made, '__pydantic_private__', None)",
                "    return made",
            ]
        )
        exec(compile(source, f"<{model.__name__} builder>", "exec"), names)  # noqa: S102
        self.build: Callable[[dict[str, Any], Any], BaseModel] = names["build"]

    @staticmethod
    def _kind(info: Any) -> tuple[int, Any, Any]:
        annotation = info.annotation
        if annotation is Block.model_fields["config"].annotation:
            return _CONFIG, _config_union(), None
        options = _options(annotation)
        optional = type(None) in options
        inner = [o for o in options if o is not type(None)]
        none = (type(None),) if optional else ()
        first = inner[0]
        if len(inner) == 1 and isinstance(first, type) and issubclass(first, BaseModel):
            shape = _shape(first)
            return _MODEL, typing.Union[(shape.struct, *none)], shape.build  # noqa: UP007
        if typing.get_origin(first) is list:
            (item,) = typing.get_args(first)
            if item is Choice:
                return _CHOICES, list[_Choice], None
            if isinstance(item, type) and issubclass(item, BaseModel):
                shape = _shape(item)
                return _MODELS, list[shape.struct], shape.build  # type: ignore[name-defined]
            return _AS_IS, first, None
        if isinstance(first, type) and issubclass(first, Enum):
            # `Enum | str`: a known value becomes the enum only when the enum is tried first.
            plain = typing.Union[(str, *none)]  # noqa: UP007
            if _metadata_says_left_to_right(info):
                return _ENUM, plain, {member.value: member for member in first}
            return _AS_IS, plain, None
        return _AS_IS, annotation, None


def _extra_of(data: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in fields}


_shapes: dict[type[BaseModel], _Shape] = {}
_config_builders: dict[str, Callable[[dict[str, Any], Any], BaseModel]] = {}
_config_structs: list[Any] = []


def _shape(model: type[BaseModel]) -> _Shape:
    shape = _shapes.get(model)
    if shape is None:
        shape = _shapes[model] = _Shape(model)
    return shape


def _config_union() -> Any:
    if not _config_structs:
        for tag, model in KNOWN_BLOCK_TYPES.items():
            shape = _Shape(model, tag=tag)
            _config_builders[tag] = shape.build
            _config_structs.append(shape.struct)
    return typing.Union[tuple(_config_structs)]  # noqa: UP007


_envelopes: dict[type[BaseModel], tuple[Any, Callable[..., BaseModel]]] = {}


def model_of(model: type[M], data: Any) -> M | None:
    """`model.model_validate(data)` for decoded JSON, or None if the fast path declines."""
    shape = _shape(model)
    if type(data) is not dict:
        return None
    try:
        struct = msgspec.convert(data, shape.struct)
    except msgspec.ValidationError:
        return None
    return shape.build(data, struct)  # type: ignore[return-value]


def envelope_of(model: type[BaseModel], body: dict[str, Any]) -> tuple[datetime, Any] | None:
    """A decoded webhook body's timestamp and its `data` as `model`; None to decline."""
    known = _envelopes.get(model)
    if known is None:
        shape = _shape(model)
        struct = msgspec.defstruct(
            f"{model.__name__}EnvelopeShape",
            [("event", str), ("timestamp", datetime), ("data", shape.struct)],
        )
        known = _envelopes[model] = (struct, shape.build)
    struct_type, build = known
    data = body.get("data")
    if type(data) is not dict:
        return None
    try:
        envelope = msgspec.convert(body, struct_type)
    except msgspec.ValidationError:
        return None
    return envelope.timestamp, build(data, envelope.data)


def validated(model: type[M], data: bytes | str | dict[str, Any]) -> M:
    """`model` from JSON text or a dict, as pydantic validates it (raising its
    `ValidationError`), by the fast path whenever it takes the input."""
    if isinstance(data, dict):
        try:
            # A private copy: the model must not share lists or dicts with the caller's.
            fresh = decode_json(_encode(data))
        except (TypeError, msgspec.EncodeError):
            fresh = None
        made = model_of(model, fresh) if fresh is not None else None
        return made if made is not None else model.model_validate(data)
    try:
        made = model_of(model, decode_json(data))
    except msgspec.DecodeError:
        made = None
    return made if made is not None else model.model_validate_json(data)


_encode = msgspec.json.Encoder().encode
