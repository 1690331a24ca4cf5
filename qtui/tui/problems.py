"""The survey's own logic problems, as the view shows them.

`check(survey)` runs the core's route analysis and places each finding on a tree node: a
page (unreachable, dead end, in a loop), a rule (target missing, condition that does not
parse or reads an unknown name, never taken), a block (`showIf` problem, duplicate name) or
a variable. `RouteChecker` decides when to run it: after changes reach the view, at most
once per `interval`, in a thread so a big survey never blocks the keyboard, and only on
demand past `BIG_SURVEY_PAGES`, where one check takes seconds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from qtui.core.models import Survey
from qtui.core.routes import Finding, analyze
from qtui.tui.messages import ProblemsChecked

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

NodeKey = tuple[str, str]

# Past this many pages a check takes seconds and would run all the time while the survey is
# being programmed: the user asks for it (`x`) instead.
BIG_SURVEY_PAGES = 500

# After a check, wait this many times as long as it took before the next one.
REST = 3.0

# A finding's kind as a few words for a tree label; the full message is in the detail.
SHORT: dict[str, str] = {
    "parse_error": "syntax error",
    "unknown_reference": "unknown name",
    "variable_cycle": "circular",
    "duplicate_name": "duplicate name",
    "unknown_target": "missing target",
    "never_taken": "never taken",
    "unreachable": "unreachable",
    "dead_end": "dead end",
    "cycle": "loop",
    "read_before_asked": "not asked yet",
    "unknown_choice": "no such choice",
}


def short(kind: str) -> str:
    return SHORT.get(kind, kind.replace("_", " "))


def count_text(count: int) -> str:
    return f"{count} problem{'' if count == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding and the node it marks; `order` sorts it in survey order."""

    finding: Finding
    key: NodeKey
    order: tuple[int, int, int]


@dataclass(frozen=True)
class ProblemReport:
    """What one check found, placed on nodes."""

    survey_id: str
    problems: tuple[Problem, ...] = ()
    # Node → its findings; every page of a loop carries the loop's finding.
    by_key: Mapping[NodeKey, tuple[Finding, ...]] = field(default_factory=dict)
    # Page id → findings on its blocks and rules (shown on the page, open or closed).
    inside: Mapping[str, int] = field(default_factory=dict)
    pages: int = 0
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.problems)


def check(survey: Survey) -> ProblemReport:
    """Analyse `survey` and place each finding on the node it is about."""
    started = time.perf_counter()
    analysis = analyze(survey)
    pages = survey.pages  # in display order, as the tree numbers them
    where: dict[str, tuple[NodeKey, tuple[int, int, int], str | None]] = {}
    for number, page in enumerate(pages):
        where[page.id] = (("page", page.id), (number, 0, 0), None)
        for index, block in enumerate(page.blocks):
            where[block.id] = (("block", block.id), (number, 1, index), page.id)
        for index, rule in enumerate(page.navigation_rules):
            where[rule.id] = (("rule", rule.id), (number, 2, index), page.id)
    for index, variable in enumerate(survey.variables):
        where[variable.id] = (("variable", variable.id), (len(pages), 3, index), None)

    problems: list[Problem] = []
    by_key: dict[NodeKey, list[Finding]] = {}
    inside: dict[str, int] = {}
    for finding in analysis.findings:
        key, order, page_id = where.get(
            finding.item_id, (("unknown", finding.item_id), (len(pages) + 1, 0, 0), None)
        )
        problems.append(Problem(finding, key, order))
        by_key.setdefault(key, []).append(finding)
        if page_id is not None:
            inside[page_id] = inside.get(page_id, 0) + 1
        if finding.kind == "cycle":
            for cycle in analysis.cycles:
                if cycle and cycle[0] == finding.item_id:
                    for member in cycle[1:]:
                        by_key.setdefault(("page", member), []).append(finding)
    problems.sort(key=lambda problem: problem.order)  # stable: analysis order within an item
    return ProblemReport(
        survey.id,
        tuple(problems),
        {key: tuple(findings) for key, findings in by_key.items()},
        inside,
        len(pages),
        time.perf_counter() - started,
    )


State = Literal["none", "checking", "current", "outdated", "unchecked", "failed"]


def summary(
    state: State, report: ProblemReport | None, error: str | None = None, key: str = "x"
) -> tuple[str, str]:
    """The one line the status bar and the survey's detail say, and its tone (ok, warn,
    error or muted). One state at a time: a check running, its result, or why there is none
    (with the key that checks). `key` is the key that opens the list of problems."""
    if state == "none":
        return "", "muted"
    if state == "failed":
        return f"route check failed: {error} · {key} retries", "error"
    if state == "unchecked":
        return f"routes not checked yet · {key} checks", "muted"
    if state == "outdated":
        return f"routes changed since the last check · {key} checks", "warn"
    if state == "checking" or report is None:
        return "checking routes…", "muted"
    if report.count:
        return f"{count_text(report.count)} ({key})", "error"
    return "no problems found", "ok"


