"""What event sources and the route check tell the app: messages, never callbacks into widgets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from qtui.tui.problems import ProblemReport


@dataclass(frozen=True, slots=True)
class Frame:
    """One received event as the view shows it: the webhook body plus how it arrived.

    `envelope` is None for a line that could not be read (then `error` says why).
    `verified` is None when the source cannot know (a raw envelope in a recording).
    """

    envelope: dict[str, Any] | None
    seq: int | None = None
    verified: bool | None = None
    received_at: str | None = None
    delivery_id: str | None = None
    source: str | None = None
    error: str | None = None
    lineno: int | None = None
    survey_id: str | None = None  # the survey the relay attributed the event to, if any


@dataclass(frozen=True, slots=True)
class Connection:
    """Where a source stands: `live`, `connecting`, `reconnecting`, `offline`, `replay`, `done`."""

    status: str
    retry_in: float | None = None
    last_seq: int | None = None
    lag_s: float | None = None
    error: str | None = None

    @classmethod
    def of(cls, state: Any) -> Connection:
        """Read any object with the relay subscriber's ConnectionState attributes."""
        return cls(
            status=str(getattr(state, "status", "offline")),
            retry_in=getattr(state, "retry_in", None),
            last_seq=getattr(state, "last_seq", None),
            lag_s=getattr(state, "lag_s", None),
            error=getattr(state, "error", None),
        )


@dataclass(frozen=True, slots=True)
class ReplayPosition:
    playing: bool
    speed: float
    position: int
    total: int


class SnapshotLoaded(Message):
    """A FullSurvey snapshot (REST or file) to merge into the store."""

    def __init__(self, survey: dict[str, Any]) -> None:
        super().__init__()
        self.survey = survey


class FramesReceived(Message):
    """Events that arrived, in arrival order."""

    def __init__(self, frames: list[Frame]) -> None:
        super().__init__()
        self.frames = frames


class ConnectionChanged(Message):
    def __init__(self, connection: Connection) -> None:
        super().__init__()
        self.connection = connection


class ReplayChanged(Message):
    def __init__(self, position: ReplayPosition) -> None:
        super().__init__()
        self.position = position


class SourceFailed(Message):
    """The source cannot go on; `reason` is a one-line message for the user."""

    def __init__(self, reason: str, *, fatal: bool = False) -> None:
        super().__init__()
        self.reason = reason
        self.fatal = fatal  # nothing will ever arrive (an unknown survey): the app exits


class SurveyChosen(Message):
    """The source learnt which survey it is about (e.g. a slug resolved to an id)."""

    def __init__(self, survey_id: str) -> None:
        super().__init__()
        self.survey_id = survey_id


class ProblemsChecked(Message):
    """A route check finished (posted from its thread). `report` is None when it failed.

    `generation` tells a check of the survey still shown from one of a survey shown before.
    """

    def __init__(
        self, generation: int, report: ProblemReport | None, error: str | None = None
    ) -> None:
        super().__init__()
        self.generation = generation
        self.report = report
        self.error = error


class DeliveriesChecked(Message):
    """What Questra says of its last webhook deliveries: `problem` says why nothing reaches
    the relay (a receiver answering 404, no webhook at all), None when they arrive."""

    def __init__(self, problem: str | None) -> None:
        super().__init__()
        self.problem = problem
