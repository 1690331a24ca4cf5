"""The survey's problems in one list: what is wrong, where, and `enter` to go there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from qtui.core.outline import badge
from qtui.core.store import SurveyStore
from qtui.tui.problems import NodeKey, ProblemReport, short
from qtui.tui.safe import shown


@dataclass(frozen=True, slots=True)
class ProblemRow:
    """One finding as the list shows it."""

    key: NodeKey  # the tree node to go to
    kind: str
    where: str  # the item's name: `3. Thanks`, `q2 on Screener`, `rule Screener → End`
    message: str


def problem_rows(
    report: ProblemReport,
    store: SurveyStore,
    refs: Mapping[str, str],
    numbers: Mapping[str, int],
) -> list[ProblemRow]:
    """The report's problems, each with its item named as the tree shows it."""
    return [
        ProblemRow(
            problem.key,
            problem.finding.kind,
            item_name(problem.key, store, refs, numbers),
            problem.finding.message,
        )
        for problem in report.problems
    ]


def item_name(
    key: NodeKey, store: SurveyStore, refs: Mapping[str, str], numbers: Mapping[str, int]
) -> str:
    """`3. Thanks`, `q2 on Screener`, `rule Screener → End`, `variable isAdult`."""
    kind, item_id = key

    def page_name(page_id: str | None) -> str:
        page = store.page(page_id or "")
        return (page.name or page.id) if page is not None else f"missing page {page_id}"

    if kind == "page":
        return f"{numbers.get(item_id, '?')}. {page_name(item_id)}"
    if kind == "block":
        block = store.block(item_id)
        if block is None:
            return item_id
        ref = refs.get(item_id) if block.is_question or block.config.name else None
        return f"{ref or badge(block.type)} on {page_name(block.page_id)}"
    if kind == "rule":
        rule = store.rule(item_id)
        if rule is None:
            return item_id
        return f"rule {page_name(rule.source_page_id)} → {page_name(rule.target_page_id)}"
    if kind == "variable":
        variable = store.variable(item_id)
        return f"variable {variable.name}" if variable is not None else item_id
    return item_id


NO_PROBLEMS = (
    "No problems: every page can be reached and leads to the end, and every condition, "
    "showIf and variable parses and reads names that exist."
)
NOTHING_YET = "Nothing found so far."


class ProblemsScreen(ModalScreen[NodeKey | None]):
    """Returns the key of the item to go to, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,x", "close", "Close", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "problems--mark",
        "problems--where",
        "problems--message",
        "problems--none",
    }

    def __init__(self, rows: list[ProblemRow], note: str = "") -> None:
        """`note` says when the list is not current ("checking…"); empty when it is."""
        super().__init__()
        self.rows = rows
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="problems-box"):
            yield OptionList(id="problems-list")
            yield Label("", id="problems-note")
            yield Label("enter goes to the item · esc closes", id="problems-foot")

    def on_mount(self) -> None:
        self._fill()
        self.query_one(OptionList).focus()

    def show_rows(self, rows: list[ProblemRow], note: str = "") -> None:
        """New findings while the list is open: keep the highlight on the same finding."""
        if rows == self.rows and note == self.note:
            return
        options = self.query_one(OptionList)
        current = options.highlighted
        keep = self.rows[current] if current is not None and current < len(self.rows) else None
        self.rows, self.note = rows, note
        self._fill(keep)

    def _fill(self, keep: ProblemRow | None = None) -> None:
        box = self.query_one("#problems-box")
        box.border_title = f"Problems · {len(self.rows)}" if self.rows else "Problems"
        note = self.query_one("#problems-note", Label)
        note.update(self.note)
        note.display = bool(self.note)
        options = self.query_one(OptionList)
        options.clear_options()
        if not self.rows:
            text = NOTHING_YET if self.note else NO_PROBLEMS
            options.add_option(Option(Text(text, self._style("none")), disabled=True))
            return
        options.add_options(self._option(index, row) for index, row in enumerate(self.rows))
        index = self.rows.index(keep) if keep in self.rows else 0
        options.highlighted = index

    def _style(self, name: str):  # type: ignore[no-untyped-def]
        return self.get_component_rich_style(f"problems--{name}", partial=True)

    def _option(self, index: int, row: ProblemRow) -> Option:
        text = Text()
        text.append("✗ ", self._style("mark"))
        text.append(f"{short(row.kind):<15}", self._style("mark"))
        text.append(row.where, self._style("where"))
        text.append("\n  ")
        text.append(row.message, self._style("message"))
        return Option(shown(text), id=str(index))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(self.rows[int(event.option.id)].key)

    def action_close(self) -> None:
        self.dismiss(None)
