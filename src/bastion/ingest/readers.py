"""Streaming readers for batch files: JSONL, CSV and Parquet, one record at a time with its line.

Readers never hold a whole file: memory stays flat whatever the file's size. A record that cannot
be read becomes a `FieldError` carrying its line number, and reading goes on.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow.parquet as pq

from bastion.errors import FieldError, InvalidInput

# Fields that hold an object or a list; in CSV they may be given as JSON text.
STRUCTURED_FIELDS = frozenset({"attributes", "media", "target"})


class FileFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


SUFFIXES = {
    ".jsonl": FileFormat.JSONL,
    ".ndjson": FileFormat.JSONL,
    ".csv": FileFormat.CSV,
    ".parquet": FileFormat.PARQUET,
}


@dataclass(frozen=True)
class SourceRecord:
    """One record of a file: `line` is the line (JSONL, CSV) or row number (Parquet), from 1."""

    line: int
    value: dict[str, Any] | None
    error: FieldError | None = None


def format_of(path: Path) -> FileFormat:
    found = SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise InvalidInput(
            f"cannot tell the format of {path.name}",
            [FieldError("FILE", f"use a file ending in {', '.join(sorted(SUFFIXES))}")],
        )
    return found


def read_records(path: Path, file_format: FileFormat, progress: ProgressSink | None = None) -> Iterator[SourceRecord]:
    readers = {FileFormat.JSONL: _jsonl, FileFormat.CSV: _csv, FileFormat.PARQUET: _parquet}
    return readers[file_format](path, progress or _no_progress)


class ProgressSink:
    """Told how far reading has come, in the units `total` is given in (bytes or rows)."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0

    def start(self, total: int) -> None:
        self.total = total

    def advance(self, done: int) -> None:
        self.done = done


_no_progress = ProgressSink()


def _jsonl(path: Path, progress: ProgressSink) -> Iterator[SourceRecord]:
    for number, raw in read_lines(path, progress):
        yield jsonl_record(number, raw)


def read_lines(path: Path, progress: ProgressSink | None = None) -> Iterator[tuple[int, bytes]]:
    """A JSONL file's lines that are not blank, each with its number (from 1), as bytes."""
    progress = progress or _no_progress
    progress.start(path.stat().st_size)
    with path.open("rb") as handle:
        position = 0
        for number, raw in enumerate(handle, start=1):
            position += len(raw)
            if number % 1000 == 0:
                progress.advance(position)
            if raw.strip():
                yield number, raw
        progress.advance(position)


def jsonl_record(number: int, raw: bytes) -> SourceRecord:
    """One line of a JSONL file read as a record: one JSON object, or the error that says why not."""
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return SourceRecord(number, None, FieldError("", f"not valid JSON: {exc}", line=number))
    if not isinstance(value, dict):
        return SourceRecord(number, None, FieldError("", "each line must be one JSON object", line=number))
    return SourceRecord(number, value)


def _csv(path: Path, progress: ProgressSink) -> Iterator[SourceRecord]:
    progress.start(path.stat().st_size)
    undecodable: set[int] = set()
    with path.open("rb") as handle:
        reader = csv.DictReader(_decoded_lines(handle, progress, undecodable))
        line = 1
        for row in reader:
            start, line = line + 1, reader.line_num
            if undecodable and any(n in undecodable for n in range(start, line + 1)):
                yield SourceRecord(start, None, FieldError("", "not valid UTF-8 text", line=start))
                continue
            if None in row:
                yield SourceRecord(start, None, FieldError("", "more cells than the header has columns", line=start))
                continue
            try:
                yield SourceRecord(start, _unflatten(row))
            except ValueError as exc:
                yield SourceRecord(start, None, FieldError(str(exc.args[0]), str(exc.args[1]), line=start))
        progress.advance(progress.total)


def _decoded_lines(handle: BinaryIO, progress: ProgressSink, undecodable: set[int]) -> Iterator[str]:
    position = 0
    for number, raw in enumerate(handle, start=1):
        position += len(raw)
        if number % 1000 == 0:
            progress.advance(position)
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            undecodable.add(number)
            yield raw.decode("utf-8", errors="replace")


def _unflatten(row: dict[str, str]) -> dict[str, Any]:
    """CSV cells to a nested record: empty cells are absent, `media.url` nests, JSON cells parse."""
    record: dict[str, Any] = {}
    for column, cell in row.items():
        if cell is None or cell == "":
            continue
        value: Any = cell
        if column in STRUCTURED_FIELDS:
            try:
                value = json.loads(cell)
            except ValueError as exc:
                raise ValueError(column, f"must be JSON text in a CSV cell: {exc}") from exc
        head, _, rest = column.partition(".")
        if rest:
            record.setdefault(head, {})[rest] = value
        else:
            record[column] = value
    return record


def _parquet(path: Path, progress: ProgressSink) -> Iterator[SourceRecord]:
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises its own error types for a damaged file
        raise InvalidInput(f"cannot read {path.name}", [FieldError("FILE", f"not a Parquet file: {exc}")]) from exc
    progress.start(parquet.metadata.num_rows)
    number = 0
    for batch in parquet.iter_batches(batch_size=1000):
        for row in batch.to_pylist():
            number += 1
            yield SourceRecord(number, _drop_nulls(row))
        progress.advance(number)


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    return value
