"""A block's line is built in one piece: it reads and is styled as built part by part."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from qtui.core.models import Block
from qtui.core.outline import badge, short
from qtui.tui.safe import shown
from qtui.tui.widgets.labels import LABEL_MAX, Columns, block_label, fit

STYLED = {"badge": Style(bold=True), "ref": Style(italic=True), "muted": Style(dim=True)}
PLAIN_BADGE = {"badge": Style(), "ref": Style(italic=True)}  # a null style makes no span


def part_by_part(block: Block, ref: str | None, columns: Columns, styles: dict) -> Text:
    """The line as `Text.append` makes it (which drops control codes from every part)."""
    config = block.config
    text = Text(no_wrap=True)
    text.append(fit(badge(block.type), columns.badge), styles["badge"])
    text.append(" ")
    shown_ref = ref if (block.is_question or config.name) and ref else "·"
    text.append(fit(shown_ref, columns.ref), styles["ref"])
    text.append("  ")
    text.append(short(config.summary.lstrip("#> ").replace("**", ""), LABEL_MAX) or "(no label)")
    if config.showIf:
        text.append("  if…", styles.get("muted", Style()))
    return shown(text)


def mc(label: str, **extra: object) -> Block:
    config = {"type": "MultipleChoice", "label": label, "choices": [], **extra}
    return Block.model_validate({"id": "b1", "page_id": "p1", "config": config})


def test_block_lines_read_and_are_styled_as_built_part_by_part() -> None:
    blocks = [
        (mc("How old are you?"), "q1"),
        (mc("Bell\x07 and back\x08space [/] [bold]not markup[/bold]"), "q2"),
        (mc("x" * 200, showIf="q1.value == '1'"), "q3"),
        (mc(""), None),
        (mc("Named", name="age\x07\x08group"), "age\x07\x08group"),
        (
            Block.model_validate(
                {"id": "t", "config": {"type": "Text", "content": "# **Welcome**\r\nback"}}
            ),
            None,
        ),
    ]
    for styles in (STYLED, PLAIN_BADGE):
        for columns in (Columns(), Columns(badge=4, ref=6), Columns(badge=0, ref=0)):
            for block, ref in blocks:
                ours = block_label(block, ref, styles, (), columns)
                theirs = part_by_part(block, ref, columns, styles)
                assert ours.plain == theirs.plain
                assert ours.spans == theirs.spans
                assert ours.no_wrap


def test_a_block_line_never_reads_markup_or_carries_control_codes() -> None:
    line = block_label(mc("[red]x[/] \x1b[2J"), "q1", STYLED, (), Columns(badge=4, ref=4))
    assert "[red]x[/]" in line.plain
    assert "\x1b" not in line.plain and "\x07" not in line.plain
