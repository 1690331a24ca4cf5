"""Where the events the TUI shows come from, behind one small interface.

A source is attached to the app (`attach(post)`) and then `run()` in a worker. It reports
by posting messages (`SnapshotLoaded`, `FramesReceived`, `ConnectionChanged`, …); it never
touches widgets. Three kinds:

* `LiveSource`: a FullSurvey snapshot over Questra's REST API, then the relay's websocket
  stream, resumed from its last sequence after a disconnect (`DemoSource` starts the
  embedded sandbox first and then is a `LiveSource`).
* `ReplaySource`: a recorded stream, paced by its timestamps, with play/pause/step/speed.
* `FeedSource`: envelopes pushed in-process (tests, benchmarks, screenshots).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from textual.message import Message

from qtui.tui.messages import (
    Connection,
    ConnectionChanged,
    DeliveriesChecked,
    Frame,
    FramesReceived,
    ReplayChanged,
    ReplayPosition,
    SnapshotLoaded,
    SourceFailed,
    SurveyChosen,
)

Post = Callable[[Message], object]


class EventSource:
    """Base of every source: buffers messages posted before the app attaches."""

    kind: str = "source"
    replay: bool = False
    streams: bool = True  # events arrive over time; False: a file, loaded once
    initial_status: str = "connecting"

    def __init__(self) -> None:
        self._post: Post | None = None
        self._early: list[Message] = []

    def attach(self, post: Post) -> None:
        self._post = post
        early, self._early = self._early, []
        for message in early:
            post(message)

    def post(self, message: Message) -> None:
        if self._post is None:
            self._early.append(message)
        else:
            self._post(message)

    async def run(self) -> None:
        """Produce events until the source ends or the task is cancelled."""

    async def close(self) -> None:
        """Release connections; safe to call more than once."""

    # Replay controls; live sources ignore them.
    def play_pause(self) -> None: ...

    def step(self) -> None: ...

    def set_speed(self, factor: float) -> None: ...


class FeedSource(EventSource):
    """Envelopes pushed in-process, exactly as a relay would frame them."""

    kind = "feed"
    initial_status = "live"

    def __init__(self) -> None:
        super().__init__()
        self._seq = 0
        self._done = asyncio.Event()

    def push(
        self,
        *envelopes: dict[str, Any],
        verified: bool | None = True,
        source: str = "questra",
    ) -> None:
        frames = []
        for envelope in envelopes:
            self._seq += 1
            frames.append(
                Frame(
                    envelope,
                    seq=self._seq,
                    verified=verified,
                    received_at=envelope.get("timestamp"),
                    delivery_id=f"feed-{self._seq}",
                    source=source,
                )
            )
        self.post(FramesReceived(frames))

    def push_frames(self, frames: Sequence[Frame]) -> None:
        self.post(FramesReceived(list(frames)))

    def load(self, survey: dict[str, Any]) -> None:
        self.post(SnapshotLoaded(survey))

    def connection(self, status: str, **details: Any) -> None:
        self.post(ConnectionChanged(Connection(status, **details)))

    async def run(self) -> None:
        await self._done.wait()

    async def close(self) -> None:
        self._done.set()


def frame_from_relay(frame: dict[str, Any]) -> Frame:
    """A relay websocket frame (`{"type": "event", "seq", "envelope", …}`) as a `Frame`."""
    envelope = frame.get("envelope")
    return Frame(
        envelope if isinstance(envelope, dict) else None,
        seq=frame.get("seq"),
        verified=frame.get("verified"),
        received_at=frame.get("received_at"),
        delivery_id=frame.get("delivery_id"),
        source=frame.get("source"),
        error=None if isinstance(envelope, dict) else "frame without an envelope",
        survey_id=_text_or_none(frame.get("survey_id")),
    )


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class LiveSource(EventSource):
    """A Questra survey: its snapshot over REST, then the relay stream, resumed on reconnect.

    Without `questra_url` only the stream is used (the relay replays its log from `after`).
    With it, every reconnect after a live period also reloads the snapshot: Questra retries a
    webhook for about two minutes only, so a relay that was down longer never received some
    events, and the store merges the snapshot idempotently.
    """

    kind = "live"

    def __init__(
        self,
        *,
        questra_url: str | None,
        api_key: str | None,
        org_id: str | None,
        relay_ws_url: str,
        relay_token: str | None,
        survey: str,
        after: int = 0,
        subscriber_options: dict[str, Any] | None = None,
        offer_fieldwork: bool = True,
        delivery_check_s: float = 5.0,
    ) -> None:
        super().__init__()
        self.subscriber_options = subscriber_options or {}
        self.offer_fieldwork = offer_fieldwork  # also follow the relay's fieldwork (F)
        self.delivery_check_s = delivery_check_s
        self._deliveries: asyncio.Task[None] | None = None
        self.questra_url = questra_url
        self.api_key = api_key
        self.org_id = org_id
        self.relay_ws_url = relay_ws_url
        self.relay_token = relay_token
        self.survey = survey
        self.after = after
        self._subscriber: Any = None
        self._status: str | None = None
        self._was_live = False
        self._resyncs: set[asyncio.Task[str | None]] = set()

    def _on_state(self, state: Any) -> None:
        self.post(ConnectionChanged(Connection.of(state)))
        back = state.status == "live" and self._status != "live" and self._was_live
        if back and self.questra_url:
            task = asyncio.create_task(self._load_snapshot())
            self._resyncs.add(task)
            task.add_done_callback(self._resyncs.discard)
        self._status = state.status
        self._was_live = self._was_live or state.status == "live"

    async def run(self) -> None:
        self.post(ConnectionChanged(Connection("connecting")))
        if self.offer_fieldwork:
            from qtui.tui.fieldwork import FieldworkAvailable, FieldworkConfig

            # Qualtrics access (for recorded responses) comes from the app's settings.
            self.post(FieldworkAvailable(FieldworkConfig(self.relay_ws_url, self.relay_token)))
        survey_id = await self._load_snapshot()
        if survey_id is None:
            return  # the survey does not exist (or the key is refused): said, and stopped
        if self.questra_url and self.api_key:
            self._deliveries = asyncio.create_task(self._watch_deliveries())
        from qtui.relay.subscriber import RelaySubscriber

        self._subscriber = RelaySubscriber(
            self.relay_ws_url,
            after=self.after,
            survey=survey_id,
            token=self.relay_token,
            on_state=self._on_state,
            **self.subscriber_options,
        )
        try:
            async for frame in self._subscriber:
                if frame.get("type", "event") != "event":
                    continue
                self.post(FramesReceived([frame_from_relay(frame)]))
        finally:
            await self.close()

    async def _load_snapshot(self) -> str | None:
        if not self.questra_url:  # stream only: the relay's log replays from `after`
            return self.survey
        from qtui.questra.client import AuthError, NotFoundError, QuestraClient

        try:
            async with QuestraClient(self.questra_url, self.api_key, self.org_id) as client:
                snapshot = await client.get_survey(self.survey)
        except NotFoundError:
            # No such survey in this organisation: nothing would ever arrive for it.
            where = f" in organisation {self.org_id}" if self.org_id else ""
            self.post(
                SourceFailed(
                    f"no survey {self.survey!r} at {self.questra_url}{where}; check the id or "
                    "slug (and QTUI_QUESTRA_ORG_ID)",
                    fatal=True,
                )
            )
            return None
        except AuthError as exc:
            self.post(
                SourceFailed(
                    f"Questra refused the API key ({exc}); check QTUI_QUESTRA_API_KEY and "
                    "QTUI_QUESTRA_ORG_ID",
                    fatal=True,
                )
            )
            return None
        except Exception as exc:  # noqa: BLE001 - any other failure is shown; the stream runs
            self.post(SourceFailed(f"Could not load survey {self.survey!r}: {exc}"))
            return self.survey
        survey_id = str(snapshot.get("id") or self.survey)
        self.post(SurveyChosen(survey_id))
        self.post(SnapshotLoaded(snapshot))
        return survey_id

    async def _watch_deliveries(self) -> None:
        """Ask Questra now and then how its webhook deliveries go, and say when they fail:
        otherwise a relay URL that 404s looks exactly like a survey nobody is editing."""
        from qtui.questra.client import QuestraClient

        said: str | None = None
        async with QuestraClient(self.questra_url or "", self.api_key, self.org_id) as client:
            while True:
                problem = await delivery_problem(client)
                if problem != said:
                    said = problem
                    self.post(DeliveriesChecked(problem))
                await asyncio.sleep(self.delivery_check_s)

    async def close(self) -> None:
        task, self._deliveries = self._deliveries, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        subscriber, self._subscriber = self._subscriber, None
        if subscriber is not None:
            result = subscriber.close()
            if asyncio.iscoroutine(result):
                await result


async def delivery_problem(client: Any) -> str | None:
    """Why Questra's webhook deliveries do not arrive, from its own delivery log; None when
    the newest delivery of some active webhook succeeded (or nothing was sent yet)."""
    from qtui.questra.client import QuestraError

    try:
        hooks = [h for h in await client.list_webhooks() if h.get("active", True)]
        if not hooks:
            return (
                "Questra has no active webhook, so it sends the relay nothing: "
                "create one for the relay's /hooks/questra URL"
            )
        failures = []
        for hook in hooks:
            newest = await client.list_deliveries(hook["id"], limit=1)
            if not newest:
                continue
            if newest[0].get("status") != "failed":
                return None  # this one delivers: events arrive
            failures.append((hook, newest[0]))
    except QuestraError:
        return None  # cannot tell (an older Questra, a key without webhook rights)
    if not failures:
        return None
    hook, last = failures[0]
    why = last.get("error") or f"receiver answered {last.get('status_code')}"
    return f"Questra's deliveries to {hook.get('url')} fail: {why}"


class DemoSource(EventSource):
    """The embedded sandbox and relay, programming a survey; then watched like a real one."""

    kind = "demo"

    def __init__(
        self,
        *,
        speed: float = 1.0,
        seed: int | None = None,
        questionnaire: str = "screener",
        fail: bool = False,
        fieldwork_rate: float = 0.0,
    ) -> None:
        super().__init__()
        self.options = {"speed": speed, "seed": seed, "questionnaire": questionnaire, "fail": fail}
        if fieldwork_rate:
            self.options["fieldwork_rate"] = fieldwork_rate
        self.demo: Any = None
        self._live: LiveSource | None = None

    async def run(self) -> None:
        from qtui.demo import start_demo

        self.post(ConnectionChanged(Connection("connecting", error="starting the demo…")))
        self.demo = await start_demo(**self.options)
        demo = self.demo
        self.post(SurveyChosen(demo.survey_id))
        self._offer_fieldwork(demo)
        self._live = LiveSource(
            questra_url=demo.questra_url,
            api_key=demo.api_key,
            org_id=demo.org_id,
            relay_ws_url=demo.relay_ws_url,
            relay_token=demo.relay_token,
            survey=demo.survey_id,
            offer_fieldwork=False,  # offered above, with the demo's Qualtrics sandbox
        )
        self._live.attach(self.post)
        await self._live.run()

    def _offer_fieldwork(self, demo: Any) -> None:
        from qtui.tui.fieldwork import FieldworkAvailable, FieldworkConfig

        fielding = getattr(demo, "fielding", None)

        def note() -> str | None:
            return fielding.note if fielding is not None else None

        def survey_id() -> str | None:
            return fielding.survey_id if fielding is not None else None

        config = FieldworkConfig(
            demo.relay_ws_url,
            demo.relay_token,
            demo.qualtrics_base_url,
            demo.qualtrics_token,
            note,
            survey_id,
        )
        self.post(FieldworkAvailable(config))

    async def close(self) -> None:
        if self._live is not None:
            await self._live.close()
        demo, self.demo = self.demo, None
        if demo is not None:
            await demo.close()


def _moment(envelope: dict[str, Any] | None) -> datetime | None:
    if not envelope:
        return None
    try:
        return datetime.fromisoformat(str(envelope.get("timestamp")))
    except ValueError:
        return None


def frame_of_line(line: Any) -> Frame:
    """A recorded line (`qtui.recording.RecordedLine`) as the frame the view shows."""
    return Frame(
        line.envelope,
        seq=getattr(line, "seq", None),
        verified=getattr(line, "verified", None),
        received_at=(line.envelope or {}).get("timestamp"),
        source="recording",
        error=line.error,
        lineno=line.lineno,
        survey_id=getattr(line, "survey_id", None),
    )


class FrameWindow(Sequence[Frame]):
    """A recording's frames read from the file as the replay reaches them, never all at
    once: memory holds the frames between the replay's position and its look-ahead.

    `total` is counted up front (a quick pass without parsing); `on_line` sees each recorded
    line as it is read (bad lines are reported from there).
    """

    def __init__(self, lines: Iterator[Any], total: int, on_line: Callable[[Any], None]) -> None:
        self._lines = lines
        self._total = total
        self._on_line = on_line
        self._offset = 0  # index of the first frame still held
        self._held: list[Frame] = []

    def __len__(self) -> int:
        return self._total

    def _fill(self, index: int) -> None:
        while self._offset + len(self._held) <= index:
            line = next(self._lines, None)
            if line is None:  # the file shrank since it was counted
                self._total = self._offset + len(self._held)
                raise IndexError(index)
            self._on_line(line)
            self._held.append(frame_of_line(line))

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            start, stop, _ = index.indices(self._total)
            return [self[i] for i in range(start, stop) if i < self._total]
        if index < 0:
            index += self._total
        if not 0 <= index < self._total or index < self._offset:
            raise IndexError(index)
        self._fill(index)
        return self._held[index - self._offset]

    def forget_before(self, index: int) -> None:
        drop = min(max(0, index - self._offset), len(self._held))
        if drop:
            del self._held[:drop]
            self._offset += drop


class ReplaySource(EventSource):
    """A recorded stream replayed at its own pace × `speed`, with play/pause/step.

    Gaps between events are capped at `max_gap` seconds (before speed), so a recording
    with a pause of an hour in it still replays in reasonable time.
    """

    kind = "replay"
    replay = True
    initial_status = "replay"
    SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0)

    def __init__(
        self,
        frames: Sequence[Frame],
        *,
        speed: float = 1.0,
        playing: bool = True,
        max_gap: float = 1.5,
    ) -> None:
        super().__init__()
        self.frames = frames if isinstance(frames, FrameWindow) else list(frames)
        self.speed = speed
        self.max_gap = max_gap
        self.position = 0
        self._playing = asyncio.Event()
        if playing:
            self._playing.set()
        self._wake = asyncio.Event()
        self._steps = 0

    @classmethod
    def from_lines(cls, lines: Sequence[Any], **options: Any) -> ReplaySource:
        """From `qtui.recording.read_stream` lines (bad lines become error frames)."""
        return cls([frame_of_line(line) for line in lines], **options)

    @property
    def playing(self) -> bool:
        return self._playing.is_set()

    def _report(self) -> None:
        self.post(
            ReplayChanged(ReplayPosition(self.playing, self.speed, self.position, len(self.frames)))
        )

    def play_pause(self) -> None:
        if self.playing:
            self._playing.clear()
        else:
            if self.position >= len(self.frames):
                return
            self._playing.set()
        self._wake.set()
        self._report()

    def step(self) -> None:
        if self.playing:
            self._playing.clear()
        self._steps += 1
        self._wake.set()

    def set_speed(self, factor: float) -> None:
        wanted = self.speed * factor
        self.speed = min(self.SPEEDS, key=lambda s: abs(s - wanted))
        self._wake.set()
        self._report()

    async def _sleep(self, seconds: float) -> bool:
        """Sleep unless woken by a control key; True if the full time passed."""
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
            return False
        return True

    def _emit(self, count: int) -> None:
        batch = self.frames[self.position : self.position + count]
        self.position += len(batch)
        if isinstance(self.frames, FrameWindow):
            self.frames.forget_before(self.position - 1)  # only the last one is read again
        self.post(FramesReceived(batch))
        self._report()

    async def run(self) -> None:
        self.post(ConnectionChanged(Connection("replay")))
        self._report()
        total = len(self.frames)
        while self.position < total:
            if self._steps:
                self._steps -= 1
                self._emit(1)
                continue
            if not self.playing:
                self._wake.clear()
                await self._wake.wait()
                continue
            count, delay = self._next_batch()
            if delay > 0 and not await self._sleep(delay):
                continue  # a key changed the plan; look again
            self._emit(count)
        self._playing.clear()
        self._report()
        self.post(ConnectionChanged(Connection("done")))

    def _next_batch(self) -> tuple[int, float]:
        """How many frames are due together, and how long to wait before them."""
        start = self.position
        previous = _moment(self.frames[start - 1].envelope) if start else None
        first = _moment(self.frames[start].envelope)
        delay = self._gap(previous, first)
        count = 1
        # Frames closer than a frame of the UI go out together: fewer messages, same result.
        while start + count < len(self.frames) and count < 500:
            nxt = _moment(self.frames[start + count].envelope)
            if self._gap(first, nxt) > 0.01:
                break
            first = nxt or first
            count += 1
        return count, delay

    def _gap(self, earlier: datetime | None, later: datetime | None) -> float:
        if earlier is None or later is None:
            return 0.0
        try:
            seconds = (later - earlier).total_seconds()
        except TypeError:  # one naive, one aware
            return 0.0
        return max(0.0, min(seconds, self.max_gap)) / self.speed


class FileSource(EventSource):
    """A FullSurvey file opened for editing (`qtui open FILE.json`): loaded once, no service."""

    kind = "file"
    initial_status = "file"
    streams = False  # no rate to show, nothing to pause

    def __init__(self, survey: dict[str, Any], path: str) -> None:
        super().__init__()
        self.survey = survey
        self.path = path
        self._done = asyncio.Event()

    async def run(self) -> None:
        self.post(SurveyChosen(str(self.survey["id"])))
        self.post(SnapshotLoaded(self.survey))
        await self._done.wait()

    async def close(self) -> None:
        self._done.set()
