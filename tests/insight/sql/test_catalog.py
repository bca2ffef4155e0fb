"""The views are documented: docs/insight.md lists every view and column with its type, and nothing
else; the examples it gives run; and no view reads a secret."""

from __future__ import annotations

import re
from pathlib import Path

from bastion.clock import FrozenClock
from bastion.insight.sql.catalog import VIEWS, column_type
from bastion.insight.sql.console import run_query
from bastion.store.database import Database

DOC = Path(__file__).parents[3] / "docs" / "insight.md"
_ROW = re.compile(r"^\| (?:`(?P<view>\w+)` )?\| `(?P<column>\w+)` \| (?P<type>[A-Z]+) \| .+ \|$")


def _documented() -> list[tuple[str, str, str]]:
    section = DOC.read_text().split("### The views", 1)[1]
    found, view = [], ""
    for line in section.splitlines():
        match = _ROW.match(line)
        if match:
            view = match["view"] or view
            found.append((view, match["column"], match["type"]))
    return found


def test_every_view_and_column_is_documented_with_its_type() -> None:
    in_code = [(v.name, c.name, column_type(v, c)) for v in VIEWS for c in v.columns]
    assert _documented() == in_code


def test_no_view_reads_a_secret_or_the_audit_log() -> None:
    tables = {v.table for v in VIEWS}
    assert not tables & {"api_keys", "web_sessions", "auth_failures", "audit_log", "audit_head", "audit_pending",
                         "webhook_deliveries", "review_configs"}  # fmt: skip
    columns = {(v.table, c.source) for v in VIEWS for c in v.columns}
    for secret in (("users", "password_hash"), ("jobs", "golden_pk"), ("jobs", "lease_owner"), ("jobs", "note")):
        assert secret not in columns


def test_the_documented_examples_run(sqlite_database: Database, clock: FrozenClock) -> None:
    block = DOC.read_text().split("Examples:", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    examples = [s.strip() for s in block.split(";") if s.strip()]
    assert len(examples) == 3
    for sql in examples:
        run_query(sqlite_database, sql, principal="user:ana", now=clock())
