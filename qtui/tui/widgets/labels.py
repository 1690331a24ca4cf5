"""One-line labels for tree nodes, lists and the event log.

Styles come from the widget's component classes (set in `styles/qtui.tcss`), passed in as a
`Styles` mapping, so a theme change restyles every label.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rich.control import strip_control_codes
from rich.style import Style
from rich.text import Span, Text

from qtui.core.models import Block, NavigationRule, Page, Survey, UnparsedConfig, Variable
from qtui.core.outline import badge, needs_attention, short
from qtui.core.routes import Finding
from qtui.tui.problems import short as kind_words
from qtui.tui.safe import shown

Styles = Mapping[str, Style]

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
ATTENTION = " ! "
PROBLEM = "✗"


# Longest page name, rule target and variable name a column is sized for; longer ones are
# cut with "…" (the detail panel has them in full).
NAME_MAX = 28
# Longest block label shown; the rest is in the detail panel.
LABEL_MAX = 56


@dataclass(frozen=True, slots=True)
class Columns:
    """Widths of the tree's columns, measured from the survey, so lines of a kind line up:
    pages (number, name, block count), blocks (badge, reference name, label), rule targets
    and variable names. Every column is followed by at least one space: nothing touches."""

    number: int = 1
    name: int = 0
    count: int = 1
    badge: int = 1
    ref: int = 1
    variable: int = 0


def fit(text: str, width: int) -> str:
    """`text` on one line, cut with "…" or padded with spaces to exactly `width` cells."""
    flat = " ".join(text.split())
    if len(flat) > width:
        return flat[: max(0, width - 1)] + "…" if width > 0 else ""
    return flat.ljust(width)


def measure_blocks(
    block_counts: Sequence[int], blocks: Iterable[Block], refs: Mapping[str, str]
) -> tuple[int, int, int]:
    """(count, badge, ref) widths: the pages' block counts, the blocks' badges and names."""
    return (
        len(str(max(block_counts, default=0))),
        max((len(badge(b.type)) for b in blocks), default=1),
        max((len(ref) for ref in refs.values()), default=1),
    )


def measure_names(pages: Sequence[Page], variables: Sequence[Variable]) -> tuple[int, int, int]:
    """(number, name, variable) widths: page numbers, page names (rule targets are page
    names too) and variable names, each capped at `NAME_MAX`."""
    return (
        len(str(len(pages))) if pages else 1,
        min(NAME_MAX, max((len(" ".join((p.name or p.id).split())) for p in pages), default=0)),
        min(NAME_MAX, max((len(v.name or v.id) for v in variables), default=0)),
    )


_PLAIN = Style()


def _style(styles: Styles, name: str) -> Style:
    return styles.get(name, _PLAIN)


def attention(text: Text, styles: Styles) -> None:
    text.append(" ")
    text.append(ATTENTION, _style(styles, "attention"))


def problem(text: Text, findings: Sequence[Finding], styles: Styles, inside: int = 0) -> None:
    """`✗ unreachable`, `✗ syntax error, unknown name`; a page adds `N inside` for the
    findings on its blocks and rules, so a closed page still shows them."""
    if not findings and not inside:
        return
    text.append("  ")
    text.append(PROBLEM, _style(styles, "problem"))
    if findings:
        kinds = dict.fromkeys(kind_words(f.kind) for f in findings)
        text.append(" " + ", ".join(kinds), _style(styles, "problem"))
    if inside:
        text.append(f"{' ·' if findings else ''} {inside} inside", _style(styles, "problem-inside"))


def survey_label(survey: Survey | None, survey_id: str, status: str, styles: Styles) -> Text:
    text = Text(no_wrap=True)
    name = (
        survey.name if survey is not None and survey.name else survey_id or "waiting for a survey…"
    )
    text.append(name, Style(bold=True))
    if status:
        text.append("  ")
        text.append(status, _style(styles, "status"))
    return shown(text)


def page_label(
    page: Page,
    number: int,
    blocks: int,
    rules: int,
    styles: Styles,
    frame: int = 0,
    findings: Sequence[Finding] = (),
    inside: int = 0,
    columns: Columns = Columns(),
) -> Text:
    state = page.programming_state
    text = Text(no_wrap=True)
    if state == "done":
        text.append("✓", _style(styles, "done"))
    elif state == "programming":
        text.append(SPINNER[frame % len(SPINNER)], _style(styles, "programming"))
    else:
        text.append("·", _style(styles, "muted"))
    text.append(f" {number:>{columns.number}}. ", _style(styles, "muted"))
    text.append(fit(page.name or page.id, max(columns.name, 1)))
    counts = f"  {blocks:>{columns.count}} block{'' if blocks == 1 else 's'}"
    if rules:
        counts += f" · {rules} rule{'s' if rules != 1 else ''}"
    text.append(counts.rstrip(), _style(styles, "muted"))
    if page.assign_response_status:
        text.append(f"  [{page.assign_response_status}]", _style(styles, "muted"))
    if needs_attention(page.attention_required):
        attention(text, styles)
    problem(text, findings, styles, inside)
    return shown(text)


def block_label(
    block: Block,
    ref: str | None,
    styles: Styles,
    findings: Sequence[Finding] = (),
    columns: Columns = Columns(),
) -> Text:
    config = block.config
    shown_ref = ref if (block.is_question or config.name) and ref else "·"
    badge_part = strip_control_codes(fit(badge(block.type), columns.badge))
    ref_part = strip_control_codes(fit(shown_ref, columns.ref))
    # Text blocks are markdown: a heading's `#`s say nothing in a one-line label.
    label = short(config.summary.lstrip("#> ").replace("**", ""), LABEL_MAX) or "(no label)"
    # The line in one piece, with its spans, as `append` would make it part by part (what
    # opening every page of a 20,000-block survey spent a third of its time on).
    ref_at = len(badge_part) + 1
    spans = []
    for start, part, style in (
        (0, badge_part, _style(styles, "badge")),
        (ref_at, ref_part, _style(styles, "ref")),
    ):
        if part and style:
            spans.append(Span(start, start + len(part), style))
    text = Text(f"{badge_part} {ref_part}  {strip_control_codes(label)}", no_wrap=True, spans=spans)
    if config.showIf:
        text.append("  if…", _style(styles, "muted"))
    if needs_attention(config.attentionRequired):
        attention(text, styles)
    if isinstance(config, UnparsedConfig):
        text.append("  ")
        text.append(f"{PROBLEM} config not understood", _style(styles, "problem"))
    problem(text, findings, styles)
    return shown(text)


def rule_label(
    rule: NavigationRule,
    target: Page | None,
    styles: Styles,
    findings: Sequence[Finding] = (),
    columns: Columns = Columns(),
) -> Text:
    text = Text(no_wrap=True)
    text.append("→ ", _style(styles, "rule"))
    name = target.name if target is not None else f"<missing page {rule.target_page_id}>"
    text.append(fit(name, max(columns.name, 1)), _style(styles, "rule"))
    text.append("  ")
    if rule.condition:
        text.append("if ", _style(styles, "muted"))
        text.append(short(rule.condition, 48))
    else:
        text.append("always", _style(styles, "muted"))
    if needs_attention(rule.attention_required):
        attention(text, styles)
    problem(text, findings, styles)
    return shown(text)


def variables_label(count: int, styles: Styles) -> Text:
    text = Text("Variables", no_wrap=True)
    text.append(f"  ({count})", _style(styles, "muted"))
    return shown(text)


def variable_label(
    variable: Variable,
    styles: Styles,
    findings: Sequence[Finding] = (),
    columns: Columns = Columns(),
) -> Text:
    text = Text(no_wrap=True)
    text.append(fit(variable.name or variable.id, max(columns.variable, 1)), _style(styles, "ref"))
    text.append(" = ", _style(styles, "muted"))
    text.append(short(variable.expression, 48) if variable.expression else "(no expression)")
    if needs_attention(variable.attention_required):
        attention(text, styles)
    problem(text, findings, styles)
    return shown(text)
