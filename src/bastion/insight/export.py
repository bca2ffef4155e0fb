"""`bastion export`: the store's analytic tables as Parquet or CSV, for spreadsheets, Tableau or Spark.

Parquet: one folder per table, partitioned by date hive-style (`views/date=2026-11-02/part-0.parquet`),
the date of each table's own moment (`EXPORTED`); rows without one go to the `__HIVE_DEFAULT_PARTITION__`
folder, as Spark and Hive name it. CSV: one file per table (`views.csv`), with a header. Every moment
is UTC. `since`/`until` keep the rows whose moment falls in `since` <= moment < `until` (users are
exported whole: every row of the other tables may name one).

What is exported is what an analyst needs: the event log and the state tables, never a secret (no
password hashes, API keys or sessions; of users, only who they are and their vendor).

A re-run replaces, never half-writes: the export is written into a hidden folder beside `out`, its
manifest (`bastion-export.json`) last, then renamed into place; a folder already at `out` is replaced
only when it is an earlier export (it has a manifest) or empty. A CSV text cell that a spreadsheet
would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return) is written
with a leading apostrophe.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.dataset as pa_ds
import pyarrow.parquet as pq
from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, LargeBinary
from sqlalchemy.types import TypeEngine

from bastion import audit_log
from bastion.clock import as_utc
from bastion.errors import FieldError, InvalidInput
from bastion.insight.metrics.backends import EXPORT_MANIFEST, open_store
from bastion.insight.metrics.tables import MOMENT, conform, literal_moment
from bastion.store.database import Database
from bastion.store.schema import Base

ExportFormat = Literal["parquet", "csv"]
FORMATS: tuple[ExportFormat, ...] = ("parquet", "csv")

# table -> the moment its rows are dated (partitioned) by; None: exported whole, in one partition.
EXPORTED: Mapping[str, str | None] = {
    "actors": "created_at",
    "content_items": "created_at",
    "views": "viewed_at",
    "reports": "created_at",
    "events": "occurred_at",
    "jobs": "created_at",
    "decisions": "decided_at",
    "enforcement_actions": "created_at",
    "appeals": "filed_at",
    "rule_hits": "hit_at",
    "model_scores": "scored_at",
    "users": None,
}
ONLY_COLUMNS: Mapping[str, tuple[str, ...]] = {"users": ("pk", "name", "vendor", "active", "created_at")}
PARTITION = "date"
NO_DATE = "__HIVE_DEFAULT_PARTITION__"
FORMULA_START = r"^[=+\-@\t\r]"


@dataclass(frozen=True)
class ExportSummary:
    folder: Path
    format: str
    rows: dict[str, int]


def export_store(
    database: Database,
    out: Path,
    *,
    fmt: ExportFormat,
    now: datetime,
    principal: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> ExportSummary:
    """Write the store's analytic tables under `out` (replacing an earlier export there)."""
    if fmt not in FORMATS:
        raise InvalidInput("cannot export", [FieldError("format", f"must be one of {', '.join(FORMATS)}")])
    if since is not None and until is not None and since >= until:
        raise InvalidInput("cannot export", [FieldError("until", "must be after since")])
    _check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        rows: dict[str, int] = {}
        with open_store(database) as backend:
            for name, dated_by in EXPORTED.items():
                table = _exported_table(backend.connection.table(name), name, dated_by, since, until)
                reader = table.to_pyarrow_batches(chunk_size=250_000)
                writer = _write_parquet if fmt == "parquet" else _write_csv
                rows[name] = writer(reader, staging, name, partitioned=dated_by is not None)
        manifest = {
            "format": fmt,
            "exported_at": as_utc(now).isoformat(),
            "since": as_utc(since).isoformat() if since else None,
            "until": as_utc(until).isoformat() if until else None,
            "tables": {name: {"rows": n, "dated_by": EXPORTED[name]} for name, n in rows.items()},
        }
        (staging / EXPORT_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        _swap_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    with database.transaction() as session:
        audit_log.record(
            session,
            principal=principal,
            action="insight.export",
            target=out.name,
            at=now,
            details={"format": fmt, "rows": rows, "since": manifest["since"], "until": manifest["until"]},
        )
    return ExportSummary(out, fmt, rows)


def _check_replaceable(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"{out} is a file: give a folder to export into")
    if out.is_dir() and any(out.iterdir()) and not (out / EXPORT_MANIFEST).is_file():
        raise InvalidInput(f"{out} holds files that are not a Bastion export: choose an empty or new folder")


def _swap_into_place(staging: Path, out: Path) -> None:
    """Rename the finished export to `out`; the earlier one (if any) is moved aside first, then removed."""
    aside = out.parent / f".{out.name}.replaced-{uuid.uuid4().hex[:8]}"
    if out.exists():
        out.rename(aside)
    try:
        staging.rename(out)
    except OSError:
        if aside.exists():
            aside.rename(out)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _ibis_type(kind: TypeEngine[object]) -> dt.DataType | None:
    """The exported type of a column of the store (None: not exported, e.g. binary artefacts)."""
    if isinstance(kind, LargeBinary):
        return None
    if isinstance(kind, DateTime) or getattr(kind, "impl", None).__class__ is DateTime:
        return MOMENT
    if isinstance(kind, Boolean):
        return dt.boolean
    if isinstance(kind, Float):
        return dt.float64
    if isinstance(kind, Integer):
        return dt.int64
    if isinstance(kind, JSON):
        return dt.string
    return dt.string


def _exported_table(
    table: ibis.Table, name: str, dated_by: str | None, since: datetime | None, until: datetime | None
) -> ibis.Table:
    columns = Base.metadata.tables[name].columns
    wanted = ONLY_COLUMNS.get(name)
    schema = {
        c.name: kind
        for c in columns
        if (wanted is None or c.name in wanted) and (kind := _ibis_type(c.type)) is not None
    }
    rows = conform(table, schema)
    if dated_by is None:
        return rows
    moment = rows[dated_by]
    if since is not None:
        rows = rows.filter(moment >= literal_moment(as_utc(since).replace(tzinfo=None)))
    if until is not None:
        rows = rows.filter(moment < literal_moment(as_utc(until).replace(tzinfo=None)))
    return rows.mutate(**{PARTITION: rows[dated_by].strftime("%Y-%m-%d")})


def _exported_schema(schema: pa.Schema) -> pa.Schema:
    """Moments labelled UTC (they are UTC wall times)."""
    return pa.schema(
        pa.field(f.name, pa.timestamp("us", tz="UTC")) if pa.types.is_timestamp(f.type) else f for f in schema
    )


def _as_exported(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    arrays = [
        column.cast(pa.timestamp("us")).cast(field.type) if pa.types.is_timestamp(field.type) else column
        for field, column in zip(schema, batch.columns, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _write_parquet(reader: pa.RecordBatchReader, folder: Path, name: str, *, partitioned: bool) -> int:
    target = folder / name
    target.mkdir()
    schema = _exported_schema(reader.schema)
    counted = [0]

    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            counted[0] += batch.num_rows
            yield _as_exported(batch, schema)

    stream = pa.RecordBatchReader.from_batches(schema, batches())
    if not partitioned:
        pq.write_table(stream.read_all(), target / "part-0.parquet")
        return counted[0]
    pa_ds.write_dataset(
        stream,
        target,
        format="parquet",
        partitioning=pa_ds.partitioning(pa.schema([(PARTITION, pa.string())]), flavor="hive"),
        basename_template="part-{i}.parquet",
        existing_data_behavior="error",
        max_rows_per_group=1_000_000,
        max_partitions=100_000,  # accounts can be years old: a folder per day of it
    )
    if counted[0] == 0:
        # Readers learn the columns from a file: with no rows, an empty one in the no-date partition.
        empty = target / f"{PARTITION}={NO_DATE}"
        empty.mkdir()
        pq.write_table(schema.empty_table().drop_columns([PARTITION]), empty / "part-0.parquet")
    return counted[0]


def _write_csv(reader: pa.RecordBatchReader, folder: Path, name: str, *, partitioned: bool) -> int:
    schema = _exported_schema(reader.schema)
    written = schema.remove(schema.get_field_index(PARTITION)) if partitioned else schema
    rows = 0
    with (folder / f"{name}.csv").open("wb") as sink, pa_csv.CSVWriter(sink, written) as writer:
        for raw in reader:
            batch = _as_exported(raw, schema)
            if partitioned:
                batch = batch.drop_columns([PARTITION])
            writer.write_batch(_spreadsheet_safe(batch))
            rows += batch.num_rows
    return rows


def _spreadsheet_safe(batch: pa.RecordBatch) -> pa.RecordBatch:
    arrays = []
    for column in batch.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            risky = pc.match_substring_regex(column, FORMULA_START)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)
