"""Batch import of a file through the same ingest path as the API, in chunks of one transaction each.

A chunk commits whole or not at all, so a crash mid-file leaves only whole chunks behind; importing
the file again completes it and changes nothing that was already stored.

Reading and validating a chunk (JSON, pydantic, language identification) needs no database, so a
thread does it one chunk ahead while the store writes the chunk before. The store's work (SQLite's
C code, or a PostgreSQL server waited on) lets go of the interpreter, so the two overlap. Chunks are
still stored one at a time, in file order, each in its own transaction.
"""

from __future__ import annotations

import gc
import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar, cast

from bastion.clock import Clock
from bastion.domain.subjects import IngestKind
from bastion.errors import FieldError
from bastion.ingest.readers import FileFormat, ProgressSink, SourceRecord, format_of, read_records
from bastion.ingest.service import ValidatedBatch, record_batch, validate_batch
from bastion.store.database import Database

MAX_KEPT_ERRORS = 1_000
IMPORT_CHUNK = 5_000  # rows per transaction; larger than an API batch, as files are trusted to be big
CHUNKS_AHEAD = 1  # validated chunks waiting for the store: more would only hold more memory
IMPORT_GC_THRESHOLD = 100_000  # allocations between young-generation collections while importing


@dataclass
class ImportSummary:
    path: str
    kind: IngestKind
    rows: int = 0
    created: int = 0
    duplicates: int = 0
    rejected: int = 0  # rows refused; one row can carry several errors
    error_count: int = 0
    errors: list[FieldError] = field(default_factory=list)  # the first MAX_KEPT_ERRORS, by line

    def reject(self, errors: Iterable[FieldError]) -> None:
        """One refused row, with every error found in it."""
        self.rejected += 1
        for error in errors:
            self.error_count += 1
            if len(self.errors) < MAX_KEPT_ERRORS:
                self.errors.append(error)


def import_file(
    database: Database,
    path: Path,
    kind: IngestKind,
    *,
    principal: str,
    clock: Clock,
    file_format: FileFormat | None = None,
    chunk_size: int = IMPORT_CHUNK,
    progress: ProgressSink | None = None,
) -> ImportSummary:
    summary = ImportSummary(path=path.name, kind=kind)
    records = read_records(path, file_format or format_of(path), progress)
    validated = (_validated(chunk, kind) for chunk in _chunks(records, chunk_size))
    with _fewer_collections(), _ReadAhead(validated, CHUNKS_AHEAD) as ready:
        for chunk in ready:
            _import_chunk(database, chunk, summary, principal=principal, clock=clock, source=path.name)
    return summary


def _chunks(records: Iterable[SourceRecord], size: int) -> Iterator[list[SourceRecord]]:
    chunk: list[SourceRecord] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_collections_lock = threading.Lock()
_collections_held = 0
_collections_before = gc.get_threshold()


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run Python's cycle collector less often while importing, and as before afterwards.

    A chunk in flight is tens of thousands of live objects (records, payloads, rows), and the
    collector's default thresholds scan them again and again: it took a third of an import's CPU
    time. The import's own objects hardly ever form cycles, so they are freed as soon as they are
    let go; the collector still runs, every 100,000 allocations instead of every 700. Imports running at
    the same time share the raised thresholds; the last to finish puts the old ones back.
    """
    global _collections_held, _collections_before
    with _collections_lock:
        if _collections_held == 0:
            _collections_before = gc.get_threshold()
            gc.set_threshold(IMPORT_GC_THRESHOLD, *_collections_before[1:])
        _collections_held += 1
    try:
        yield
    finally:
        with _collections_lock:
            _collections_held -= 1
            if _collections_held == 0:
                gc.set_threshold(*_collections_before)


@dataclass(frozen=True)
class _ValidatedChunk:
    """A chunk of the file after validation; its raw records are let go, only their lines are kept."""

    rows: int
    first_line: int
    lines: list[int]  # the line of each readable record, by its index in the batch
    unreadable: list[FieldError]
    batch: ValidatedBatch


def _validated(chunk: list[SourceRecord], kind: IngestKind) -> _ValidatedChunk:
    readable = [r for r in chunk if r.value is not None]
    return _ValidatedChunk(
        rows=len(chunk),
        first_line=chunk[0].line,
        lines=[r.line for r in readable],
        unreadable=[r.error for r in chunk if r.error is not None],
        batch=validate_batch(kind, [r.value for r in readable], lambda _index: ""),
    )


T = TypeVar("T")


class _ReadAhead(Generic[T]):
    """Iterates `items` as a thread produces them, up to `depth` ahead; the thread's errors are raised here.

    Leaving the `with` block early (an error, an interrupt) stops the thread at its next item.
    """

    _DONE = object()

    def __init__(self, items: Iterator[T], depth: int) -> None:
        self._items = items
        self._ready: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="bastion-import-reader", daemon=True)

    def __enter__(self) -> _ReadAhead[T]:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def __iter__(self) -> Iterator[T]:
        while True:
            item = self._ready.get()
            if item is self._DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield cast(T, item)

    def _produce(self) -> None:
        try:
            for item in self._items:
                if not self._put(item):
                    return
            self._put(self._DONE)
        except BaseException as error:  # handed to the consumer, which raises it
            self._put(_Failed(error))

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False


@dataclass(frozen=True)
class _Failed:
    error: BaseException


def _import_chunk(
    database: Database,
    chunk: _ValidatedChunk,
    summary: ImportSummary,
    *,
    principal: str,
    clock: Clock,
    source: str,
) -> None:
    summary.rows += chunk.rows
    for error in chunk.unreadable:
        summary.reject([error])
    if not chunk.lines:
        return
    result = record_batch(
        database,
        chunk.batch,
        principal=principal,
        now=clock(),
        action=f"import.{chunk.batch.kind.value}",
        target=source,
        audit_details={"first_line": chunk.first_line},
    )
    summary.created += result.created
    summary.duplicates += result.duplicates
    for outcome in result.outcomes:
        line = chunk.lines[outcome.index]
        if outcome.errors:
            summary.reject(FieldError(error.path, error.message, line=line) for error in outcome.errors)