class RouteChecker:
    """Runs `check` on the shown survey when it changes, throttled and off the UI thread.

    The app calls `changed()` whenever changes reached the view. A check starts at once if
    none ran in the last `interval` seconds, otherwise when the interval is up; while one is
    in flight no other starts, and changes that arrive meanwhile get one more check after
    it. The result comes back as a `ProblemsChecked` message to `app`.
    """

    def __init__(
        self,
        app: App[object],
        survey: Callable[[str], Survey | None],
        *,
        interval: float = 1.0,
        big: int = BIG_SURVEY_PAGES,
    ) -> None:
        self.app = app
        self.survey = survey
        self.interval = interval
        self.big = big
        self.survey_id: str | None = None
        self.report: ProblemReport | None = None
        self.error: str | None = None
        self.pages = 0
        self._dirty = False  # changes since the last snapshot was taken
        self._demanded = False  # asked for while a check was running
        self._running = False
        self._timer: Timer | None = None
        # Real time, not the injectable clock: a throttle is an effect, never shown.
        self._last_start = -math.inf
        self._next_after = -math.inf  # not before: the last check's end + REST × its time
        self._generation = 0

    # --- what the view shows ------------------------------------------------------------

    @property
    def on_demand(self) -> bool:
        return self.pages > self.big

    @property
    def state(self) -> State:
        """`current`; `checking`; `outdated` or `unchecked` (a big survey, until asked)."""
        if self.survey_id is None:
            return "none"
        busy = self._running or self._demanded
        if self.error is not None and not busy:
            return "failed"
        if self.report is None:
            if busy or (self._dirty and not self.on_demand):
                return "checking"
            return "unchecked" if self._dirty else "none"  # "none": nothing to check yet
        if self.on_demand and (self._dirty or busy):
            return "checking" if busy else "outdated"
        return "current"

    @property
    def idle(self) -> bool:
        """No check is running or waiting to run (for tests and scripts)."""
        waiting = self._dirty and not self.on_demand
        return not (self._running or self._demanded or waiting) and self._timer is None

    # --- triggers ---------------------------------------------------------------------

    def show(self, survey_id: str | None, pages: int) -> None:
        """The view shows another survey: forget what was found for the last one."""
        if survey_id != self.survey_id:
            self.survey_id = survey_id
            self.report = None
            self.error = None
            self._generation += 1
        self.changed(pages)

    def changed(self, pages: int) -> None:
        self.pages = pages
        if self.survey_id is None:
            return
        self._dirty = True
        if not self.on_demand:
            self._schedule()

    def check_now(self) -> None:
        """Check now (or right after the check in flight), whatever the survey's size."""
        if self.survey_id is None:
            return
        if self._running:
            self._demanded = True
            return
        if self.report is None or self._dirty or self.error is not None:
            self._cancel_timer()
            self._dirty = True
            self._start()

    # --- running ------------------------------------------------------------------------

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _schedule(self) -> None:
        if self._timer is not None or self._running:
            return
        due = max(self._last_start + self.interval, self._next_after)
        wait = max(0.01, due - time.monotonic())  # a Textual timer needs a positive delay
        self._timer = self.app.set_timer(wait, self._start, name="route-check")

    def _start(self) -> None:
        self._timer = None
        if self._running or self.survey_id is None or not self._dirty:
            return
        # The snapshot is taken here, on the UI thread, because the store changes under a
        # thread; the analysis of it, which is the slow part, runs in the worker.
        survey = self.survey(self.survey_id)
        self._dirty = False
        self._running = True
        self._last_start = time.monotonic()
        generation = self._generation
        app = self.app
        if survey is None:  # nothing of it has arrived yet (or it was deleted)
            app.post_message(ProblemsChecked(generation, None))
            return

        def work() -> None:
            try:
                message = ProblemsChecked(generation, check(survey))
            except Exception as exc:  # noqa: BLE001 - shown in the status bar, never fatal
                message = ProblemsChecked(generation, None, f"{type(exc).__name__}: {exc}")
            try:
                app.post_message(message)
            except RuntimeError:
                pass  # the app closed while the check ran

        app.run_worker(work, name="route-check", group="route-check", thread=True)

    def finished(self, message: ProblemsChecked) -> bool:
        """Take a finished check; False when it is about a survey no longer shown."""
        current = message.generation == self._generation
        self._running = False
        now = time.monotonic()
        # The check holds the GIL while it runs: rest a few times as long as it took, so a
        # survey that takes 0.5 s to check gets at most a quarter of the CPU, not all of it.
        self._next_after = now + REST * (now - self._last_start)
        if current:
            self.error = message.error
            if message.error is None:  # a failed check leaves the last findings shown
                self.report = message.report
        if self._demanded:
            self._demanded = False
            self.check_now()
        elif self._dirty and not self.on_demand:
            self._schedule()
        return current
