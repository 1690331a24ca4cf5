"""What changed in a survey since a version of it (the one last pushed): a readable list,
named the way programmers speak of a survey — reference names and pages, never ids. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from qtui.core.models import Survey, reference_names

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class DiffLine:
    change: ChangeKind
    kind: str  # page, question, rule, variable, survey
    name: str  # "q3 on Age", "page Age", "rule Screener → End", "variable isAdult"
    detail: str = ""
    item_id: str = ""

    def text(self) -> str:
        mark = {"added": "+", "removed": "-", "changed": "~"}[self.change]
        return f"{mark} {self.name}" + (f": {self.detail}" if self.detail else "")


def _short(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _config_changes(old: dict[str, Any], new: dict[str, Any]) -> str:
    parts = []
    for key in sorted(set(old) | set(new)):
        if key == "attentionRequired" or old.get(key) == new.get(key):
            continue
        before, after = old.get(key), new.get(key)
        if isinstance(before, list) or isinstance(after, list):
            parts.append(f"{key} {len(before or [])} → {len(after or [])}")
        else:
            parts.append(f"{key} {_short(before)} → {_short(after)}")
    return "; ".join(parts)


def survey_diff(old: Survey | None, new: Survey) -> list[DiffLine]:
    """Every page, question, rule and variable added, removed or changed, in survey order."""
    if old is None:
        return [
            DiffLine(
                "added",
                "survey",
                f"survey {new.name or new.id}",
                f"{len(new.pages)} pages, {len(new.blocks())} blocks, {len(new.rules())} rules, "
                f"{len(new.variables)} variables (first push)",
                new.id,
            )
        ]
    out: list[DiffLine] = []
    if old.name != new.name:
        out.append(
            DiffLine("changed", "survey", "survey name", f"{old.name!r} → {new.name!r}", new.id)
        )
    old_refs, new_refs = reference_names(old), reference_names(new)
    old_pages = {p.id: p for p in old.pages}
    new_pages = {p.id: p for p in new.pages}

    def page_name(page_id: str | None) -> str:
        page = new_pages.get(page_id or "") or old_pages.get(page_id or "")
        return page.name if page is not None and page.name else "?"

    for page in new.ordered_pages():
        before = old_pages.get(page.id)
        if before is None:
            out.append(DiffLine("added", "page", f"page {page.name}", "", page.id))
        else:
            parts = []
            if before.name != page.name:
                parts.append(f"name {before.name!r} → {page.name!r}")
            if before.assign_response_status != page.assign_response_status:
                parts.append(
                    f"closes as {before.assign_response_status or 'nothing'} → "
                    f"{page.assign_response_status or 'nothing'}"
                )
            if before.order != page.order:
                parts.append(f"position {before.order} → {page.order}")
            if parts:
                out.append(
                    DiffLine("changed", "page", f"page {page.name}", "; ".join(parts), page.id)
                )
        old_blocks = {b.id: b for b in (before.blocks if before else [])}
        for block in sorted(page.blocks, key=lambda b: (b.order, b.id)):
            name = f"{new_refs.get(block.id, block.type)} on {page.name}"
            was = old_blocks.get(block.id)
            if was is None:
                out.append(DiffLine("added", "question", name, block.type, block.id))
                continue
            changes = _config_changes(was.config.dump(), block.config.dump())
            if was.page_id and was.page_id != block.page_id:
                changes = f"moved from {page_name(was.page_id)}" + (
                    f"; {changes}" if changes else ""
                )
            if changes:
                out.append(DiffLine("changed", "question", name, changes, block.id))
        old_rules = {r.id: r for r in (before.navigation_rules if before else [])}
        for rule in page.navigation_rules:
            name = f"rule {page.name} → {page_name(rule.target_page_id)}"
            was_rule = old_rules.get(rule.id)
            if was_rule is None:
                out.append(DiffLine("added", "rule", name, rule.condition or "always", rule.id))
                continue
            parts = []
            if was_rule.target_page_id != rule.target_page_id:
                parts.append(f"led to {page_name(was_rule.target_page_id)}")
            if (was_rule.condition or "") != (rule.condition or ""):
                before_if = _short(was_rule.condition or "always")
                parts.append(f"if {before_if} → {_short(rule.condition or 'always')}")
            if parts:
                out.append(DiffLine("changed", "rule", name, "; ".join(parts), rule.id))
    new_block_ids = {b.id for b in new.blocks()}
    new_rule_ids = {r.id for r in new.rules()}
    for page in old.ordered_pages():
        if page.id not in new_pages:
            out.append(DiffLine("removed", "page", f"page {page.name}", "", page.id))
        for block in page.blocks:
            if block.id not in new_block_ids:
                name = f"{old_refs.get(block.id, block.type)} on {page.name}"
                out.append(DiffLine("removed", "question", name, "", block.id))
        for rule in page.navigation_rules:
            if rule.id not in new_rule_ids:
                name = f"rule {page.name} → {page_name(rule.target_page_id)}"
                out.append(DiffLine("removed", "rule", name, rule.condition or "always", rule.id))
    old_vars = {v.id: v for v in old.variables}
    new_var_ids = {v.id for v in new.variables}
    for variable in new.variables:
        was_var = old_vars.get(variable.id)
        name = f"variable {variable.name}"
        if was_var is None:
            out.append(DiffLine("added", "variable", name, variable.expression or "", variable.id))
        elif (was_var.name, was_var.expression) != (variable.name, variable.expression):
            out.append(
                DiffLine(
                    "changed",
                    "variable",
                    name,
                    f"{was_var.name} = {_short(was_var.expression)} → "
                    f"{variable.name} = {_short(variable.expression)}",
                    variable.id,
                )
            )
    for variable in old.variables:
        if variable.id not in new_var_ids:
            out.append(
                DiffLine("removed", "variable", f"variable {variable.name}", "", variable.id)
            )
    return out
