"""The walkthrough screen: take a survey on the platform by hand, route checked as you go.

Left, the page exactly as the platform returns it (its questions in order, their text and
choices), answered from the keyboard; the platform's errors appear on the question they
concern. Right, the source survey's pages with the predicted route for the answers so far
(● visited, ▶ current, ○ predicted next), the rule that decides each step, and — the point of
the screen — a banner the moment the platform goes somewhere the prediction did not. Below,
the embedded data and the final disposition. Every walk is saved as an answers file that
`qtui qa --answers` replays, and a transcript.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from qtui.qa.plan import ENDED
from qtui.qa.walkthrough import ManualWalk, plain
from qtui.tui.safe import plain as safe_text
from qtui.tui.safe import shown
from qtui.tui.style_files import style_paths
from qtui.tui.widgets.question import ChoiceQuestion, TextBlock, TextQuestion

Prepare = Callable[[], Awaitable[ManualWalk]]

WALKTHROUGH_HELP = """\
## QA walkthrough

Take the survey on the platform by hand; the right side predicts the route from the source
survey and a banner shows the moment the platform goes elsewhere.

**Answering**

- a digit picks a choice: `1`–`9`, `0` for the tenth; on an NPS scale the digit is the score
  and `1` then `0` is 10
- `↑` `↓` move the cursor, `space` selects (on a multiple-answer question it toggles)
- `tab` / `shift+tab` move to the next / previous question; in a text box just type
- `enter` (or `n`) submits the page; the platform's errors appear on their question

**Commands**

