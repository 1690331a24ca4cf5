"""Walk a survey with the sandbox's engine, in process: the library entry point.

    session = start(definition)               # strict: MC, TE and NPS only, as sessions
    while not session.done:
        session.answer({qid: ... for qid in session.page.questions})
        session.advance()
    session.end_reason, session.response("R_local", ended)

or `walk(definition, choose)`, which calls `choose(session)` for each page's answers and
returns the pages seen. `definition` is a survey definition (`Questions`, `Blocks`,
`SurveyFlow`, as `GET /survey-definitions/{id}` returns it) or a QSF document (checked and
loaded as `POST /survey-definitions` with a QSF body does). Answers take the sessions API's
wire form: `{choiceId: {"selected": true}}` for choices, a string for text entry.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from qtui.sandbox.qualtrics.engine import Session, check_supported
from qtui.sandbox.qualtrics.qsf import blocks_payload, load_qsf

Choose = Callable[[Session], Mapping[str, Any]]


def snapshot(definition: Mapping[str, Any]) -> dict[str, Any]:
    """What a session runs (`Questions`, `Blocks` by id, `SurveyFlow`, `SurveyLanguage`)."""
    if "SurveyElements" in definition:
        counter = iter(range(1, 1_000_000))
        record = load_qsf(definition, "SV_local", lambda: f"BL_local{next(counter)}")
        return record.snapshot()
    blocks = definition.get("Blocks") or {}
    if not isinstance(blocks, dict) or any(k.isdigit() for k in blocks):
        blocks = {b["ID"]: b for b in blocks_payload(blocks) if "ID" in b}
    return {
        "Questions": dict(definition.get("Questions") or {}),
        "Blocks": dict(blocks),
        "SurveyFlow": dict(definition.get("SurveyFlow") or {}),
        "SurveyName": definition.get("SurveyName", ""),
        "SurveyLanguage": definition.get("SurveyLanguage", "EN"),
    }


def start(
    definition: Mapping[str, Any],
    *,
    strict: bool = True,
    embedded: Mapping[str, object] | None = None,
    seed: int | str = 0,
) -> Session:
    """A session on the first page of `definition` (strict: refused as the sessions API
    refuses surveys with types it does not support, with the same `ApiError`)."""
    frozen = snapshot(definition)
    if strict:
        check_supported(frozen)
    return Session(
        "FS_local",
        "SV_local",
        frozen,
        language=str(frozen.get("SurveyLanguage") or "EN").upper(),
        embedded=embedded or {},
        rng=random.Random(f"{seed}:local"),
        presentations=Counter(),
    )


@dataclass
class Walk:
    """The pages a walk showed (their QIDs) and how it ended."""

    pages: list[list[str]] = field(default_factory=list)
    end_reason: str | None = None
    session: Session | None = None


def walk(
    definition: Mapping[str, Any],
    choose: Choose,
    *,
    strict: bool = True,
    embedded: Mapping[str, object] | None = None,
    seed: int | str = 0,
    max_pages: int = 10_000,
) -> Walk:
    """Walk to the end, answering each page with `choose(session)`."""
    session = start(definition, strict=strict, embedded=embedded, seed=seed)
    result = Walk(session=session)
    while not session.done:
        if len(result.pages) >= max_pages:
            raise RuntimeError(f"stopped after {max_pages} pages without reaching the end")
        assert session.page is not None
        result.pages.append(list(session.page.questions))
        session.answer(dict(choose(session)))
        session.advance()
    result.end_reason = session.end_reason
    return result
