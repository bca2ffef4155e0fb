"""Batch import of a file through the same ingest path as the API, in chunks of one transaction each.

A chunk commits whole or not at all, so a crash mid-file leaves only whole chunks behind; importing
the file again completes it and changes nothing that was already stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bastion.clock import Clock
from bastion.domain.subjects import IngestKind
from bastion.errors import FieldError
from bastion.ingest.readers import FileFormat, ProgressSink, SourceRecord, format_of, read_records
from bastion.ingest.service import ingest_batch
from bastion.store.database import Database

MAX_KEPT_ERRORS = 1_000
IMPORT_CHUNK = 5_000  # rows per transaction; larger than an API batch, as files are trusted to be big


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
    for chunk in _chunks(records, chunk_size):
        _import_chunk(database, chunk, kind, summary, principal=principal, clock=clock, source=path.name)
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


def _import_chunk(
    database: Database,
    chunk: list[SourceRecord],
    kind: IngestKind,
    summary: ImportSummary,
    *,
    principal: str,
    clock: Clock,
    source: str,
) -> None:
    summary.rows += len(chunk)
    readable = [r for r in chunk if r.value is not None]
    for record in chunk:
        if record.error is not None:
            summary.reject([record.error])
    if not readable:
        return
    result = ingest_batch(
        database,
        kind,
        [r.value for r in readable],
        principal=principal,
        now=clock(),
        action=f"import.{kind.value}",
        target=source,
        item_path=lambda _index: "",
        audit_details={"first_line": chunk[0].line},
    )
    summary.created += result.created
    summary.duplicates += result.duplicates
    for outcome in result.outcomes:
        line = readable[outcome.index].line
        if outcome.errors:
            summary.reject(FieldError(error.path, error.message, line=line) for error in outcome.errors)
