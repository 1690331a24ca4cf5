"""The TUI's side of editing: where edits go, pending marks, undo/redo, drafts, the local file.

Thin glue over `qtui.core.edits` (history, pending, conflicts) and `qtui.editing` (the
Questra and local-file editors, drafts): it picks the editor for the app's source, sends an
edit, feeds the answer through the store as an ordinary event, and clears a pending mark
when the matching webhook arrives. No widgets here; forms call `submit`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from qtui.core.edits import Edit, EditHistory, PendingEdits
from qtui.core.events import Event
from qtui.core.models import Survey
from qtui.editing.drafts import DraftBox
from qtui.editing.errors import EditConflict, EditRefused, EditUnsent
from qtui.editing.local import LocalEditor, SurveyFile
from qtui.tui.messages import Frame, FramesReceived

if TYPE_CHECKING:
    from qtui.tui.app import QtuiApp

READ_ONLY_REPLAY = (
    "a replay is read-only: edit with `qtui watch`, the demo, or `qtui open FILE.json`"
)
FORBIDDING_STATUSES = {"closed": "the survey is closed; reopen it on Questra to edit it"}


@dataclass(frozen=True)
class Outcome:
    status: Literal["sent", "refused", "unsent", "conflict", "read_only"]
    message: str = ""
    result: dict[str, Any] | None = None
    current: dict[str, Any] | None = None
    field: str | None = None


def stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# Quitting with unsaved file edits warns; a second quit while the warning shows quits.
QUIT_WARNING_SECONDS = 10


class EditSession:
    def __init__(self, app: QtuiApp) -> None:
        self.app = app
        self.history = EditHistory()
        self.pending = PendingEdits()
        self.file: SurveyFile | None = None
        self.dirty = False  # local edits not yet saved to the file
        self.activity = ""  # what a multi-request edit is doing ("restoring page End 3/9")
        self._warned_at: float | None = None  # when quitting with unsaved edits was warned of
        self._editor: Any = None
        self._reason: str | None = None
        self.sent = 0
        self.confirmed_at: dict[tuple[str, str], float] = {}  # for bench/edit.py
        self.seen_at: dict[tuple[str, str], float] = {}  # last event per item (monotonic)

    # --- where edits go ---------------------------------------------------------------

    def attach(self, editor: Any, reason: str | None = None) -> None:
        """Use this editor (tests, `qtui open`); `None` with a reason makes the view read-only."""
        self._editor = editor
        self._reason = reason

    def open_file(self, path: Path) -> None:
        self.file = SurveyFile(path)

    @property
    def editor(self) -> Any:
        if self._editor is None and self._reason is None:
            self._editor, self._reason = self._editor_for_source()
        return self._editor

    @property
    def read_only_reason(self) -> str | None:
        editor = self.editor
        return self._reason if editor is None else None

    def _editor_for_source(self) -> tuple[Any, str | None]:
        source, survey_id = self.app.source, self.app.survey_id
        if self.file is not None and survey_id:
            return LocalEditor(self.item_dump, survey_id), None
        demo = getattr(source, "demo", None)
        url = getattr(source, "questra_url", None)
        if demo is not None:
            url, key, org = demo.questra_url, demo.api_key, demo.org_id
        else:
            key, org = getattr(source, "api_key", None), getattr(source, "org_id", None)
        if url and key and survey_id:
            from qtui.editing.questra import QuestraEditor

            return QuestraEditor.connect(url, key, org or "", survey_id), None
        if getattr(source, "replay", False):
            return None, READ_ONLY_REPLAY
        if getattr(source, "kind", "") == "demo":
            return None, "the demo is still starting; try again in a moment"
        return None, "this view has no Questra connection to send edits to"

    @property
    def kind(self) -> str:
        editor = self.editor
        return getattr(editor, "kind", "none") if editor is not None else "none"

    async def close(self) -> None:
        editor, self._editor = self._editor, None
        if editor is not None:
            await editor.aclose()

    # --- reading the store ------------------------------------------------------------

    def survey(self) -> Survey | None:
        survey_id = self.app.survey_id
        return self.app.store.survey(survey_id) if survey_id else None

    def item(self, entity: str, item_id: str) -> Any:
        store = self.app.store
        if entity == "survey":
            return store.survey_record(item_id)
        getter = {
            "page": store.page,
            "block": store.block,
            "navigation_rule": store.rule,
            "variable": store.variable,
        }[entity]
        return getter(item_id)

    def item_dump(self, entity: str, item_id: str) -> dict[str, Any] | None:
        item = self.item(entity, item_id)
        if item is None:
            return None
        data = item.dump()
        if entity in ("survey", "page"):
            data.pop("pages", None)
            data.pop("variables", None)
            data.pop("blocks", None)
            data.pop("navigation_rules", None)
        return data

    def locked_reason(
        self, entity: str, item_id: str | None, page_id: str | None = None
    ) -> str | None:
        """Why this item cannot be edited now, or None."""
        if self.read_only_reason:
            return self.read_only_reason
        store, survey_id = self.app.store, self.app.survey_id or ""
        record = store.survey_record(survey_id)
        if record is not None:
            if record.locked:
                return "the survey is locked while AI programming runs; wait until it finishes"
            reason = FORBIDDING_STATUSES.get(str(record.status or ""))
            if reason:
                return reason
        if entity == "page" and item_id:
            page_id = item_id
        elif entity in ("block", "navigation_rule") and item_id:
            item = self.item(entity, item_id)
            if item is not None:
                page_id = getattr(item, "page_id", None) or getattr(item, "source_page_id", None)
        page = store.page(page_id) if page_id else None
        if page is not None and page.locked:
            return f"page {page.name!r} is locked while it is being programmed"
        return None

    # --- sending ------------------------------------------------------------------------

    async def submit(
        self,
        edit: Edit,
        *,
        kind: str = "new",
        check_conflict: bool = True,
        group: int | None = None,
    ) -> Outcome:
        """Send one edit and, once accepted, show it (pending until its webhook comes).

        `kind`: "new", "undo", "redo" (recorded in the history as such) or "part" (a step
        of a restore, which is recorded whole once it is done)."""
        editor = self.editor
        if editor is None:
            return Outcome("read_only", self._reason or "read-only")
        sent_at = time.monotonic()
        try:
            result = await editor.send(edit, check_conflict=check_conflict)
        except EditRefused as error:
            return Outcome("refused", error.message, field=error.field)
        except EditUnsent as error:
            return Outcome("unsent", error.message)
        except EditConflict as error:
            return Outcome("conflict", error.message, current=error.current)
        self.sent += 1
        if kind != "part":  # a step of a restore: the restore is recorded whole
            self.history.record(edit, result, kind=kind, group=group)
        self._show(edit, result)
        if editor.kind == "file":
            self.dirty = True
            self._warned_at = None  # edits since the warning: the next q warns again
            self.app.refresh_status()
        else:
            self.pending.add(edit, result, sent_at)
            self.app.edits_changed()
        return Outcome("sent", result=result)

    def _show(self, edit: Edit, result: dict[str, Any] | None) -> None:
        """Feed the server's answer through the store, as the webhook will."""
        action = {"create": "created", "update": "updated", "delete": "deleted"}[edit.action]
        if edit.action == "delete":
            data: dict[str, Any] = {"id": edit.item_id}
        else:
            data = {**(edit.before or {}), **(result or {})}
            if edit.entity in ("survey", "page"):
                for nested in ("pages", "variables", "blocks", "navigation_rules"):
                    data.pop(nested, None)
        envelope = {"event": f"{edit.entity}.{action}", "timestamp": stamp(), "data": data}
        self.app.post_message(FramesReceived([Frame(envelope, source="qtui", verified=None)]))

    def seen(self, event: Event, frame: Frame) -> None:
        """An event arrived: if it confirms a pending edit, clear the mark."""
        if frame.source == "qtui":
            return
        now = time.monotonic()
        if event.item_id:
            self.seen_at[(event.entity, event.item_id)] = now
        if self.pending.confirm(event.entity, event.action, event.item_id, _updated(event), now):
            self.confirmed_at[(event.entity, event.item_id or "")] = now
            self.app.edits_changed()

    def keep_draft(self, edit: Edit, reason: str) -> Path:
        box = DraftBox(self.app.survey_id or "survey")
        box.add(edit, reason)
        return box.path

    def drafts(self) -> DraftBox:
        return DraftBox(self.app.survey_id or "survey")

    # --- the local file -----------------------------------------------------------------

    def unsaved_warning(self) -> bool:
        """On the first quit with unsaved file edits, warn (True: do not quit yet)."""
        if not self.dirty:
            return False
        now = time.monotonic()
        if self._warned_at is not None and now - self._warned_at < QUIT_WARNING_SECONDS:
            return False  # q again while the warning shows
        self._warned_at = now
        name = self.file.path.name if self.file else "the file"
        self.app.notify(
            f"{name} has unsaved edits: w saves them; q again quits without saving.",
            severity="warning",
            timeout=QUIT_WARNING_SECONDS,
        )
        return True

    def save_file(self) -> Path:
        """Write the survey as it stands to the opened file (atomic, with FILE.bak)."""
        if self.file is None:
            raise ValueError("no file is open: `qtui open FILE.json` edits a file")
        survey = self.survey()
        if survey is None:
            raise ValueError("the survey is not loaded yet")
        path = self.file.save(survey.dump())
        self.dirty = False
        self._warned_at = None
        self.app.refresh_status()
        return path


def _updated(event: Event) -> Any:
    return getattr(event.data, "updated_at", None)
