"""Fieldwork (F): how the survey is doing in the field, live.

Totals and rates on top, completes per minute as a sparkline, then three tabs: pages
(reached, left there, ended there — in survey order, so a page nobody reaches or everyone
leaves stands out), routes (respondents per predicted route; a route nobody took after
enough completes is flagged) and incidents (`enter` opens one with its comments).
Figures come from `qtui.core.fieldwork`; this screen only lays them out. Updates are
coalesced to a few per second; `p` pauses them (frames are still counted, "+N new").
"""

from __future__ import annotations

from collections.abc import Mapping
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
from qtui.core.page_numbers import folded
from qtui.tui import keys
from qtui.tui.safe import plain, shown
from qtui.tui.screens.help import HelpScreen
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


TOTALS_LINES = 3  # the most lines the figures take; least important pairs go first


def totals_text(figures: Figures, width: int | None = None) -> Text:
    """The figures as short lines of `label value` pairs, never split across lines.

    Within `width` cells (None: no limit, two lines: counts, then rates); when they would
    take more than three lines, the least important pairs are left out first.
    """
    rate = figures.completes_per_hour
    incidents = len(figures.incidents)
    # (importance: lower stays longer, label, value, style), counts then rates.
    counts = [
        (0, "started", figures.started, "bold"),
        (0, "completed", figures.completed, "bold green"),
        (1, "screened", figures.screened_out, "bold yellow"),
        (2, "in progress", figures.in_progress, "bold"),
        (3, "partial", figures.partial, "bold"),
        (5, "over quota", figures.over_quota, "bold"),
    ]
    rates = [
        (1, "incidence", _pct(figures.incidence), "bold"),
        (2, "completes/h", "—" if rate is None else f"{rate:.0f}", "bold"),
        (3, "median LOI", _loi(figures.median_loi_s), "bold"),
        (2, "incidents", incidents, "bold red" if incidents else "bold"),
        (4, "blacklisted", figures.blacklisted, "bold"),
    ]

    def lines(groups: list[list[tuple[int, str, object, str]]]) -> list[list[Text]]:
        out: list[list[Text]] = []
        for group in groups:
            line: list[Text] = []
            used = 0
            for _, label, value, style in group:
                pair = Text.assemble((f"{label} ", "dim"), (str(value), style))
                cells = pair.cell_len + (2 if line else 0)
                if line and width is not None and used + cells > width:
                    out.append(line)
                    line, used, cells = [], 0, pair.cell_len
                line.append(pair)
                used += cells
            if line:
                out.append(line)
        return out

    groups = [counts, rates]
    laid = lines(groups)
    while len(laid) > TOTALS_LINES:
        worst = max(item[0] for group in groups for item in group)
        if worst == 0:
            break
        # Drop one of the least important pairs (the last of them), then lay out again.
        for group in reversed(groups):
            if any(item[0] == worst for item in group):
                last = max(i for i, item in enumerate(group) if item[0] == worst)
                del group[last]
                break
        laid = lines(groups)
    return Text("\n").join(Text("  ").join(line) for line in laid)


def short_id(value: str, width: int = 10) -> str:
    """A response id short enough for a list line, still telling responses apart."""
    return value if len(value) <= width else value[: width - 1] + "…"


def age(moment: datetime, now: datetime) -> str:
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min ago"
    if seconds < 86400:
        return f"{seconds // 3600:.0f} h ago"
    return f"{seconds // 86400:.0f} d ago"


def incident_line(incident: IncidentView, now: datetime) -> Text:
    """`[status] R_4f2a…  10:02 · 8 min ago  title  1 comment`: plain text, never markup."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(f"[{incident.status}] ", style="bold red" if incident.status == "new" else "bold")
    line.append(short_id(incident.response_id) if incident.response_id else "no response")
    created = incident.created_at
    if created is not None:
        created = created.astimezone(now.tzinfo)
        stamp = created.strftime("%H:%M" if created.date() == now.date() else "%d %b %H:%M")
        line.append(f"  {stamp} · {age(created, now)}", style="dim")
    line.append("  ")
    line.append(incident.title)
    count = len(incident.comments)
    line.append(f"  {count} comment{'s' if count != 1 else ''}", style="dim")
    return shown(line)


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
            box.border_title = plain(f"Incident · {i.status}")
            yield Static(plain(i.title, "bold"), id="incident-title")
            yield Static(plain(i.body), id="incident-body")
            if i.response_id:
                yield Static(plain(f"response {i.response_id}", "dim"))
            with VerticalScroll(id="incident-comments"):
                if not i.comments:
                    yield Static(Text("No comments yet.", style="dim"))
                for comment in i.comments:
                    line = Text()
                    line.append(f"[{comment.status}] ", style="bold")
                    line.append(comment.solver or "someone", style="italic")
                    line.append(": ")
                    line.append(comment.body)
                    yield Static(shown(line))
            yield Label("esc closes", id="incident-foot")


TABS = ("pages", "routes", "incidents")

FIELDWORK_HELP = """\
## Fieldwork

