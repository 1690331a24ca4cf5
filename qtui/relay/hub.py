"""Fan-out of newly stored events to the connected subscribers, with bounded queues.

Each subscriber has its own queue of at most `maxsize` events and `max_bytes` bytes of
frame text (so a few huge events count as much as many small ones). The hub never waits
for a subscriber: when a queue is full the subscriber is marked overflowed, its queue is
emptied (so its memory is released at once) and it receives nothing more; its stream
then tells the client where to resume and closes. Runs on the event loop only.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """A stored event as the stream sends it: seq, survey for filtering, frame text."""

    seq: int
    survey_id: str | None
    text: str
    source: str | None = None


class Overflow:
    """Queue marker: this subscriber fell behind and was dropped from the fan-out."""


OVERFLOW = Overflow()


# Without a byte budget a queue is bounded by count only.
UNBOUNDED = 2**62


class Subscription:
    def __init__(self, maxsize: int, max_bytes: int = UNBOUNDED) -> None:
        if maxsize < 1:
            raise ValueError("queue size must be at least 1")
        if max_bytes < 1:
            raise ValueError("queue byte budget must be at least 1")
        self.maxsize = maxsize
        self.max_bytes = max_bytes
        # One slot more than maxsize, reserved for the overflow marker.
        self._queue: asyncio.Queue[LiveEvent | Overflow] = asyncio.Queue(maxsize + 1)
        self.bytes = 0  # frame text queued now
        self.overflowed = False

    def offer(self, event: LiveEvent) -> None:
        if self.overflowed:
            return
        size = len(event.text)
        full = self._queue.qsize() >= self.maxsize
        # An event larger than the whole budget still goes into an empty queue.
        if full or (self.bytes and self.bytes + size > self.max_bytes):
            self.overflowed = True
            self._drain()
            self._queue.put_nowait(OVERFLOW)
            return
        self._queue.put_nowait(event)
        self.bytes += size

    def clear_overflow(self) -> bool:
        """Forget an overflow (the caller re-reads the log instead); True if there was one."""
        if not self.overflowed:
            return False
        self._drain()
        self.overflowed = False
        return True

    async def get(self, timeout: float) -> LiveEvent | Overflow | None:
        """The next queued item, or None when `timeout` seconds pass without one."""
        try:
            async with asyncio.timeout(timeout):
                item = await self._queue.get()
        except TimeoutError:
            return None
        if isinstance(item, LiveEvent):
            self.bytes -= len(item.text)
        return item

    def qsize(self) -> int:
        return self._queue.qsize()

    def _drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
        self.bytes = 0


class Hub:
    def __init__(self, last_seq: int = 0) -> None:
        self._subscriptions: set[Subscription] = set()
        self.last_seq = last_seq
        self.overflows = 0
        # The deepest any subscriber queue has been since start (never above its maxsize).
        self.peak_depth = 0

    def subscribe(self, maxsize: int, max_bytes: int = UNBOUNDED) -> Subscription:
        subscription = Subscription(maxsize, max_bytes)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    def publish(self, event: LiveEvent) -> None:
        self.last_seq = max(self.last_seq, event.seq)
        for subscription in self._subscriptions:
            was_overflowed = subscription.overflowed
            subscription.offer(event)
            if subscription.overflowed and not was_overflowed:
                self.overflows += 1
            elif not subscription.overflowed:
                self.peak_depth = max(self.peak_depth, subscription.qsize())

    def __len__(self) -> int:
        return len(self._subscriptions)
