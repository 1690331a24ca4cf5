"""`DraftBox`: edits that could not be sent, kept on disk until they are.

One JSON-lines file per survey under `$XDG_STATE_HOME/qtui/drafts/` (default
`~/.local/state/qtui/drafts/`). A draft is the edit exactly as it would have been sent.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

from qtui.core.edits import Edit


def drafts_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "qtui" / "drafts"


class DraftBox:
    def __init__(self, survey_id: str, directory: Path | None = None) -> None:
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", survey_id) or "survey"
        self.path = (directory or drafts_dir()) / f"{safe}.jsonl"

    def add(self, edit: Edit, reason: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"edit": asdict(edit), "reason": reason}) + "\n")

    def list(self) -> list[Edit]:
        if not self.path.exists():
            return []
        out: list[Edit] = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry: dict[str, Any] = json.loads(line)
                out.append(Edit(**entry["edit"]))
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a crash: the others stand
        return out

    def replace(self, edits: list[Edit]) -> None:
        """Keep only `edits` (the ones still unsent)."""
        if not edits:
            self.path.unlink(missing_ok=True)
            return
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(
            "".join(json.dumps({"edit": asdict(e), "reason": ""}) + "\n" for e in edits),
            encoding="utf-8",
        )
        temporary.replace(self.path)

    def __len__(self) -> int:
        return len(self.list())
