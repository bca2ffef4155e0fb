"""`bastion export`: Parquet partitioned by date and CSV; the metrics on an export are the store's; a
re-run replaces, a folder of other files is refused; no secrets; spreadsheet formulas defused."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from bastion.errors import InvalidInput
from bastion.insight.export import export_store
from bastion.insight.metrics import METRICS, compute, open_parquet, open_store
from bastion.store.database import Database
from bastion.store.schema import AuditRecord, ContentItem
from tests.insight.metrics.handmade import hours, plant

NOW = datetime(2026, 10, 10, tzinfo=UTC)
WITH_GRAIN = [name for name, metric in METRICS.items() if metric.grains]


def test_the_metrics_on_the_parquet_export_are_the_stores(database: Database, tmp_path: Path) -> None:
    plant(database)
    summary = export_store(database, tmp_path / "export", fmt="parquet", now=NOW, principal="ana")
    assert summary.rows["content_items"] == 4 and summary.rows["enforcement_actions"] == 4
    with open_store(database) as store, open_parquet(tmp_path / "export") as export:
        for by, grain in (((), None), (("policy", "country"), "day"), (("queue", "vendor"), "hour")):
            names = [n for n in WITH_GRAIN if set(by) <= METRICS[n].dimensions]
            pd.testing.assert_frame_equal(compute(store, names, by, grain), compute(export, names, by, grain))
        assert compute(export, ["backlog"]).backlog.tolist() == [1]
    with database.transaction() as session:
        audit = session.query(AuditRecord).filter(AuditRecord.action == "insight.export").one()
        assert audit.principal == "ana" and audit.details["rows"]["views"] == 3


def test_parquet_is_partitioned_by_date_hive_style_and_holds_no_secrets(
    sqlite_database: Database, tmp_path: Path
) -> None:
    plant(sqlite_database)
    out = tmp_path / "export"
    export_store(sqlite_database, out, fmt="parquet", now=NOW, principal="ana")
    assert sorted(p.name for p in (out / "enforcement_actions").iterdir()) == [
        "date=2026-10-05",
        "date=2026-10-06",
        "date=2026-10-07",  # the restore, at T+40h
    ]
    assert (out / "users" / "part-0.parquet").is_file()  # users are not dated: one file
    assert pq.read_schema(out / "users" / "part-0.parquet").names == ["pk", "name", "vendor", "active", "created_at"]
    assert pq.read_schema(out / "views" / "date=2026-10-05" / "part-0.parquet").field("viewed_at").type.tz == "UTC"
    manifest = json.loads((out / "bastion-export.json").read_text())
    assert manifest["format"] == "parquet" and manifest["tables"]["views"] == {"rows": 3, "dated_by": "viewed_at"}
    # An empty table still has a file to read its columns from.
    assert pq.read_schema(next((out / "rule_hits").rglob("*.parquet"))).names[:2] == ["pk", "rule_name"]


def test_a_rerun_replaces_and_a_window_keeps_its_rows(sqlite_database: Database, tmp_path: Path) -> None:
    plant(sqlite_database)
    out = tmp_path / "export"
    export_store(sqlite_database, out, fmt="parquet", now=NOW, principal="ana")
    (out / "left-over.txt").write_text("from before")
    summary = export_store(
        sqlite_database, out, fmt="parquet", now=NOW, principal="ana", since=hours(24), until=hours(48)
    )
    assert not (out / "left-over.txt").exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing half-written beside it
    assert summary.rows["enforcement_actions"] == 2  # a2 at T+30h and the restore at T+40h
    assert sorted(p.name for p in (out / "enforcement_actions").iterdir()) == ["date=2026-10-06", "date=2026-10-07"]
    assert summary.rows["users"] == 2


def test_a_folder_of_other_files_is_never_replaced(sqlite_database: Database, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("years of work")
    with pytest.raises(InvalidInput, match="not a Bastion export"):
        export_store(sqlite_database, out, fmt="csv", now=NOW, principal="ana")
    assert [p.name for p in out.iterdir()] == ["thesis.docx"]
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    with pytest.raises(InvalidInput) as caught:
        export_store(sqlite_database, tmp_path / "x", fmt="csv", now=NOW, principal="ana", since=NOW, until=NOW)
    assert [str(e) for e in caught.value.errors] == ["until: must be after since"]


def test_csv_has_a_header_per_table_and_defuses_formulas(sqlite_database: Database, tmp_path: Path) -> None:
    plant(sqlite_database)
    with sqlite_database.transaction() as session:
        item = session.query(ContentItem).filter(ContentItem.external_id == "c1").one()
        item.text = '=HYPERLINK("http://evil.example","click")'
    out = tmp_path / "csv"
    export_store(sqlite_database, out, fmt="csv", now=NOW, principal="ana")
    with (out / "content_items.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4 and "date" not in rows[0]
    first = next(r for r in rows if r["external_id"] == "c1")
    assert first["text"] == '\'=HYPERLINK("http://evil.example","click")'
    assert first["created_at"].startswith("2026-10-05 08:00:00")
    with (out / "rule_hits.csv").open() as handle:
        assert handle.read().startswith('"pk","rule_name"')  # no rows: the header alone
    assert "password_hash" not in (out / "users.csv").read_text()
