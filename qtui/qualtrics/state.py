"""`PushState`: what a push created in Qualtrics, kept so the next push updates instead of copying.

One JSON file per Questra survey under the XDG data dir (`$XDG_DATA_HOME/qtui/qualtrics-push/`,
default `~/.local/share/...`), holding one entry per Qualtrics account (base URL):
the Qualtrics survey id, Questra block id → QID, block key (page id) → BL_ id, and a hash of
what was last sent for each item. Every change is also appended to a journal file as it
happens, so a push that dies half-way resumes from exactly what was created.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

FORMAT = 1


def data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "qtui" / "qualtrics-push"


@dataclass
class TargetState:
    """What exists in one Qualtrics account for one Questra survey."""

    survey_id: str | None = None
    name: str | None = None
    default_block_id: str | None = None
    default_block_used: bool = False
    questions: dict[str, str] = field(default_factory=dict)  # Questra block id → QID
    question_hashes: dict[str, str] = field(default_factory=dict)  # QID → hash sent
    blocks: dict[str, str] = field(default_factory=dict)  # block key → BL_
    block_hashes: dict[str, str] = field(default_factory=dict)  # BL_ → hash sent
    flow_hash: str | None = None
    version_id: str | None = None
    version_number: int | None = None
    published_flow_hash: str | None = None
    dirty: bool = False  # changed since the last published version
    active: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TargetState:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


class PushState:
    """Push bookkeeping for one Questra survey on one Qualtrics account.

    Use `record(op, **fields)` for every change (it is journaled at once) and `save()` when a
    push ends, which folds the journal into the JSON file.
    """

    def __init__(self, questra_survey_id: str, base_url: str, path: Path | None) -> None:
        self.questra_survey_id = questra_survey_id
        self.base_url = base_url
        self.path = path
        self._targets: dict[str, dict[str, Any]] = {}
        self.target = TargetState()
        self._journal: IO[str] | None = None

    @classmethod
    def load(
        cls, questra_survey_id: str, base_url: str, directory: Path | None = None
    ) -> PushState:
        folder = directory if directory is not None else data_dir()
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", questra_survey_id) or "survey"
        state = cls(questra_survey_id, base_url, folder / f"{safe}.json")
        state._read()
        return state

    @classmethod
    def in_memory(cls, questra_survey_id: str, base_url: str) -> PushState:
        """A state that is never written (dry runs, tests of a single push)."""
        return cls(questra_survey_id, base_url, None)

    @property
    def journal_path(self) -> Path | None:
        return self.path.with_suffix(".journal") if self.path is not None else None

    def _read(self) -> None:
        assert self.path is not None
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except ValueError as exc:
                raise ValueError(
                    f"push state {self.path} is not valid JSON ({exc}); move it away to start over"
                ) from exc
            self._targets = dict(data.get("targets") or {})
        self.target = TargetState.from_dict(self._targets.get(self.base_url, {}))
        journal = self.journal_path
        if journal is not None and journal.exists():
            for line in journal.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a crash: everything before it stands
                if entry.get("target") == self.base_url:
                    self._apply(entry)

    def record(self, op: str, **fields: Any) -> None:
        entry = {"target": self.base_url, "op": op, **fields}
        self._apply(entry)
        journal = self.journal_path
        if journal is None:
            return
        if self._journal is None:
            journal.parent.mkdir(parents=True, exist_ok=True)
            self._journal = journal.open("a", encoding="utf-8")
        self._journal.write(json.dumps(entry) + "\n")
        self._journal.flush()

    def _apply(self, entry: dict[str, Any]) -> None:
        t = self.target
        op = entry["op"]
        if op == "reset":
            self.target = TargetState(survey_id=entry.get("survey_id"))
        elif op == "survey":
            t.survey_id = entry["survey_id"]
            t.default_block_id = entry.get("default_block_id")
            t.name = entry.get("name", t.name)
        elif op == "name":
            t.name = entry["name"]
        elif op == "default_block_used":
            t.default_block_used = True
        elif op == "question":
            t.questions[entry["block"]] = entry["qid"]
            t.question_hashes[entry["qid"]] = entry["hash"]
            t.dirty = True
        elif op == "forget_question":
            qid = t.questions.pop(entry["block"], None)
            if qid is not None:
                t.question_hashes.pop(qid, None)
            t.dirty = True
        elif op == "block":
            t.blocks[entry["key"]] = entry["block_id"]
            if entry.get("hash"):
                t.block_hashes[entry["block_id"]] = entry["hash"]
            t.dirty = True
        elif op == "block_hash":
            t.block_hashes[entry["block_id"]] = entry["hash"]
            t.dirty = True
        elif op == "forget_block":
            block_id = t.blocks.pop(entry["key"], None)
            if block_id is not None:
                t.block_hashes.pop(block_id, None)
            t.dirty = True
        elif op == "flow":
            t.flow_hash = entry["hash"]
            t.dirty = True
        elif op == "published":
            t.version_id = entry["version_id"]
            t.version_number = entry.get("version_number")
            t.dirty = False
        elif op == "active":
            t.active = bool(entry["active"])

    def save(self) -> None:
        """Write the state file and drop the journal it now contains."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self.path is None:
            return
        self._targets[self.base_url] = asdict(self.target)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(
            json.dumps(
                {
                    "format": FORMAT,
                    "questra_survey_id": self.questra_survey_id,
                    "targets": self._targets,
                },
                indent=1,
                sort_keys=True,
            ),
            encoding="utf-8",
        )
        temporary.replace(self.path)
        journal = self.journal_path
        if journal is not None and journal.exists():
            journal.unlink()

    def remember_push(self, survey: dict[str, Any], pushed_at: str) -> None:
        """Record what was just pushed beside the state file (nothing for an in-memory state)."""
        if self.path is None or self.target.survey_id is None:
            return
        last = LastPush(
            self.questra_survey_id,
            self.target.survey_id,
            self.base_url,
            pushed_at,
            survey,
            self.target.version_id,
        )
        record_last_push(last, self.path.parent)

    def close(self) -> None:
        """Stop journaling without folding (after a failure the journal is the record)."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None


# --- the last push ---------------------------------------------------------------------------

LAST_PUSH = "last-push.json"


@dataclass
class LastPush:
    """What was last pushed, for the next push's diff and routing check, and for QA.

    `survey` is the Questra survey (FullSurvey JSON) exactly as pushed; `qualtrics_survey_id`
    where it went. Kept per survey (`<survey>.last.json`) and, for "the survey last pushed",
    once more as `last-push.json`, both beside the push state.
    """

    questra_survey_id: str
    qualtrics_survey_id: str
    base_url: str
    pushed_at: str
    survey: dict[str, Any]
    version_id: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LastPush:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def record_last_push(last: LastPush, directory: Path | None = None) -> None:
    """Remember a finished push (per survey, and as the most recent one)."""
    folder = directory if directory is not None else data_dir()
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", last.questra_survey_id) or "survey"
    text = json.dumps(asdict(last), sort_keys=True)
    _write_atomically(folder / f"{safe}.last.json", text)
    _write_atomically(folder / LAST_PUSH, text)


def load_last_push(
    questra_survey_id: str | None = None,
    base_url: str | None = None,
    directory: Path | None = None,
) -> LastPush | None:
    """The last push of one survey (to `base_url` if given), or the most recent push of any."""
    folder = directory if directory is not None else data_dir()
    if questra_survey_id is None:
        path = folder / LAST_PUSH
    else:
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", questra_survey_id) or "survey"
        path = folder / f"{safe}.last.json"
    try:
        last = LastPush.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if base_url is not None and last.base_url != base_url:
        return None
    return last
