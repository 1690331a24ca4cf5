"""The one main screen: status, progress, tree | detail, event log, footer."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual import events
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static, Tree

from qtui.core.store import Change, Progress, SurveyStore
from qtui.tui.clock import Clock
from qtui.tui.problems import ProblemReport
from qtui.tui.safe import plain
from qtui.tui.screens.condition import ConditionScreen, condition_of
from qtui.tui.widgets.detail import DetailPane
from qtui.tui.widgets.event_log import EventLog, LogEntry
from qtui.tui.widgets.footer import QtuiFooter
from qtui.tui.widgets.status_bar import ProgressRow, StatusBar, StatusInfo
from qtui.tui.widgets.survey_text_fields import SurveyTextInput
from qtui.tui.widgets.survey_tree import Item, NodeKey, SurveyTree

NARROW_WIDTH = 100  # below this the detail goes under the tree
SHORT_HEIGHT = 30  # below this the event log starts hidden


class FilterInput(SurveyTextInput):
    HELP: ClassVar[str] = """\
## Filter
Type to keep only pages, blocks, rules and variables whose name, label, reference name or
condition contains the text. `enter` goes back to the tree with the filter kept; `esc`
clears it.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "screen.clear_filter", "Clear filter", show=False),
        Binding("down", "screen.focus_tree", "To tree", show=False),
    ]


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        # From the tree too (the field keeps the filter after enter): esc clears a filter.
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(
        self,
        store: SurveyStore,
        *,
        clock: Clock,
        flash_ms: int,
        min_size: tuple[int, int],
        log_limit: int = 1000,
    ) -> None:
        super().__init__()
        self.store = store
        self.clock = clock
        self.flash_ms = flash_ms
        self.min_size = min_size
        self.log_limit = log_limit
        self._log_choice: bool | None = None  # the user's choice overrides the default
        self._focus_before_small: Widget | None = None
        # Held, not queried: timers and messages still reach the app while it shuts down,
        # after these have left the screen, and a query would then find nothing.
        self._status = StatusBar(clock=clock, id="status")
        self._progress = ProgressRow(clock=clock, id="progress")
        self._tree = SurveyTree(store, clock=clock, flash_ms=flash_ms, id="tree")
        self._detail = DetailPane(store, clock=clock, id="detail")
        self._log = EventLog(limit=log_limit, id="log")

    def compose(self) -> ComposeResult:
        with Vertical(id="main"):
            yield self._status
            yield self._progress
            with Horizontal(id="body"):
                with Vertical(id="tree-pane"):
                    field = FilterInput(placeholder="filter: name, label, q-name…", id="filter")
                    field.display = False
                    field.cursor_blink = self.clock.animate
                    yield field
                    yield Static("", id="filter-none")
                    yield self._tree
                yield self._detail
            yield self._log
            yield QtuiFooter()
        yield Static("", id="too-small")

    @property
    def tree(self) -> SurveyTree:
        return self._tree

    @property
    def detail(self) -> DetailPane:
        return self._detail

    @property
    def log_view(self) -> EventLog:
        return self._log

    def on_mount(self) -> None:
        self.query_one("#tree-pane").border_title = "Survey"
        self.query_one("#filter-none").display = False
        self.tree.focus()
        self._fit(self.size.width, self.size.height)
        self.app.main_ready()  # type: ignore[attr-defined]

    # --- layout -----------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width, event.size.height)
        # The tree's new height is known once laid out: then bring its cursor back in view
        # (a smaller terminal, or panels stacking under it, may have left it below the fold).
        self.call_after_refresh(self._cursor_into_view)

    def _cursor_into_view(self) -> None:
        tree = self.tree
        if tree.is_attached and tree.cursor_line >= 0:
            tree.scroll_to_line(tree.cursor_line, animate=False)

    def _fit(self, width: int, height: int) -> None:
        min_w, min_h = self.min_size
        too_small = width < min_w or height < min_h
        was_small = self.has_class("-too-small")
        if too_small and not was_small:
            # Hiding the panels takes focus from them; remember who had it.
            self._focus_before_small = self.focused
        self.set_class(too_small, "-too-small")
        if was_small and not too_small:
            # Grown back: the widget that had focus gets it again (arrows work at once).
            before, self._focus_before_small = self._focus_before_small, None
            target = before if before is not None and before.is_attached else self.tree
            self.call_after_refresh(target.focus)
        if too_small:
            self.query_one("#too-small", Static).update(
                f"terminal too small — need at least {min_w}×{min_h} (now {width}×{height})"
            )
        self.set_class(width < NARROW_WIDTH, "-narrow")
        show_log = self._log_choice if self._log_choice is not None else height >= SHORT_HEIGHT
        self.set_class(not show_log, "-log-hidden")

    def toggle_log(self) -> bool:
        shown = self.has_class("-log-hidden")
        self._log_choice = shown
        self.set_class(not shown, "-log-hidden")
        if not shown and self.log_view.has_focus:
            self.tree.focus()
        return shown

    def toggle_detail(self) -> bool:
        shown = self.has_class("-detail-hidden")
        self.set_class(not shown, "-detail-hidden")
        if not shown and self.detail.has_focus:
            self.tree.focus()
        return shown

    # --- updates ----------------------------------------------------------------------

    def show_survey(self, survey_id: str) -> None:
        self.tree.show_survey(survey_id)
        self.show_no_match()
        self.detail.survey_id = survey_id
        self.refresh_detail()

    def rebuild(self) -> None:
        self.tree.rebuild()
        self.show_no_match()
        self.refresh_detail()

    def apply(self, changes: list[Change], entries: list[LogEntry]) -> set[NodeKey]:
        changed = self.tree.apply(changes) if changes else set()
        if changes and self.tree.filter_text:
            self.show_no_match()  # live changes may bring a match, or take the last away
        item = self.tree.item
        if item is not None and (item.key in changed or item.kind in ("survey", "variables")):
            self.refresh_detail()
        self.log_view.add_entries(entries)
        return changed

    def refresh_detail(self) -> None:
        self._show_detail(self.tree.item)

    def _show_detail(self, item: Item | None) -> None:
        tree = self.tree
        self.detail.show(item, tree.refs, tree.page_numbers(), tree.block_counts())

    def show_problems(self, report: ProblemReport | None, found: tuple[str, str]) -> None:
        """Mark the nodes a route check found problems in; repaints only what changed."""
        by_key = report.by_key if report is not None else {}
        changed = self.tree.set_problems(by_key, report.inside if report is not None else {})
        detail = self.detail
        detail.findings = by_key
        summary_changed = detail.problems_summary != found
        detail.problems_summary = found
        item = self.tree.item
        if item is not None and (
            item.key in changed or (item.kind == "survey" and summary_changed)
        ):
            self.refresh_detail()

    def show_status(self, info: StatusInfo, progress: Progress, now: datetime | None) -> None:
        self._status.show(info)
        self._progress.show(progress, now)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[Item]) -> None:
        self._show_detail(event.node.data)

    def on_tree_node_selected(self, event: Tree.NodeSelected[Item]) -> None:
        # enter on a block, rule or variable opens its edit form where it can be edited;
        # read-only (a replay), it shows the item's whole condition
        item = event.node.data
        if item is None:
            return
        editing = getattr(self.app, "editing", None)
        editable = editing is not None and editing.read_only_reason is None
        if editable and item.kind in ("block", "rule", "variable"):
            self.app.action_edit()  # type: ignore[attr-defined]
            return
        self.show_condition(item)

    def show_condition(self, item: Item) -> bool:
        """The item's whole condition, `showIf` or expression, wrapped, in a modal."""
        found = condition_of(self.store, item, self.tree.refs)
        if found is None:
            return False
        self.app.push_screen(ConditionScreen(*found, self.detail.styles_map))
        return True

    # --- filter -----------------------------------------------------------------------

    def open_filter(self) -> None:
        field = self.query_one(FilterInput)
        # Shown and focused at once (not after a refresh), so keys typed right after `/`
        # (or pasted with it) land in the field.
        field.display = True
        self.set_focus(field)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.tree.set_filter(event.value)
            self.show_no_match()
            self.refresh_detail()
            self.app.refresh_status()  # type: ignore[attr-defined]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            if not event.value.strip():
                self.action_clear_filter()
                return
            self.tree.focus()

    def action_clear_filter(self) -> None:
        field = self.query_one(FilterInput)
        if not field.display and not self.tree.filter_text:
            raise SkipAction()  # no filter: esc is not ours
        field.value = ""
        self.tree.set_filter("")
        self.show_no_match()
        field.display = False
        self.tree.focus()
        self.refresh_detail()
        self.app.refresh_status()  # type: ignore[attr-defined]

    def show_no_match(self) -> None:
        """Under the filter, a line saying so when it leaves nothing to show."""
        line = self.query_one("#filter-none", Static)
        text = self.tree.filter_text
        empty = bool(text) and self.tree.survey_id is not None and not self.tree.has_matches()
        if empty:
            typed = self.query_one(FilterInput).value.strip() or text
            line.update(plain(f"Nothing matches “{typed}” · esc clears the filter"))
        line.display = empty

    def action_focus_tree(self) -> None:
        self.tree.focus()

    def on_event_log_opened(self, event: EventLog.Opened) -> None:
        self.app.show_event_json(event.entry)  # type: ignore[attr-defined]
