"""Group commit: one writer thread stores deliveries in batches, one commit per batch.

A request hands its delivery to `GroupCommit.append` and waits; the writer takes every
delivery queued meanwhile, stores them in one transaction (`EventLog.append_batch`) and
answers them all once that transaction has committed. Durability is what it was with one
commit per request — nobody is answered before their event is on disk — but the cost of
a commit (the sync to disk, above all) is shared by everyone who arrived during the
previous one, and there is one hop to a thread per batch instead of one per request.

The writer is the only one appending, so it also hands stored events to `on_stored` in
seq order (on the event loop of the requests).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable

from qtui.relay.log import AppendResult, Delivery, EventLog

# Enough to share one sync among every sender a relay realistically has at once, small
# enough that one transaction never holds the write lock for long.
MAX_BATCH = 256
# The writer thread ends after this long without work (and starts again on demand), so an
# app that is dropped without being closed leaves no thread behind.
IDLE_SECONDS = 2.0

_Pending = tuple[Delivery, asyncio.Future[AppendResult]]


class GroupCommit:
    """Appends to `log` from a single writer thread, batching whatever is waiting."""

    def __init__(
        self,
        log: EventLog,
        on_stored: Callable[[Delivery, AppendResult], None] | None = None,
        *,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.log = log
        self.on_stored = on_stored
        self.max_batch = max_batch
        self.batches = 0  # how many commits so far (for figures and tests)
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    async def append(self, delivery: Delivery) -> AppendResult:
        """Store `delivery`; returns once the transaction holding it has committed."""
        future: asyncio.Future[AppendResult] = asyncio.get_running_loop().create_future()
        self._queue.put((delivery, future))
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="qtui-relay-writer", daemon=True
                )
                self._thread.start()
        return await future

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    # Checked under the lock `append` takes after queueing: whatever was
                    # queued before this check is seen here, anything later starts a thread.
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(batch)

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            results = self.log.append_batch([delivery for delivery, _ in batch])
        except BaseException as exc:  # noqa: BLE001 - every waiter gets the error
            error: BaseException | None = exc
            results = []
        else:
            error = None
            self.batches += 1
        # Answered on the loop each request waits in (one loop, unless tests share an app).
        by_loop: dict[asyncio.AbstractEventLoop, list[int]] = {}
        for index, (_, future) in enumerate(batch):
            by_loop.setdefault(future.get_loop(), []).append(index)
        for loop, indexes in by_loop.items():
            part = [batch[i] for i in indexes]
            done = [results[i] for i in indexes] if error is None else []
            try:
                loop.call_soon_threadsafe(self._settle, part, done, error)
            except RuntimeError:
                pass  # that loop is closed: nobody is waiting there any more

    def _settle(
        self, batch: list[_Pending], results: list[AppendResult], error: BaseException | None
    ) -> None:
        if error is not None:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (delivery, future), result in zip(batch, results, strict=True):
            if self.on_stored is not None and not result.duplicate:
                self.on_stored(delivery, result)
            if not future.done():
                future.set_result(result)
