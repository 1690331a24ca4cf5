"""Push the survey from the screen (P): target, plan, compile issues, confirm, progress, result.

The plan is what the push would send (from the push state, nothing sent) and a readable
diff against the survey last pushed, named by reference name and page. Every compile issue
is listed; `enter` on one closes the screen on its item. A push that would leave out a
navigation rule or change where a route ends is refused until `A` allows it. `y` pushes in
a worker (the screen stays live; `esc` cancels between requests); the result shows the
Qualtrics survey id, its preview link, the counts and the time taken; a failed or cancelled
push offers `r` to resume from what was recorded.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from qtui.core.diff import survey_diff
from qtui.core.models import Survey
from qtui.core.outline import item_title
from qtui.tui.safe import plain, shown

OTHER_PLATFORMS = (
    ("decipher", "Decipher — no compiler for Decipher in qtui yet; Questra pushes it itself"),
    ("confirmit", "Confirmit — no compiler for Confirmit in qtui yet; Questra pushes it itself"),
    ("alchemer", "Alchemer — no compiler for Alchemer in qtui yet; Questra pushes it itself"),
)


@dataclass(frozen=True)
class PushTarget:
    """Where a push goes: a Qualtrics account, or why there is none."""

    base_url: str | None
    token: str | None
    reason: str | None = None


def push_target(app: Any) -> PushTarget:
    demo = getattr(app.source, "demo", None)
    if demo is not None:
        return PushTarget(demo.qualtrics_base_url, demo.qualtrics_token)
    section = getattr(app.settings, "qualtrics", None)
    base = getattr(section, "base_url", None)
    token = getattr(section, "token", None)
    if token is not None and hasattr(token, "get_secret_value"):
        token = token.get_secret_value()
    if not base or not token:
        return PushTarget(
            None,
            None,
            "not configured: set QTUI_QUALTRICS_BASE_URL and QTUI_QUALTRICS_TOKEN",
        )
    return PushTarget(str(base), str(token))


class PushScreen(ModalScreen[tuple[str, str] | None]):
    """Dismisses with (kind, item id) when `enter` picks a compile issue, else None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "push", "Push"),
        Binding("A", "allow_routing", "Allow routing changes"),
        Binding("r", "resume", "Resume"),
        Binding("escape", "cancel", "Cancel / close"),
    ]

    def __init__(
        self,
        survey: Survey,
        target: PushTarget,
        kinds: dict[str, str],
        client_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.client_options = client_options or {}
        self.survey = survey
        self.target = target
        self.kinds = kinds  # item id -> tree kind, for jumping to an issue
        self.report: Any = None
        self.plan: Any = None
        self.changes: list[Any] = []
        self.allow_routing = False
        self.state = "planning"  # planning, ready, refused, pushing, done, failed, cancelled
        self.transport: Any = None
        self.error: str | None = None
        self.result: Any = None
        self.started = 0.0

    def compose(self) -> ComposeResult:
        with Vertical(id="push-box") as box:
            box.border_title = plain(f"Push · {self.survey.name or self.survey.id}")
            with VerticalScroll(id="push-body"):
                yield Label("Target", classes="form-label")
                options = [
                    Option(
                        "Qualtrics"
                        + (f" — {self.target.reason}" if self.target.reason else "")
                        + (f"  {self.target.base_url}" if self.target.base_url else ""),
                        id="qualtrics",
                        disabled=self.target.reason is not None,
                    ),
                    *[Option(label, id=key, disabled=True) for key, label in OTHER_PLATFORMS],
                ]
                yield OptionList(*options, id="push-targets")
                yield Label("Plan", classes="form-label")
                yield Static(Text("working out the plan…"), id="push-plan")
                yield Static("", id="push-routing")
                yield Label(
                    "Compile issues (enter goes to the item)",
                    classes="form-label push-issues-label",
                )
                yield OptionList(id="push-issues")
                yield ProgressBar(total=None, show_eta=True, id="push-progress")
                yield Static("", id="push-step")
                yield Static("", id="push-result")
            yield Static("", id="push-hint")
        yield Footer()

    def on_mount(self) -> None:
        targets = self.query_one("#push-targets", OptionList)
        targets.highlighted = 0
        self.query_one("#push-progress").display = False
        if self.target.reason:
            self.state = "unavailable"
            for empty in self.query("#push-issues, .push-issues-label"):
                empty.display = False  # no plan, so no issues to list
            self.query_one("#push-plan", Static).update(
                plain(f"Cannot push to Qualtrics: {self.target.reason}")
            )
            self.hint()
            return
        self.make_plan()

    # --- plan -----------------------------------------------------------------------------

    def _state_for(self, base_url: str) -> Any:
        from qtui.qualtrics.client import api_base
        from qtui.qualtrics.state import PushState

        return PushState.load(self.survey.id, api_base(base_url))

    @work(exclusive=True, group="push-plan")
    async def make_plan(self, after_push: bool = False) -> None:
        from qtui.qualtrics.client import api_base
        from qtui.qualtrics.push import dry_run_report
        from qtui.qualtrics.route_safety import route_changes
        from qtui.qualtrics.state import load_last_push

        base = self.target.base_url or ""

        def work_out() -> tuple[Any, Any, list[Any]]:
            report = dry_run_report(self.survey, self._state_for(base))
            last = load_last_push(self.survey.id, api_base(base))
            last_survey = Survey.model_validate(last.survey) if last is not None else None
            diff = survey_diff(last_survey, self.survey)
            return report, diff, route_changes(self.survey, report.issues, last_survey)

        try:
            report, diff, changes = await asyncio.to_thread(work_out)
        except Exception as error:  # noqa: BLE001 - shown; the screen stays usable
            self.state = "failed"
            self.error = f"could not work out the plan: {error}"
            self.show_failure()
            return
        self.plan, self.changes = report, changes
        self.show_plan(report, diff)
        if not after_push:
            self.state = "refused" if changes and not self.allow_routing else "ready"
        self.show_routing()
        self.hint()

    def show_plan(self, report: Any, diff: list[Any]) -> None:
        plan = report.plan
        text = Text()
        where = report.qualtrics_survey_id or "a new Qualtrics survey"
        text.append(f"into {where}\n", style="bold")
        text.append(
            f"create {len(plan.create_blocks)} blocks, {len(plan.create_questions)} questions · "
            f"update {len(plan.update_questions)} questions "
            f"({len(plan.unchanged_questions)} unchanged) · "
            f"delete {len(plan.delete_blocks)} blocks, {len(plan.delete_questions)} questions · "
            "flow, publish, activate\n"
        )
        text.append("Since the last push:\n" if diff else "No change since the last push.\n")
        styles = {"added": "green", "removed": "red", "changed": "yellow"}
        for line in diff[:200]:
            text.append(f"  {line.text()}\n", style=styles[line.change])
        if len(diff) > 200:
            text.append(f"  … and {len(diff) - 200} more\n")
        self.query_one("#push-plan", Static).update(shown(text))  # the diff quotes survey text
        issues = self.query_one("#push-issues", OptionList)
        issues.clear_options()
        for issue in report.issues:
            title = item_title(self.survey, issue.item_id)
            issues.add_option(
                Option(plain(f"{title}  [{issue.kind}]  {issue.reason}"), id=issue.item_id)
            )
        if not report.issues:
            issues.add_option(Option("none", disabled=True))

    def show_routing(self) -> None:
        line = self.query_one("#push-routing", Static)
        if not self.changes:
            line.update(Text("Routing: no rule left out, every route ends where it did."))
            line.remove_class("-error")
            return
        text = Text("Routing changes — refused unless you allow them (A):\n", style="bold")
        for change in self.changes:
            text.append(f"  ✗ {change.reason}\n")
        if self.allow_routing:
            text.append("Allowed for this push.", style="bold")
        line.update(shown(text))
        line.add_class("-error")

    def hint(self) -> None:
        hints = {
            "planning": "working out the plan…",
            "unavailable": "esc close",
            "ready": "y push · esc close · enter on an issue goes to it",
            "refused": "A allow the routing changes · esc close · enter on an issue goes to it",
            "pushing": "esc cancel (between requests)",
            "done": "esc close · y push again (only what changed is sent)",
            "failed": "r resume · esc close",
            "cancelled": "r resume · esc close",
        }
        self.query_one("#push-hint", Static).update(Text(hints.get(self.state, "")))

    # --- push -----------------------------------------------------------------------------

    # Keys that would do nothing in the current state are not offered in the footer.
    _ACTION_STATES: ClassVar[dict[str, tuple[str, ...]]] = {
        "push": ("ready", "done", "refused"),  # refused: y says why A is needed
        "allow_routing": ("refused",),
        "resume": ("failed", "cancelled"),
    }

    @property
    def state(self) -> str:
        return self._state

    @state.setter
    def state(self, value: str) -> None:
        self._state = value
        if self.is_attached:
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        states = self._ACTION_STATES.get(action)
        return states is None or self.state in states

    def action_allow_routing(self) -> None:
        if self.state != "refused":
            return
        self.allow_routing = True
        self.state = "ready"
        self.show_routing()
        self.hint()

    def action_push(self) -> None:
        if self.state not in ("ready", "done"):
            if self.state == "refused":
                self.notify(
                    "Refused: this push changes routing. Press A to allow it.", severity="warning"
                )
            return
        self.run_push()

    def action_resume(self) -> None:
        if self.state in ("failed", "cancelled"):
            self.run_push()

    @work(exclusive=True, group="push")
    async def run_push(self) -> None:
        from qtui.qualtrics.cancel import CancellableTransport, PushCancelled, survey_links
        from qtui.qualtrics.client import QualtricsClient
        from qtui.qualtrics.errors import QualtricsError
        from qtui.qualtrics.push import push_survey
        from qtui.qualtrics.state import PushState

        self.state = "pushing"
        self.error = None
        self.hint()
        self.query_one("#push-result", Static).update("")
        bar = self.query_one("#push-progress", ProgressBar)
        bar.display = True
        plan = self.plan.plan if self.plan is not None else None
        estimate = 4
        if plan is not None:
            estimate += len(plan.create_blocks) + len(plan.create_questions)
            estimate += len(plan.update_questions) + len(plan.delete_questions)
            estimate += 2 * len(plan.delete_blocks) + len(self.survey.pages)
        bar.update(total=estimate, progress=0)
        bar.query_one("#eta").display = True
        self.call_after_refresh(bar.scroll_visible, animate=False)
        self.transport = CancellableTransport()
        base, token = self.target.base_url or "", self.target.token or ""
        step_line = self.query_one("#push-step", Static)

        def progress(update: Any) -> None:
            sent = self.transport.requests if self.transport else 0
            bar.update(total=max(estimate, sent + 1), progress=sent)
            step_line.update(
                Text(f"{update.step} {update.done}/{update.total} · {sent} requests sent")
            )

        self.started = time.monotonic()
        try:
            async with QualtricsClient(
                base, token, transport=self.transport, **self.client_options
            ) as client:
                state = PushState.load(self.survey.id, client.base_url)
                report = await push_survey(client, self.survey, state=state, progress=progress)
        except PushCancelled as error:
            self.state = "cancelled"
            self.error = str(error)
            self.show_failure()
            return
        except QualtricsError as error:
            self.state = "failed"
            self.error = str(error)
            self.show_failure()
            return
        done = max(estimate, self.transport.requests)
        bar.update(total=done, progress=done)
        bar.query_one("#eta").display = False  # nothing left to wait for (it read --:--:--)
        self.result = report
        self.state = "done"
        preview, take = survey_links(base, report.qualtrics_survey_id or "")
        c, u, d = report.created, report.updated, report.deleted
        text = Text()
        text.append(f"Pushed to {report.qualtrics_survey_id}", style="bold")
        text.append(f" (version {report.version_number or '?'})\n")
        text.append(f"preview: {preview}\ntake: {take}\n")
        text.append(
            f"created {c['blocks']} blocks, {c['questions']} questions · "
            f"updated {u['blocks']} blocks, {u['questions']} questions · "
            f"deleted {d['blocks']} blocks, {d['questions']} questions · "
            f"{report.unchanged['questions']} unchanged\n"
        )
        text.append(
            f"{report.requests} requests, {report.retries} retries, {report.duration:.1f} s"
        )
        if report.issues:
            text.append(f"\n{len(report.issues)} compile issues (listed above)")
        self.query_one("#push-result", Static).update(text)
        step_line.update("")
        self.hint()
        self.show_result()
        self.make_plan(after_push=True)  # against what was just pushed: only changes remain

    def show_failure(self) -> None:
        sent = self.transport.requests if self.transport else 0
        verb = "Cancelled" if self.state == "cancelled" else "Push failed"
        self.query_one("#push-result", Static).update(
            plain(
                f"{verb}: {self.error}\n{sent} requests were sent and recorded; "
                "r resumes from there (nothing is sent twice).",
                "bold",
            )
        )
        self.query_one("#push-result", Static).add_class("-error")
        self.hint()
        self.show_result()

    def show_result(self) -> None:
        """Scroll the outcome into view: on a small terminal it sits below the plan."""
        result = self.query_one("#push-result", Static)
        self.call_after_refresh(result.scroll_visible, animate=False)

    # --- leaving ------------------------------------------------------------------------------

    def action_cancel(self) -> None:
        if self.state == "pushing" and self.transport is not None:
            self.transport.cancel()
            self.query_one("#push-step", Static).update(Text("cancelling after this request…"))
            return
        self.dismiss(None)

    @on(OptionList.OptionSelected, "#push-issues")
    def _issue_chosen(self, event: OptionList.OptionSelected) -> None:
        item_id = event.option.id
        if item_id and item_id in self.kinds:
            self.dismiss((self.kinds[item_id], item_id))
