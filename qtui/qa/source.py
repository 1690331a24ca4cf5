"""Where the source survey of a QA run comes from: a file, Questra, or what qtui pushed.

A push leaves records beside its push state (`qtui.qualtrics.state.data_dir()`): the state
file (`<survey>.json`: Questra id → Qualtrics survey id per account) and, once a push has
finished, a record of what was pushed (`<survey>.last.json`, and `last-push.json` for the most
recent push of any survey) holding the FullSurvey JSON exactly as sent. This module only reads
them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qtui.qualtrics.state import data_dir

LAST_PUSH = "last-push.json"


@dataclass
class PushedSource:
    """What qtui knows of a pushed survey: its Questra id and, when recorded, its JSON."""

    questra_survey_id: str
    qualtrics_survey_id: str
    base_url: str | None
    survey: dict[str, Any] | None


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _from_record(data: dict[str, Any]) -> PushedSource | None:
    questra, qualtrics = data.get("questra_survey_id"), data.get("qualtrics_survey_id")
    if not isinstance(questra, str) or not isinstance(qualtrics, str):
        return None
    survey = data.get("survey") if isinstance(data.get("survey"), dict) else None
    return PushedSource(questra, qualtrics, data.get("base_url"), survey)


def last_pushed(base_url: str | None = None, directory: Path | None = None) -> PushedSource | None:
    """The survey qtui pushed last (to `base_url`, when given)."""
    folder = directory if directory is not None else data_dir()
    data = _read(folder / LAST_PUSH)
    found = _from_record(data) if data is not None else None
    if found is not None and (base_url is None or found.base_url in (None, base_url)):
        return found
    # No record of the last push: the most recently written push state for this account.
    states = sorted(
        (p for p in folder.glob("*.json") if not p.name.endswith(".last.json")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for path in states:
        state = _read(path)
        if state is None or path.name == LAST_PUSH:
            continue
        for url, target in (state.get("targets") or {}).items():
            if (base_url is None or url == base_url) and isinstance(target, dict):
                if target.get("survey_id"):
                    return PushedSource(
                        str(state.get("questra_survey_id")), target["survey_id"], url, None
                    )
    return None


def pushed_to(
    qualtrics_survey_id: str, base_url: str | None = None, directory: Path | None = None
) -> PushedSource | None:
    """What qtui pushed into `qualtrics_survey_id`: the last-push record, else the push state."""
    folder = directory if directory is not None else data_dir()
    if not folder.is_dir():
        return None
    for path in [folder / LAST_PUSH, *sorted(folder.glob("*.last.json"))]:
        data = _read(path)
        found = _from_record(data) if data is not None else None
        if found is not None and found.qualtrics_survey_id == qualtrics_survey_id:
            if base_url is None or found.base_url in (None, base_url):
                return found
    for path in sorted(folder.glob("*.json")):
        if path.name == LAST_PUSH or path.name.endswith(".last.json"):
            continue
        state = _read(path)
        if state is None:
            continue
        for url, target in (state.get("targets") or {}).items():
            if base_url is not None and url != base_url:
                continue
            if isinstance(target, dict) and target.get("survey_id") == qualtrics_survey_id:
                return PushedSource(
                    str(state.get("questra_survey_id")), qualtrics_survey_id, url, None
                )
    return None


def _safe(questra_survey_id: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9._-]", "_", questra_survey_id) or "survey"


def pushed_from(
    questra_survey_id: str, base_url: str | None = None, directory: Path | None = None
) -> PushedSource | None:
    """Where qtui last pushed a Questra survey: the last-push record, else the push state."""
    folder = directory if directory is not None else data_dir()
    safe = _safe(questra_survey_id)
    for path in (folder / f"{safe}.last.json", folder / LAST_PUSH):
        data = _read(path)
        found = _from_record(data) if data is not None else None
        if found is not None and found.questra_survey_id == questra_survey_id:
            if base_url is None or found.base_url in (None, base_url):
                return found
    state = _read(folder / f"{safe}.json")
    for url, target in ((state or {}).get("targets") or {}).items():
        if (base_url is None or url == base_url) and isinstance(target, dict):
            if target.get("survey_id"):
                return PushedSource(questra_survey_id, target["survey_id"], url, None)
    return None
