"""qtui's Textual app: one survey, live, from any event source.

Every source posts messages; the app turns each received event into a typed event, applies
it to the `SurveyStore` at once (so nothing is lost while the view is paused) and queues the
resulting `Change`. Queued changes reach the widgets at most once per `ui.coalesce_ms`, so a
burst of hundreds of events costs a few screen updates, not hundreds.
"""

from __future__ import annotations

import asyncio
import gc
import re
import time
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input

from qtui.config import Settings
from qtui.core.events import Event, EventError, parse_event
from qtui.core.ingest import SNAPSHOT_GEN0_THRESHOLD, ingesting
from qtui.core.models import Survey
from qtui.core.store import Change, Progress, SurveyStore
from qtui.text import printable
from qtui.tui import keys, staged_snapshot
from qtui.tui.clock import Clock
from qtui.tui.edit_actions import EditActions
from qtui.tui.edit_session import EditSession
from qtui.tui.fieldwork import (
    FieldworkAvailable,
    FieldworkConfig,
    FieldworkWatcher,
    pushed_survey_id,
)
from qtui.tui.messages import (
    Connection,
    ConnectionChanged,
    DeliveriesChecked,
    Frame,
    FramesReceived,
    ProblemsChecked,
    ReplayChanged,
    ReplayPosition,
    SnapshotLoaded,
    SourceFailed,
    SurveyChosen,
)
from qtui.tui.palette import PageCommands, key_commands, textual_commands
from qtui.tui.problems import NodeKey, ProblemReport, RouteChecker, count_text, summary
from qtui.tui.screen_keys import screen_commands, show_screen_help
from qtui.tui.screens.help import HelpScreen
from qtui.tui.screens.json_view import JsonScreen, pretty
from qtui.tui.screens.jump import JumpScreen
from qtui.tui.screens.main import MainScreen
from qtui.tui.screens.problems import ProblemRow, ProblemsScreen, problem_rows
from qtui.tui.sources import EventSource
from qtui.tui.style_files import style_paths
from qtui.tui.themes import DEFAULT_THEME, THEMES
from qtui.tui.widgets.event_log import EventLog, LogEntry
from qtui.tui.widgets.status_bar import StatusInfo
from qtui.tui.widgets.survey_tree import Item, Kind, SurveyTree


class RateMeter:
    """Events per second over the last few seconds."""

    def __init__(self, clock: Clock, window: float = 5.0) -> None:
        self.clock = clock
        self.window = window
        self._times: deque[float] = deque()

    def tick(self, count: int = 1) -> None:
        now = self.clock.monotonic()
        self._times.extend([now] * count)
        self._trim(now)

    def _trim(self, now: float) -> None:
        while self._times and self._times[0] < now - self.window:
            self._times.popleft()

    @property
    def rate(self) -> float:
        self._trim(self.clock.monotonic())
        return len(self._times) / self.window


def _survey_of(event: Event) -> str | None:
    data = event.data
    if event.entity == "survey":
        return getattr(data, "id", None)
    return getattr(data, "survey_id", None)


# Events of these entities leave a survey's progress (pages, programming job, status) as is.
_PROGRESS_KEPT = frozenset({"block", "navigation_rule", "variable"})

# Changes applied per slice of a flush, and the time after which the rest waits for the next
# frame.
FLUSH_SLICE = 10
FLUSH_BUDGET_S = 0.025
# Log rows added per flush.
LOG_SLICE = 50


