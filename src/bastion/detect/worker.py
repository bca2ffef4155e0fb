"""`bastion worker`: takes queued content items in batches and runs detection on them, until stopped.

A batch is leased first (its queue rows get `available_at` in the future and the worker's name), in a
short transaction of its own; then evaluated in another (see `pipeline.py`). A worker that dies mid-batch
loses nothing: the evaluation's transaction never committed, and once the lease runs out another worker
(or the same one, restarted) takes the items again. An item that fails on its own, batch after batch, is
set aside after `MAX_ATTEMPTS` with the error in its verdict, so one bad item cannot stop the queue.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from bastion.detect.pipeline import take_from_queue
from bastion.detect.velocity import prune_velocity
from bastion.store.database import Database
from bastion.store.schema import DetectionQueueItem, DetectionVerdict

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 5
PRUNE_EVERY = timedelta(hours=1)
VELOCITY_KEPT = timedelta(days=1)  # windows ending up to a day ago stay whole: items may arrive that late
DEFAULT_BATCH = 500
DEFAULT_LEASE = timedelta(minutes=5)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def lease_batch(session: Session, *, worker: str, size: int, now: datetime, lease: timedelta) -> list[int]:
    """Lease up to `size` items whose time has come, oldest first; skip rows another worker has locked."""
    waiting = (
        select(DetectionQueueItem.content_pk)
        .where(DetectionQueueItem.available_at <= now)
        .order_by(DetectionQueueItem.available_at, DetectionQueueItem.content_pk)
        .limit(size)
        .with_for_update(skip_locked=True)
    )
    leased = session.scalars(
        update(DetectionQueueItem)
        .where(DetectionQueueItem.content_pk.in_(waiting.scalar_subquery()))
        .values(available_at=now + lease, leased_by=worker, attempts=DetectionQueueItem.attempts + 1)
        .returning(DetectionQueueItem.content_pk)
    )
    return sorted(leased)


def queue_depth(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(DetectionQueueItem)) or 0)


@dataclass
class WorkerStats:
    batches: int = 0
    evaluated: int = 0
    hits: int = 0
    set_aside: int = 0


class DetectionWorker:
    """Runs batches from the queue. `detect` evaluates one batch of leased items in a session (the
    service builds it: the detector in force, the store's velocity and labels)."""

    def __init__(
        self,
        database: Database,
        detect: Callable[[Session, list[int], datetime], tuple[int, int]],
        clock: Callable[[], datetime],
        *,
        batch: int = DEFAULT_BATCH,
        lease: timedelta = DEFAULT_LEASE,
        name: str | None = None,
    ) -> None:
        self.database = database
        self.detect = detect
        self.clock = clock
        self.batch = batch
        self.lease = lease
        self.name = name or worker_name()
        self.stats = WorkerStats()
        self._pruned_at: datetime | None = None

    def run_once(self) -> int:
        """Lease and evaluate one batch; how many items it held (0 when the queue had none ready)."""
        with self.database.transaction() as session:
            pks = lease_batch(session, worker=self.name, size=self.batch, now=self.clock(), lease=self.lease)
        if not pks:
            return 0
        try:
            with self.database.transaction() as session:
                evaluated, hits = self.detect(session, pks, self.clock())
        except Exception as error:
            log.error("detection_batch_failed", items=len(pks), error_type=type(error).__name__)
            self._one_by_one(pks)
        else:
            self.stats.evaluated += evaluated
            self.stats.hits += hits
        self.stats.batches += 1
        return len(pks)

    def _one_by_one(self, pks: list[int]) -> None:
        """After a failed batch: each item alone, so that one bad item does not hold the others back."""
        for pk in pks:
            try:
                with self.database.transaction() as session:
                    evaluated, hits = self.detect(session, [pk], self.clock())
                self.stats.evaluated += evaluated
                self.stats.hits += hits
            except Exception as error:
                log.error("detection_item_failed", content_pk=pk, error_type=type(error).__name__)
                self._set_aside_if_exhausted(pk, error)

    def _set_aside_if_exhausted(self, pk: int, error: Exception) -> None:
        with self.database.transaction() as session:
            attempts = session.scalar(select(DetectionQueueItem.attempts).where(DetectionQueueItem.content_pk == pk))
            if attempts is None or attempts < MAX_ATTEMPTS:
                return  # its lease runs out and it is tried again
            if take_from_queue(session, [pk]):
                session.execute(
                    insert(DetectionVerdict).values(
                        content_pk=pk,
                        evaluated_at=self.clock(),
                        signals={},
                        rule_errors={"pipeline": f"set aside after {attempts} attempts: {type(error).__name__}"},
                        hits=0,
                    )
                )
                self.stats.set_aside += 1

    def run(self, stop: threading.Event, *, idle_seconds: float = 1.0, once: bool = False) -> WorkerStats:
        """Run batches until `stop` is set (or, with `once`, until the queue has nothing ready). When the
        queue is empty, velocity buckets too old for any window are deleted, at most once an hour."""
        while not stop.is_set():
            if self.run_once() == 0:
                self._prune()
                if once:
                    break
                stop.wait(idle_seconds)
        return self.stats

    def _prune(self) -> None:
        now = self.clock()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        with self.database.transaction() as session:
            prune_velocity(session, now - VELOCITY_KEPT)
        self._pruned_at = now


class DetectionThread:
    """A detection worker in a background thread of this process (what `bastion serve` runs), until stopped."""

    def __init__(self, database: Database, clock: Callable[[], datetime], *, idle_seconds: float = 1.0) -> None:
        from bastion.detect.service import detect_for_worker

        self.worker = DetectionWorker(database, detect_for_worker, clock)
        self.idle_seconds = idle_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="bastion-detection", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.worker.run(self._stopping, idle_seconds=self.idle_seconds)
            except Exception as error:  # the store is down: try again after a pause
                log.error("detection_worker_failed", error_type=type(error).__name__)
                self._stopping.wait(5 * self.idle_seconds)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


__all__ = ["DEFAULT_BATCH", "DEFAULT_LEASE", "DetectionThread", "DetectionWorker", "lease_batch", "queue_depth"]
