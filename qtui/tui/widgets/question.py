"""One question of a platform page, answered from the keyboard.

`ChoiceQuestion` (multiple choice, NPS): digits pick a choice (1–9, 0 for the tenth; on an NPS
scale a digit is the score, and 1 then 0 is 10), arrows move the cursor, space selects.
`TextQuestion`: an input; enter submits the page. `TextBlock`: descriptive text only.
Question text is survey data: it is always rendered as plain `Text`, never as markup.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Input, Static

from qtui.qualtrics.payloads import SessionQuestion
from qtui.tui.safe import plain, shown
from qtui.tui.widgets.survey_text_fields import SurveyTextInput


class ChoiceQuestion(Static, can_focus=True):
    """A multiple-choice or NPS question: cursor, selection and the platform's error."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("space", "toggle", "Select", show=False),
    ]

    cursor: reactive[int] = reactive(0)
    error: reactive[str] = reactive("", layout=True)

    def __init__(
        self, question: SessionQuestion, title: str, label: str, *, id: str | None = None
    ) -> None:
        super().__init__(id=id, classes="question")
        self.question = question
        self.title = title
        self.label = label
        self.nps = question.type == "NPS"
        self.multi = question.options.multiSelect
        self.selected: list[str] = []
        self._pending_one = False

    @property
    def choice_ids(self) -> list[str]:
        return [c.choiceId for c in self.question.choices]

    @property
    def value(self) -> Any:
        """Selected choice ids: a list for multiple answers, one id, or None."""
        if self.multi:
            return list(self.selected)
        return self.selected[0] if self.selected else None

    def select(self, choice_id: str) -> None:
        if self.multi:
            if choice_id in self.selected:
                self.selected.remove(choice_id)
            else:
                self.selected.append(choice_id)
        else:
            self.selected = [choice_id]
        if choice_id in self.choice_ids:
            self.cursor = self.choice_ids.index(choice_id)
        self.refresh()

    def action_move(self, step: int) -> None:
        if self.choice_ids:
            self.cursor = (self.cursor + step) % len(self.choice_ids)

    def action_toggle(self) -> None:
        if self.choice_ids:
            self.select(self.choice_ids[self.cursor])

    def on_key(self, event: events.Key) -> None:
        if event.character is None or not event.character.isdigit():
            self._pending_one = False
            return
        event.stop()
        digit = event.character
        if self.nps:
            displays = {c.display.strip(): c.choiceId for c in self.question.choices}
            if self._pending_one and digit == "0" and "10" in displays:
                self.selected = []
                self.select(displays["10"])
                self._pending_one = False
                return
            self._pending_one = digit == "1"
            if digit in displays:
                self.select(displays[digit])
            return
        index = 9 if digit == "0" else int(digit) - 1
        if 0 <= index < len(self.choice_ids):
            self.select(self.choice_ids[index])

    def watch_cursor(self) -> None:
        self.refresh()

    def watch_error(self) -> None:
        self.set_class(bool(self.error), "has-error")
        self.refresh()

    def render(self) -> Text:
        text = Text()
        text.append(f"{self.label}  ", style="bold")
        text.append(self.title)
        text.append("\n")
        if self.question.type not in ("MC", "NPS"):
            # Only the local engine shows these: picking a row or item gets past them.
            kind = f"{self.question.type} · pick any item to get past it (local engine)"
        else:
            kind = (
                "NPS 0–10" if self.nps else "select all that apply" if self.multi else "one answer"
            )
        text.append(f"{self.question.questionId} · {kind}\n", style="dim")
        for index, choice in enumerate(self.question.choices):
            on = choice.choiceId in self.selected
            mark = ("[x]" if on else "[ ]") if self.multi else ("(•)" if on else "( )")
            key = choice.display.strip() if self.nps else str((index + 1) % 10)
            pointer = "›" if self.has_focus and index == self.cursor else " "
            line = Text(f" {pointer} {key:>2} {mark} ")
            line.append(choice.display.strip())
            if on:
                line.stylize("bold")
            if self.has_focus and index == self.cursor:
                line.stylize("reverse")
            text.append_text(line)
            text.append("\n")
        if self.error:
            text.append(f"✗ {self.error}", style="bold red")
        return shown(text)  # the survey's text and choices: controls made visible

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self._pending_one = False
        self.refresh()


class TextQuestion(Vertical):
    """A text-entry question: its text, an input, and the platform's error."""

    def __init__(
        self, question: SessionQuestion, title: str, label: str, *, id: str | None = None
    ) -> None:
        super().__init__(id=id, classes="question")
        self.question = question
        self.title = title
        self.label = label

    def compose(self) -> ComposeResult:
        heading = Text()
        heading.append(f"{self.label}  ", style="bold")
        heading.append(self.title)
        heading.append(f"\n{self.question.questionId} · text", style="dim")
        yield Static(shown(heading), classes="question-title")
        yield SurveyTextInput(placeholder="type the answer; enter submits the page", compact=True)
        yield Static("", classes="question-error")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def value(self) -> Any:
        return self.input.value

    def set_value(self, value: Any) -> None:
        self.input.value = "" if value is None else str(value)

    def show_error(self, message: str) -> None:
        error = self.query_one(".question-error", Static)
        error.update(plain(f"✗ {message}", "bold red") if message else "")
        self.set_class(bool(message), "has-error")


class TextBlock(Static):
    """Descriptive text (a DB question): nothing to answer."""

    def __init__(self, question: SessionQuestion, title: str) -> None:
        super().__init__(plain(title), classes="question text-block")
        self.question = question
