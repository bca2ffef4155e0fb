"""Batch import of a file through the same ingest path as the API, in chunks of one transaction each.

A chunk commits whole or not at all, so a crash mid-file leaves only whole chunks behind; importing
the file again completes it and changes nothing that was already stored.

Reading and validating a chunk (JSON, pydantic, language identification) needs no database, so it
is done one chunk ahead while the store writes the chunk before. For content, the bulk of every
import, a worker process does it: a thread would share the interpreter lock with the store's Python
work, a process runs on a core of its own. It hands each chunk over as plain tuples (a pydantic
model costs more to unpickle than to validate), with what the store writes for each item worked out
for the store's dialect (`prepared_for_store`: times as its driver takes them, each event's data),
as the storing process is the busier of the two. Other kinds are read ahead by a thread. Either way
chunks are stored one at a time, in file order, each in its own transaction, by the importing
process; the worker never touches the store, and it ends when the importer does.
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle
import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Generic, TypeVar, cast

from pydantic import ValidationError

from bastion.clock import Clock
from bastion.domain.subjects import IngestKind
from bastion.errors import BastionError, FieldError
from bastion.ingest.payloads import storable_json_text
from bastion.ingest.readers import (
    FileFormat,
    ProgressSink,
    SourceRecord,
    format_of,
    jsonl_record,
    read_lines,
    read_records,
)
from bastion.ingest.service import PAYLOADS, ValidatedBatch, prepared_for_store, record_batch, validate_batch
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
    file_format = file_format or format_of(path)
    with _fewer_collections():
        # A daemonic process may not start one of its own: there, a thread reads ahead.
        if kind is IngestKind.CONTENT and _FORK is not None and not multiprocessing.current_process().daemon:
            ahead: AbstractContextManager[Iterable[_ValidatedChunk]] = _ValidatingProcess(
                path, file_format, kind, chunk_size, progress, database.dialect
            )
        else:
            chunks = _validated_chunks(path, file_format, kind, chunk_size, progress, database.dialect)
            ahead = _ReadAhead(chunks, CHUNKS_AHEAD)
        with ahead as ready:
            for chunk in ready:
                _import_chunk(database, chunk, summary, principal=principal, clock=clock, source=path.name)
    return summary


def _validated_chunks(
    path: Path, file_format: FileFormat, kind: IngestKind, size: int, progress: ProgressSink | None, dialect: str
) -> Iterator[_ValidatedChunk]:
    """The file's chunks, validated and prepared for the `dialect`'s store."""
    if file_format is FileFormat.JSONL:
        chunks = (_validated_lines(chunk, kind) for chunk in _chunks(read_lines(path, progress), size))
    else:
        chunks = (_validated(chunk, kind) for chunk in _chunks(read_records(path, file_format, progress), size))
    return (replace(chunk, batch=prepared_for_store(chunk.batch, dialect)) for chunk in chunks)


T = TypeVar("T")


def _chunks(records: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
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
        batch=validate_batch(kind, [r.value for r in readable], _top_level),
    )


def _validated_lines(chunk: list[tuple[int, bytes]], kind: IngestKind) -> _ValidatedChunk:
    """A chunk of JSONL lines, each validated from its JSON text in one step (pydantic parses it).

    A line that fails is read and validated again as any other record, so its errors are worded as
    they always are; only valid lines, nearly all of a file, take the short way.
    """
    model = PAYLOADS[kind]
    lines: list[int] = []
    items: list[object] = []
    unreadable: list[FieldError] = []
    for number, raw in chunk:
        try:
            item: object = model.model_validate_json(raw, context=storable_json_text(raw))
        except ValidationError:
            record = jsonl_record(number, raw)
            if record.error is not None:
                unreadable.append(record.error)
                continue
            item = record.value
        lines.append(number)
        items.append(item)
    return _ValidatedChunk(
        rows=len(chunk),
        first_line=chunk[0][0],
        lines=lines,
        unreadable=unreadable,
        batch=validate_batch(kind, items, _top_level),
    )


def _top_level(_index: int) -> str:
    """Paths of a file's fields start at the record: the line number says which record."""
    return ""


# Forking starts the worker at once with everything imported; where there is no fork, a thread reads ahead.
_FORK = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None


class _ValidatingProcess:
    """Iterates a file's validated chunks as a worker process reads and validates them, one chunk ahead.

    The worker sends each chunk through a pipe; sending blocks until the importer has taken the chunk
    before, so at most one waits. The worker's errors are raised here. Leaving the `with` block early
    (an error, an interrupt) ends the worker; if the importer is killed, the worker's next send fails
    and it ends too.
    """

    def __init__(
        self,
        path: Path,
        file_format: FileFormat,
        kind: IngestKind,
        chunk_size: int,
        progress: ProgressSink | None,
        dialect: str,
    ) -> None:
        assert _FORK is not None
        self._progress = progress
        self._receiver, sender = _FORK.Pipe(duplex=False)
        self._process = _FORK.Process(
            target=_validate_file,
            args=(self._receiver, sender, path, file_format, kind, chunk_size, dialect),
            name="bastion-import-validator",
            daemon=True,
        )
        self._sender = sender

    def __enter__(self) -> _ValidatingProcess:
        self._process.start()
        self._sender.close()  # the worker holds the only writing end: its end is the pipe's end
        return self

    def __exit__(self, *_exc: object) -> None:
        self._receiver.close()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._process.close()

    def __iter__(self) -> Iterator[_ValidatedChunk]:
        started = False
        while True:
            try:
                message = self._receiver.recv()
            except EOFError:
                raise BastionError("the import's validating process ended without finishing the file") from None
            if isinstance(message, _Failed):
                raise message.error
            if message is None:
                return
            chunk, total, done = message
            if self._progress is not None:
                if not started:
                    self._progress.start(total)
                    started = True
                self._progress.advance(done)
            if chunk is not None:
                yield chunk


def _validate_file(
    receiver: Connection,
    sender: Connection,
    path: Path,
    file_format: FileFormat,
    kind: IngestKind,
    chunk_size: int,
    dialect: str,
) -> None:
    """The worker: read and validate the file chunk by chunk, send each; then None, or the error met."""
    receiver.close()  # the importer's end, inherited: held open here, a dead importer's pipe would never break
    read = ProgressSink()
    try:
        for chunk in _validated_chunks(path, file_format, kind, chunk_size, read, dialect):
            sender.send((chunk, read.total, read.done))
        sender.send((None, read.total, read.total))
        sender.send(None)
    except BaseException as error:  # handed to the importer, which raises it
        with suppress(OSError):  # the importer is gone: nobody to tell
            sender.send(_Failed(_picklable(error)))
    finally:
        sender.close()


def _picklable(error: BaseException) -> BaseException:
    """The error itself when it can cross to the importer, or one that says what it was."""
    try:
        pickle.loads(pickle.dumps(error))  # noqa: S301 - the bytes were made just here
    except Exception:
        return BastionError(f"reading the file failed: {type(error).__name__}")
    return error


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
