"""The status line and the programming progress row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar, Static

from qtui.core.store import Progress
from qtui.tui.clock import Clock, duration
from qtui.tui.messages import Connection, ReplayPosition


@dataclass(frozen=True, slots=True)
class StatusInfo:
    paused: bool
    status: str
    platform: str
    pushed: datetime | None
    connection: Connection
    rate: float
    pending: int
    replay: ReplayPosition | None = None
    filter: str = ""


def connection_text(connection: Connection) -> tuple[str, str]:
    """(text, tone) for a connection: tone is ok, warn, error or muted."""
    status = connection.status
    lag = f" · lag {connection.lag_s:.1f}s" if connection.lag_s is not None else ""
    if status == "live":
        return f"● live{lag}", "ok"
    if status == "reconnecting":
        wait = f" in {connection.retry_in:.0f}s" if connection.retry_in is not None else ""
        return f"◌ reconnecting{wait}", "warn"
    if status == "connecting":
        return f"◌ {connection.error or 'connecting…'}", "warn"
    if status == "offline":
        reason = f": {connection.error}" if connection.error else ""
        return f"✗ offline{reason}", "error"
    if status == "replay":
        return "▷ replay", "muted"
    if status == "done":
        return "■ end of stream", "muted"
    return status, "muted"


class StatusBar(Static):
    """LIVE/PAUSED badge, survey status, platform, last push, connection, rate, pending."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "status-bar--live",
        "status-bar--paused",
        "status-bar--replay",
        "status-bar--key",
        "status-bar--ok",
        "status-bar--warn",
        "status-bar--error",
        "status-bar--muted",
    }

    def __init__(self, *, clock: Clock | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock or Clock()
        self.info: StatusInfo | None = None

    def show(self, info: StatusInfo) -> None:
        if info == self.info:
            return
        self.info = info
        self.update(self._text(info))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.info is not None:
            self.update(self._text(self.info))

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"status-bar--{name}", partial=True)

    def _text(self, info: StatusInfo) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        if info.replay is not None:
            r = info.replay
            state = "PLAYING" if r.playing else "ENDED" if r.position >= r.total else "PAUSED"
            text.append(f" {state} ", self._style("replay" if r.playing else "paused"))
            text.append(f" {r.position}/{r.total} · ×{r.speed:g}", self._style("muted"))
            if info.paused:
                text.append("  ")
                text.append(" VIEW PAUSED ", self._style("paused"))
        elif info.paused:
            text.append(" PAUSED ", self._style("paused"))
        else:
            text.append(" LIVE ", self._style("live"))
        if info.pending:
            text.append(f"  +{info.pending} pending", self._style("warn"))
        text.append("  ")
        text.append(info.status or "unknown", self._style("key"))
        conn, tone = connection_text(info.connection)
        self._sep(text)
        text.append(conn, self._style(tone))
        self._sep(text)
        text.append(f"{info.rate:.1f} ev/s", self._style("muted"))
        self._sep(text)
        text.append(info.platform or "no platform")
        self._sep(text)
        text.append(f"pushed {self.clock.hms(info.pushed)}" if info.pushed else "never pushed")
        if info.filter:
            self._sep(text)
            text.append(f"filter: {info.filter}", self._style("warn"))
        return text

    def _sep(self, text: Text) -> None:
        text.append(" · ", self._style("muted"))


class ProgressRow(Horizontal):
    """Pages programmed / total and elapsed time while a job runs; its outcome afterwards."""

    def __init__(self, *, clock: Clock | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock or Clock()
        self._shown: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Label("Programming", id="progress-label")
        yield ProgressBar(total=1, show_eta=False, id="progress-bar")
        yield Label("", id="progress-info")

    def show(self, progress: Progress, now: datetime | None = None) -> None:
        """`now` is the time elapsed is measured to (a replay's latest event time)."""
        label = self.query_one("#progress-label", Label)
        bar = self.query_one("#progress-bar", ProgressBar)
        info = self.query_one("#progress-info", Label)
        job = progress.job
        pages = f"{progress.pages_done}/{progress.pages_total} pages"
        if progress.running:
            started = progress.job_started_at
            until = now or self.clock.now()
            elapsed = (until - started).total_seconds() if started else 0
            state: tuple[object, ...] = ("running", progress.pages_done, progress.pages_total)
            text = f"{pages} · {duration(elapsed)}"
            tone = "running"
            title = "Programming"
        elif job is not None:
            outcome = str(job.status or "finished")
            took = ""
            if progress.job_started_at and progress.job_finished_at:
                took = " · took " + duration(
                    (progress.job_finished_at - progress.job_started_at).total_seconds()
                )
            reason = ""
            extra = getattr(job, "model_extra", None) or {}
            for key in ("reason", "error", "failure_reason", "failureReason"):
                if extra.get(key):
                    reason = f": {extra[key]}"
                    break
            title = f"Programming {outcome}{reason}"
            text = f"{pages}{took}"
            tone = "failed" if outcome in ("failed", "cancelled") else "completed"
            state = ("done", outcome, progress.pages_done, progress.pages_total, reason, took)
        elif progress.pages_total:
            title, text, tone = "Programmed", pages, "idle"
            state = ("idle", progress.pages_done, progress.pages_total)
        else:
            title, text, tone = "Waiting for programming to start", "", "idle"
            state = ("waiting",)
        bar.update(total=max(progress.pages_total, 1), progress=progress.pages_done)
        label.update(title)
        info.update(text)
        if state != self._shown:
            self._shown = state
            for name in ("running", "completed", "failed", "idle"):
                self.set_class(name == tone, f"-{name}")
