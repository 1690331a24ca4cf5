"""The view's sense of time, injectable so screenshots and snapshot tests are stable."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Clock:
    """Wall time (`now`), a monotonic counter, the zone times are shown in, and whether
    spinners move. `Clock.fixed(...)` stops all of them."""

    now: Callable[[], datetime] = field(default=_now)
    monotonic: Callable[[], float] = field(default=time.monotonic)
    tz: tzinfo | None = None  # None: the machine's local zone
    animate: bool = True

    @classmethod
    def fixed(cls, moment: datetime, tz: tzinfo | None = UTC) -> Clock:
        return cls(now=lambda: moment, monotonic=lambda: 0.0, tz=tz, animate=False)

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.tz) if self.tz is not None else moment.astimezone()

    def hms(self, moment: datetime | None) -> str:
        return self.local(moment).strftime("%H:%M:%S") if moment else "—"

    def stamp(self, moment: datetime | None) -> str:
        return self.local(moment).strftime("%Y-%m-%d %H:%M:%S %Z") if moment else "—"


def duration(seconds: float) -> str:
    """`75.2` → `1m15s`; `3700` → `1h01m`."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


def stopwatch(seconds: float) -> str:
    """Elapsed time as a stopwatch shows it: `6` → `0:06`, `79` → `1:19`, `3723` → `1:02:03`."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
