"""Read an external series from a CSV file (a timestamp column and a value column) for `bastion trends scan`.

Every bad row is reported with its line number (the header is line 1); nothing is scanned when one is bad.
The rows are a stream, taken in file order, as a live detector would see them: a row stamped earlier than the
row before it (a clock set back an hour, as in NAB's machine-temperature file) is kept where it is, and
counted; a series that does not run forward as a whole is refused by the detector.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bastion.errors import FieldError, InvalidInput

MAX_REPORTED = 20  # bad rows listed; the count says how many there were


@dataclass(frozen=True)
class ExternalSeries:
    timestamps: list[datetime]
    values: list[float]
    labels: list[str]  # each row's timestamp as the file wrote it
    earlier_rows: int = 0  # rows stamped earlier than the row before them (kept in file order)


def parse_timestamp(text: str) -> datetime:
    """An ISO date or time ('2015-02-26 21:42:53', '2015-02-26T21:42:53Z'), or Unix seconds; UTC when no zone."""
    text = text.strip()
    try:
        moment = datetime.fromtimestamp(float(text), UTC)
    except (ValueError, OverflowError, OSError):
        moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def read_series(path: Path, timestamp_column: str = "timestamp", value_column: str = "value") -> ExternalSeries:
    """Read `path` (CSV, optionally gzip-compressed as .gz), its rows in file order."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        reason = "no such file" if isinstance(error, FileNotFoundError) else "cannot be read"
        raise InvalidInput(f"{path}: {reason}", [FieldError("FILE", f"{path}: {reason}")]) from None
    try:
        text = (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8-sig")
    except (OSError, UnicodeDecodeError, EOFError):
        raise InvalidInput(
            f"{path}: not a UTF-8 CSV file", [FieldError("FILE", "not a UTF-8 CSV file (or a gzip of one)")]
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise InvalidInput(f"{path}: the file is empty", [FieldError("FILE", "the file is empty", line=1)])
    names = [name.strip() for name in header]
    missing = [
        FieldError(option, f"no column {column!r} in the header (columns: {', '.join(names)})", line=1)
        for option, column in (("--timestamp-col", timestamp_column), ("--value-col", value_column))
        if column not in names
    ]
    if missing:
        raise InvalidInput(f"{path}: a column is missing", missing)
    at, of = names.index(timestamp_column), names.index(value_column)
    timestamps: list[datetime] = []
    values: list[float] = []
    labels: list[str] = []
    bad: list[FieldError] = []
    earlier = 0
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) <= max(at, of):
            bad.append(FieldError("row", f"has {len(row)} columns, the header has {len(names)}", line=line))
            continue
        try:
            moment = parse_timestamp(row[at])
        except ValueError:
            bad.append(FieldError(timestamp_column, f"{row[at][:40]!r} is not a timestamp", line=line))
            continue
        try:
            value = float(row[of])
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            bad.append(FieldError(value_column, f"{row[of][:40]!r} is not a number", line=line))
            continue
        if timestamps and moment < timestamps[-1]:
            earlier += 1
        timestamps.append(moment)
        values.append(value)
        labels.append(row[at].strip())
    if bad:
        noun = "row" if len(bad) == 1 else "rows"
        raise InvalidInput(f"{path}: {len(bad)} bad {noun}", bad[:MAX_REPORTED])
    if len(values) < 2:
        raise InvalidInput(f"{path}: too short", [FieldError("FILE", "a series needs at least two rows")])
    return ExternalSeries(timestamps=timestamps, values=values, labels=labels, earlier_rows=earlier)
