"""The fast path from JSON to the survey models: msgspec checks the shape, qtui builds.

Validating every webhook body and every FullSurvey snapshot with pydantic costs more than
everything else qtui does with them. Here msgspec decodes the JSON against `Struct`s
generated from the pydantic models in `qtui.core.models` (same fields and defaults, the
block config a tagged union on its `type` string), and generated builders make the
pydantic instances directly: the fields set as received, unknown fields kept as extras (as
`extra="allow"` does), the defaults for what was absent. No pydantic schema runs.

Two ways (see `_Shape`): a body with only known fields decodes straight from its bytes; one
with unknown fields, or a dict, is checked by `msgspec.convert` and built from the dict.
msgspec is stricter than pydantic's lax mode (a number where text is expected, an unknown
block type, a config the typed model rejects, malformed JSON): whatever it declines is left
to the pydantic models, which either take it (a `GenericConfig`, an `UnparsedConfig`, a
coerced value) or say precisely what is wrong. So the result is always the one pydantic
gives; only the time to get there differs.
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

from qtui.core.models import KNOWN_BLOCK_TYPES, Block, Choice, SharedFieldsSet

__all__ = [
    "decode_json",
    "envelope_of",
    "EnvelopeDecoder",
    "model_of",
    "model_of_json",
    "Checked",
    "CheckedBlock",
    "CheckedRule",
    "validated",
]

# JSON text or bytes to dicts, lists, str, int, float, bool and None.
decode_json: Callable[[bytes | str], Any] = msgspec.json.Decoder().decode

M = TypeVar("M", bound=BaseModel)

_new = object.__new__
# The slots pydantic keeps an instance's state in, set as pydantic-core sets them.
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__

# A field is taken as msgspec converted it unless it holds a model (built in turn), a
# choice list (each one a `Choice`), a block config or an enum.
_AS_IS, _MODEL, _MODELS, _CHOICES, _CONFIG, _ENUM = range(6)


class _Choice(msgspec.Struct):
    value: str
    label: str = ""


class _ExactChoice(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    label: str | msgspec.UnsetType = msgspec.UNSET
    value: str


def _exact_choices(items: list[_ExactChoice]) -> list[Choice]:
    of = Choice._of
    unset = msgspec.UNSET
    return [
        of({"value": c.value} if c.label is unset else {"label": c.label, "value": c.value})
        for c in items
    ]


def _metadata_says_left_to_right(info: Any) -> bool:
    return any(getattr(item, "union_mode", None) == "left_to_right" for item in info.metadata)


def _options(annotation: Any) -> tuple[Any, ...]:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return typing.get_args(annotation)
    return (annotation,)


class _Shape:
    """One pydantic model's msgspec `Struct`s and the functions building the model from them.

    Two ways, both generated source (like a dataclass's `__init__`: one straight function
    per model, no loop over fields):

    * exact: a `Struct` that rejects unknown fields and marks absent ones `UNSET`, decoded
      straight from the bytes; the builder fills in the defaults and the fields set. The
      usual body, with nothing qtui does not know, takes this way.
    * loose: the JSON decoded to dicts first, then converted to a `Struct` with the model's
      defaults; the builder takes the fields set and the unknown fields from the dict.
    """

    def __init__(self, model: type[BaseModel], tag: str | None = None) -> None:
        self.model = model
        self.fields = frozenset(model.model_fields)
        loose_fields: list[tuple[str, Any, Any]] = []
        exact_fields: list[tuple[str, Any, Any]] = []
        loose: list[str] = []
        exact: list[str] = []
        entries: list[str] = []  # the exact builder's `values`, in the model's field order
        required = [name for name, info in model.model_fields.items() if info.is_required()]
        optional = [
            name
            for name, info in model.model_fields.items()
            if not info.is_required() and not (tag is not None and name == "type")
        ]
        names: dict[str, Any] = {
            "asdict": msgspec.structs.asdict,
            "new": _new,
            "set_dict": _set_dict,
            "set_fields_set": _set_fields_set,
            "set_extra": _set_extra,
            "set_private": _set_private,
            "model": model,
            "fields": frozenset(model.model_fields),
            "choice": Choice._of,
            "configs": _config_builders,
            "exact_configs": _exact_config_builders,
            "extra_of": _extra_of,
            "UNSET": msgspec.UNSET,
            "choices_of": _exact_choices,
        }
        for name, info in model.model_fields.items():
            if tag is not None and name == "type":
                loose.append(f"    values['type'] = {tag!r}")
                entries.append(f"'type': {tag!r}")
                continue  # the tag: msgspec checks it, the dict holds it
            kind, loose_type, exact_type, how = self._kind(info)
            names[f"build_{name}"], names[f"exact_{name}"] = how
            if info.default_factory is not None:
                default = msgspec.field(default_factory=info.default_factory)  # type: ignore[arg-type]
                names[f"default_{name}"] = info.default_factory
                fill = f"default_{name}()"
            elif info.is_required():
                default = msgspec.NODEFAULT
                fill = ""
            else:
                default = info.default
                names[f"default_{name}"] = info.default
                fill = f"default_{name}"
            loose_fields.append((name, loose_type, default))
            value = f"v_{name}"
            entries.append(f"{name!r}: {value}")
            exact.append(f"    {value} = s.{name}")
            if info.is_required():
                exact_fields.append((name, exact_type, msgspec.NODEFAULT))
                indent = "    "
            else:
                exact_fields.append((name, exact_type | msgspec.UnsetType, msgspec.UNSET))
                exact.append(f"    if {value} is UNSET:")
                exact.append(f"        {value} = {fill}")
                exact.append("    else:")
                exact.append(f"        present |= {1 << optional.index(name)}")
                indent = "        "
            if kind == _CHOICES:
                loose.append(f"    if {name!r} in data:")
                # copied: the dicts may be the caller's
                loose.append(
                    f"        values[{name!r}] = [choice(dict(c)) for c in data[{name!r}]]"
                )
                exact.append(f"{indent}{value} = choices_of({value})")
            elif kind == _CONFIG:
                loose.append(f"    config = data[{name!r}]")
                loose.append(f"    values[{name!r}] = configs[config['type']](config, s.{name})")
                exact.append(f"{indent}{value} = exact_configs[type({value})]({value})")
            elif kind == _MODEL:
                loose.append(f"    if s.{name} is not None:")
                loose.append(f"        values[{name!r}] = build_{name}(data[{name!r}], s.{name})")
                exact.append(f"{indent}if {value} is not None:")
                exact.append(f"{indent}    {value} = exact_{name}({value})")
            elif kind == _MODELS:
                loose.append(f"    if {name!r} in data:")
                loose.append(
                    f"        values[{name!r}] = list(map(build_{name}, data[{name!r}], s.{name}))"
                )
                exact.append(f"{indent}{value} = list(map(exact_{name}, {value}))")
            elif kind == _ENUM:
                loose.append(f"    if s.{name} is not None:")
                loose.append(f"        values[{name!r}] = build_{name}.get(s.{name}, s.{name})")
                exact.append(f"{indent}if {value} is not None:")
                exact.append(f"{indent}    {value} = build_{name}.get({value}, {value})")
        options: dict[str, Any] = {"tag_field": "type", "tag": tag} if tag else {}
        self.struct = msgspec.defstruct(
            f"{model.__name__}Shape", loose_fields, kw_only=True, **options
        )
        self.exact_struct = msgspec.defstruct(
            f"{model.__name__}ExactShape",
            exact_fields,
            kw_only=True,
            forbid_unknown_fields=True,
            **options,
        )
        # The same, but taking unknown fields at its own level (not below): a snapshot's
        # top level carries fields qtui has no use for; `model_of_json` keeps them aside.
        self.open_struct = msgspec.defstruct(
            f"{model.__name__}OpenShape", exact_fields, kw_only=True, **options
        )
        known = {*required, *(["type"] if tag else [])}
        source = "\n".join(
            [
                "def build(data, s):",
                "    values = asdict(s)",
                *loose,
                "    made = new(model)",
                "    set_dict(made, values)",
                "    set_fields_set(made, set(data))",
                "    set_extra(made, {} if data.keys() <= fields else extra_of(data, fields))",
                "    set_private(made, None)",
                "    return made",
                "",
                "def build_exact(s):",
                "    present = 0",
                *exact,
                f"    values = {{{', '.join(entries)}}}",
                "    fields_set = shared_sets.get(present)",
                "    if fields_set is None:",
                "        fields_set = shared_set(present)",
                "    made = new(model)",
                "    set_dict(made, values)",
                "    set_fields_set(made, fields_set)",
                "    set_extra(made, {})",
                "    set_private(made, None)",
                "    return made",
            ]
        )
        self.source = source  # kept for reading in a debugger
        # The exact way's fields sets, one per combination of optional fields present.
        shared_sets: dict[int, SharedFieldsSet] = {}

        def shared_set(present: int) -> SharedFieldsSet:
            named = [name for bit, name in enumerate(optional) if present >> bit & 1]
            made = shared_sets[present] = SharedFieldsSet([*sorted(known), *named])
            return made

        names["shared_sets"] = shared_sets
        names["shared_set"] = shared_set
        exec(compile(source, f"<{model.__name__} builders>", "exec"), names)  # noqa: S102
        self.build: Callable[[dict[str, Any], Any], BaseModel] = names["build"]
        self.build_exact: Callable[[Any], BaseModel] = names["build_exact"]

    @staticmethod
    def _kind(info: Any) -> tuple[int, Any, Any, tuple[Any, Any]]:
        """How a field is built, its loose and exact `Struct` types, and the builders."""
        annotation = info.annotation
        if annotation is Block.model_fields["config"].annotation:
            loose, exact = _config_unions()
            return _CONFIG, loose, exact, (None, None)
        options = _options(annotation)
        optional = type(None) in options
        inner = [o for o in options if o is not type(None)]
        none = (type(None),) if optional else ()
        first = inner[0]
        if len(inner) == 1 and isinstance(first, type) and issubclass(first, BaseModel):
            shape = _shape(first)
            return (
                _MODEL,
                typing.Union[(shape.struct, *none)],  # noqa: UP007
                typing.Union[(shape.exact_struct, *none)],  # noqa: UP007
                (shape.build, shape.build_exact),
            )
        if typing.get_origin(first) is list:
            (item,) = typing.get_args(first)
            if item is Choice:
                return _CHOICES, list[_Choice], list[_ExactChoice], (None, None)
            if isinstance(item, type) and issubclass(item, BaseModel):
                shape = _shape(item)
                return (
                    _MODELS,
                    list[shape.struct],  # type: ignore[name-defined]
                    list[shape.exact_struct],  # type: ignore[name-defined]
                    (shape.build, shape.build_exact),
                )
            return _AS_IS, first, first, (None, None)
        if isinstance(first, type) and issubclass(first, Enum):
            # `Enum | str`: a known value becomes the enum only when the enum is tried first.
            plain = typing.Union[(str, *none)]  # noqa: UP007
            if _metadata_says_left_to_right(info):
                values = {member.value: member for member in first}
                return _ENUM, plain, plain, (values, values)
            return _AS_IS, plain, plain, (None, None)
        return _AS_IS, annotation, annotation, (None, None)


# What declining looks like: msgspec's errors, and text it cannot encode (a lone surrogate
# a dict may hold) or nesting too deep; the pydantic models then say what they make of it.
_DECLINED = (msgspec.MsgspecError, ValueError, TypeError, RecursionError)


def _extra_of(data: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in fields}


class Checked:
    """An item msgspec has checked whose model is made when first read (`built`).

    A replay applies many versions of each block and rule, and only the last one of each
    is ever read, so the store keeps them as they were checked and `built` makes the model
    once. What the store reads to place and version an item (its id, parent, order and
    `updated_at`, absent ones as the model's defaults) is taken from the checked shape at
    once: `CheckedBlock` and `CheckedRule`.
    """

    __slots__ = ("_shape", "_build", "_made", "id", "order", "updated_at")

    id: str
    order: int
    updated_at: datetime | None

    _made: BaseModel | None
    # No __init__ here: each kind fills every slot in its own, one call per event.

    @property
    def is_built(self) -> bool:
        return self._made is not None

    def built(self) -> Any:
        made = self._made
        if made is None:
            made = self._made = self._build(self._shape)
            self._shape = None  # the model holds it all now
        return made

    def __repr__(self) -> str:  # never builds: a repr must not change what it shows
        return f"{type(self).__name__}(id={self.id!r}, built={self.is_built})"


class CheckedBlock(Checked):
    """A checked block: placed by its `page_id`."""

    __slots__ = ("page_id",)

    page_id: str | None

    def __init__(self, shape: Any, build: Callable[[Any], BaseModel]) -> None:
        self._shape, self._build, self._made, self.id = shape, build, None, shape.id
        order, updated, page_id = shape.order, shape.updated_at, shape.page_id
        self.order = 0 if order is _UNSET else order
        self.updated_at = None if updated is _UNSET else updated
        self.page_id = None if page_id is _UNSET else page_id


class CheckedRule(Checked):
    """A checked navigation rule: placed by its source page, hidden with its target page."""

    __slots__ = ("source_page_id", "target_page_id")

    source_page_id: str | None
    target_page_id: str | None

    def __init__(self, shape: Any, build: Callable[[Any], BaseModel]) -> None:
        self._shape, self._build, self._made, self.id = shape, build, None, shape.id
        order, updated = shape.order, shape.updated_at
        self.order = 0 if order is _UNSET else order
        self.updated_at = None if updated is _UNSET else updated
        source, target = shape.source_page_id, shape.target_page_id
        self.source_page_id = None if source is _UNSET else source
        self.target_page_id = None if target is _UNSET else target


_UNSET = msgspec.UNSET


_shapes: dict[type[BaseModel], _Shape] = {}
_config_builders: dict[str, Callable[[dict[str, Any], Any], BaseModel]] = {}
_exact_config_builders: dict[type, Callable[[Any], BaseModel]] = {}
_config_structs: list[Any] = []
_exact_config_structs: list[Any] = []


def _shape(model: type[BaseModel]) -> _Shape:
    shape = _shapes.get(model)
    if shape is None:
        shape = _shapes[model] = _Shape(model)
    return shape


def _config_unions() -> tuple[Any, Any]:
    if not _config_structs:
        for tag, model in KNOWN_BLOCK_TYPES.items():
            shape = _Shape(model, tag=tag)
            _config_builders[tag] = shape.build
            _exact_config_builders[shape.exact_struct] = shape.build_exact
            _config_structs.append(shape.struct)
            _exact_config_structs.append(shape.exact_struct)
    return (
        typing.Union[tuple(_config_structs)],  # noqa: UP007
        typing.Union[tuple(_exact_config_structs)],  # noqa: UP007
    )


_envelopes: dict[type[BaseModel], tuple[Any, Callable[..., BaseModel]]] = {}
_exact_decoders: dict[Any, tuple[Callable[[bytes | str], Any], Callable[[Any], Any]]] = {}


def _exact(model: type[BaseModel], envelope: bool) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The exact way's decoder (of the model, or of an envelope around it) and builder."""
    key = (model, envelope)
    known = _exact_decoders.get(key)
    if known is None:
        shape = _shape(model)
        struct = shape.exact_struct
        if envelope:
            struct = msgspec.defstruct(
                f"{model.__name__}ExactEnvelopeShape",
                [("event", str), ("timestamp", datetime), ("data", struct)],
            )
        known = _exact_decoders[key] = (msgspec.json.Decoder(struct).decode, shape.build_exact)
    return known


def model_of(model: type[M], data: Any) -> M | None:
    """`model.model_validate(data)` for decoded JSON, or None if the fast path declines."""
    shape = _shape(model)
    if type(data) is not dict:
        return None
    try:
        struct = msgspec.convert(data, shape.struct)
    except _DECLINED:
        return None
    return shape.build(data, struct)  # type: ignore[return-value]


_open_decoders: dict[type[BaseModel], Callable[[bytes | str], Any]] = {}
_top_level = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode


def model_of_json(model: type[M], raw: bytes | str) -> M | None:
    """`model.model_validate_json(raw)`, or None if the fast path declines.

    Unknown fields at the top level (a FullSurvey's `prior_qa`, `failure_reason`…) still
    take the exact way: they are read from the document's top level and kept as extras.
    """
    shape = _shape(model)
    decode = _open_decoders.get(model)
    if decode is None:
        decode = _open_decoders[model] = msgspec.json.Decoder(shape.open_struct).decode
    try:
        made = shape.build_exact(decode(raw))
        top = _top_level(raw)
        if not top.keys() <= shape.fields:
            extra = {
                key: decode_json(value) for key, value in top.items() if key not in shape.fields
            }
            _set_extra(made, extra)
            _set_fields_set(made, {*made.__pydantic_fields_set__, *extra})
        return made  # type: ignore[return-value]
    except _DECLINED:
        pass
    try:
        return model_of(model, decode_json(raw))
    except _DECLINED:
        return None


class EnvelopeDecoder:
    """Webhook bodies of the given event types to `(event type, timestamp, data)`.

    One msgspec decoder over a union of envelopes tagged by their `event` string picks the
    data's model as it reads the body; a body with unknown fields takes the loose way. The
    data of the event types in `deferred` comes checked but not built, as the `Checked`
    class given for it.
    """

    def __init__(
        self,
        models: dict[str, type[BaseModel]],
        deferred: dict[str, type[Checked]] | None = None,
    ) -> None:
        self.models = models
        envelopes = []
        self.builders: dict[type, tuple[str, Callable[[Any], Any]]] = {}
        self.deferred: dict[type, type[Checked]] = {}
        for event_type, model in models.items():
            shape = _shape(model)
            struct = msgspec.defstruct(
                f"{model.__name__}ExactEnvelopeShape",
                [("timestamp", datetime), ("data", shape.exact_struct)],
                tag_field="event",
                tag=event_type,
            )
            envelopes.append(struct)
            self.builders[struct] = (event_type, shape.build_exact)
            if deferred and event_type in deferred:
                self.deferred[struct] = deferred[event_type]
        self._decode = msgspec.json.Decoder(typing.Union[tuple(envelopes)]).decode  # noqa: UP007

    def __call__(self, raw: bytes | str) -> tuple[str, datetime, Any] | None:
        """The body's event type, timestamp and data; None if the fast path declines."""
        try:
            envelope = self._decode(raw)
            kind = type(envelope)
            event_type, build = self.builders[kind]
            checked = self.deferred.get(kind)
            if checked is not None:
                return event_type, envelope.timestamp, checked(envelope.data, build)
            return event_type, envelope.timestamp, build(envelope.data)
        except _DECLINED:
            pass
        try:
            body = decode_json(raw)
        except _DECLINED:
            return None
        return self.from_dict(body)

    def from_dict(self, body: Any) -> tuple[str, datetime, Any] | None:
        """The same for a body already decoded (the caller's dicts are not changed)."""
        if type(body) is not dict:
            return None
        event_type = body.get("event")
        model = self.models.get(event_type) if type(event_type) is str else None
        if model is None:
            return None
        found = envelope_of(model, body)
        return None if found is None else (event_type, *found)  # type: ignore[return-value]


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
    except _DECLINED:
        return None
    return envelope.timestamp, build(data, envelope.data)


def validated(model: type[M], data: bytes | str | dict[str, Any]) -> M:
    """`model` from JSON text or a dict, as pydantic validates it (raising its
    `ValidationError`), by the fast path whenever it takes the input."""
    if isinstance(data, dict):
        made = model_of(model, data)
        return made if made is not None else model.model_validate(data)
    made = model_of_json(model, data)
    return made if made is not None else model.model_validate_json(data)
