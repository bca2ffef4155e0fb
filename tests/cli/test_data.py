"""`bastion import` and `bastion policies`: counts a person can trust, every error of a file at once."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bastion.store.database import Database
from tests.cli.conftest import Bastion
from tests.policy.test_loader import MANY_ERRORS

GOLDEN = Path(__file__).with_name("golden")


def assert_golden(name: str, text: str) -> None:
    """Compare with a golden file; BASTION_UPDATE_GOLDEN=1 rewrites it."""
    golden = GOLDEN / name
    if os.environ.get("BASTION_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_the_import_summary_counts_rows_not_messages(
    run_bastion: Bastion, sqlite_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    rows: list[dict[str, object]] = [{"id": f"a{i}", "created_at": "2026-01-01T00:00:00Z"} for i in range(5)]
    rows[1] = {"id": "a1", "created_at": "not a date", "followers": -3}  # one row, two errors
    rows[3] = {"id": "a3", "created_at": "yesterday"}
    Path("actors.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    ran = run_bastion("import", "actors.jsonl", "--kind", "actors", url=sqlite_database.url)
    assert ran.code == 0, ran.err
    assert ran.out == "actors.jsonl: 5 rows read · 3 created · 0 already known · 2 rows rejected\n"
    errors = ran.err.splitlines()
    assert len(errors) == 3
    assert [line.split(":")[0] for line in errors] == ["line 2", "line 2", "line 4"]
    assert any("followers" in line for line in errors) and any("created_at" in line for line in errors)


def test_an_import_of_nothing_but_bad_rows_exits_2(
    run_bastion: Bastion, sqlite_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("actors.jsonl").write_text('{"id": "a1"}\n', encoding="utf-8")
    ran = run_bastion("import", "actors.jsonl", "--kind", "actors", url=sqlite_database.url)
    assert ran.code == 2
    assert ran.out.endswith("0 created · 0 already known · 1 row rejected\n")


def test_policies_load_reports_every_error_of_the_file_at_once(
    run_bastion: Bastion, sqlite_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("many_errors.yaml").write_text(MANY_ERRORS, encoding="utf-8")
    ran = run_bastion("policies", "load", "many_errors.yaml", url=sqlite_database.url)
    assert (ran.code, ran.out) == (2, "")
    assert_golden("policies_load_many_errors.txt", ran.err)
