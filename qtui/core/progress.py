"""`Progress`: a survey's programming progress, and why its last job failed, if it did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from qtui.core.events import ProgrammingJob
from qtui.core.models import Model, Survey, SurveyStatus


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Progress:
    """Programming progress of one survey, derived from its pages and its last job."""

    pages_total: int
    pages_done: int
    pages_in_progress: int
    status: SurveyStatus | str | None
    job: ProgrammingJob | None
    job_started_at: datetime | None
    job_finished_at: datetime | None
    # Why the last job failed, wherever Questra said it: the job's own fields, or the
    # survey's `failure_reason` (`survey.updated` carries it). None unless it failed.
    failure_reason: str | None = None

    @property
    def fraction(self) -> float:
        return self.pages_done / self.pages_total if self.pages_total else 0.0

    @property
    def running(self) -> bool:
        return self.job is not None and self.job_finished_at is None

    def elapsed_s(self, newest: datetime | None) -> float | None:
        """How long the last programming job ran, on Questra's clock: from its
        `programming.started` timestamp to its `programming.finished` timestamp, or, while it
        runs, to `newest` (the newest event's timestamp). None when no job has started."""
        started = self.job_started_at
        if started is None:
            return None
        until = self.job_finished_at or newest
        if until is None:
            return 0.0
        return max(0.0, (_as_utc(until) - _as_utc(started)).total_seconds())


_JOB_REASONS = ("reason", "error", "failure_reason", "failureReason", "message")
_SURVEY_REASONS = ("failure_reason", "failureReason")
_FAILED = ("failed", "cancelled", "canceled", "error")


def _said(item: Model | None, keys: tuple[str, ...]) -> str | None:
    extra = (item.model_extra if item is not None else None) or {}
    for key in keys:
        value = extra.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def failure_reason(job: ProgrammingJob | None, survey: Survey | None) -> str | None:
    """Why programming failed, from the job or the survey; None if it did not fail."""
    survey_reason = _said(survey, _SURVEY_REASONS)
    job_status = str(job.status or "").lower() if job is not None else ""
    if job_status:  # the job's own outcome decides
        failed = job_status in _FAILED
    else:  # no job seen (watching started after it), or one that did not say
        said = (survey.model_extra or {}).get("programming_status") if survey else None
        failed = str(said or "").lower() in _FAILED or survey_reason is not None
    if not failed:
        return None
    return _said(job, _JOB_REASONS) or survey_reason
