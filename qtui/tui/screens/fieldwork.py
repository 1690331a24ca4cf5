"""Fieldwork (F): how the survey is doing in the field, live.

Totals and rates on top, completes per minute as a sparkline, then three tabs: pages
(reached, left there, ended there — in survey order, so a page nobody reaches or everyone
leaves stands out), routes (respondents per predicted route; a route nobody took after
enough completes is flagged) and incidents (`enter` opens one with its comments).
Figures come from `qtui.core.fieldwork`; this screen only lays them out. Updates are
coalesced to a few per second; `p` pauses them (frames are still counted, "+N new").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    DataTable,
    Footer,
    Label,
    OptionList,
    Sparkline,
    Static,
    TabbedContent,
    TabPane,
)
from textual.widgets.option_list import Option

from qtui.core.fieldwork import Figures, IncidentView, RouteFigures, route_figures
from qtui.tui.style_files import style_paths

if TYPE_CHECKING:
    from qtui.tui.fieldwork import FieldworkWatcher

SPARK_BUCKETS = 30
SPARK_BUCKET = timedelta(minutes=1)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _loi(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def totals_text(figures: Figures) -> Text:
    """The figures as two or three short lines (fits 80 columns)."""
    text = Text(no_wrap=False)

    def pair(label: str, value: object, style: str = "bold") -> None:
        text.append(f"{label} ", style="dim")
        text.append(str(value), style=style)
        text.append("  ")

    pair("started", figures.started)
    pair("completed", figures.completed, "bold green")
    pair("screened", figures.screened_out, "bold yellow")
    pair("over quota", figures.over_quota)
    pair("partial", figures.partial)
    pair("in progress", figures.in_progress)
    text.append("\n")
    pair("incidence", _pct(figures.incidence))
    rate = figures.completes_per_hour
    pair("completes/h", "—" if rate is None else f"{rate:.0f}")
    pair("median LOI", _loi(figures.median_loi_s))
    pair("incidents", len(figures.incidents), "bold red" if figures.incidents else "bold")
    pair("blacklisted", figures.blacklisted)
    return text


def watcher_hint(note: str | None) -> str:
    if note:
        return f"No responses yet: {note}."
    return "No responses yet: once the survey is pushed and in the field, they appear here."


class IncidentScreen(ModalScreen[None]):
    """One Oktave incident: status, title, body and its comments."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,enter", "dismiss", "Close")]

    def __init__(self, incident: IncidentView) -> None:
        super().__init__()
        self.incident = incident

    def compose(self) -> ComposeResult:
        i = self.incident
        with Vertical(id="incident-box") as box:
            box.border_title = f"Incident · {i.status}"
            yield Static(Text(i.title, style="bold"), id="incident-title")
            yield Static(Text(i.body), id="incident-body")
            if i.response_id:
                yield Static(Text(f"response {i.response_id}", style="dim"))
            with VerticalScroll(id="incident-comments"):
                if not i.comments:
                    yield Static(Text("No comments yet.", style="dim"))
                for comment in i.comments:
                    line = Text()
                    line.append(f"[{comment.status}] ", style="bold")
                    line.append(comment.solver or "someone", style="italic")
                    line.append(": ")
                    line.append(comment.body)
                    yield Static(line)
            yield Label("esc closes", id="incident-foot")


