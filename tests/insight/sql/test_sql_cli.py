"""`bastion sql`: the console on the command line, in every format, with the same refusals."""

from __future__ import annotations

import csv
import io
import json

from bastion.store.database import Database
from tests.cli.conftest import Bastion, run_bastion

__all__ = ["run_bastion"]  # the fixture, used by name

SQL = "SELECT policy_id, severity, retired FROM policies WHERE policy_id LIKE 'hate%' ORDER BY policy_id LIMIT 2"


def test_a_query_in_every_format(run_bastion: Bastion, database: Database) -> None:
    as_json = run_bastion("sql", SQL, "--format", "json", url=database.url)
    assert as_json.code == 0, as_json.err
    body = json.loads(as_json.out)
    assert [c["name"] for c in body["columns"]] == ["policy_id", "severity", "retired"]
    assert [c["type"] for c in body["columns"]] == ["VARCHAR", "BIGINT", "BOOLEAN"]
    assert len(body["rows"]) == 2 and body["rows"][0][0].startswith("hate") and body["truncated"] is False
    as_csv = run_bastion("sql", SQL, "--format", "csv", url=database.url)
    rows = list(csv.reader(io.StringIO(as_csv.out)))
    assert rows[0] == ["policy_id", "severity", "retired"] and len(rows) == 3
    assert [r[0] for r in rows[1:]] == [r[0] for r in body["rows"]]
    table = run_bastion("sql", SQL, url=database.url)
    assert table.code == 0 and body["rows"][1][0] in table.out and "policy id" in table.out


def test_a_cut_answer_says_so_on_stderr(run_bastion: Bastion, database: Database) -> None:
    ran = run_bastion("sql", "SELECT range FROM range(10001)", "--format", "csv", url=database.url)
    assert ran.code == 0 and len(ran.out.splitlines()) == 10_001
    assert "cut at 10,000 rows" in ran.err


def test_a_refused_query_exits_2_naming_why(run_bastion: Bastion, database: Database) -> None:
    for sql, reason in (
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv()"),
        ("DELETE FROM content", "writes (DELETE)"),
        ("SELECT 1; SELECT 2", "one statement at a time"),
    ):
        ran = run_bastion("sql", sql, url=database.url)
        assert ran.code == 2, ran
        assert reason in ran.err and ran.out == ""
