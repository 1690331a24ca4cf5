"""The status line and the programming progress row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.containers import Horizontal
from textual.renderables.bar import Bar as BarRenderable
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Label, Static

from qtui.core.store import Progress
from qtui.tui.clock import Clock, stopwatch
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
    problems: tuple[str, str] = ("", "muted")  # what the route check found, and its tone


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
    """LIVE/PAUSED badge, survey status, problems, connection, rate, platform, last push."""

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
        problems, tone = info.problems
        if problems:
            self._sep(text)
            text.append(problems, self._style(tone))
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


class PulseBar(Widget):
    """A bar for work of unknown size: a segment sweeps back and forth, never fills.

    Questra does not say how many pages a programming job will make, so a bar sized by the
    pages seen so far would read 100% whenever the job caught up with itself. Without
    animation (tests, screenshots) the segment rests in the middle, which no one reads as a
    fraction done.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"pulse-bar--bar"}

    def __init__(self, *, animate: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.animate_pulse = animate
        self._frame = 0
        self._timer: Timer | None = None

    def on_mount(self) -> None:
        if self.animate_pulse:
            self._timer = self.set_interval(0.1, self._tick, pause=True)

    def sweep(self, on: bool) -> None:
        """Move (while the work runs) or stop; a stopped bar costs nothing."""
        if self._timer is not None:
            if on:
                self._timer.resume()
            else:
                self._timer.pause()

    def _tick(self) -> None:
        self._frame += 1
        self.refresh()

    def render(self) -> RenderResult:
        width = self.size.width
        segment = max(2, width // 4)
        travel = max(1, width - segment)
        # 2 cells a tick, bouncing; the phase puts frame 0 in the middle.
        step = (self._frame * 2 + travel // 2) % (2 * travel)
        start = step if step <= travel else 2 * travel - step
        style = self.get_component_rich_style("pulse-bar--bar")
        return BarRenderable(
            highlight_range=(start, start + segment),
            highlight_style=Style.from_color(style.color),
            background_style=Style.from_color(style.bgcolor),
        )


class ProgressRow(Horizontal):
    """While a job runs: the pages so far (the total is not known) and the time it has run;
    afterwards its pages, how long it took and how it ended."""

    def __init__(self, *, clock: Clock | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock or Clock()
        self._shown: tuple[object, ...] | None = None
        self._label = Label("Programming", id="progress-label")
        self._bar = PulseBar(animate=self.clock.animate, id="progress-bar")
        self._info = Label("", id="progress-info")

    def compose(self) -> ComposeResult:
        yield self._label
        yield self._bar
        yield self._info

    def show(self, progress: Progress, now: datetime | None = None) -> None:
        """`now` is the time elapsed is measured to (a replay's latest event time)."""
        job = progress.job
        done, total = progress.pages_done, progress.pages_total
        if progress.running:
            started = progress.job_started_at
            until = now or self.clock.now()
            elapsed = (until - started).total_seconds() if started else 0
            title = "Programming"
            text = (
                f"{done} of {total} page{'' if total == 1 else 's'} so far · {stopwatch(elapsed)}"
            )
            tone = "running"
        elif job is not None:
            outcome = str(job.status or "finished")
            parts = [f"{done}/{total} pages"]
            if progress.job_started_at and progress.job_finished_at:
                took = (progress.job_finished_at - progress.job_started_at).total_seconds()
                parts.append(stopwatch(took))
            reason = _reason(job)
            parts.append(f"{outcome}: {reason}" if reason else outcome)
            title, text = "Programming", " · ".join(parts)
            tone = "failed" if outcome in ("failed", "cancelled") else "completed"
        elif total:
            title, text, tone = "Programmed", f"{done}/{total} pages", "idle"
        else:
            title, text, tone = "Waiting for programming to start", "", "idle"
        state = (title, text, tone)
        if state == self._shown:
            return
        self._shown = state
        self._label.update(title)
        self._info.update(text)
        for name in ("running", "completed", "failed", "idle"):
            self.set_class(name == tone, f"-{name}")
        self._bar.sweep(tone == "running")


def _reason(job: object) -> str:
    extra = getattr(job, "model_extra", None) or {}
    for key in ("reason", "error", "failure_reason", "failureReason"):
        if extra.get(key):
            return str(extra[key])
    return ""