How the survey last pushed is doing in the field, live: respondents started, completed,
screened out, over quota, partial and in progress; incidence, completes per hour, median
length of interview, incidents and blacklisted respondents. The sparkline shows completes
per minute over the last 30 minutes (a flat line: none yet).

Three tabs below:

- **Pages**: every page in survey order with how many respondents reached it, left there
  and ended there — completed, screened out or over quota (a red *left* figure: a quarter or
  more of those who reached it left).
- **Routes**: respondents per predicted route, written by page number with runs of pages
  folded (`1–6→29`: pages 1 to 6, then 29); a route nobody took after enough completes is
  flagged *never taken*.
- **Incidents**: Oktave incidents, newest activity first, each with its response, age and
  status; `enter` opens one with its comments.

Switch tabs with `tab` / `shift+tab` or `1` `2` `3`. `p` pauses the figures (what arrives
meanwhile is counted as "+N new"); `esc` goes back to the tree. The tree's keys (filter,
go to page, copy, edit…) work on the tree, not here.
"""


def _key_rows(keymap: Mapping[str, str]) -> list[tuple[str, str, str, str]]:
    """The keys of the fieldwork screen, for its help (app keys as the user remapped them)."""

    def app_key(key_id: str) -> tuple[str, str, str, str]:
        key = keys.KEYS_BY_ID[key_id]
        return (keys.display(keys.keys_for(key, keymap)), key.help, key.group, key.id)

    return [
        ("esc", "Back to the tree", "Fieldwork", ""),
        ("p", "Pause or resume the figures (new events are still counted)", "Fieldwork", ""),
        ("tab", "Next tab: Pages → Routes → Incidents", "Fieldwork", ""),
        ("shift+tab", "Previous tab", "Fieldwork", ""),
        ("1 2 3", "Show the Pages, Routes or Incidents tab", "Fieldwork", ""),
        ("↑ ↓", "Move in the table or list of the tab", "Fieldwork", ""),
        (
            "enter",
            "Incidents tab: open the highlighted incident with its comments",
            "Fieldwork",
            "",
        ),
        app_key("qtui.help"),
        app_key("qtui.palette"),
        app_key("qtui.quit"),
    ]


class FieldworkScreen(Screen[None]):
    """The fielded survey's live figures; `esc` or `F` goes back to the tree."""

    CSS_PATH: ClassVar[list[str | Path]] = style_paths("fieldwork.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,F", "app.pop_screen", "Back to tree"),
        # Before the list's own (hidden) enter, so the footer shows it on the Incidents tab.
        Binding("enter", "open_incident", "Open incident", priority=True),
        Binding("p", "pause", "Pause"),
        Binding("tab", "next_tab(1)", "Next tab"),
        Binding("shift+tab", "next_tab(-1)", "Previous tab", show=False),
        Binding("1", "tab('pages')", "Pages", show=False),
        Binding("2", "tab('routes')", "Routes", show=False),
        Binding("3", "tab('incidents')", "Incidents", show=False),
    ]
    HELP: ClassVar[str] = FIELDWORK_HELP  # its bindings also reach the command palette
    # The app's keys that work here besides the global ones (`F` comes back to the tree).
    APP_ACTIONS: ClassVar[frozenset[str]] = frozenset({"fieldwork"})

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
        self._incidents_minute: datetime | None = None
        self._columns = False  # the tables have their columns (set once mounted)

    def compose(self) -> ComposeResult:
        yield Static("", id="fw-head")
        yield Static("", id="fw-totals")
        with Horizontal(id="fw-spark-row"):
            yield Label("completes\nper minute", id="fw-spark-label")
            yield Sparkline([], id="fw-spark")
            yield Static(Text("no completes yet", style="dim"), id="fw-spark-note")
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
        self._columns = True
        self.refresh_figures(force=True)
        self.set_interval(self.interval, self.refresh_figures)
        self._focus_tab(self.query_one(TabbedContent).active or "pages")

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
        self._focus_tab(tab)

    def action_next_tab(self, step: int) -> None:
        active = self.query_one(TabbedContent).active
        index = TABS.index(active) if active in TABS else 0
        self.action_tab(TABS[(index + step) % len(TABS)])

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id in TABS:
            self._focus_tab(event.pane.id)

    def _focus_tab(self, tab: str) -> None:
        """The shown tab's table or list takes the keys (never a hidden one)."""
        widget_id = {"pages": "#fw-pages", "routes": "#fw-routes", "incidents": "#fw-incidents"}
        self.query_one(widget_id[tab]).focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_incident":
            return self.is_mounted and self.query_one(TabbedContent).active == "incidents"
        return True

    def action_open_incident(self) -> None:
        options = self.query_one("#fw-incidents", OptionList)
        index = options.highlighted
        if index is not None and 0 <= index < len(self._incidents):
            self.app.push_screen(IncidentScreen(self._incidents[index]))

    def help_screen(self, keymap: Mapping[str, str]) -> HelpScreen:
        """`?` here: this screen's help and keys (the app asks the screen on top)."""
        return HelpScreen("Fieldwork", FIELDWORK_HELP, keymap, rows=_key_rows(keymap))

    @on(OptionList.OptionSelected, "#fw-incidents")
    def open_incident(self, event: OptionList.OptionSelected) -> None:
        index = event.option_index
        if 0 <= index < len(self._incidents):
            self.app.push_screen(IncidentScreen(self._incidents[index]))

    # -- drawing ---------------------------------------------------------------------------

    def refresh_figures(self, force: bool = False) -> None:
        if not self.is_mounted or not self._columns:  # routes may arrive before `_start`
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
        if figures is None:
            totals.update(Text(watcher_hint(self.watcher.note()), style="dim"))
            self._spark([])
            return
        self._totals()
        self._spark(list(figures.completes_by_bucket))
        self._pages(figures)
        self._routes()
        self._incident_list(figures)

    def on_resize(self) -> None:
        self.call_after_refresh(self._totals)

    def _totals(self) -> None:
        """The figures laid out for the width the totals have now (80 columns and up)."""
        if self.figures is not None and self.is_mounted:
            totals = self.query_one("#fw-totals", Static)
            totals.update(totals_text(self.figures, totals.content_region.width or None))

    def _spark(self, values: list[float]) -> None:
        """Completes per minute; with none at all, a flat line and a note (never full bars:
        Textual draws one value, or all equal, at the top)."""
        spark = self.query_one("#fw-spark", Sparkline)
        spark.data = values if any(values) else []
        self.query_one("#fw-spark-note", Static).display = not any(values)

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
        self.query_one("#fw-head", Static).update(shown(head))

    def _pages(self, figures: Figures) -> None:
        table = self.query_one("#fw-pages", DataTable)
        cursor = table.cursor_row
        table.clear()
        top = max((p.reached for p in figures.pages), default=0) or 1
        for number, page in enumerate(figures.pages, 1):
            bar = "█" * round(12 * page.reached / top)
            leaving = page.dropped / page.reached if page.reached else 0
            name = plain(f"{number}. {self.page_labels.get(page.page_id, page.name)}")
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
            path = folded([numbers.get(p) for p in row.pages])
            last = row.pages[-1] if row.pages else ""
            ends = self.page_labels.get(last, tally.shape.page_names.get(last, last))
            flag = Text("never taken", style="bold red") if row.never_taken else Text("")
            table.add_row(row.taken, flag, plain(ends), Text(path))

    def _incident_list(self, figures: Figures) -> None:
        options = self.query_one("#fw-incidents", OptionList)
        now = self.now()
        minute = now.replace(second=0, microsecond=0)  # ages move on once a minute
        if (
            minute == self._incidents_minute
            and [i.id for i in figures.incidents] == [i.id for i in self._incidents]
            and [(i.status, len(i.comments)) for i in figures.incidents]
            == [(i.status, len(i.comments)) for i in self._incidents]
        ):
            return
        self._incidents_minute = minute
        self._incidents = list(figures.incidents)
        highlighted = options.highlighted
        options.clear_options()
        for incident in self._incidents:
            options.add_option(Option(incident_line(incident, now), id=incident.id))
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
