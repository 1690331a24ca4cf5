"""A condition, `showIf` or variable expression shown whole: wrapped, highlighted, with its
parse error and a caret under the column. The tree shows `if…` or a cut condition; `enter`
on the line opens this."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.style import Style
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from qtui.core.store import SurveyStore
from qtui.tui.safe import plain, shown
from qtui.tui.widgets.expression import expression
from qtui.tui.widgets.survey_tree import Item


def condition_of(store: SurveyStore, item: Item, refs: dict[str, str]) -> tuple[str, str] | None:
    """(title, expression) of a block's `showIf`, a rule's condition or a variable's
    expression; None when the item has none."""
    if item.kind == "block":
        block = store.block(item.id)
        if block is not None and block.config.showIf:
            return f"{refs.get(item.id) or block.type} · show if", block.config.showIf
    elif item.kind == "rule":
        rule = store.rule(item.id)
        if rule is not None and rule.condition:
            target = store.page(rule.target_page_id or "")
            name = target.name if target is not None else rule.target_page_id
            return f"→ {name} · if", rule.condition
    elif item.kind == "variable":
        variable = store.variable(item.id)
        if variable is not None and variable.expression:
            return f"{variable.name} =", variable.expression
    return None


class ConditionScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "dismiss", "Close", show=False),
        Binding("c", "copy", "Copy", show=False),
    ]

    def __init__(self, title: str, source: str, styles: Mapping[str, Style]) -> None:
        super().__init__()
        self.title_text = title
        self.source = source
        # Highlighted, with the parse error and its caret when it does not parse.
        self.shown = shown(expression(source, styles, ""))

    def compose(self) -> ComposeResult:
        with Vertical(id="condition-box") as box:
            box.border_title = plain(self.title_text)
            with VerticalScroll(id="condition-scroll"):
                yield Static(self.shown, id="condition-body")
            yield Label("c copy · esc close", id="condition-foot")

    def on_mount(self) -> None:
        self.query_one("#condition-scroll").focus()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.source)
        self.app.notify(f"Copied {len(self.source)} characters", timeout=3)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
