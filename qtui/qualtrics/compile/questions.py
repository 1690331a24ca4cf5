"""Questra question blocks → Qualtrics question definitions, one builder per block type.

`BUILDERS` maps a block config type to the function that builds its question; `question`
builds the fields every question shares and dispatches. A builder returns None (after
reporting an issue) when the block cannot become a question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from qtui.core.models import (
    AutosumConfig,
    Block,
    CardSortConfig,
    InputListConfig,
    MatrixConfig,
    MultipleChoiceConfig,
    RankOrderConfig,
    TextConfig,
    TextInputConfig,
    UnparsedConfig,
)
from qtui.qualtrics.compile.markup import escape, markdown_html, plain
from qtui.qualtrics.conditions import is_nps


class Host(Protocol):
    """What a builder needs of the compiler: where issues go and the force-response default."""

    force_response: bool

    def issue(self, item_id: str, kind: str, reason: str) -> None: ...


Builder = Callable[[Host, Block, dict[str, Any]], dict[str, Any] | None]

_NUMBER = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")


def is_number(value: str) -> bool:
    """Whether a choice value can be a Qualtrics recode value (a number)."""
    return _NUMBER.match(value.strip()) is not None


def question(host: Host, block: Block, tag: str) -> dict[str, Any] | None:
    """The question definition of `block` (tagged `tag`), or None if it has none."""
    config = block.config
    builder = BUILDERS.get(type(config))
    if isinstance(config, UnparsedConfig):
        host.issue(
            block.id,
            "config_not_understood",
            f"the {config.type} block's config is not understood ({config.problem}); "
            "skipped: fix the block in Questra and push again",
        )
        return None
    if builder is None:
        host.issue(
            block.id,
            "unsupported_block",
            f"block type {config.type!r} has no Qualtrics mapping; skipped",
        )
        return None
    text = escape(config.label or config.name or tag)
    base: dict[str, Any] = {
        "QuestionText": text,
        "QuestionDescription": plain(config.label or tag)[:100],
        "Configuration": {"QuestionDescriptionOption": "UseText"},
        "Validation": {
            "Settings": {
                "ForceResponse": forced(host, block),
                "ForceResponseType": "ON",
                "Type": "None",
            }
        },
        "Language": [],
        "DataVisibility": {"Private": False, "Hidden": False},
    }
    if tag:
        base["DataExportTag"] = tag  # without one, Qualtrics numbers it (Q<n>)
    return builder(host, block, base)


def forced(host: Host, block: Block) -> str:
    extra = block.config.model_extra or {}
    if isinstance(extra.get("required"), bool):
        return "ON" if extra["required"] else "OFF"
    if isinstance(extra.get("optional"), bool):
        return "OFF" if extra["optional"] else "ON"
    return "ON" if host.force_response else "OFF"


def _text(host: Host, block: Block, base: dict[str, Any]) -> dict[str, Any] | None:
    config = block.config
    assert isinstance(config, TextConfig)
    body = markdown_html(config.content or config.label or "")
    return {
        **base,
        "QuestionText": body,
        "QuestionDescription": plain(body)[:100] or base.get("DataExportTag", ""),
        "QuestionType": "DB",
        "Selector": "TB",
        "Validation": {"Settings": {"Type": "None"}},
    }


def _text_input(host: Host, block: Block, base: dict[str, Any]) -> dict[str, Any] | None:
    config = block.config
    assert isinstance(config, TextInputConfig)
    if config.placeholder:
        host.issue(
            block.id,
            "not_expressed",
            "the placeholder text has no Qualtrics text-entry equivalent",
        )
    if config.maxLength is not None:
        host.issue(
            block.id,
            "not_expressed",
            f"maxLength {config.maxLength} is not enforced; add a text-entry "
            "length validation in Qualtrics if it matters",
        )
    return {**base, "QuestionType": "TE", "Selector": "ML" if config.multiline else "SL"}


def _multiple_choice(host: Host, block: Block, base: dict[str, Any]) -> dict[str, Any] | None:
    config = block.config
    assert isinstance(config, MultipleChoiceConfig)
    if not config.choices:
        host.issue(block.id, "not_expressed", "a multiple choice with no choices; skipped")
        return None
    if is_nps(config):
        return {**base, "QuestionType": "MC", "Selector": "NPS", **_nps(config.choices)}
    choices = _choices(config.choices)
    return {
        **base,
        "QuestionType": "MC",
        "Selector": "MAVR" if config.allowMultiple else "SAVR",
        "SubSelector": "TX",
        **choices,
    }


def _matrix(host: Host, block: Block, base: dict[str, Any]) -> dict[str, Any] | None:
    config = block.config
    assert isinstance(config, MatrixConfig)
    if not config.rows or not config.columns:
        host.issue(block.id, "not_expressed", "a matrix needs rows and columns; skipped")
        return None
    rows = _choices(config.rows)
    columns = _choices(config.columns, key="Answers", order_key="AnswerOrder")
    return {
        **base,
        "QuestionType": "Matrix",
        "Selector": "Likert",
        "SubSelector": "MultipleAnswer" if config.allowMultiple else "SingleAnswer",
        "Choices": rows["Choices"],
        "ChoiceOrder": rows["ChoiceOrder"],
        "Answers": columns["Answers"],
        "AnswerOrder": columns["AnswerOrder"],
        # Matrix recodes and variable names apply to the columns; rows keep their values as
        # export tags.
        **{k: v for k, v in columns.items() if k in ("RecodeValues", "VariableNaming")},
        "ChoiceDataExportTags": {str(i): row.value for i, row in enumerate(config.rows, start=1)},
        "DefaultChoices": False,
    }


def _input_list(host: Host, block: Block, base: dict[str, Any]) -> dict[str, Any] | None:
    config = block.config
    assert isinstance(config, InputListConfig)
    if not config.inputs:
        host.issue(block.id, "not_expressed", "an input list with no inputs; skipped")
        return None
    return {
        **base,
        "QuestionType": "TE",
        "Selector": "FORM",
        **_choices(config.inputs, recodes=False),
    }


def _card_sort(host: Host, block: Block, base: dict[str, Any]) -> dict[str, Any] | None:
    config = block.config
    assert isinstance(config, CardSortConfig)
    if not config.cards or not config.categories:
        host.issue(block.id, "not_expressed", "a card sort needs cards and categories; skipped")
        return None
    return {
        **base,
        "QuestionType": "PGR",
        "Selector": "DragAndDrop",
        "SubSelector": "Columns",
        **_choices(config.cards, recodes=False),
        # Groups are listed by name; their order gives back the category values.
        "Groups": [c.label or c.value for c in config.categories],
        "NumberOfGroups": len(config.categories),
        "Configuration": {
            "QuestionDescriptionOption": "UseText",
            "Stack": False,
            "StackItemsInGroups": False,
        },
    }


def _rank_order(host: Host, block: Block, base: dict[str, Any]) -> dict[str, Any] | None:
    config = block.config
    assert isinstance(config, RankOrderConfig)
    if not config.items:
        host.issue(block.id, "not_expressed", "a rank order with no items; skipped")
        return None
    return {
        **base,
        "QuestionType": "RO",
        "Selector": "DND",
        "SubSelector": "TX",
        **_choices(config.items, recodes=False),
    }


def _autosum(host: Host, block: Block, base: dict[str, Any]) -> dict[str, Any] | None:
    config = block.config
    assert isinstance(config, AutosumConfig)
    if not config.items:
        host.issue(block.id, "not_expressed", "an autosum with no items; skipped")
        return None
    total = int(config.target) if float(config.target).is_integer() else config.target
    return {
        **base,
        "QuestionType": "CS",
        "Selector": "VRTL",
        "SubSelector": "TX",
        **_choices(config.items, recodes=False),
        "Validation": {
            "Settings": {
                "ForceResponse": forced(host, block),
                "ForceResponseType": "ON",
                "Type": "ChoicesTotal",
                "ChoiceTotal": str(total),
                "EnforceRange": None,
            }
        },
    }


BUILDERS: dict[type, Builder] = {
    TextConfig: _text,
    TextInputConfig: _text_input,
    MultipleChoiceConfig: _multiple_choice,
    MatrixConfig: _matrix,
    InputListConfig: _input_list,
    CardSortConfig: _card_sort,
    RankOrderConfig: _rank_order,
    AutosumConfig: _autosum,
}


def _choices(
    choices: Iterable[Any],
    key: str = "Choices",
    order_key: str = "ChoiceOrder",
    *,
    recodes: bool = True,
) -> dict[str, Any]:
    """Choice ids "1".."n" in order, and the Questra values under the same ids.

    A recode value is the numeric value of a choice, so only numeric values go to
    `RecodeValues` (and only on the types real exports carry them on: `recodes`); the others
    go to `VariableNaming`, Qualtrics' name for a choice's value.
    """
    items = list(choices)
    out: dict[str, Any] = {
        key: {str(i): {"Display": escape(c.label or c.value)} for i, c in enumerate(items, 1)},
        order_key: [str(i) for i in range(1, len(items) + 1)],
    }
    values = {str(i): c.value for i, c in enumerate(items, 1)}
    numeric = {cid: v for cid, v in values.items() if recodes and is_number(v)}
    named = {cid: v for cid, v in values.items() if cid not in numeric}
    if numeric:
        out["RecodeValues"] = numeric
    if named:
        out["VariableNaming"] = named
    return out


def _nps(choices: list[Any]) -> dict[str, Any]:
    """NPS choices keep Qualtrics' own ids 0..10 (equal to their values)."""
    labels = [c.label for c in choices]
    column_labels = []
    if labels[0] and labels[0] != "0":
        column_labels.append({"Display": escape(labels[0]), "IsLabelDefault": False})
    if labels[-1] and labels[-1] != "10":
        column_labels.append({"Display": escape(labels[-1]), "IsLabelDefault": False})
    return {
        "Choices": {c.value: {"Display": c.value} for c in choices},
        "ChoiceOrder": [c.value for c in choices],
        # No RecodeValues: an NPS choice's id is its value, and exports carry none.
        "ColumnLabels": column_labels,
    }
