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
from textual.widgets import Label

from qtui.core.store import Progress
from qtui.text import printable
from qtui.tui.clock import Clock, duration, stopwatch
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
    # The newest event the view shows, by its Questra timestamp: live, how old it is (the
    # lag); in a replay, where the replayed stream stands.
    newest: datetime | None = None
    deliveries: str | None = None  # why Questra's webhook deliveries fail, when they do
    unsaved: bool = False  # a local file (`qtui open`) has edits not yet written with `w`
    activity: str = ""  # an edit of several requests under way ("restoring page End 3/9")


def connection_text(
    connection: Connection, newest: datetime | None = None, clock: Clock | None = None
) -> tuple[str, str]:
    """(text, tone) for a connection: tone is ok, warn, error or muted.

    Live, the lag is `now` − the newest shown event's timestamp, said as such ("last event
    2m40s ago"): it includes time spent in the relay and waiting for the screen, and grows
    while nothing happens. In a replay the replayed stream's time takes its place.
    """
    status = connection.status
    clock = clock or Clock()
    if status == "live":
        if newest is None:
            return "● live", "ok"
        age = (clock.now() - newest).total_seconds()
        # Not a warning when old: a quiet survey is not a fault; the number says it all.
        return f"● live · last event {duration(age)} ago", "ok"
    if status == "reconnecting":
        wait = f" in {connection.retry_in:.0f}s" if connection.retry_in is not None else ""
        return f"◌ reconnecting{wait}", "warn"
    if status == "connecting":
        return f"◌ {connection.error or 'connecting…'}", "warn"
    if status == "offline":
        reason = f": {connection.error}" if connection.error else ""
        return f"✗ offline{reason}", "error"
    if status == "replay":
        return (f"▷ replay at {clock.hms(newest)}" if newest else "▷ replay"), "muted"
    if status == "done":
        return (f"■ end of stream at {clock.hms(newest)}" if newest else "■ end of stream"), "muted"
    return status, "muted"


# What the status bar keeps when the terminal is too narrow for all of it: parts are dropped
# from the end of this list first (rate first, the LIVE/PAUSED/replay badge never).
PRIORITY: tuple[str, ...] = (
    "mode",  # LIVE / LOCAL / PAUSED / PLAYING 12/40 · ×1
    "unsaved",  # ● unsaved: a local file's edits not yet written
    "activity",  # restoring page End 3/9
    "pending",  # +N pending while paused
    "connection",  # live · last event Ns ago / reconnecting / offline / replay at …
    "deliveries",  # ✗ Questra's deliveries to … fail: receiver answered 404
    "problems",  # checking routes… / N problems (x) / no problems found / not checked
    "filter",  # filter: text
    "status",  # the survey's status
    "platform",
    "pushed",
    "rate",  # ev/s
)
# The badge while the live stream is not connected (it reads LIVE only while it is).
OFFLINE_BADGES: dict[str, str] = {
    "connecting": " CONNECTING ",
    "reconnecting": " RECONNECTING ",
    "offline": " OFFLINE ",
}
# The order they are shown in, left to right.
ORDER: tuple[str, ...] = (
    "mode",
    "unsaved",
    "activity",
    "pending",
    "status",
    "problems",
    "connection",
    "deliveries",
    "rate",
    "platform",
    "pushed",
    "filter",
)