class FieldworkScreen(Screen[None]):
    """The fielded survey's live figures; `esc` or `F` goes back to the tree."""

    CSS_PATH: ClassVar[list[str | Path]] = style_paths("fieldwork.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,F", "app.pop_screen", "Back to tree"),
        Binding("p", "pause", "Pause"),
        Binding("1", "tab('pages')", "Pages", show=False),
        Binding("2", "tab('routes')", "Routes", show=False),
        Binding("3", "tab('incidents')", "Incidents", show=False),
    ]

    def __init__(
        self,
        watcher: FieldworkWatcher,
        *,
        routes: list[tuple[list[str], str]] | None = None,
        page_labels: dict[str, str] | None = None,
        now: Any = None,
        interval: float = 0.25,
    ) -> None:
        super().__init__()
        self.watcher = watcher
        self.routes = routes  # (page ids, ending) per predicted route; None: not computed
        self.page_labels = page_labels or {}
        self.now = now or (lambda: datetime.now(UTC))
        self.interval = interval
        self.paused = False
        self.shown_version = -1
        self.frames_at_pause = 0
        self.figures: Figures | None = None
        self._incidents: list[IncidentView] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="fw-head")
        yield Static("", id="fw-totals")
        with Horizontal(id="fw-spark-row"):
            yield Label("completes\nper minute", id="fw-spark-label")
            yield Sparkline([0], id="fw-spark")
        with TabbedContent(id="fw-tabs"):
            with TabPane("Pages", id="pages"):
                yield DataTable(id="fw-pages", cursor_type="row", zebra_stripes=True)
            with TabPane("Routes", id="routes"):
                yield DataTable(id="fw-routes", cursor_type="row", zebra_stripes=True)
            with TabPane("Incidents", id="incidents"):
                yield OptionList(id="fw-incidents")
        yield Footer()

    def on_mount(self) -> None:
        # The tabs mount their panes after this screen's own mount.
        self.call_after_refresh(self._start)

    def _start(self) -> None:
        pages = self.query_one("#fw-pages", DataTable)
        pages.add_columns("page", "reached", "left", "ended", "")
        routes = self.query_one("#fw-routes", DataTable)
        routes.add_columns("taken", "", "ends", "route (page numbers)")
        self.refresh_figures(force=True)
        self.set_interval(self.interval, self.refresh_figures)

    # -- actions ---------------------------------------------------------------------------

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.frames_at_pause = self.watcher.frames
        if not self.paused:
            self.refresh_figures(force=True)
        else:
            self._head()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    @on(OptionList.OptionSelected, "#fw-incidents")
    def open_incident(self, event: OptionList.OptionSelected) -> None:
        index = event.option_index
        if 0 <= index < len(self._incidents):
            self.app.push_screen(IncidentScreen(self._incidents[index]))

    # -- drawing ---------------------------------------------------------------------------

    def refresh_figures(self, force: bool = False) -> None:
        if not self.is_mounted or not self.query("#fw-pages"):
            return
        if self.paused and not force:
            self._head()
            return
        if not force and self.watcher.version == self.shown_version:
            self._head()
            return
        self.shown_version = self.watcher.version
        tally = self.watcher.tally()
        self.figures = (
            tally.figures(now=self.now(), buckets=SPARK_BUCKETS, bucket=SPARK_BUCKET)
            if tally
            else None
        )
        self._head()
        figures = self.figures
        totals = self.query_one("#fw-totals", Static)
        spark = self.query_one("#fw-spark", Sparkline)
        if figures is None:
            totals.update(Text(watcher_hint(self.watcher.note()), style="dim"))
            spark.data = [0]
            return
        totals.update(totals_text(figures))
        spark.data = list(figures.completes_by_bucket)
        self._pages(figures)
        self._routes()
        self._incident_list(figures)

    def _head(self) -> None:
        watcher = self.watcher
        head = Text()
        head.append(" Fieldwork ", style="bold reverse")
        survey = watcher.fielded()
        head.append(f" {survey or 'no survey in the field yet'} ")
        if self.paused:
            new = watcher.frames - self.frames_at_pause
            head.append(" PAUSED ", style="bold reverse yellow")
            head.append(f" +{new} new · p resumes" if new else " p resumes")
        else:
            head.append(f" {watcher.status.upper()} ", style="bold reverse green")
        if watcher.error:
            head.append(f"  {watcher.error}", style="red")
        else:
            note = watcher.note()
            if note:
                head.append(f"  {note}", style="dim")
        self.query_one("#fw-head", Static).update(head)

    def _pages(self, figures: Figures) -> None:
        table = self.query_one("#fw-pages", DataTable)
        cursor = table.cursor_row
        table.clear()
        top = max((p.reached for p in figures.pages), default=0) or 1
        for number, page in enumerate(figures.pages, 1):
            bar = "█" * round(12 * page.reached / top)
            leaving = page.dropped / page.reached if page.reached else 0
            name = Text(f"{number}. {self.page_labels.get(page.page_id, page.name)}")
            if not page.reached and figures.started:
                name.stylize("dim")
            left = Text(str(page.dropped), style="bold red" if leaving >= 0.25 else "")
            table.add_row(name, page.reached, left, page.ended, Text(bar, style="green"))
        if figures.pages:
            table.move_cursor(row=min(cursor, len(figures.pages) - 1))

    def _routes(self) -> None:
        table = self.query_one("#fw-routes", DataTable)
        tally = self.watcher.tally()
        table.clear()
        if self.routes is None or tally is None:
            table.add_row("", "", "", Text("Routes appear once the survey is loaded.", "dim"))
            return
        numbers = {p: i for i, p in enumerate(tally.shape.page_order, 1)}
        rows: list[RouteFigures] = route_figures(tally, [(p, e) for p, e in self.routes])
        for row in rows:
            path = "→".join(str(numbers.get(p, "?")) for p in row.pages)
            last = row.pages[-1] if row.pages else ""
            ends = self.page_labels.get(last, tally.shape.page_names.get(last, last))
            flag = Text("never taken", style="bold red") if row.never_taken else Text("")
            table.add_row(row.taken, flag, Text(ends), Text(path))

    def _incident_list(self, figures: Figures) -> None:
        options = self.query_one("#fw-incidents", OptionList)
        if [i.id for i in figures.incidents] == [i.id for i in self._incidents] and [
            (i.status, len(i.comments)) for i in figures.incidents
        ] == [(i.status, len(i.comments)) for i in self._incidents]:
            return
        self._incidents = list(figures.incidents)
        highlighted = options.highlighted
        options.clear_options()
        for incident in self._incidents:
            line = Text()
            line.append(
                f"[{incident.status}] ", style="bold red" if incident.status == "new" else "bold"
            )
            line.append(incident.title)
            count = len(incident.comments)
            line.append(f"  {count} comment{'s' if count != 1 else ''}", style="dim")
            options.add_option(Option(line, id=incident.id))
        if self._incidents:
            options.highlighted = min(highlighted or 0, len(self._incidents) - 1)

    @work(thread=True, exclusive=True, group="fieldwork-routes")
    def compute_routes(self, survey: Any) -> None:
        """Predicted routes of the Questra survey, in a thread (big surveys take a while)."""
        from qtui.core.routes import enumerate_routes

        plans = enumerate_routes(survey, limit=200, budget=20_000)
        routes = [(plan.page_ids, plan.ended) for plan in plans]
        self.app.call_from_thread(self._set_routes, routes)

    def _set_routes(self, routes: list[tuple[list[str], str]]) -> None:
        self.routes = routes
        if not self.paused and self.is_attached:
            self.refresh_figures(force=True)