`r` restarts with a new session · `x` closes the session (a partial response) ·
`c` walks every planned route (coverage matrix) · `q` / `esc` leaves.
Every walk answered or ended is saved under `qtui-walks/` as an answers file
(`qtui qa SV_… --answers FILE` replays it) and a transcript.
"""


def _texts(rows: list[tuple[str, str]]) -> list[tuple[Text, Text]]:
    return [(Text(label), Text(value)) for label, value in rows]


def _hanging(rows: list[tuple[Text, Text]], indent: int | None = None) -> Table:
    """Rows of a label and a value; the value wraps under itself, a hanging indent."""
    grid = Table.grid(expand=True)
    grid.add_column(width=indent, no_wrap=True)
    grid.add_column(ratio=1)
    for label, value in rows:
        grid.add_row(label, value)
    return grid


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class WalkthroughScreen(Screen[None]):
    """One survey taken by hand. `prepare` opens the session's means (client, definition)."""

    HELP: ClassVar[str] = WALKTHROUGH_HELP
    CSS_PATH: ClassVar[list[str | Path]] = style_paths("qa.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter,n", "advance", "Next page", id="qa.next", tooltip="Submit this page's answers"
        ),
        Binding("r", "restart", "Restart", id="qa.restart", tooltip="Walk again, a new session"),
        Binding(
            "x",
            "close_session",
            "Close session",
            id="qa.close",
            tooltip="Close the session here (a partial response)",
        ),
        Binding("c", "cover", "Cover routes", id="qa.cover", tooltip="Walk every planned route"),
        Binding(
            "escape,q",
            "leave",
            "Back",
            id="qa.leave",
            tooltip="Leave the walkthrough (the walk is saved)",
        ),
    ]

    def __init__(
        self,
        prepare: Prepare,
        *,
        record_dir: Path | None = None,
        on_cover: Callable[[ManualWalk], None] | None = None,
        close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__()
        self.prepare = prepare
        self.record_dir = record_dir
        self.on_cover = on_cover
        self._close = close
        self.walk: ManualWalk | None = None
        self.saved: tuple[Path, Path] | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static("", id="qa-title")
        with Horizontal(id="qa-body"):
            with Vertical(id="qa-left"):
                yield Static("", id="qa-page-title")
                yield VerticalScroll(id="qa-page")
                yield Static("", id="qa-error")
            with Vertical(id="qa-right"):
                yield Static("", id="qa-banner")
                yield VerticalScroll(Static("", id="qa-route"), id="qa-route-box")
                yield Static("", id="qa-state")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#qa-banner").display = False
        self.query_one("#qa-title", Static).update(Text("QA walkthrough · opening…"))
        self.begin()

    @work(exclusive=True, group="walk", exit_on_error=False)
    async def begin(self) -> None:
        self.busy = True
        try:
            if self.walk is None:
                try:
                    self.walk = await self.prepare()
                except Exception as error:  # noqa: BLE001 - shown on screen, one line
                    self._fatal(str(error))
                    return
            await self.walk.start()
            await self._after_move()
            blocked = self.walk.blocked
            if blocked and self.walk.walks == 1:
                self.notify(
                    f"The sessions API cannot take {len(blocked)} of its questions "
                    f"({blocked[0].split(' — ')[0]}…): walking the platform's definition in "
                    "the local engine.",
                    title="Local engine",
                    timeout=10,
                )
        finally:
            self.busy = False

    def _fatal(self, message: str) -> None:
        self.query_one("#qa-error", Static).update(safe_text(message, "bold red"))
        self.query_one("#qa-title", Static).update(Text("QA walkthrough · cannot start"))

    # --- actions -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "advance" and self.walk is not None and self.walk.done:
            return None  # shown dimmed: an ended walk has no next page (r walks again)
        return True

    def action_advance(self) -> None:
        if self.walk is None or self.busy:
            return
        if self.walk.done:
            self.notify("The walk has ended: r starts a new one.", severity="warning")
            return
        self.submit(self._given())

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_advance()

    @work(exclusive=True, group="walk", exit_on_error=False)
    async def submit(self, given: dict[str, Any]) -> None:
        assert self.walk is not None
        self.busy = True
        try:
            await self.walk.advance(given)
            if self.walk.errors or self.walk.general_error:
                self._show_errors()
                self._show_side()
                return
            await self._after_move()
        finally:
            self.busy = False

    def action_restart(self) -> None:
        if self.walk is None or self.busy:
            return
        self._save()
        self.begin()

    def action_close_session(self) -> None:
        if self.walk is None or self.busy or self.walk.done:
            return
        self.close_session()

    @work(exclusive=True, group="walk", exit_on_error=False)
    async def close_session(self) -> None:
        assert self.walk is not None
        await self.walk.close()
        await self._after_move()

    def action_cover(self) -> None:
        if self.walk is not None and self.on_cover is not None:
            self.on_cover(self.walk)

    async def action_leave(self) -> None:
        self._save()
        if self._close is not None:
            await self._close()
        if len(self.app.screen_stack) > 1:
            self.dismiss(None)
        else:
            self.app.exit()

    # --- drawing -----------------------------------------------------------------------

    async def _after_move(self) -> None:
        walk = self.walk
        assert walk is not None
        if walk.done:
            await walk.finish()
            self._save()
        await self._show_page()
        self._show_side()

    def _given(self) -> dict[str, Any]:
        given: dict[str, Any] = {}
        for widget in self.query(".question").results():
            if isinstance(widget, ChoiceQuestion | TextQuestion):
                given[widget.question.questionId] = widget.value
        return given

    async def _show_page(self) -> None:
        walk = self.walk
        assert walk is not None
        page = self.query_one("#qa-page", VerticalScroll)
        await page.remove_children()
        self.query_one("#qa-error", Static).update("")
        title = self.query_one("#qa-page-title", Static)
        self.query_one("#qa-title", Static).update(
            Text(
                f"QA walkthrough · {walk.survey_id} · {walk.engine} · walk {walk.walks}",
                style="bold",
            )
        )
        if walk.general_error and not walk.state:
            self._fatal(walk.general_error)
            return
        if walk.done:
            ending = walk.disposition or "ended"
            title.update(safe_text(f"The survey ended: {ending}", "bold"))
            saved = walk.saved
            hint = "r walks again · q leaves" + (
                f"\nSaved {saved[0].name} (replay: qtui qa {walk.survey_id} --answers {saved[0]})"
                if saved
                else ""
            )
            await page.mount(Static(Text(hint), classes="question"))
            return
        step = len(walk.visited)
        name = walk.locator.name(walk.page_id) if walk.page_id else "?"
        order = (
            [p.id for p in sorted(walk.survey.pages, key=lambda p: p.order)]
            if walk.survey is not None
            else []
        )
        if walk.page_id in order:  # numbered as the route beside it numbers it
            heading = f"{order.index(walk.page_id) + 1}. {name} · step {step}"
        else:
            heading = f"Step {step} · {name}"
        title.update(safe_text(heading, "bold"))
        widgets = []
        for index, question in enumerate(walk.questions, start=1):
            info = walk.info(question.questionId)
            label = (info.tag if info and info.tag else question.questionId) or f"Q{index}"
            text = plain(question.display)  # tags stripped; the widgets make controls visible
            if question.type in ("MC", "NPS") or (question.type not in ("TE", "DB")):
                widget: Any = ChoiceQuestion(question, text, label)
                suggestion = walk.suggested(question.questionId)
                if suggestion is not None and info is not None:
                    for value in suggestion if isinstance(suggestion, list) else [suggestion]:
                        for cid, choice_label, recode in info.choices:
                            if (
                                str(value) in (recode, cid)
                                or str(value).lower() == choice_label.lower()
                            ):
                                widget.select(cid)
            elif question.type == "TE":
                widget = TextQuestion(question, text, label)
            else:
                widget = TextBlock(question, text)
            widgets.append(widget)
        await page.mount_all(widgets)
        for widget in widgets:
            if isinstance(widget, TextQuestion):
                suggestion = walk.suggested(widget.question.questionId)
                if suggestion is not None:
                    widget.set_value(suggestion)
        first = next((w for w in widgets if isinstance(w, ChoiceQuestion | TextQuestion)), None)
        if isinstance(first, TextQuestion):
            first.input.focus()
        elif first is not None:
            first.focus()

    def _show_errors(self) -> None:
        walk = self.walk
        assert walk is not None
        for widget in self.query(".question").results():
            if isinstance(widget, ChoiceQuestion):
                widget.error = walk.errors.get(widget.question.questionId, "")
            elif isinstance(widget, TextQuestion):
                widget.show_error(walk.errors.get(widget.question.questionId, ""))
        message = walk.general_error or ""
        self.query_one("#qa-error", Static).update(safe_text(message, "bold red"))

    def _show_side(self) -> None:
        walk = self.walk
        assert walk is not None
        self.query_one("#qa-route", Static).update(self.route_text())
        banner = self.query_one("#qa-banner", Static)
        banner.display = walk.divergence is not None
        if walk.divergence is not None:
            banner.update(self.banner_text())
        self.query_one("#qa-state", Static).update(self.state_text())
        self.refresh_bindings()

    def route_text(self) -> RenderableType:
        """The source survey's pages: visited, current, predicted, and the deciding rules.

        A page's name and the rule under it wrap under themselves (a hanging indent), never
        back under the marks, so the column of marks stays readable at 80 columns."""
        walk = self.walk
        assert walk is not None
        survey = walk.survey
        if survey is None:
            return Text(
                "No source survey: the route cannot be predicted.\nPass --survey FILE to check it.",
                style="dim",
            )
        prediction = walk.prediction()
        assert prediction is not None
        predicted = set(prediction.shown)
        labels = walk.locator.names
        rows: list[tuple[Text, Text]] = []
        for number, page in enumerate(sorted(survey.pages, key=lambda p: p.order), start=1):
            current = page.id == walk.page_id
            visited = page.id in walk.visited
            if current:
                mark, style = "▶", "bold reverse"
            elif visited:
                mark, style = "●", "bold"
            elif page.id in walk.locator.absent:
                mark, style = "–", "dim"  # text alone: sessions do not show it
            elif page.id in predicted:
                mark, style = "○", ""
            else:
                mark, style = " ", "dim"
            rows.append(
                (
                    Text(f"{mark} {number:>2}. ", style=style),
                    Text(labels.get(page.id, page.id), style),
                )
            )
            decision = prediction.decision_after(page.id)
            if decision is not None and (visited or page.id in predicted) and page.navigation_rules:
                if decision.rule_id is None:
                    why = "no rule fired → next page"
                else:
                    rule = next(r for r in page.navigation_rules if r.id == decision.rule_id)
                    target = labels.get(rule.target_page_id or "", rule.target_page_id or "?")
                    condition = (rule.condition or "").strip()
                    why = f"→ {target} if {condition}" if condition else f"→ {target} (always)"
                rows.append((Text(""), Text(f"  {why}", style="italic dim")))
        return shown(
            Group(
                Text("Route (source survey)", style="bold"),
                _hanging(rows, 6),
                Text(f"\nExpected ending: {prediction.disposition}", style="dim"),
            )
        )

    def banner_text(self) -> Group:
        """What diverged, a label column then its value: a value too long for the line wraps
        under itself (a hanging indent), never back under the labels."""
        walk = self.walk
        assert walk is not None and walk.divergence is not None
        d = walk.divergence
        name = walk.locator.name
        title = Text("DIVERGENCE", style="bold")
        rows: list[tuple[str, str]] = []
        if d.kind == "ending":
            title.append(f" — ended {d.reached_ending!r}, the survey says {d.expected_ending!r}")
        else:
            title.append(f" at page {d.step}")
            rows += [("expected", name(d.expected)), ("reached", name(d.reached))]
        if d.after is not None:
            rows.append(("after", name(d.after)))
        rule = "no rule fired (next page in order)"
        if d.rule is not None:
            rule = walk.locator.names.get(d.rule, d.rule)
            if walk.survey is not None:
                for page in walk.survey.pages:
                    for r in page.navigation_rules:
                        if r.id == d.rule:
                            target = walk.locator.names.get(r.target_page_id or "", "?")
                            condition = (r.condition or "").strip()
                            rule = f"→ {target}" + (
                                f" if {condition}" if condition else " (always)"
                            )
        rows.append(("rule", rule))
        if d.rule is None and walk.survey is not None:
            conditions = {
                r.id: (r.condition or "").strip()
                for p in walk.survey.pages
                for r in p.navigation_rules
            }
            for rule_id, value in d.tried:
                rows.append(("", f"{conditions.get(rule_id, rule_id)} was {str(value).lower()}"))
        answers = ", ".join(f"{k}={_json(v)}" for k, v in d.answers.items()) or "—"
        rows.append(("answers", answers))
        return shown(Group(_hanging([(Text("✗ "), title)]), _hanging(_texts(rows), 10)))

    def state_text(self) -> RenderableType:
        """The session's embedded data (a page id read as its page's name) and disposition."""
        walk = self.walk
        assert walk is not None
        embedded = walk.state.embeddedData if walk.state is not None else {}
        pages = walk.locator.names if walk.survey is not None else {}
        lines = Text("Embedded data\n", style="bold")
        for key, value in embedded.items():
            text = str(value)
            lines.append(f"  {key} = ")
            if text in pages:  # a page id: what a tester knows the page by
                lines.append(pages[text])
            elif text:
                lines.append(text)
            else:
                lines.append("(empty)", style="dim")
            lines.append("\n")
        if not embedded:
            lines.append("  —\n", style="dim")
        if walk.disposition is None:
            disposition = Text("in progress" if not walk.done else "ended")
        else:
            shown_as = walk.disposition if walk.disposition != ENDED else "ended (not stated)"
            disposition = Text(shown_as, style="bold")
        return shown(Group(lines, _hanging([(Text("Disposition  ", style="bold"), disposition)])))

    def _save(self) -> None:
        walk = self.walk
        if walk is None or self.record_dir is None or not walk.worth_saving:
            return
        if walk.saved is not None and walk.saved[1].exists():
            if walk.saved[1].read_text(encoding="utf-8") == walk.transcript_text():
                return
        try:
            self.saved = walk.save(self.record_dir)
        except OSError as error:
            self.notify(f"Could not save the walk: {error.strerror}", severity="error")
