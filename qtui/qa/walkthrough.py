"""A walk taken by hand: the state behind the walkthrough screen, without any UI.

`ManualWalk` drives one respondent through a `Taker` (the platform's sessions API or the
local engine), keeps the answers given (by DataExportTag, with choices as their recode
values — the form `qtui qa --answers` reads), predicts the route from the source survey for
the answers so far, and notices the first page the platform shows that the prediction did not
expect. `save()` writes the walk as an answers file and a Markdown transcript, so a walk taken
by hand replays headless with `qtui qa SV_… --answers FILE`.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qtui.core.models import Survey
from qtui.qa.plan import ENDED, Prediction, predict
from qtui.qa.run import (
    Divergence,
    PageLocator,
    TakeError,
    Taker,
    encode_for,
)
from qtui.qualtrics.payloads import SessionQuestion, SessionState
from qtui.qualtrics.session import AnswerError, QuestionInfo


def plain(text: str) -> str:
    """Question text as the platform sends it (HTML) → plain text for the terminal."""
    text = re.sub(r"<br\s*/?>|</p>|</div>|</h\d>", "\n", text, flags=re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def _text(value: Any) -> str:
    """An answer for people to read: JSON, but é, 🎉 and שלום as themselves."""
    return json.dumps(value, ensure_ascii=False)


def _recoded(info: QuestionInfo, value: Any) -> Any:
    """Choice ids (what the screen selects) as recode values (what answers files hold)."""
    if info.kind not in ("MC", "NPS") or not info.choices:
        return value
    recode = {cid: code for cid, _, code in info.choices}
    if isinstance(value, list):
        return [recode.get(str(v), v) for v in value]
    return recode.get(str(value), value)


@dataclass
class Entry:
    """One line of the transcript."""

    kind: str  # "page", "answers", "refused", "divergence", "end", "restart", "closed"
    text: str
    at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%H:%M:%S"))


class ManualWalk:
    """One walk at a time (restart begins a new one); the screen calls these and redraws."""

    def __init__(
        self,
        taker_factory: Any,
        locator: PageLocator,
        survey: Survey | None,
        *,
        survey_id: str,
        answers: dict[str, Any] | None = None,
        embedded: dict[str, Any] | None = None,
    ) -> None:
        self.make_taker = taker_factory
        self.locator = locator
        self.survey = survey
        self.survey_id = survey_id
        self.prefill: dict[str, Any] = dict(answers or {})
        self.embedded: dict[str, Any] = dict(embedded or {})
        self.taker: Taker = taker_factory()
        self.state: SessionState | None = None
        self.answers: dict[str, Any] = {}
        self.visited: list[str] = []
        self.divergence: Divergence | None = None
        self.errors: dict[str, str] = {}  # question id → the platform's message
        self.general_error: str | None = None
        self.disposition: str | None = None
        self.transcript: list[Entry] = []
        self.walks = 0
        self.saved: tuple[Path, Path] | None = None  # this walk's files, once written
        self.blocked: list[str] = []  # why the platform's sessions could not take it

    # --- what the screen shows ---------------------------------------------------------

    @property
    def engine(self) -> str:
        return self.taker.label

    @property
    def questions(self) -> list[SessionQuestion]:
        return list(self.state.questions) if self.state is not None else []

    @property
    def done(self) -> bool:
        return self.state is not None and self.state.done

    @property
    def page_id(self) -> str | None:
        return self.visited[-1] if self.visited and not self.done else None

    def info(self, question_id: str) -> QuestionInfo | None:
        return self.locator.index.get(question_id)

    def prediction(self) -> Prediction | None:
        """The route the source survey predicts for the answers given so far."""
        if self.survey is None:
            return None
        return predict(self.survey, {**self.answers})

    def suggested(self, question_id: str) -> Any:
        """A prefilled answer (from a route being replayed), by tag or QID."""
        info = self.info(question_id)
        for key in (info.tag if info else None, question_id):
            if key and key in self.prefill:
                return self.prefill[key]
        return None

    # --- what the tester does ----------------------------------------------------------

    async def start(self) -> None:
        self.walks += 1
        self.saved = None  # a new walk never writes over the files of an earlier one
        self.transcript = []  # each walk has a transcript of its own
        self.taker = self.make_taker()
        self.state = None
        self.answers = {}
        self.visited = []
        self.divergence = None
        self.errors = {}
        self.general_error = None
        self.disposition = None
        if self.walks > 1:
            self._log("restart", "a new session")
        try:
            self.state = await self.taker.start(self.embedded or None)
        except TakeError as error:
            self.general_error = f"the {self.engine} refused to start: {error}"
            self._log("refused", self.general_error)
            return
        self._arrived()

    async def advance(self, given: dict[str, Any]) -> None:
        """Submit the page with `given` (question id → answer by recode, id or text)."""
        if self.state is None or self.state.done:
            return
        responses: dict[str, Any] = {}
        named: dict[str, Any] = {}
        self.errors = {}
        self.general_error = None
        for qid, value in given.items():
            if value is None or value == [] or value == "":
                continue
            info = self.info(qid)
            if info is None:
                responses[qid] = value
                continue
            value = _recoded(info, value)
            try:
                responses[qid] = encode_for(info, value)
            except AnswerError as error:
                self.errors[qid] = str(error)
                return
            named[info.tag or qid] = value
        if named:
            self._log("answers", ", ".join(f"{k}={_text(v)}" for k, v in named.items()))
        try:
            state = await self.taker.submit(responses, advance=True)
        except TakeError as error:
            where = error.question_id if error.question_id in given else None
            if where is None:
                self.general_error = error.message
            else:
                self.errors[where] = error.message
            self._log("refused", error.message)
            return
        self.answers.update(named)
        self.state = state
        self._arrived()

    async def close(self) -> None:
        if self.state is None or self.state.done:
            return
        try:
            self.state = await self.taker.close()
        except TakeError as error:
            self.general_error = error.message
            return
        self.disposition = "closed"
        self._log("closed", "session closed by the tester")

    def _arrived(self) -> None:
        state = self.state
        assert state is not None
        if state.done:
            self._log("end", "the survey ended")
            return
        page_id = self.locator.page_of(state.questions)
        if self.visited and self.visited[-1] == page_id:
            return  # a page split in two on the platform (a loop, say)
        self.visited.append(page_id)
        self._log("page", f"page {len(self.visited)}: {self.locator.name(page_id)}")
        self._check(page_id)

    def _check(self, reached: str | None) -> None:
        if self.divergence is not None:
            return
        prediction = self.prediction()
        if prediction is None:
            return
        shown = self.locator.expected(prediction.shown)
        at = len(self.visited) - 1 if reached is not None else len(self.visited)
        expected = shown[at] if at < len(shown) else None
        if expected == reached:
            return
        before = self.visited[at - 1] if at >= 1 else None
        decision = prediction.decision_after(before) if before is not None else None
        self.divergence = Divergence(
            step=at + 1,
            expected=expected,
            reached=reached,
            rule=decision.rule_id if decision is not None else None,
            after=before,
            answers=dict(self.answers),
            tried=list(decision.tried) if decision is not None else [],
        )
        self._log(
            "divergence",
            f"expected {self.locator.name(expected)}, reached {self.locator.name(reached)}",
        )

    async def finish(self) -> None:
        """After the end: read the disposition and check nothing more was expected."""
        if self.state is None or not self.state.done or self.disposition is not None:
            return
        self.disposition = await self.taker.disposition(self.state)
        self._check(None)
        prediction = self.prediction()
        if (
            self.divergence is None
            and prediction is not None
            and self.disposition not in (ENDED, prediction.disposition)
        ):
            self.divergence = Divergence(
                step=len(self.visited),
                expected=None,
                reached=None,
                rule=prediction.decisions[-1].rule_id if prediction.decisions else None,
                after=self.visited[-1] if self.visited else None,
                answers=dict(self.answers),
                kind="ending",
                expected_ending=prediction.disposition,
                reached_ending=self.disposition,
            )
        self._log("end", f"disposition: {self.disposition}")

    def _log(self, kind: str, text: str) -> None:
        self.transcript.append(Entry(kind, text))

    # --- the record ----------------------------------------------------------------------

    def answers_document(self) -> dict[str, Any]:
        """The walk as `qtui qa --answers` reads it."""
        return {"answers": dict(self.answers), "embeddedData": dict(self.embedded)}

    def transcript_text(self) -> str:
        lines = [
            f"# Walkthrough of {self.survey_id} ({self.engine})",
            "",
            f"Pages: {' → '.join(self.locator.name(p) for p in self.visited) or '—'}",
            f"Disposition: {self.disposition or 'not finished'}",
            "",
        ]
        lines += [f"- {e.at} {e.kind}: {e.text}" for e in self.transcript]
        return "\n".join(lines) + "\n"

    @property
    def worth_saving(self) -> bool:
        """Something happened: an answer was given or the walk ended (a walk restarted
        before answering anything leaves no files)."""
        return bool(self.answers) or self.done or self.disposition is not None

    def save(self, directory: Path) -> tuple[Path, Path]:
        """Write `<survey>-<time>-<n>.answers.json` and `.transcript.md`; returns both paths.

        The same walk saved again rewrites its own files; another walk gets new names, never
        those of an earlier walk (another screen's walk 1 included).
        """
        if self.saved is not None:
            answers, transcript = self.saved
        else:
            directory.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            number = self.walks
            while True:
                stem = f"{self.survey_id}-{stamp}-{number}"
                answers = directory / f"{stem}.answers.json"
                transcript = directory / f"{stem}.transcript.md"
                if not answers.exists() and not transcript.exists():
                    break
                number += 1
        document = json.dumps(self.answers_document(), indent=2, ensure_ascii=False)
        answers.write_text(document + "\n", encoding="utf-8")
        transcript.write_text(self.transcript_text(), encoding="utf-8")
        self.saved = (answers, transcript)
        return self.saved
