"""Edits of a local FullSurvey file: answered in-process, saved atomically with a `.bak`.

`LocalEditor.send` answers an edit as Questra would (fresh ids, `updated_at` now) so the TUI
applies it through the same reducer; `SurveyFile.save` writes the whole survey to a
temporary file beside the target and renames it over, after copying the previous version
to `FILE.bak`, so a crash leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qtui.core.edits import PARENT_FIELD, Edit, conflict
from qtui.editing.errors import EditConflict, EditRefused
from qtui.jsonfile import read_json_file


def now_stamp() -> str:
    moment = datetime.now(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SurveyFile:
    """A FullSurvey JSON file (or the `{"survey": FullSurvey}` import form)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, Any]:
        data = read_json_file(self.path)  # JsonFileError (a ValueError) says what is wrong
        if isinstance(data, dict) and "pages" not in data and isinstance(data.get("survey"), dict):
            data = data["survey"]
        if not isinstance(data, dict) or "id" not in data:
            raise ValueError(f"{self.path} does not hold a survey (a FullSurvey JSON object)")
        return data

    @property
    def backup_path(self) -> Path:
        return self.path.with_name(self.path.name + ".bak")

    def save(self, document: dict[str, Any]) -> Path:
        """Write `document` atomically; the previous file is kept as `FILE.bak`."""
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        folder = self.path.parent
        if self.path.exists():
            shutil.copy2(self.path, self.backup_path)
        handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=folder)
        try:
            # mkstemp makes the file 0600: the saved survey keeps the mode it had (a new one
            # gets what the umask gives), so a shared checkout stays readable to the group.
            os.chmod(temporary, _mode_for(self.path))
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return self.path


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


class LocalEditor:
    """Answers edits of a survey held in memory (the TUI's store), as the API would."""

    kind = "file"
    read_only_reason: str | None = None

    def __init__(
        self, current: Callable[[str, str], dict[str, Any] | None], survey_id: str
    ) -> None:
        self._current = current  # (entity, id) -> the item's dump, from the store
        self.survey_id = survey_id

    async def aclose(self) -> None:
        return None

    async def current(self, entity: str, item_id: str) -> dict[str, Any] | None:
        return self._current(entity, item_id)

    async def send(self, edit: Edit, *, check_conflict: bool = True) -> dict[str, Any] | None:
        stamp = now_stamp()
        if edit.action == "create":
            parent_field = PARENT_FIELD.get(edit.entity)
            # An undone delete comes back as it was, programming times and all (`kept`).
            item: dict[str, Any] = {"id": str(uuid.uuid4()), **edit.kept, **edit.fields}
            if parent_field:
                item[parent_field] = edit.parent_id
            if edit.entity in ("page", "variable"):
                item["survey_id"] = self.survey_id
            if edit.entity == "navigation_rule" and not item.get("target_page_id"):
                raise EditRefused("target_page_id: pick the page the rule leads to")
            if edit.entity != "variable":
                item.setdefault("order", 0)
            item["updated_at"] = stamp
            item.setdefault("created_at", stamp)
            return item
        before = self._current(edit.entity, edit.item_id or "")
        if before is None:
            raise EditConflict(f"this {edit.entity.replace('_', ' ')} no longer exists", None)
        if check_conflict and edit.before and conflict(edit.entity, edit.before, before):
            raise EditConflict("this item changed since the form opened", before)
        if edit.action == "delete":
            return None
        return {**before, **edit.fields, "updated_at": stamp}
