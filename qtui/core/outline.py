"""The survey tree as plain text, for `qtui replay --print`, logs and scripts.

Pure formatting of a `Survey`; the TUI shows the same facts in widgets.
"""

from __future__ import annotations

from datetime import datetime

from qtui.core.models import (
    AttentionRequired,
    Block,
    NavigationRule,
    Page,
    Survey,
    UnparsedConfig,
    reference_names,
)
from qtui.core.store import Progress

TYPE_BADGES = {
    "Text": "TXT",
    "TextInput": "OPEN",
    "MultipleChoice": "MC",
    "Matrix": "GRID",
    "InputList": "LIST",
    "CardSort": "SORT",
    "RankOrder": "RANK",
    "Autosum": "SUM",
    "Loop": "LOOP",
}


def badge(block_type: str) -> str:
    return TYPE_BADGES.get(block_type, block_type[:4].upper() or "?")


def short(text: str | None, width: int = 60) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def needs_attention(flag: AttentionRequired | None) -> bool:
    return flag is not None and not flag.dismissed


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "never"


def block_line(block: Block, ref: str | None) -> str:
    config = block.config
    mark = "! " if needs_attention(config.attentionRequired) else ""
    name = ref if block.is_question or config.name else "·"
    extra = ""
    count = len(config.options)
    if count:
        extra = f"  ({count} options)"
    if config.showIf:
        extra += f"  [show if {short(config.showIf, 40)}]"
    if isinstance(config, UnparsedConfig):
        extra += f"  [config not understood: {short(config.problem, 60)}]"
    return f"{mark}{name:<6} {badge(block.type):<5} {short(config.summary)}{extra}"


def rule_line(rule: NavigationRule, pages: dict[str, Page]) -> str:
    target = pages.get(rule.target_page_id or "")
    target_name = target.name if target else f"<missing page {rule.target_page_id}>"
    mark = "! " if needs_attention(rule.attention_required) else ""
    condition = f"if {rule.condition}" if rule.condition else "always"
    return f"{mark}→ {target_name}  {condition}"


def page_line(page: Page, number: int) -> str:
    state = {"done": "✓", "programming": "…", "waiting": " "}[page.programming_state]
    mark = "! " if needs_attention(page.attention_required) else ""
    status = f"  [{page.assign_response_status}]" if page.assign_response_status else ""
    return f"{mark}{number}. {page.name} {state}{status}".rstrip()


def outline(survey: Survey, progress: Progress | None = None) -> str:
    """The survey → pages → blocks and rules, then variables, as an indented tree."""
    refs = reference_names(survey)
    pages = {page.id: page for page in survey.pages}
    status = str(survey.status or "unknown")
    if progress is not None and progress.status is not None:
        status = str(progress.status)
    platform = str(survey.target_platform or "no platform")
    lines = [
        f"{survey.name or survey.id}  [{status} · {platform} · "
        f"pushed {_when(survey.platform_ir_last_pushed_at)}]"
    ]
    if progress is not None and progress.pages_total:
        job = progress.job
        job_state = "running" if progress.running else str(job.status) if job else "no job"
        lines.append(
            f"programming: {progress.pages_done}/{progress.pages_total} pages ({job_state})"
        )
    items: list[tuple[str, list[str]]] = []
    for number, page in enumerate(survey.pages, start=1):
        children = [block_line(b, refs.get(b.id)) for b in page.blocks]
        children += [rule_line(r, pages) for r in page.navigation_rules]
        items.append((page_line(page, number), children))
    if survey.variables:
        items.append(
            (
                "Variables",
                [f"{v.name} = {v.expression or '(no expression)'}" for v in survey.variables],
            )
        )
    for index, (head, children) in enumerate(items):
        last = index == len(items) - 1
        lines.append(("└─ " if last else "├─ ") + head)
        for child_index, child in enumerate(children):
            stem = "   " if last else "│  "
            twig = "└─ " if child_index == len(children) - 1 else "├─ "
            lines.append(stem + twig + child)
    return "\n".join(lines)


def item_title(survey: Survey, item_id: str) -> str:
    """How a programmer names an item: `q12 TextInput on 'Final thoughts'`, `rule A → B`…"""
    pages = {page.id: page for page in survey.pages}
    if item_id in pages:
        return f"page {pages[item_id].name!r}"
    refs = reference_names(survey)
    for page in survey.pages:
        for block in page.blocks:
            if block.id == item_id:
                name = refs.get(block.id)
                return f"{name or 'a'} {block.type}{'' if name else ' block'} on {page.name!r}"
        for rule in page.navigation_rules:
            if rule.id == item_id:
                target = pages.get(rule.target_page_id or "")
                return f"rule {page.name} → {target.name if target else rule.target_page_id}"
    for variable in survey.variables:
        if variable.id == item_id:
            return f"variable {variable.name}"
    return item_id
