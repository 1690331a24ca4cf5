"""The small vocabulary the bundled questionnaires are written in.

A questionnaire is a FullSurvey-shaped dict without ids: pages in order, each with its
blocks (`{"config": {...}}`) and navigation rules, plus the survey's variables. Because no
ids exist yet, a rule names its target page (`"target": "Terminate"`) and the simulator
resolves it when it creates the rule. `revisions` lists the edits the simulator makes
after the first pass, the way an AI revises its own work.

Every question block carries an explicit `config.name` (`q1`, `q2`, … in questionnaire
order), so conditions read `q3.value == 'west'` and keep their meaning when the simulator
moves a block to another page or re-creates it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

Options = Sequence[tuple[str, str]] | Sequence[str]


def choices(options: Options) -> list[dict[str, str]]:
    """Choice dicts from `(value, label)` pairs, or from labels (value = a slug of the label)."""
    out: list[dict[str, str]] = []
    for option in options:
        if isinstance(option, tuple):
            value, label = option
        else:
            label = option
            value = "_".join("".join(c if c.isalnum() else " " for c in option.lower()).split())
        out.append({"label": label, "value": value})
    return out


def _block(config: dict[str, Any], show_if: str | None) -> dict[str, Any]:
    if show_if is not None:
        config["showIf"] = show_if
    return {"config": config}


def text(content: str, *, show_if: str | None = None) -> dict[str, Any]:
    return _block({"type": "Text", "content": content, "content_type": "markdown"}, show_if)


def multiple_choice(
    name: str,
    label: str,
    options: Options,
    *,
    multiple: bool = False,
    show_if: str | None = None,
    attention: str | None = None,
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "type": "MultipleChoice",
        "name": name,
        "label": label,
        "choices": choices(options),
        "allowMultiple": multiple,
    }
    if attention is not None:
        config["attentionRequired"] = {"reason": attention, "dismissed": False}
    return _block(config, show_if)


def scale_0_10(name: str, label: str, low: str, high: str) -> dict[str, Any]:
    """The NPS-style 0–10 question, as a MultipleChoice with string values "0".."10"."""
    options = [
        (str(n), f"{n} – {low}" if n == 0 else f"{n} – {high}" if n == 10 else str(n))
        for n in range(11)
    ]
    return multiple_choice(name, label, options)


def text_input(
    name: str,
    label: str,
    *,
    multiline: bool = False,
    placeholder: str | None = None,
    max_length: int | None = None,
    show_if: str | None = None,
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "type": "TextInput",
        "name": name,
        "label": label,
        "multiline": multiline,
    }
    if placeholder is not None:
        config["placeholder"] = placeholder
    if max_length is not None:
        config["maxLength"] = max_length
    return _block(config, show_if)


def matrix(name: str, label: str, rows: Options, columns: Options) -> dict[str, Any]:
    return _block(
        {
            "type": "Matrix",
            "name": name,
            "label": label,
            "rows": choices(rows),
            "columns": choices(columns),
            "allowMultiple": False,
        },
        None,
    )


def input_list(name: str, label: str, inputs: Options) -> dict[str, Any]:
    return _block(
        {"type": "InputList", "name": name, "label": label, "inputs": choices(inputs)}, None
    )


def card_sort(name: str, label: str, cards: Options, categories: Options) -> dict[str, Any]:
    return _block(
        {
            "type": "CardSort",
            "name": name,
            "label": label,
            "cards": choices(cards),
            "categories": choices(categories),
        },
        None,
    )


def rank_order(name: str, label: str, items: Options) -> dict[str, Any]:
    return _block(
        {"type": "RankOrder", "name": name, "label": label, "items": choices(items)}, None
    )


def autosum(name: str, label: str, items: Options, target: float = 100) -> dict[str, Any]:
    return _block(
        {
            "type": "Autosum",
            "name": name,
            "label": label,
            "items": choices(items),
            "target": target,
        },
        None,
    )


def loop(variable: str, blocks: Iterable[str], label: str) -> dict[str, Any]:
    """A Loop repeats the named question blocks once per item of `variable`.

    The simulator writes the blocks' ids in their place when it creates the Loop.
    """
    return _block(
        {"type": "Loop", "label": label, "variable": variable, "blocks": list(blocks)}, None
    )


def rule(target: str, condition: str | None = None) -> dict[str, Any]:
    """A navigation rule to the page named `target` (no condition = always)."""
    return {"target": target, "condition": condition}


def page(
    name: str,
    blocks: Iterable[dict[str, Any]],
    rules: Iterable[dict[str, Any]] = (),
    *,
    status: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "blocks": list(blocks),
        "navigation_rules": list(rules),
    }
    if status is not None:
        out["assign_response_status"] = status
    return out


def variable(name: str, expression: str) -> dict[str, Any]:
    return {"name": name, "expression": expression}


def reword(block: str, label: str) -> dict[str, Any]:
    return {"kind": "reword", "block": block, "label": label}


def move(block: str, to_page: str) -> dict[str, Any]:
    return {"kind": "move", "block": block, "to_page": to_page}


def recreate(block: str, replacement: dict[str, Any]) -> dict[str, Any]:
    """Delete the named block and create `replacement` (a block dict) in its place."""
    return {"kind": "recreate", "block": block, "config": replacement["config"]}


def revise_condition(source: str, target: str, condition: str) -> dict[str, Any]:
    """Change the condition of the first rule from page `source` to page `target`."""
    return {"kind": "condition", "source": source, "target": target, "condition": condition}
