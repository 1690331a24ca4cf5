"""A QSF document: `{"SurveyEntry": {...}, "SurveyElements": [...]}`, and its parts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any


class QsfError(ValueError):
    """A file that is not a QSF document (the message says what is wrong and where)."""


def read(path: Path) -> dict[str, Any]:
    """Read and check a QSF file (UTF-8, with or without a byte-order mark)."""
    try:
        document = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise QsfError(f"{path}: not a readable QSF file ({error})") from error
    check(document, str(path))
    return document


def check(document: object, where: str = "the QSF") -> None:
    if not isinstance(document, dict):
        raise QsfError(f"{where}: the top level is not a JSON object")
    survey = document.get("survey") if isinstance(document.get("survey"), dict) else document
    if "SurveyEntry" not in document and "pages" in survey and "id" in survey:
        raise QsfError(
            f"{where}: this is a FullSurvey, not a QSF; `qtui open`, `qtui push` and "
            "`qtui export --qsf` read it as it is"
        )
    if not isinstance(document.get("SurveyEntry"), dict):
        raise QsfError(f"{where}: SurveyEntry is missing; export the survey again from Qualtrics")
    if not isinstance(document.get("SurveyElements"), list):
        raise QsfError(f"{where}: SurveyElements is missing or not a list")


def elements(document: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    return [
        e
        for e in document.get("SurveyElements", [])
        if isinstance(e, dict) and e.get("Element") == kind
    ]


def questions(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """QID → question payload."""
    out: dict[str, dict[str, Any]] = {}
    for element in elements(document, "SQ"):
        payload = element.get("Payload")
        if isinstance(payload, dict):
            qid = str(payload.get("QuestionID") or element.get("PrimaryAttribute"))
            out[qid] = payload
    return out


def blocks(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Block id → block, in export order (the `BL` payload is a list or an object keyed
    "0", "1", … in newer exports)."""
    out: dict[str, dict[str, Any]] = {}
    for element in elements(document, "BL"):
        payload = element.get("Payload")
        if isinstance(payload, dict):
            keys = sorted(
                payload, key=lambda k: (not str(k).isdigit(), int(k) if str(k).isdigit() else 0)
            )
            items = [payload[k] for k in keys]
        else:
            items = payload if isinstance(payload, list) else []
        for block in items:
            if isinstance(block, dict) and isinstance(block.get("ID"), str):
                out[block["ID"]] = block
    return out


def flow(document: Mapping[str, Any]) -> dict[str, Any]:
    for element in elements(document, "FL"):
        if isinstance(element.get("Payload"), dict):
            return element["Payload"]
    return {"Type": "Root", "FlowID": "FL_1", "Flow": [], "Properties": {"Count": 1}}
