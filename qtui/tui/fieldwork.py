"""Fieldwork for the view: follow the relay's Oktave and Qualtrics frames into tallies.

`FieldworkWatcher` subscribes to `/stream?source=oktave,qualtrics` (resuming from the last
seq after a relay restart, like the survey stream), keeps one `FieldworkTally` per fielded
survey id, and reads recorded Qualtrics responses from Qualtrics for their end and pages.
Frames are folded in as they come (nothing is lost while the screen is paused); the screen
asks for figures at most a few times a second. No widgets here, and no business rules:
those are in `qtui.core.fieldwork`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.message import Message

from qtui.core.fieldwork import FieldworkTally, SurveyShape, definition_shape, survey_shape
from qtui.core.models import Survey

FIELDWORK_STREAM = "/stream?source=oktave,qualtrics"


@dataclass(frozen=True)
class FieldworkConfig:
    """Where fieldwork comes from: the relay, and (optionally) Qualtrics for responses."""

    relay_ws_url: str
    relay_token: str | None = None
    qualtrics_base_url: str | None = None
    qualtrics_token: str | None = None
    # What the demo's fieldwork is doing, when it says (e.g. waiting for the push).
    note: Callable[[], str | None] | None = None
    # The fielded survey of the Questra survey shown, when known (the demo's, or the one
    # this machine pushed it to): shown even if another survey on the relay has more.
    survey_id: Callable[[], str | None] | None = None


class FieldworkAvailable(Message):
    """A source knows where fieldwork can be followed (the demo, or `watch`)."""

    def __init__(self, config: FieldworkConfig) -> None:
        super().__init__()
        self.config = config


class FieldworkUpdated(Message):
    """Tallies changed (posted at most once per batch of frames)."""


def stream_base(ws_url: str) -> str:
    base = ws_url.rstrip("/")
    if base.endswith("/stream"):
        base = base[: -len("/stream")]
    return base + FIELDWORK_STREAM


class FieldworkWatcher:
    """Tallies per fielded survey, fed from the relay; owned by the app."""

    def __init__(
        self, post: Callable[[Message], object], survey: Callable[[], Survey | None]
    ) -> None:
        self._post = post
        self._survey = survey  # the Questra survey shown, for pages and routes
        self.config: FieldworkConfig | None = None
        self.tallies: dict[str, FieldworkTally] = {}
        self.status = "off"
        self.error: str | None = None
        self.version = 0  # bumped whenever a tally changes
        self.frames = 0
        self._subscriber: Any = None
        self._client: Any = None
        self._definitions: dict[str, dict[str, Any]] = {}
        self._fetching = False
        self._refetch = False

    # -- which survey -----------------------------------------------------------------

    def note(self) -> str | None:
        config = self.config
        return config.note() if config is not None and config.note is not None else None

    def fielded(self) -> str | None:
        """The survey the view shows: the Questra survey's own when known, else the one
        with the most respondents."""
        config = self.config
        preferred = config.survey_id() if config is not None and config.survey_id else None
        if preferred in self.tallies:
            return preferred
        if not self.tallies:
            return None
        return max(self.tallies, key=lambda sid: (len(self.tallies[sid].respondents()), sid))

    def tally(self, survey_id: str | None = None) -> FieldworkTally | None:
        chosen = survey_id or self.fielded()
        return self.tallies.get(chosen) if chosen else None

    # -- running ----------------------------------------------------------------------

    async def run(self, config: FieldworkConfig) -> None:
        """Follow the relay until `close()`; frames go into the tallies as they arrive."""
        from qtui.relay.subscriber import RelaySubscriber

        self.config = config
        if config.qualtrics_base_url and config.qualtrics_token:
            from qtui.qualtrics.client import QualtricsClient

            self._client = QualtricsClient(
                config.qualtrics_base_url, config.qualtrics_token, max_retries=2
            )
        self._subscriber = RelaySubscriber(
            stream_base(config.relay_ws_url),
            token=config.relay_token,
            on_state=self._on_state,
        )
        try:
            async for frame in self._subscriber:
                if frame.get("type", "event") != "event":
                    continue
                await self.apply(frame)
        finally:
            await self.close()

    def _on_state(self, state: Any) -> None:
        self.status = str(getattr(state, "status", "offline"))
        self.error = getattr(state, "error", None)
        self._post(FieldworkUpdated())

    async def apply(self, frame: dict[str, Any]) -> None:
        survey_id = frame.get("survey_id")
        if not isinstance(survey_id, str) or not survey_id:
            # An Oktave answer names no survey: offer it to every tally (each keeps only
            # answers of responses it already holds).
            changed = any([t.apply_frame(frame) for t in self.tallies.values()])
        else:
            tally = self.tallies.get(survey_id)
            if tally is None:
                tally = self.tallies[survey_id] = FieldworkTally(await self._shape(survey_id))
            changed = tally.apply_frame(frame)
        self.frames += 1
        if changed:
            self.version += 1
            self._post(FieldworkUpdated())
            if frame.get("source") == "qualtrics":
                self._schedule_details()

    async def _shape(self, survey_id: str) -> SurveyShape | None:
        definition = await self._definition(survey_id)
        survey = self._survey()
        if survey is not None and survey.pages:
            return survey_shape(survey, definition)
        if definition is not None:
            return definition_shape(definition)
        return None

    async def _definition(self, survey_id: str) -> dict[str, Any] | None:
        if self._client is None or not survey_id.startswith("SV_"):
            return None
        if survey_id not in self._definitions:
            try:
                self._definitions[survey_id] = await self._client.get_definition(survey_id)
            except Exception as exc:  # noqa: BLE001 - pages stay unknown; the rest works
                self.error = f"Qualtrics definition of {survey_id}: {exc}"
                return None
        return self._definitions[survey_id]

    def _schedule_details(self) -> None:
        if self._client is None:
            return
        if self._fetching:
            self._refetch = True
            return
        self._fetching = True
        asyncio.get_running_loop().create_task(self._fetch_details())

    async def _fetch_details(self) -> None:
        from qtui.fieldwork.feed import fetch_details

        try:
            while True:
                self._refetch = False
                fetched = 0
                for tally in list(self.tallies.values()):
                    fetched += await fetch_details(tally, self._client)
                if fetched:
                    self.version += 1
                    self._post(FieldworkUpdated())
                if not self._refetch:
                    return
                await asyncio.sleep(0.2)
        except Exception as exc:  # noqa: BLE001 - shown; counts stay from the callbacks
            self.error = f"reading Qualtrics responses: {exc}"
        finally:
            self._fetching = False

    async def close(self) -> None:
        subscriber, self._subscriber = self._subscriber, None
        if subscriber is not None:
            await subscriber.close()
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()


def pushed_survey_id(questra_survey_id: str | None, base_url: str | None) -> str | None:
    """The Qualtrics survey this machine pushed `questra_survey_id` to (its push state)."""
    if not questra_survey_id or not base_url:
        return None
    from qtui.qualtrics.state import PushState

    try:
        return PushState.load(questra_survey_id, base_url).target.survey_id
    except Exception:  # noqa: BLE001 - no or unreadable state: nothing preferred
        return None
