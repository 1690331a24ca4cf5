"""The frame every edit form shares: fields with their own error lines, save, cancel, and the
answers a save can meet (refused, unsent, conflict), plus the small dialogs forms use.

A form is a modal screen; `f2` (or `enter` in a one-line field, or the Save button) saves,
`esc` cancels (asking first when a field was edited: keep editing or discard). Saving checks
the fields first (the same models and expression language the core uses) and says, field by
field, what stops it; only a valid form is sent. While the platform answers, the form stays
open: a refusal shows its message, a network failure offers retry or keeping the edit as a
draft, a conflict shows both versions side by side.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from qtui.core.edits import EDITABLE, Edit
from qtui.core.validation import Errors
from qtui.tui.safe import plain
from qtui.tui.screens.jump import JumpScreen

if TYPE_CHECKING:
    from qtui.tui.edit_session import EditSession, Outcome


class EditForm(ModalScreen[str | None]):
    """Base of the forms. Subclasses yield fields in `fields()` and read them in `values()`.

    Dismisses with "sent" once the platform accepted the edit, None when cancelled.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("f2", "save", "Save"),
    ]
    entity: ClassVar[str] = ""
    noun: ClassVar[str] = "item"

    def __init__(
        self,
        session: EditSession,
        item: dict[str, Any] | None,
        *,
        parent_id: str | None = None,
        title: str = "",
        locked: str | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.item = item  # the item's dump when the form opened; None: a new item
        self.parent_id = parent_id
        self.title_text = title
        self.locked = locked
        self.survey = session.survey()  # as it stood when the form opened
        self.sending = False
        self.last_outcome: Outcome | None = None
        self.pending_edit: Edit | None = None

    @property
    def creating(self) -> bool:
        return self.item is None

    # --- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        verb = "New" if self.creating else "Edit"
        with Vertical(id="form-box", classes="edit-form") as box:
            box.border_title = plain(
                f"{verb} {self.noun}" + (f" · {self.title_text}" if self.title_text else "")
            )
            if self.locked:
                yield Static(plain(f"read-only: {self.locked}"), id="form-locked")
            with VerticalScroll(id="form-fields"):
                yield from self.fields()
            yield Static("", id="form-message")
            with Horizontal(id="form-buttons"):
                yield Button(
                    "Save (f2)", id="form-save", variant="primary", disabled=bool(self.locked)
                )
                yield Button("Cancel (esc)", id="form-cancel")
                yield Button("Retry", id="form-retry", classes="-hidden")
                yield Button("Keep as draft", id="form-draft", classes="-hidden")

    def fields(self) -> ComposeResult:
        raise NotImplementedError
        yield  # pragma: no cover

    def field(self, name: str, label: str, widget: Widget, hint: str = "") -> ComposeResult:
        """A labelled field with its own error line (`#err-<name>`)."""
        yield Label(label, classes="form-label")
        if self.locked:
            widget.disabled = True
        yield widget
        if hint:
            yield Static(Text(hint), classes="form-hint")
        yield Static("", id=f"err-{name.replace('.', '-')}", classes="form-error")

    def on_mount(self) -> None:
        self._opened_with = self.values()  # what `esc` compares with before it discards
        clock = getattr(self.app, "clock", None)
        if clock is not None and not clock.animate:  # stopped time: no blinking (pictures)
            for widget in self.query("Input, TextArea"):
                widget.cursor_blink = False  # type: ignore[attr-defined]
        first = self.query("#form-fields Input, #form-fields TextArea, #form-fields Select")
        focusable = [w for w in first if not w.disabled]
        if focusable:
            focusable[0].focus()
        elif not self.locked:
            self.query_one("#form-save", Button).focus()
        else:
            self.query_one("#form-cancel", Button).focus()

    # --- what subclasses provide -------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """The item as the form would make it (editable fields only)."""
        raise NotImplementedError

    def check(self, values: dict[str, Any]) -> Errors:
        return {}

    def build_edit(self, values: dict[str, Any]) -> Edit | None:
        from qtui.core import edits

        entity = self.entity
        if self.item is None:
            return edits.create(entity, self.parent_id or "", values, self.title_text)  # type: ignore[arg-type]
        return edits.update(entity, self.item, {**self.item, **values}, self.title_text)  # type: ignore[arg-type]

    # --- saving -------------------------------------------------------------------------

    def show_errors(self, errors: Errors) -> None:
        for line in self.query(".form-error"):
            line.update("")  # type: ignore[attr-defined]
        for name, message in errors.items():
            top = name.split(".")[0]
            for candidate in (name.replace(".", "-"), top):
                found = self.query(f"#err-{candidate}")
                if found:
                    prefix = f"{_where(name[len(top) + 1 :])}: " if candidate == top else ""
                    prefix = "" if prefix == ": " else prefix
                    found.first().update(plain(f"✗ {prefix}{message}"))  # type: ignore[attr-defined]
                    break
        if errors:
            listed = "; ".join(
                f"{name.split('.')[0]} {_where(name.partition('.')[2])}".strip() + f": {message}"
                for name, message in errors.items()
            )
            self.say(
                f"Not saved — fix {len(errors)} field{'s' if len(errors) > 1 else ''}: {listed}",
                "error",
            )
        else:
            self.say("")

    def say(self, message: str, kind: str = "") -> None:
        line = self.query_one("#form-message", Static)
        line.update(Text(message))
        line.set_class(kind == "error", "-error")
        line.set_class(kind == "ok", "-ok")

    def action_save(self) -> None:
        if self.locked or self.sending:
            return
        values = self.values()
        errors = self.check(values)
        self.show_errors(errors)
        if errors:
            return
        edit = self.build_edit(values)
        if edit is None:
            self.dismiss(None)
            self.app.notify("No change to save.")
            return
        self.send(edit)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#form-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#form-retry")
    def _retry(self) -> None:
        if self.pending_edit is not None:
            self.send(self.pending_edit)

    @on(Button.Pressed, "#form-draft")
    def _draft(self) -> None:
        if self.pending_edit is None:
            return
        path = self.session.keep_draft(
            self.pending_edit, self.last_outcome.message if self.last_outcome else ""
        )
        self.app.notify(f"Kept as a draft in {path}; it is sent when you choose Send drafts.")
        self.dismiss("draft")

    def _offer_retry(self, shown: bool) -> None:
        for button_id in ("#form-retry", "#form-draft"):
            self.query_one(button_id, Button).set_class(not shown, "-hidden")

    @work(exclusive=True, group="form-send")
    async def send(self, edit: Edit, check_conflict: bool = True) -> None:
        self.sending = True
        self.pending_edit = edit
        self.say(f"Sending to {self.session.kind}…")
        try:
            outcome = await self.session.submit(edit, check_conflict=check_conflict)
        finally:
            self.sending = False
        self.last_outcome = outcome
        if outcome.status == "sent":
            self.dismiss("sent")
            return
        if outcome.status == "refused":
            if outcome.field:
                self.show_errors({outcome.field: outcome.message})
            self.say(f"Refused: {outcome.message} — change the form and save again.", "error")
            self._offer_retry(False)
        elif outcome.status == "unsent":
            self.say(
                f"Not sent: {outcome.message} — Retry, or Keep as draft to send later.", "error"
            )
            self._offer_retry(True)
            self.query_one("#form-retry", Button).focus()
        elif outcome.status == "conflict":
            self.app.push_screen(
                ConflictScreen(edit, self.item, outcome.current, outcome.message),
                self._conflict_chosen,
            )
        else:
            self.say(outcome.message, "error")

    def _conflict_chosen(self, choice: str | None) -> None:
        edit = self.pending_edit
        if choice == "mine" and edit is not None:
            self.send(edit, check_conflict=False)
        elif choice == "theirs":
            self.dismiss(None)
            self.app.notify("Kept the version on the server; your change was not sent.")
        else:
            self.say("Not saved: the item changed meanwhile. Save again to compare.", "error")

    @property
    def edited(self) -> bool:
        """Whether a field reads differently from when the form opened."""
        return not self.locked and self.values() != self._opened_with

    def action_cancel(self) -> None:
        """Close; edits made in the form are discarded only once the user says so."""
        if not self.edited:
            self.dismiss(None)
            return

        def chosen(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        question = (
            f"Discard this new {self.noun}?"
            if self.creating
            else f"Discard your edits to this {self.noun}?"
        )
        self.app.push_screen(DiscardScreen(question), chosen)


def _where(rest: str) -> str:
    """`4.value` (a list item's field) → `line 5 value`, for people."""
    index, _, field = rest.partition(".")
    if index.isdigit():
        return f"line {int(index) + 1}" + (f" {field}" if field else "")
    return rest


def _fields_json(entity: str, data: dict[str, Any] | None, keys: list[str]) -> str:
    if data is None:
        return "(deleted)"
    shown = {k: data.get(k) for k in keys}
    return json.dumps(shown, indent=1, ensure_ascii=False)


class ConflictScreen(ModalScreen[str | None]):
    """Both versions side by side: `m` sends mine over theirs, `t` keeps theirs, esc goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "choose('mine')", "Send mine"),
        Binding("t", "choose('theirs')", "Keep theirs"),
        Binding("escape", "choose('back')", "Back to the form"),
    ]

    def __init__(
        self, edit: Edit, base: dict[str, Any] | None, current: dict[str, Any] | None, why: str
    ) -> None:
        super().__init__()
        self.edit = edit
        self.base = base or {}
        self.current = current
        self.why = why

    def compose(self) -> ComposeResult:
        keys = [k for k in EDITABLE[self.edit.entity] if k in self.edit.fields] or list(
            EDITABLE[self.edit.entity]
        )
        mine = {**self.base, **self.edit.fields}
        with Vertical(id="conflict-box") as box:
            box.border_title = "Changed meanwhile"
            yield Static(plain(f"{self.why}. Compare, then choose."), id="conflict-why")
            with Horizontal(id="conflict-sides"):
                with Vertical(classes="conflict-side"):
                    yield Label("Yours", classes="form-label")
                    yield Static(
                        plain(_fields_json(self.edit.entity, mine, keys)), id="conflict-mine"
                    )
                with Vertical(classes="conflict-side"):
                    yield Label("On the server now", classes="form-label")
                    yield Static(
                        plain(_fields_json(self.edit.entity, self.current, keys)),
                        id="conflict-theirs",
                    )
            yield Static(
                Text("m send mine over it · t keep theirs · esc back to the form"),
                id="conflict-foot",
            )

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question: `y` or enter confirms, `n` or esc declines."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box") as box:
            box.border_title = "Confirm"
            yield Static(plain(self.question), id="confirm-question")
            if self.detail:
                yield Static(plain(self.detail), id="confirm-detail")
            yield Static(Text("y yes · n no"), id="confirm-foot")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class DiscardScreen(ModalScreen[bool]):
    """Leave a form with unsaved edits? `k` (or esc, or enter) keeps editing, `d` discards."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k,escape,enter", "answer(False)", "Keep editing"),
        Binding("d", "answer(True)", "Discard"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box") as box:
            box.border_title = "Unsaved edits"
            yield Static(plain(self.question), id="confirm-question")
            yield Static(Text("k keep editing · d discard"), id="confirm-foot")

    def action_answer(self, discard: bool) -> None:
        self.dismiss(discard)


class PickScreen(ModalScreen[str | None]):
    """Pick one of a few labelled options (enter), esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, options: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.options = options

    def compose(self) -> ComposeResult:
        with Vertical(id="pick-box") as box:
            box.border_title = plain(self.title_text)
            yield OptionList(
                *[Option(plain(label), id=key) for key, label in self.options], id="pick-list"
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class MoveToPageScreen(JumpScreen):
    """The page to move a block to (type to filter, enter); returns its id, or None."""

    def __init__(self, pages: list[tuple[str, str]], title: str) -> None:
        super().__init__(pages)
        self.title_text = title

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#jump-box").border_title = plain(self.title_text)
