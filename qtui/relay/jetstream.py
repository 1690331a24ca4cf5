"""The relay's event log on NATS JetStream: several relays share one stream.

    qtui relay --log nats://HOST:PORT[,HOST:PORT…][/STREAM][?replicas=3]

What SQLite's `EventLog` does on one machine, JetStream does for a cluster:

* every delivery is one message in the stream (subject `qtui.<STREAM>.<source>`), its raw
  body as payload and what the relay learned of it in headers;
* `Nats-Msg-Id` is `<source>:<delivery id>`, so JetStream's duplicate window recognises a
  repeated delivery — whichever relay it reaches — and acknowledges it with the first
  one's sequence: that replaces the relay's own dedup;
* the stream sequence is the `seq` subscribers resume from;
* the relay answers 2xx only after JetStream acknowledged the publish (with R3, once a
  majority of the servers hold it).

Each relay follows the whole stream (an ordered consumer) and fans it out to its own
websocket subscribers, so a subscriber of any relay sees every event of every relay,
once, in stream order, and can resume on another relay with the same `after=SEQ`.

The nats client runs its own event loop in a thread; the methods here are plain calls
that are safe from any thread, like `EventLog`'s, plus `append_async` and `follow` for
the relay's event loop.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Collection, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import nats
import nats.errors
import nats.js.errors
from nats.aio.msg import Msg
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    StorageType,
)

from qtui.relay.attribution import Links, Ref
from qtui.relay.log import (
    AppendResult,
    Delivery,
    EventLog,
    LoggedEvent,
    LogUnavailableError,
)

DEFAULT_STREAM = "QTUI"
# How long JetStream remembers a Nats-Msg-Id: a sender retrying within it is recognised.
DEFAULT_DUPLICATE_WINDOW = 120.0
_MAX_PARENT_HOPS = 4
_FETCH = 256  # messages per fetch when reading a page


@dataclass(frozen=True)
class JetStreamAddress:
    servers: list[str]
    stream: str
    replicas: int

    @property
    def subject(self) -> str:
        return f"qtui.{self.stream}"


def parse_nats_url(url: str) -> JetStreamAddress:
    """`nats://h:p[,h:p…][/STREAM][?replicas=N]` → servers, stream name, replicas."""
    parts = urlsplit(url)
    if parts.scheme not in ("nats", "tls"):
        raise ValueError(f"not a nats:// URL: {url!r} (e.g. nats://127.0.0.1:4222/QTUI)")
    hosts = [h for h in parts.netloc.split(",") if h]
    if not hosts:
        raise ValueError(f"no server in {url!r} (e.g. nats://127.0.0.1:4222/QTUI)")
    stream = parts.path.strip("/") or DEFAULT_STREAM
    if not stream.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"stream name {stream!r}: letters, digits, - and _ only")
    query = parse_qs(parts.query)
    try:
        replicas = int(query.get("replicas", ["1"])[0])
    except ValueError:
        raise ValueError(f"replicas must be a number in {url!r}") from None
    return JetStreamAddress([f"{parts.scheme}://{h}" for h in hosts], stream, replicas)


def _header(msg: Msg, name: str) -> str | None:
    return (msg.headers or {}).get(name) or None


def _logged(msg: Msg) -> LoggedEvent:
    seq = msg.metadata.sequence.stream
    received = _header(msg, "Qtui-Received")
    return LoggedEvent(
        seq=seq,
        source=_header(msg, "Qtui-Source") or msg.subject.rsplit(".", 1)[-1],
        delivery_id=_header(msg, "Qtui-Delivery"),
        event_type=_header(msg, "Qtui-Event") or "",
        survey_id=_header(msg, "Qtui-Survey"),
        verified=_header(msg, "Qtui-Verified") == "1",
        received_at=datetime.fromisoformat(received) if received else datetime.now(UTC),
        envelope=bytes(msg.data),
    )


class _Attribution:
    """The (kind, id) → survey / parent index, learned from the stream, in memory."""

    def __init__(self) -> None:
        self._index: dict[Ref, tuple[str | None, Ref | None]] = {}
        # Read by publishes on the relay's loop, written there and by the stream's follower.
        self.lock = threading.Lock()

    def resolve(self, ref: Ref | None) -> str | None:
        for _ in range(_MAX_PARENT_HOPS):
            if ref is None or ref not in self._index:
                return None
            survey_id, parent = self._index[ref]
            if survey_id is not None:
                return survey_id
            ref = parent
        return None

    def established(self, links: Links) -> str | None:
        if links.survey_id is not None:
            return links.survey_id
        return self.resolve(links.parent) if links.parent is not None else None

    def survey_of(self, links: Links) -> str | None:
        return self.established(links) or self.resolve(links.subject)

    def learn(self, links: Links) -> None:
        established = self.established(links)
        for ref, known_survey in links.known:
            self._remember(ref, known_survey, None)
        if links.subject is not None:
            self._remember(links.subject, established, links.parent)

    def _remember(self, ref: Ref, survey_id: str | None, parent: Ref | None) -> None:
        held_survey, held_parent = self._index.get(ref, (None, None))
        self._index[ref] = (survey_id or held_survey, parent or held_parent)


@dataclass
class _Follower:
    loop: asyncio.AbstractEventLoop
    callback: Callable[[LoggedEvent], None]
    after: int


class JetStreamLog:
    """The event log in a JetStream stream; the same calls as `EventLog`."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        duplicate_window: float = DEFAULT_DUPLICATE_WINDOW,
    ) -> None:
        self.address = parse_nats_url(url)
        self.path = url  # what the relay prints as "log"
        self.synchronous = f"JetStream R{self.address.replicas}"
        self.timeout = timeout
        self.duplicate_window = duplicate_window
        self._attribution = _Attribution()
        self._followers: list[_Follower] = []
        self._tail_seq = 0
        # Stream seqs whose attribution this relay learned when it published them: the tail
        # need not decode those envelopes again (pruned once the tail is past them).
        self._learned: set[int] = set()
        self._closed = False
        self._local: dict[asyncio.AbstractEventLoop, asyncio.Task[Any]] = {}
        self._local_connections: list[tuple[asyncio.AbstractEventLoop, Any]] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="qtui-jetstream", daemon=True
        )
        self._thread.start()
        try:
            self._call(self._open(), timeout=timeout * 4)
        except BaseException:
            self._stop_loop()
            raise

    # -- plumbing --------------------------------------------------------------------

    def _call(self, coroutine: Coroutine[Any, Any, Any], timeout: float | None = None) -> Any:
        if self._closed:
            coroutine.close()
            raise RuntimeError(f"event log {self.path} is closed")
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout if timeout is not None else self.timeout * 4)

    async def _again(self, read: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        """A read, retried while the cluster is electing a new leader (reads are idempotent)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout * 3
        while True:
            try:
                return await read()
            except (TimeoutError, nats.errors.Error) as exc:
                if loop.time() > deadline:
                    raise LogUnavailableError(
                        f"JetStream did not answer a read ({type(exc).__name__}: {exc})"
                    ) from exc
                await asyncio.sleep(0.25)

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    async def _open(self) -> None:
        # Reconnects go on for ever once connected; the first connection gets `timeout`.
        try:
            self._nc = await asyncio.wait_for(self._connect(), self.timeout)
        except TimeoutError:
            servers = ", ".join(self.address.servers)
            raise LogUnavailableError(f"no NATS server answered at {servers}") from None
        self._js = self._nc.jetstream(timeout=self.timeout)
        try:
            await self._js.stream_info(self.address.stream)
        except nats.js.errors.NotFoundError:
            try:
                await self._js.add_stream(
                    name=self.address.stream,
                    subjects=[f"{self.address.subject}.>"],
                    storage=StorageType.FILE,
                    num_replicas=self.address.replicas,
                    duplicate_window=self.duplicate_window,
                )
            except nats.js.errors.BadRequestError:
                # Another relay created it meanwhile; that one is the stream we share.
                await self._js.stream_info(self.address.stream)
        self._tail = await self._js.subscribe(
            f"{self.address.subject}.>",
            stream=self.address.stream,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.ALL,
            cb=self._on_tail,
        )

    async def _connect(self) -> Any:
        return await nats.connect(
            servers=self.address.servers,
            connect_timeout=self.timeout,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.2,
            error_cb=self._quiet,
            disconnected_cb=self._nothing,
            reconnected_cb=self._nothing,
        )

    async def _quiet(self, error: Exception) -> None:
        # Reconnects are part of a cluster's life; failures reach callers as errors.
        pass

    async def _nothing(self) -> None:
        pass

    async def _on_tail(self, msg: Msg) -> None:
        logged = _logged(msg)
        if logged.seq <= self._tail_seq:
            return
        self._tail_seq = logged.seq
        if logged.seq in self._learned:
            self._learned.discard(logged.seq)  # published here: already learned
        else:
            self._learn_from(logged)
        for follower in self._followers:
            if logged.seq > follower.after:
                try:
                    follower.loop.call_soon_threadsafe(follower.callback, logged)
                except RuntimeError:
                    self._followers.remove(follower)  # its loop is closed

    def _learn_from(self, logged: LoggedEvent) -> None:
        """Which survey the event's items belong to, from an event another relay stored."""
        try:
            envelope = json.loads(logged.envelope)
        except ValueError:
            envelope = None
        if isinstance(envelope, Mapping):
            links = self._links(logged.event_type, envelope)
            with self._attribution.lock:
                self._attribution.learn(links)

    @staticmethod
    def _links(event_type: str, envelope: Mapping[str, Any]) -> Links:
        from qtui.relay.attribution import links_of

        return links_of(event_type, envelope.get("data"))

    # -- writing ---------------------------------------------------------------------

    async def _publish(self, delivery: Delivery, js: Any = None) -> AppendResult:
        links = EventLog._links(delivery)
        with self._attribution.lock:
            survey_id = delivery.survey_id or self._attribution.survey_of(links)
        headers = {
            "Qtui-Source": delivery.source,
            "Qtui-Event": delivery.event_type,
            "Qtui-Verified": "1" if delivery.verified else "0",
            "Qtui-Received": delivery.received_at.astimezone(UTC).isoformat(),
        }
        if survey_id is not None:
            headers["Qtui-Survey"] = survey_id
        if delivery.delivery_id is not None:
            headers["Qtui-Delivery"] = delivery.delivery_id
            headers["Nats-Msg-Id"] = f"{delivery.source}:{delivery.delivery_id}"
        try:
            ack = await (js or self._js).publish(
                f"{self.address.subject}.{delivery.source}",
                delivery.envelope_bytes,
                timeout=self.timeout,
                stream=self.address.stream,
                headers=headers,
            )
        except (TimeoutError, nats.errors.Error) as exc:
            raise LogUnavailableError(
                f"JetStream did not acknowledge the event ({type(exc).__name__}: {exc})"
            ) from exc
        if ack.duplicate:
            return AppendResult(seq=ack.seq, duplicate=True)
        with self._attribution.lock:
            self._attribution.learn(links)
        learned = self._learned
        if ack.seq > self._tail_seq:
            learned.add(ack.seq)
            if len(learned) > 10_000:  # the tail passed some before they were added
                learned.difference_update([seq for seq in list(learned) if seq <= self._tail_seq])
        return AppendResult(seq=ack.seq, duplicate=False, survey_id=survey_id)

    async def append_async(self, delivery: Delivery) -> AppendResult:
        """Publish from the relay's loop; returns once JetStream acknowledged it.

        Publishes go through a connection of the caller's own loop (made on first use),
        so a request costs no hop to the log's thread and back.
        """
        if self._closed:
            raise RuntimeError(f"event log {self.path} is closed")
        loop = asyncio.get_running_loop()
        pending = self._local.get(loop)
        if pending is None:
            pending = self._local[loop] = loop.create_task(self._connect_here())
        try:
            js = await asyncio.shield(pending)
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            self._local.pop(loop, None)
            raise LogUnavailableError(f"cannot reach JetStream ({exc})") from exc
        return await self._publish(delivery, js)

    async def _connect_here(self) -> Any:
        connection = await asyncio.wait_for(self._connect(), self.timeout)
        self._local_connections.append((asyncio.get_running_loop(), connection))
        return connection.jetstream(timeout=self.timeout)

    def append(
        self,
        envelope_bytes: bytes,
        *,
        source: str,
        delivery_id: str | None,
        event_type: str,
        survey_id: str | None = None,
        verified: bool,
        received_at: datetime,
        envelope: Mapping[str, Any] | None = None,
    ) -> AppendResult:
        delivery = Delivery(
            envelope_bytes,
            source=source,
            delivery_id=delivery_id,
            event_type=event_type,
            verified=verified,
            received_at=received_at,
            envelope=envelope,
            survey_id=survey_id,
        )
        return self._call(self._publish(delivery))

    def append_batch(self, deliveries: Sequence[Delivery]) -> list[AppendResult]:
        """Each published and acknowledged in turn (JetStream has no multi-message commit)."""

        async def publish_all() -> list[AppendResult]:
            return [await self._publish(d) for d in deliveries]

        return self._call(publish_all(), timeout=self.timeout * (4 + len(deliveries)))

    def follow(
        self,
        loop: asyncio.AbstractEventLoop,
        callback: Callable[[LoggedEvent], None],
        after: int,
    ) -> None:
        """Call `callback` on `loop` with every event past `after`, from any relay, in order."""

        def add() -> None:
            self._followers.append(_Follower(loop, callback, after))

        self._loop.call_soon_threadsafe(add)

    def prune(self, keep_last: int) -> int:
        if keep_last < 0:
            raise ValueError("keep_last must be 0 or more")

        async def purge() -> int:
            before = (await self._js.stream_info(self.address.stream)).state.messages
            await self._js.purge_stream(self.address.stream, keep=keep_last or None)
            after = (await self._js.stream_info(self.address.stream)).state.messages
            return before - after

        return self._call(purge())

    # -- reading ---------------------------------------------------------------------

    async def _read_after(
        self,
        seq: int,
        limit: int,
        survey_id: str | None,
        sources: Collection[str] | None,
        max_bytes: int | None,
    ) -> list[LoggedEvent]:
        state = (await self._js.stream_info(self.address.stream)).state
        last = state.last_seq
        start = max(seq + 1, state.first_seq)
        if limit <= 0 or start > last or state.messages == 0:
            return []
        name = self._nc._nuid.next().decode()
        config = ConsumerConfig(
            name=name,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=start,
            ack_policy=AckPolicy.NONE,
            filter_subject=f"{self.address.subject}.>",
            inactive_threshold=30.0,
            mem_storage=True,
            num_replicas=1,
        )
        await self._js.add_consumer(self.address.stream, config=config)
        pages = await self._js.pull_subscribe_bind(stream=self.address.stream, name=name)
        found: list[LoggedEvent] = []
        size = 0
        position = start - 1
        wanted = set(sources) if sources is not None else None
        try:
            while position < last and len(found) < limit:
                batch = min(_FETCH, last - position)
                for msg in await pages.fetch(batch, timeout=self.timeout):
                    event = _logged(msg)
                    position = event.seq
                    if event.seq > last:
                        break
                    if survey_id is not None and event.survey_id not in (None, survey_id):
                        continue
                    if wanted is not None and event.source not in wanted:
                        continue
                    found.append(event)
                    size += len(event.envelope)
                    if len(found) >= limit or (max_bytes is not None and size >= max_bytes):
                        return found
        finally:
            await pages.unsubscribe()
            try:
                await self._js.delete_consumer(self.address.stream, name)
            except nats.errors.Error:
                pass  # it goes by itself after inactive_threshold
        return found

    def read_after(
        self,
        seq: int,
        limit: int,
        survey_id: str | None = None,
        sources: Collection[str] | None = None,
        *,
        max_bytes: int | None = None,
    ) -> list[LoggedEvent]:
        """Events with seq > `seq`, oldest first, at most `limit` (see `EventLog.read_after`)."""
        return self._call(
            self._again(lambda: self._read_after(seq, limit, survey_id, sources, max_bytes)),
            timeout=self.timeout * 5,
        )

    def last_seq(self) -> int:
        async def last() -> int:
            return (await self._js.stream_info(self.address.stream)).state.last_seq

        return self._call(self._again(last), timeout=self.timeout * 5)

    def count(self) -> int:
        async def messages() -> int:
            return (await self._js.stream_info(self.address.stream)).state.messages

        return self._call(self._again(messages), timeout=self.timeout * 5)

    def survey_of(self, kind: str, id_: str) -> str | None:
        async def resolve() -> str | None:
            return self._attribution.resolve(Ref(kind, id_))

        return self._call(resolve())

    def close(self) -> None:
        if self._closed:
            return

        async def shut() -> None:
            try:
                await self._nc.close()
            except nats.errors.Error:
                pass
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

        try:
            self._call(shut(), timeout=5)
        except Exception:  # noqa: BLE001 - closing: nothing more to do about it
            pass
        for loop, connection in self._local_connections:
            if not loop.is_closed():
                try:
                    asyncio.run_coroutine_threadsafe(connection.close(), loop)
                except RuntimeError:
                    pass  # that loop has ended; its sockets went with it
        self._closed = True
        self._stop_loop()

    def __enter__(self) -> JetStreamLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_log(spec: str, **options: Any) -> EventLog | JetStreamLog:
    """`nats://…` opens a JetStream log; anything else is a SQLite file path."""
    if spec.startswith(("nats://", "tls://")):
        return JetStreamLog(spec)
    return EventLog(spec, **options)