class QtuiApp(EditActions, App[None]):
    """The live survey view."""

    CSS_PATH: ClassVar[list[str | Path]] = style_paths("qtui.tcss", "modals.tcss", "edit.tcss")
    TITLE = "qtui"
    BINDINGS: ClassVar[list[BindingType]] = keys.bindings()  # type: ignore[assignment]
    COMMANDS = App.COMMANDS | {PageCommands}
    ENABLE_COMMAND_PALETTE = True

    HELP: ClassVar[str] = ""

    def __init__(
        self,
        source: EventSource,
        *,
        survey_id: str | None = None,
        settings: Settings | None = None,
        clock: Clock | None = None,
        store: SurveyStore | None = None,
        log_limit: int = 1000,
        check_interval: float = 1.0,
    ) -> None:
        super().__init__()
        self.settings = settings or Settings.model_construct()
        self.source = source
        self.store = store or SurveyStore()
        self.survey_id = survey_id
        self.clock = clock or Clock()
        self.log_limit = log_limit
        self.keymap: dict[str, str] = dict(self.settings.keymap)
        self.paused = False
        self.connection = Connection(source.initial_status)
        self.replay_position: ReplayPosition | None = None
        self.received = 0
        self.snapshots_loaded = 0
        self._loading = 0
        self.latest_event_at: datetime | None = None  # newest received
        self.newest_shown_at: datetime | None = None  # newest that reached the widgets
        self._newest_queued: datetime | None = None  # newest waiting for the next flush
        self.pending_events = 0  # received while the view is paused
        self.fatal_error: str | None = None  # why the source gave up, printed after exit
        self.delivery_problem: str | None = None  # why Questra's deliveries fail, if they do
        self.flush_seconds: list[float] = []  # time spent in each flush (for bench/tui.py)
        self.timings: dict[str, float] = {}  # last snapshot load, by phase
        self._changes: list[Change] = []
        # The shown survey's progress, until an event that can change it (see `_progress`).
        self._progress: tuple[str, Progress] | None = None
        self._entries: list[LogEntry] = []
        self._flush_timer: Timer | None = None
        self._status_timer: Timer | None = None
        self._rate = RateMeter(self.clock)
        self._closed = False
        self._warnings: list[str] = []
        # The survey's own routing problems: checked after changes, at most once per
        # `check_interval` seconds, in a thread.
        self.problems = RouteChecker(self, self.store.survey, interval=check_interval)
        self._shown_report: ProblemReport | None = None
        self.editing = EditSession(self)  # where edits go; pending marks, undo, drafts
        # Responses in the field (Oktave, Qualtrics), when a source says where to follow them.
        self.fieldwork = FieldworkWatcher(self.post_message, self._shown_survey)
        for theme in THEMES:
            self.register_theme(theme)
        self.theme = self._theme_name(self.settings.theme)

    # --- set-up -----------------------------------------------------------------------

    def _theme_name(self, wanted: str) -> str:
        if wanted in self.available_themes:
            return wanted
        self._warnings.append(
            f"Unknown theme {wanted!r}; using {DEFAULT_THEME}. "
            f"Themes: {', '.join(sorted(self.available_themes))}"
        )
        return DEFAULT_THEME

    def get_default_screen(self) -> MainScreen:
        ui = self.settings.ui
        return MainScreen(
            self.store,
            clock=self.clock,
            flash_ms=ui.flash_ms,
            min_size=(ui.min_width, ui.min_height),
            log_limit=self.log_limit,
        )

    @property
    def main(self) -> MainScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast is plain text: messages carry survey text, paths and server replies,
        which must never be read as markup (a `[/]` in a page name would crash the app)."""
        super().notify(
            printable(message), title=title, severity=severity, timeout=timeout, markup=False
        )

    def on_mount(self) -> None:
        if self.keymap:
            unknown = keys.unknown_ids(self.keymap)
            if unknown:
                self._warnings.append(
                    f"Unknown key ids in keymap: {', '.join(unknown)} "
                    f"(known: {', '.join(k.id for k in keys.KEYS)})"
                )
            for binding_id, reason in keys.conflicts(self.keymap).items():
                del self.keymap[binding_id]  # refused: the action keeps its own keys
                self._warnings.append(f"Keymap refused: {reason}")
            self.set_keymap(self.keymap)
        for warning in self._warnings:
            self.notify(warning, severity="warning", timeout=8)

    def main_ready(self) -> None:
        """The main screen is composed: show what is known and start the source."""
        if self.survey_id is not None:
            self.show_survey(self.survey_id)
        self.source.attach(self.post_message)
        self.run_source()
        self.set_interval(1.0, self.refresh_status)
        self.refresh_status()

    @work(exclusive=True, group="source", exit_on_error=False)
    async def run_source(self) -> None:
        try:
            await self.source.run()
        except Exception as exc:  # noqa: BLE001 - shown to the user, the view stays usable
            self.post_message(SourceFailed(f"{type(exc).__name__}: {exc}"))

    async def close_source(self) -> None:
        if not self._closed:
            self._closed = True
            await self.source.close()
            await self.editing.close()
            await self.fieldwork.close()

    async def action_quit(self) -> None:
        if self.editing.unsaved_warning():
            return
        await self.close_source()
        self.exit()

    async def on_unmount(self) -> None:
        await self.close_source()

    # --- messages from the source -----------------------------------------------------

    def show_survey(self, survey_id: str) -> None:
        self.store.prefer(survey_id)  # an id another survey shares reads as this survey's
        self._progress = None
        self.main.show_survey(survey_id)
        self.problems.show(survey_id, self.tree.page_count())

    def on_survey_chosen(self, message: SurveyChosen) -> None:
        if self.survey_id != message.survey_id:
            self.survey_id = message.survey_id
            self.show_survey(message.survey_id)
            self.refresh_status()

    def on_snapshot_loaded(self, message: SnapshotLoaded) -> None:
        self.load_snapshot(message.survey)

    # A description of its own: Textual's default is the repr of the arguments, i.e. of the
    # whole snapshot (a tenth of a second of the UI thread for a 21,000-block survey).
    @work(group="snapshot", exit_on_error=False, description="load_snapshot")
    async def load_snapshot(self, data: dict[str, Any]) -> None:
        """Validate off the event loop (seconds for a 20,000-block survey), then merge; a
        large survey shows its pages first and gets their contents in parts after."""
        self._loading += 1
        try:
            if staged_snapshot.is_large(data):
                await self._load_in_stages(data)
            else:
                await self._load_whole(data)
        finally:
            self._loading -= 1
        self.refresh_status()

    async def _merge(self, document: dict[str, Any]) -> Survey:
        started = time.perf_counter()
        survey = await asyncio.to_thread(staged_snapshot.validated, document)
        validated = time.perf_counter()
        with ingesting(SNAPSHOT_GEN0_THRESHOLD):
            self.store.load(survey)
        self._progress = None
        self.timings["validate_s"] = self.timings.get("validate_s", 0) + validated - started
        merged = time.perf_counter() - validated
        self.timings["store_load_s"] = self.timings.get("store_load_s", 0) + merged
        return survey

    async def _load_whole(self, data: dict[str, Any]) -> None:
        self.timings = {}
        try:
            survey = await self._merge(data)
        except Exception as exc:  # noqa: BLE001 - a malformed snapshot is reported, not fatal
            self.notify(f"Survey snapshot not usable: {exc}", severity="error", timeout=10)
            return
        # A big survey is tens of thousands of long-lived objects: keep them out of the
        # cyclic collector's full passes, which would otherwise stall the UI for 0.5 s+.
        gc.freeze()
        self.snapshots_loaded += 1
        started = time.perf_counter()
        if self.survey_id is None and survey.id:
            self.survey_id = survey.id
            self.show_survey(survey.id)
        elif self.survey_id is not None:
            self.main.rebuild()  # a snapshot carries no changes: lay the tree out again
            self.problems.changed(self.tree.page_count())
        self.timings["tree_build_s"] = time.perf_counter() - started

    async def _load_in_stages(self, data: dict[str, Any]) -> None:
        """The page list first (navigable at once), then the pages' contents in parts; the
        route check waits for the whole survey."""
        self.timings = {}
        loading_started = time.perf_counter()
        try:
            survey = await self._merge(staged_snapshot.page_list(data))
        except Exception as exc:  # noqa: BLE001 - a malformed snapshot is reported, not fatal
            self.notify(f"Survey snapshot not usable: {exc}", severity="error", timeout=10)
            return
        started = time.perf_counter()
        tree = self.tree
        tree.announce(staged_snapshot.announced(data))
        if self.survey_id is None and survey.id:
            self.survey_id = survey.id
            self.store.prefer(survey.id)
            self._progress = None
            self.main.show_survey(survey.id)
        elif self.survey_id is not None:
            self.main.rebuild()
        self.timings["tree_build_s"] = time.perf_counter() - started
        self.timings["pages_shown_s"] = time.perf_counter() - loading_started
        try:
            for part in staged_snapshot.parts(data):
                merged = await self._merge(part)
                tree.contents_arrived(page.id for page in merged.pages)
        except Exception as exc:  # noqa: BLE001 - what arrived so far stays shown
            self.notify(f"Survey snapshot not usable: {exc}", severity="error", timeout=10)
        started = time.perf_counter()
        tree.resync()
        self.main.show_no_match()
        self.main.refresh_detail()
        self.timings["tree_resync_s"] = time.perf_counter() - started
        self.timings["contents_s"] = time.perf_counter() - loading_started
        gc.freeze()
        self.snapshots_loaded += 1
        if self.survey_id is not None:
            self.problems.show(self.survey_id, tree.page_count())

    def on_frames_received(self, message: FramesReceived) -> None:
        for frame in message.frames:
            self._ingest(frame)
        self._rate.tick(len(message.frames))
        self.received += len(message.frames)
        if self.paused:
            self.pending_events += len(message.frames)
            if self._status_timer is None:
                self._status_timer = self.set_timer(
                    self.settings.ui.coalesce_ms / 1000, self._paused_status
                )
            return
        if self._flush_timer is None:
            self._flush_timer = self.set_timer(
                self.settings.ui.coalesce_ms / 1000, self.flush, name="flush"
            )

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        self.connection = message.connection
        self.refresh_status()

    def on_replay_changed(self, message: ReplayChanged) -> None:
        self.replay_position = message.position
        self.refresh_bindings()
        self.refresh_status()

    def on_deliveries_checked(self, message: DeliveriesChecked) -> None:
        if message.problem and message.problem != self.delivery_problem:
            self.notify(message.problem, title="Nothing reaches the relay", severity="error")
        self.delivery_problem = message.problem
        self.refresh_status()

    def on_source_failed(self, message: SourceFailed) -> None:
        if message.fatal:
            # Waiting would be silent for ever: say why on the terminal and stop.
            self.fatal_error = message.reason
            self.exit(return_code=1)
            return
        self.notify(message.reason, title="Source", severity="error", timeout=12)

    # --- applying events --------------------------------------------------------------

    def _ingest(self, frame: Frame) -> None:
        where = f"line {frame.lineno}: " if frame.lineno is not None else ""
        if frame.envelope is None:
            self._entries.append(
                LogEntry(frame, "", "invalid", f"{where}{frame.error or 'unreadable'}")
            )
            return
        try:
            event = parse_event(frame.envelope)
        except EventError as exc:
            self._entries.append(LogEntry(frame, "", "invalid", f"{where}{exc}"))
            return
        self.editing.seen(event, frame)
        moment = event.timestamp if event.timestamp.tzinfo else event.timestamp.replace(tzinfo=UTC)
        if self.latest_event_at is None or moment > self.latest_event_at:
            self.latest_event_at = moment
        if self._newest_queued is None or moment > self._newest_queued:
            self._newest_queued = moment
        if self.survey_id is None:
            adopted = _survey_of(event)
            if adopted:
                self.survey_id = adopted
                self.show_survey(adopted)
        before_name = self._item_name(event)  # deletes carry only an id: name it first
        change = self.store.apply(event, frame.survey_id)
        if event.entity not in _PROGRESS_KEPT or not event.is_known:
            self._progress = None
        name = self._item_name(event) if change is None or change.kind != "deleted" else None
        note = "" if change is not None or not event.is_known else "no change"
        if not event.is_known:
            note = "not shown"
        self._entries.append(
            LogEntry(
                frame,
                self.clock.hms(event.timestamp),
                event.type,
                name or before_name or event.item_id or "—",
                note,
            )
        )
        if change is not None:
            self._changes.append(change)

    def _item_name(self, event: Event) -> str | None:
        store, item_id = self.store, event.item_id or ""
        entity = event.entity
        if entity in ("survey", "programming"):
            record = store.survey_record(item_id)
            return record.name if record and record.name else item_id or None
        if entity == "page":
            page = store.page(item_id)
            return f"page {page.name}" if page else None
        if entity == "block":
            block = store.block(item_id)
            if block is None:
                return None
            ref = self.main.tree.ref_name(item_id)
            label = (block.config.summary or "")[:40]
            return f"{ref + ' ' if ref else ''}{block.type}: {label}".strip()
        if entity == "navigation_rule":
            rule = store.rule(item_id)
            if rule is None:
                return None
            source = store.page(rule.source_page_id or "")
            target = store.page(rule.target_page_id or "")
            return f"rule {source.name if source else '?'} → {target.name if target else '?'}"
        if entity == "variable":
            variable = store.variable(item_id)
            return f"variable {variable.name}" if variable else None
        if entity == "changeset":
            return str(getattr(event.data, "title", None) or item_id)
        return None

    def flush(self) -> None:
        """Apply queued changes to the widgets (called at most once per coalesce interval)."""
        self._flush_timer = None
        if self.paused or not self.is_running:
            return
        started = time.perf_counter()
        applied = False
        # A big backlog is applied a slice at a time, across frames, so that no flush holds
        # the event loop (keys, repaints) for more than about FLUSH_BUDGET_S.
        queued_changes, queued_entries = self._changes, self._entries
        done = 0
        while done < len(queued_changes):
            changes = queued_changes[done : done + FLUSH_SLICE]
            self.main.apply(changes, [])
            applied = True
            done += FLUSH_SLICE
            if time.perf_counter() - started > FLUSH_BUDGET_S:
                break
        # The log takes its rows in one go per flush (each call re-reads its whole table),
        # at most LOG_SLICE of them; the rest wait for the next frame as changes do.
        log = self.main.log_view
        if len(queued_entries) > log.limit:  # older ones would only be trimmed off again
            queued_entries = queued_entries[-log.limit :]
        logged = min(len(queued_entries), LOG_SLICE)
        if logged:
            log.add_entries(queued_entries[:logged])
        # What is left (one copy per flush, never one per slice) waits for the next frame.
        self._changes, self._entries = queued_changes[done:], queued_entries[logged:]
        if self._changes or self._entries:
            self._flush_timer = self.set_timer(1 / 60, self.flush, name="flush")
        else:
            queued, self._newest_queued = self._newest_queued, None
            if queued is not None and (
                self.newest_shown_at is None or queued > self.newest_shown_at
            ):
                self.newest_shown_at = queued
        if applied:
            self.problems.changed(self.tree.page_count())
        if self.problems.report is not self._shown_report:
            self.show_problems()  # a check that finished while the view was paused
        self.pending_events = 0
        self.refresh_status()
        self.flush_seconds.append(time.perf_counter() - started)

    # --- the survey's problems ------------------------------------------------------------

    def on_problems_checked(self, message: ProblemsChecked) -> None:
        if not self.problems.finished(message) or not self.is_running:
            return
        if message.error is not None:
            self.notify(
                f"Could not check the survey's routes: {message.error}",
                severity="error",
                timeout=10,
            )
        if not self.paused:
            self.show_problems()
        self.refresh_status()

    @property
    def problems_idle(self) -> bool:
        """True when no route check is running or due (for tests and scripts)."""
        shown = self.paused or self.problems.report is self._shown_report
        return self.problems.idle and shown

    def show_problems(self) -> None:
        report = self.problems.report
        self._shown_report = report
        found = ("", "muted")
        if report is not None:
            found = (
                (count_text(report.count), "error") if report.count else ("no problems found", "ok")
            )
            if report.count:
                found = (f"{found[0]} · {self.problems_key} lists them", found[1])
        self.main.show_problems(report, found)
        for screen in self.screen_stack:
            if isinstance(screen, ProblemsScreen):
                screen.show_rows(self.problem_rows(), self._problems_note())

    @property
    def problems_key(self) -> str:
        """The key that opens the list of problems, as remapped by the user."""
        bound = keys.keys_for(keys.KEYS_BY_ID["qtui.problems"], self.keymap)
        return keys.display(bound).split(" ")[0]

    def _problems_note(self) -> str:
        state = self.problems.state
        if state == "current":
            return ""
        return summary(state, self._shown_report, self.problems.error, self.problems_key)[0]

    def problem_rows(self) -> list[ProblemRow]:
        report = self._shown_report
        if report is None:
            return []
        tree = self.tree
        return problem_rows(report, self.store, tree.refs, tree.page_numbers())

    def action_qa(self) -> None:
        from qtui.tui.qa_app import open_from_live_tree

        open_from_live_tree(self)

    # --- fieldwork (F) ---------------------------------------------------------------------

    def _shown_survey(self) -> Survey | None:
        return self.store.survey(self.survey_id) if self.survey_id else None

    def on_fieldwork_available(self, message: FieldworkAvailable) -> None:
        config = message.config
        if config.qualtrics_base_url is None:
            section = self.settings.qualtrics
            token = section.token.get_secret_value() if section.token else None
            base_url = section.base_url

            def pushed() -> str | None:
                return pushed_survey_id(self.survey_id, base_url)

            config = FieldworkConfig(
                config.relay_ws_url, config.relay_token, base_url, token, config.note, pushed
            )
        self.follow_fieldwork(config)

    @work(exclusive=True, group="fieldwork", exit_on_error=False)
    async def follow_fieldwork(self, config: FieldworkConfig) -> None:
        try:
            await self.fieldwork.run(config)
        except Exception as exc:  # noqa: BLE001 - the tree view carries on without it
            self.notify(f"Fieldwork stopped: {exc}", severity="error", timeout=10)

    def action_fieldwork(self) -> None:
        from qtui.tui.screens.fieldwork import FieldworkScreen

        if isinstance(self.screen, FieldworkScreen):
            self.pop_screen()
            return
        survey = self._shown_survey()
        labels = {p.id: p.name or p.id for p in survey.pages} if survey is not None else {}
        screen = FieldworkScreen(self.fieldwork, page_labels=labels, now=self.clock.now)
        self.push_screen(screen)
        if survey is not None and survey.pages:
            screen.compute_routes(survey)

    def action_problems(self) -> None:
        self.problems.check_now()
        self.refresh_status()

        def chosen(key: NodeKey | None) -> None:
            if key is not None:
                self.go_to_item(key[0], key[1])  # type: ignore[arg-type]

        self.push_screen(ProblemsScreen(self.problem_rows(), self._problems_note()), chosen)

    def _paused_status(self) -> None:
        self._status_timer = None
        self.refresh_status()

    @property
    def view_is_current(self) -> bool:
        """True when every received event has reached the widgets."""
        return (
            not self._changes
            and not self._entries
            and self._flush_timer is None
            and not self._loading
        )

    # --- status -----------------------------------------------------------------------

    def refresh_status(self) -> None:
        if not self.screen_stack or not self.is_running:
            return
        survey_id = self.survey_id or ""
        record = self.store.survey_record(survey_id) if survey_id else None
        progress = self._survey_progress(survey_id)
        info = StatusInfo(
            paused=self.paused,
            status=str(progress.status) if progress.status else "waiting",
            platform=str(record.target_platform) if record and record.target_platform else "",
            pushed=record.platform_ir_last_pushed_at if record else None,
            connection=self.connection,
            rate=self._rate.rate,
            pending=self.pending_events if self.paused else 0,
            replay=self.replay_position,
            filter=self.main.tree.filter_text,
            problems=summary(
                self.problems.state, self._shown_report, self.problems.error, self.problems_key
            ),
            newest=self.newest_shown_at,
            deliveries=self.delivery_problem,
            unsaved=self.editing.dirty,
            activity=self.editing.activity,
        )
        # A running job's time is measured on Questra's clock, to the newest event shown,
        # as its final time is (programming.started → programming.finished).
        self.main.show_status(info, progress, self.newest_shown_at)

    def _survey_progress(self, survey_id: str) -> Progress:
        """The store's `progress`, counted again only after an event that can change it: it
        sorts every page, a few milliseconds of each flush for a 1,000-page survey."""
        if self._progress is None or self._progress[0] != survey_id:
            self._progress = (survey_id, self.store.progress(survey_id))
        return self._progress[1]

    # --- actions ----------------------------------------------------------------------

    def offers_tree_commands(self, screen: Screen[Any]) -> bool:
        """True on the tree's own screen; any screen over it keeps only the global keys."""
        return isinstance(screen, MainScreen)

    def key_available(self, action: str, screen: Screen[Any]) -> bool:
        """Whether the key table's `action` is offered and run on `screen`.

        A screen over the tree (the QA walkthrough, coverage, fieldwork, help, a form…)
        keeps the global keys and those it names in `APP_ACTIONS`; the others would act on
        the tree hidden under it, so they are neither shown, nor run, nor in the palette.
        """
        if action not in keys.KEYS_BY_ACTION or self.offers_tree_commands(screen):
            return True
        return action in keys.GLOBAL_ACTIONS | getattr(screen, "APP_ACTIONS", frozenset())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A modal screen already cuts the app's keys off (and the tree's footer, drawn under
        # it, keeps its keys); a full screen over the tree must refuse them here.
        screen = self.screen if self.screen_stack else None
        if screen is not None and not screen.is_modal and not self.key_available(action, screen):
            return False
        return self.action_state(action)

    def action_state(self, action: str) -> bool | None:
        """Whether `action` makes sense now, whatever the screen (None: shown dimmed)."""
        if action == "pause":
            return self.source.streams  # a file opened once has no updates to pause
        if action in ("play_pause", "step", "faster", "slower"):
            if not self.source.replay:
                return False
            if action == "play_pause" and isinstance(self.focused, Input):
                return False  # let the space reach the text field
            ended = self.replay_position is not None and (
                self.replay_position.position >= self.replay_position.total
            )
            if ended and action in ("play_pause", "step"):
                return None  # shown dimmed: the recording has no more events to play
        return True

    def action_pause(self) -> None:
        self.paused = not self.paused
        if self.paused:
            self.pending_events = 0
        else:
            self.flush()
        self.refresh_status()
        self.refresh_bindings()

    def action_play_pause(self) -> None:
        self.source.play_pause()

    def action_step(self) -> None:
        self.source.step()

    def action_faster(self) -> None:
        self.source.set_speed(2.0)

    def action_slower(self) -> None:
        self.source.set_speed(0.5)

    def action_toggle_log(self) -> None:
        self.main.toggle_log()

    def action_toggle_detail(self) -> None:
        self.main.toggle_detail()

    def action_filter(self) -> None:
        self.main.open_filter()

    def action_expand_all(self) -> None:
        tree = self.main.tree
        if tree.all_pages_expanded():
            tree.collapse_all_pages()
        else:
            tree.expand_all_pages()

    def action_help(self) -> None:
        screen_help = getattr(self.screen, "help_screen", None)
        if callable(screen_help):  # a full screen with its own keys and help (fieldwork)
            self.push_screen(screen_help(self.keymap))
            return
        if show_screen_help(self, self.screen):  # a pushed screen with keys of its own (QA)
            return
        focused = self.focused
        title = type(focused).__name__ if focused is not None else "qtui"
        text = getattr(focused, "HELP", "") or ""
        if text.startswith("## "):
            title = text.splitlines()[0].removeprefix("## ")
        self.push_screen(HelpScreen(title, text, self.keymap))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from textual_commands(super().get_system_commands(screen))
        yield from key_commands(
            self.keymap,
            lambda action: (
                self.key_available(action, screen) and self.action_state(action) is not False
            ),
            lambda action: self.call_next(self.run_action, action),
        )
        yield from screen_commands(
            screen, lambda target, action: self.call_next(self.run_action, action, target)
        )

    def page_choices(self) -> list[tuple[str, str]]:
        survey_id = self.survey_id
        if survey_id is None:
            return []
        return [
            (page.id, f"{number}. {page.name or page.id}")
            for number, page in enumerate(self.store.pages(survey_id), start=1)
        ]

    def action_jump(self) -> None:
        def chosen(page_id: str | None) -> None:
            if page_id:
                self.go_to_page(page_id)

        self.push_screen(JumpScreen(self.page_choices()), chosen)

    def go_to_page(self, page_id: str) -> None:
        self.go_to_item("page", page_id)

    def go_to_item(self, kind: Kind, item_id: str) -> bool:
        """Put the tree's cursor on an item (opening its page), clearing a filter that hides it."""
        main = self.main
        tree = main.tree
        found = tree.select_item(kind, item_id)
        if not found and tree.filter_text:
            main.action_clear_filter()
            found = tree.select_item(kind, item_id)
        if found:
            # Centred, so what leads to the item and what follows it are in view too.
            center, tree.center_scroll = tree.center_scroll, True
            tree.scroll_to_node(tree.cursor_node, animate=False)  # type: ignore[arg-type]
            tree.center_scroll = center
        tree.focus()
        return found

    # --- copy and save ----------------------------------------------------------------

    def selected_document(self) -> tuple[str, str, Any] | None:
        """(what, file name hint, JSON document) for the focused selection."""
        main = self.main
        if isinstance(self.focused, EventLog):
            entry = main.log_view.selected()
            if entry is None:
                return None
            seq = entry.frame.seq if entry.frame.seq is not None else "line"
            return f"event {entry.event}", f"event-{seq}", entry.json()
        item = main.tree.item
        return self.item_document(item) if item is not None else None

    def item_document(self, item: Item) -> tuple[str, str, Any] | None:
        store = self.store
        if item.kind == "survey":
            survey = store.survey(item.id)
            if survey is None:
                return None
            return f"survey {survey.name}", f"survey-{survey.slug or survey.id}", survey.dump()
        if item.kind == "page":
            page = store.page(item.id)
            if page is None:
                return None
            full = page.model_copy(
                update={"blocks": store.blocks(page.id), "navigation_rules": store.rules(page.id)}
            )
            return f"page {page.name}", f"page-{page.name or page.id}", full.dump()
        if item.kind == "block":
            block = store.block(item.id)
            if block is None:
                return None
            ref = self.main.tree.ref_name(item.id) or block.id
            return f"block {ref}", f"block-{ref}", block.dump()
        if item.kind == "rule":
            rule = store.rule(item.id)
            if rule is None:
                return None
            target = store.page(rule.target_page_id or "")
            name = target.name if target else rule.id
            return f"rule → {name}", f"rule-{name}", rule.dump()
        if item.kind == "variable":
            variable = store.variable(item.id)
            if variable is None:
                return None
            return f"variable {variable.name}", f"variable-{variable.name}", variable.dump()
        variables = store.variables(self.survey_id or "")
        return "variables", "variables", [v.dump() for v in variables]

    def action_copy(self) -> None:
        found = self.selected_document()
        if found is None:
            self.notify("Nothing selected to copy.", severity="warning")
            return
        what, _, document = found
        self.copy_json(pretty(document), what)

    def copy_json(self, text: str, what: str) -> None:
        self.copy_to_clipboard(text)
        save = keys.display(keys.keys_for(keys.KEYS_BY_ID["qtui.save"], self.keymap))
        self.notify(
            f"Copied {what} as JSON ({len(text.encode())} bytes) — press {save} to save it to a "
            "file if your terminal has no clipboard access.",
            title="Copied",
        )

    def action_save(self) -> None:
        found = self.selected_document()
        if found is None:
            self.notify("Nothing selected to save.", severity="warning")
            return
        _, hint, document = found
        self.save_json(pretty(document), hint)

    def save_json(self, text: str, hint: str) -> Path | None:
        stem = "qtui-" + (re.sub(r"[^A-Za-z0-9_.-]+", "-", hint).strip("-") or "item")[:60]
        path = Path.cwd() / f"{stem}.json"
        number = 2
        while path.exists():
            path = Path.cwd() / f"{stem}-{number}.json"
            number += 1
        try:
            path.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            self.notify(f"Could not save {path}: {exc.strerror}", severity="error")
            return None
        self.notify(f"Saved to {path}", title="Saved")
        return path

    def show_event_json(self, entry: LogEntry) -> None:
        seq = entry.frame.seq if entry.frame.seq is not None else entry.frame.lineno
        title = f"{entry.event} · #{seq}" if seq is not None else entry.event
        self.push_screen(JsonScreen(title, entry.json(), name_hint=f"event-{seq or 'x'}"))

    # --- for tests and scripts ----------------------------------------------------------

    @property
    def tree(self) -> SurveyTree:
        return self.main.tree
