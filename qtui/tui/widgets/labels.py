"""One-line labels for tree nodes, lists and the event log.

Styles come from the widget's component classes (set in `styles/qtui.tcss`), passed in as a
`Styles` mapping, so a theme change restyles every label.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.style import Style
from rich.text import Text

from qtui.core.models import Block, NavigationRule, Page, Survey, UnparsedConfig, Variable
from qtui.core.outline import badge, needs_attention, short
from qtui.core.routes import Finding
from qtui.tui.problems import short as kind_words

Styles = Mapping[str, Style]

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
ATTENTION = " ! "
PROBLEM = "✗"


def _style(styles: Styles, name: str) -> Style:
    return styles.get(name, Style())


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
    return text


def page_label(
    page: Page,
    number: int,
    blocks: int,
    rules: int,
    styles: Styles,
    frame: int = 0,
    findings: Sequence[Finding] = (),
    inside: int = 0,
) -> Text:
    state = page.programming_state
    text = Text(no_wrap=True)
    if state == "done":
        text.append("✓", _style(styles, "done"))
    elif state == "programming":
        text.append(SPINNER[frame % len(SPINNER)], _style(styles, "programming"))
    else:
        text.append("·", _style(styles, "muted"))
    text.append(f" {number}. ", _style(styles, "muted"))
    text.append(page.name or page.id)
    counts = f"  {blocks} block{'s' if blocks != 1 else ''}"
    if rules:
        counts += f" · {rules} rule{'s' if rules != 1 else ''}"
    text.append(counts, _style(styles, "muted"))
    if page.assign_response_status:
        text.append(f"  [{page.assign_response_status}]", _style(styles, "muted"))
    if needs_attention(page.attention_required):
        attention(text, styles)
    problem(text, findings, styles, inside)
    return text


def block_label(
    block: Block, ref: str | None, styles: Styles, findings: Sequence[Finding] = ()
) -> Text:
    config = block.config
    text = Text(no_wrap=True)
    text.append(f"{badge(block.type):<4}", _style(styles, "badge"))
    text.append(" ")
    shown_ref = ref if (block.is_question or config.name) and ref else "·"
    text.append(f"{shown_ref:<5}", _style(styles, "ref"))
    text.append(" ")
    # Text blocks are markdown: a heading's `#`s say nothing in a one-line label.
    text.append(short(config.summary.lstrip("#> ").replace("**", ""), 56) or "(no label)")
    if config.showIf:
        text.append("  if…", _style(styles, "muted"))
    if needs_attention(config.attentionRequired):
        attention(text, styles)
    if isinstance(config, UnparsedConfig):
        text.append("  ")
        text.append(f"{PROBLEM} config not understood", _style(styles, "problem"))
    problem(text, findings, styles)
    return text


def rule_label(
    rule: NavigationRule, target: Page | None, styles: Styles, findings: Sequence[Finding] = ()
) -> Text:
    text = Text(no_wrap=True)
    text.append("→ ", _style(styles, "rule"))
    name = target.name if target is not None else f"<missing page {rule.target_page_id}>"
    text.append(name, _style(styles, "rule"))
    text.append("  ")
    if rule.condition:
        text.append("if ", _style(styles, "muted"))
        text.append(short(rule.condition, 48))
    else:
        text.append("always", _style(styles, "muted"))
    if needs_attention(rule.attention_required):
        attention(text, styles)
    problem(text, findings, styles)
    return text


def variables_label(count: int, styles: Styles) -> Text:
    text = Text("Variables", no_wrap=True)
    text.append(f"  ({count})", _style(styles, "muted"))
    return text


def variable_label(variable: Variable, styles: Styles, findings: Sequence[Finding] = ()) -> Text:
    text = Text(no_wrap=True)
    text.append(variable.name or variable.id, _style(styles, "ref"))
    text.append(" = ", _style(styles, "muted"))
    text.append(short(variable.expression, 48) if variable.expression else "(no expression)")
    if needs_attention(variable.attention_required):
        attention(text, styles)
    problem(text, findings, styles)
    return text