class StatusBar(Widget):
    """LIVE/LOCAL/PAUSED badge, unsaved edits, survey status, problems, connection, rate,
    platform, last push.

    Laid out for its width: when everything does not fit, parts go by `PRIORITY`."""

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
        self._parts: dict[str, Text] = {}

    def show(self, info: StatusInfo) -> None:
        """Show `info`; called every second too, as the lag moves with the clock."""
        parts = self.parts(info)
        if info == self.info and parts == self._parts:
            return
        self.info, self._parts = info, parts
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.info is not None:
            self._parts = self.parts(self.info)
            self.refresh()

    def render(self) -> Text:
        return self.fit(self._parts, self.size.width or 10_000)

    @property
    def shown(self) -> list[str]:
        """The names of the parts shown at the current width (for tests)."""
        return self.fitting(self._parts, self.size.width or 10_000)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"status-bar--{name}", partial=True)

    def parts(self, info: StatusInfo) -> dict[str, Text]:
        """Every part's text, by name (see `ORDER`); parts with nothing to say are left out."""
        muted = self._style("muted")
        parts: dict[str, Text] = {}
        mode = Text()
        if info.replay is not None:
            r = info.replay
            state = "PLAYING" if r.playing else "ENDED" if r.position >= r.total else "PAUSED"
            mode.append(f" {state} ", self._style("replay" if r.playing else "paused"))
            mode.append(f" {r.position}/{r.total} · ×{r.speed:g}", muted)
            if info.paused:
                mode.append("  ")
                mode.append(" VIEW PAUSED ", self._style("paused"))
        elif info.paused:
            mode.append(" PAUSED ", self._style("paused"))
        elif info.connection.status == "file":  # `qtui open FILE`: no stream, a local file
            mode.append(" LOCAL ", self._style("replay"))
        else:  # LIVE only while the stream is connected: never while it is away
            badge = OFFLINE_BADGES.get(info.connection.status)
            if badge is None:
                mode.append(" LIVE ", self._style("live"))
            else:
                mode.append(badge, self._style("paused"))
        parts["mode"] = mode
        if info.unsaved:
            parts["unsaved"] = Text("● unsaved", self._style("warn"))
        if info.activity:
            parts["activity"] = Text(info.activity, self._style("warn"))
        if info.pending:
            parts["pending"] = Text(f"+{info.pending} pending", self._style("warn"))
        parts["status"] = Text(info.status or "unknown", self._style("key"))
        problems, tone = info.problems
        if problems:
            parts["problems"] = Text(problems, self._style(tone))
        conn, tone = connection_text(info.connection, info.newest, self.clock)
        parts["connection"] = Text(conn, self._style(tone))
        if info.deliveries:
            parts["deliveries"] = Text(f"✗ {info.deliveries}", self._style("error"))
        if info.connection.status != "file":  # a file opened once has no event rate
            parts["rate"] = Text(f"{info.rate:.1f} ev/s", muted)
        parts["platform"] = Text(info.platform or "no platform")
        parts["pushed"] = Text(self._pushed(info.pushed))
        if info.filter:
            parts["filter"] = Text(f"filter: {info.filter}", self._style("warn"))
        for part in parts.values():  # status, platform, reasons: Questra's text
            part.plain = printable(part.plain)
        return parts

    def _pushed(self, pushed: datetime | None) -> str:
        if pushed is None:
            return "never pushed"
        same_day = self.clock.local(pushed).date() == self.clock.local(self.clock.now()).date()
        return (
            f"pushed {self.clock.hms(pushed)}" if same_day else f"pushed {self.clock.stamp(pushed)}"
        )

    @staticmethod
    def fitting(parts: dict[str, Text], width: int) -> list[str]:
        """The parts that fit in `width` cells, dropping by `PRIORITY` from its end."""
        names = [name for name in ORDER if name in parts]

        def cells(kept: list[str]) -> int:
            rest = [parts[name].cell_len for name in kept if name != "mode"]
            return parts["mode"].cell_len + 2 + sum(rest) + 3 * max(0, len(rest) - 1)

        for name in reversed(PRIORITY):
            if cells(names) <= width or len(names) == 1:
                break
            if name in names and name != "mode":
                names.remove(name)
        return names

    def fit(self, parts: dict[str, Text], width: int) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        if not parts:
            return text
        names = self.fitting(parts, width)
        text.append_text(parts["mode"])
        text.append("  ")
        separator = Text(" · ", self._style("muted"))
        text.append_text(separator.join(parts[name] for name in names if name != "mode"))
        return text


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

    def show(self, progress: Progress, newest: datetime | None = None) -> None:
        """`newest` is the newest event's timestamp: a running job's time is measured to it,
        on Questra's clock, as its final time is (`Progress.elapsed_s`)."""
        job = progress.job
        done, total = progress.pages_done, progress.pages_total
        elapsed = progress.elapsed_s(newest)
        if progress.running:
            title = "Programming"
            text = f"{done} of {total} page{'' if total == 1 else 's'} so far"
            if elapsed is not None:
                text += f" · {stopwatch(elapsed)}"
            tone = "running"
        elif job is not None:
            outcome = str(job.status or "finished")
            parts = [f"{done}/{total} pages"]
            if elapsed is not None:
                parts.append(stopwatch(elapsed))
            reason = progress.failure_reason
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
        self._label.update(Text(title))
        self._info.update(Text(printable(text)))  # Questra's text: never markup, no controls
        for name in ("running", "completed", "failed", "idle"):
            self.set_class(name == tone, f"-{name}")
        self._bar.sweep(tone == "running")
