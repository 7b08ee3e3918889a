"""Group commit: concurrent webhook requests share one ingest transaction.

A request hands its verified unit to `GroupCommitter.submit` and waits. A flusher takes every
unit queued so far (up to `max_batch`), stores them with `do_ingest` (one round trip for all
their messages), and only after COMMIT resolves each request's future, so no request is
acknowledged before its data is durable. Under light load a batch holds one request and adds no
delay; under heavy load the requests that arrive during one commit form the next batch. A
flusher keeps its connection while there is work, so a busy server pays no pool round trips.
If a batch fails for a reason other than an unreachable database, its units are retried one by
one, so one bad unit fails alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

from contactcenter import logs
from contactcenter.actions.ingest import AfterCommit, IngestUnit, UnitOutcome, do_ingest
from contactcenter.errors import ApiError, ErrorCode
from contactcenter.store import db

log = logs.get_logger(__name__)

# Transient conflicts a retry resolves: deadlocks between batches that touch the same
# customers in different orders, and unique-index races with another process.
RETRYABLE = (
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.UniqueViolationError,
    asyncpg.exceptions.SerializationError,
)


@dataclass(slots=True)
class _Waiting:
    unit: IngestUnit
    future: asyncio.Future[UnitOutcome]


class GroupCommitter:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        reopen_window_s: int,
        max_batch: int,
        flushers: int,
        after_commit: Callable[[AfterCommit], None],
    ) -> None:
        self._pool = pool
        self._reopen_window_s = reopen_window_s
        self._max_batch = max_batch
        self._flushers = flushers
        self._after_commit = after_commit
        self._queue: list[_Waiting] = []
        self._active = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, unit: IngestUnit) -> UnitOutcome:
        """Store one unit with whatever else is waiting; return once it has committed."""
        future: asyncio.Future[UnitOutcome] = asyncio.get_running_loop().create_future()
        self._queue.append(_Waiting(unit, future))
        if self._active < self._flushers:
            self._active += 1
            self._spawn(self._flush())
        return await future

    async def close(self) -> None:
        """Wait for in-flight batches and after-commit work (call before closing the pool)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _take(self) -> list[_Waiting]:
        batch = self._queue[: self._max_batch]
        del self._queue[: self._max_batch]
        return batch

    async def _flush(self) -> None:
        """Drain the queue on one connection; on an unreachable database fail what was taken."""
        try:
            while self._queue:
                batch = self._take()
                try:
                    async with db.connection(self._pool) as conn:
                        while batch:
                            await self._commit(conn, batch)
                            batch = self._take()
                except ApiError as exc:  # the database is unreachable: 503 for this batch
                    for w in batch:
                        _settle(w.future, exc)
                except (
                    Exception
                ):  # e.g. a bad password or missing database: never leave a request hanging
                    log.exception("ingest.flush_failed", units=len(batch))
                    for w in batch:
                        _settle(w.future, _internal())
        finally:
            self._active -= 1

    async def _commit(self, conn: asyncpg.Connection, batch: list[_Waiting]) -> None:
        try:
            outcomes, after = await self._store(conn, [w.unit for w in batch], retries=1)
        except db.UNAVAILABLE as exc:
            raise db.unavailable() from exc
        except Exception:  # one bad unit must not fail the others: retry each alone
            if len(batch) == 1:
                log.exception("ingest.failed", units=1)
                _settle(batch[0].future, _internal())
                return
            log.warning("ingest.batch_failed_retrying_singly", units=len(batch))
            for w in batch:
                await self._commit(conn, [w])
            return
        for w, outcome in zip(batch, outcomes, strict=True):
            if not w.future.done():
                w.future.set_result(outcome)
        batch.clear()
        if after.events or after.route_queues or after.sla or after.duplicates:
            self._after_commit(after)

    async def _store(
        self, conn: asyncpg.Connection, units: list[IngestUnit], retries: int
    ) -> tuple[list[UnitOutcome], AfterCommit]:
        try:
            return await do_ingest(conn, units, self._reopen_window_s)
        except RETRYABLE:
            if retries <= 0:
                raise
            return await self._store(conn, units, retries - 1)


def _settle(future: asyncio.Future[UnitOutcome], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


def _internal() -> ApiError:
    return ApiError(ErrorCode.INTERNAL, "The webhook could not be stored; it was not acknowledged.")
