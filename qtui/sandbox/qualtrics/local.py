"""The sandbox's survey-taking engine as a library: take a Qualtrics definition locally.

`LocalSurvey(definition)` walks a definition as fetched from any Qualtrics account
(`GET /survey-definitions/{id}`) with the same engine the sandbox's sessions use — its own
reading of Qualtrics flow, branch and display logic — but with no server and no limit on
question types (matrix, rank order, constant sum… take a choice-keyed answer). Sessions
look like the sessions API's: `view()` is the `result` a GET would give.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from typing import Any

from qtui.sandbox.qualtrics.engine import Session
from qtui.sandbox.qualtrics.envelope import ApiError

__all__ = ["ApiError", "LocalSession", "LocalSurvey"]


class LocalSession:
    """One respondent. `update()` raises `ApiError` as the sessions API would answer 400."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def done(self) -> bool:
        return self._session.done

    def view(self) -> dict[str, Any]:
        return self._session.view()

    def update(
        self,
        responses: Mapping[str, Any] | None = None,
        *,
        advance: bool = False,
        close: bool = False,
    ) -> dict[str, Any]:
        session = self._session
        if session.done:
            raise ApiError(409, "QTUI_SESSION_FINISHED", "The session is finished.")
        if responses:
            session.answer(dict(responses))
        if advance:
            session.advance()
        elif close:
            session.close()
        return session.view()

    def ending(self) -> dict[str, Any]:
        """How the walk ended: `endReason` (Completed, Screenout, Closed) and embedded data."""
        session = self._session
        reason = session.ending.reason if session.ending is not None else None
        return {
            "endReason": reason,
            "embeddedData": dict(session.respondent.embedded),
            "endOptions": dict(session.ending.options) if session.ending is not None else {},
        }


class LocalSurvey:
    """A survey definition ready to be taken locally, any number of times."""

    def __init__(self, definition: Mapping[str, Any], *, seed: int = 0) -> None:
        missing = [k for k in ("Questions", "Blocks", "SurveyFlow") if k not in definition]
        if missing:
            raise ValueError(
                f"not a Qualtrics survey definition (no {', '.join(missing)}); fetch it with "
                "GET /survey-definitions/{surveyId}"
            )
        self.definition = dict(definition)
        if not isinstance(self.definition.get("Blocks"), dict):
            blocks = self.definition.get("Blocks") or []
            self.definition["Blocks"] = {
                str(b.get("ID")): b for b in blocks if isinstance(b, dict) and b.get("ID")
            }
        self.survey_id = str(definition.get("SurveyID") or "SV_local")
        self.language = str(
            definition.get("SurveyLanguage")
            or (definition.get("SurveyOptions") or {}).get("SurveyLanguage")
            or "EN"
        )
        self.seed = seed
        self._presentations: Counter[tuple[str, int]] = Counter()
        self._count = 0

    def start(self, embedded: Mapping[str, object] | None = None) -> LocalSession:
        self._count += 1
        session_id = f"FS_local{self._count:07d}"
        return LocalSession(
            Session(
                session_id,
                self.survey_id,
                self.definition,
                language=self.language,
                embedded=dict(embedded or {}),
                rng=random.Random(f"{self.seed}:{session_id}"),
                presentations=self._presentations,
            )
        )
