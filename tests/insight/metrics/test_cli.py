"""`bastion metrics` and `bastion export` as a user runs them: a real process on a SQLite store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from bastion.store.database import Database
from tests.cli.test_cli import bastion
from tests.insight.metrics.handmade import plant


def test_metrics_as_json_csv_and_a_table(sqlite_database: Database) -> None:
    plant(sqlite_database)
    url = sqlite_database.url
    found = bastion("metrics", "--format", "json", url=url)
    assert found.returncode == 0, found.stderr
    body = json.loads(found.stdout)
    assert body["rows"][0]["content_actioned"] == 3 and body["rows"][0]["prevalence"] == 0.1
    found = bastion("metrics", "inflow", "sla_attainment", "--by", "queue", "--format", "csv", url=url)
    assert found.returncode == 0, found.stderr
    rows = list(csv.DictReader(io.StringIO(found.stdout)))
    assert {r["queue"]: (r["inflow"], r["sla_attainment"]) for r in rows} == {
        "general": ("1", "0.0"),
        "hate-harassment": ("1", ""),
        "scams-spam": ("1", "1.0"),
    }
    found = bastion("metrics", "backlog", "--by", "queue", url=url)
    assert found.returncode == 0 and "hate-harassment" in found.stdout


def test_bad_requests_name_each_field(sqlite_database: Database) -> None:
    found = bastion("metrics", "reach", "--by", "planet", "--since", "yesterday", url=sqlite_database.url)
    assert found.returncode == 2
    assert "--since: 'yesterday' is not a date" in found.stderr


def test_export_parquet_then_csv(sqlite_database: Database, tmp_path: Path) -> None:
    plant(sqlite_database)
    found = bastion(
        "export", "parquet", "--out", str(tmp_path / "pq"), "--since", "2026-10-06", url=sqlite_database.url
    )
    assert found.returncode == 0, found.stderr
    assert "enforcement_actions: 2" in found.stdout
    assert (tmp_path / "pq" / "bastion-export.json").is_file()
    found = bastion("export", "csv", "--out", str(tmp_path / "csv"), url=sqlite_database.url)
    assert found.returncode == 0, found.stderr
    assert (tmp_path / "csv" / "views.csv").read_text().count("\n") == 4  # a header and three views
