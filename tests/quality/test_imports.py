"""`bastion import FILE --kind decisions`: decisions made elsewhere, their raters, bad rows, re-runs."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bastion.clock import FrozenClock, as_utc
from bastion.domain.access import Role
from bastion.domain.events import EventKind
from bastion.domain.subjects import IngestKind
from bastion.ingest.batch import import_file
from bastion.store.database import Database
from bastion.store.schema import AuditRecord, Event, ImportedDecision, Rater, User
from tests.cli.conftest import Bastion, run_bastion  # noqa: F401 - the fixture, for `bastion import`
from tests.conftest import api_key, bearer, make_user

ACTORS = [{"id": "a1", "created_at": "2026-01-01T00:00:00Z"}]
CONTENT = [
    {"id": f"c{i}", "actor_id": "a1", "type": "post", "text": f"post {i}", "created_at": "2026-01-02T00:00:00Z"}
    for i in range(4)
]


def _jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def _count(database: Database, model: type) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _with_content(database: Database, clock: FrozenClock, tmp_path: Path) -> None:
    for kind, rows in ((IngestKind.ACTORS, ACTORS), (IngestKind.CONTENT, CONTENT)):
        path = _jsonl(tmp_path / f"{kind.value}.jsonl", rows)
        summary = import_file(database, path, kind, principal="system:test", clock=clock)
        assert summary.rejected == 0


def _decisions(database: Database) -> list[tuple[str, str, str | None, str, str | None, datetime]]:
    with database.transaction() as session:
        from bastion.store.schema import ContentItem

        rows = session.execute(
            select(
                ContentItem.external_id,
                Rater.name,
                Rater.vendor,
                ImportedDecision.label,
                ImportedDecision.queue,
                ImportedDecision.decided_at,
            )
            .join(ContentItem, ContentItem.pk == ImportedDecision.content_pk)
            .join(Rater, Rater.pk == ImportedDecision.rater_pk)
            .order_by(ContentItem.external_id, Rater.name)
        )
        return [(c, r, v, label, q, as_utc(at)) for c, r, v, label, q, at in rows]


ROWS: list[Any] = [
    {"content_id": "c0", "reviewer_id": "ana", "label": "hate_speech", "decided_at": "2026-03-01T10:00:00Z"},
    {"content_id": "c0", "reviewer_id": "ext-7", "label": "none", "queue": "vendor_q"},
    {"content_id": "c1", "reviewer_id": "ext-7", "label": "spam"},
    {"content_id": "ghost", "reviewer_id": "ext-7", "label": "spam"},
    {"content_id": "c2", "reviewer_id": "ext-7", "decided_at": "yesterday"},
    "{not json",
    {"content_id": "c2", "reviewer_id": "ext-8", "label": "none", "decided_at": "2026-03-01T11:00:00+01:00"},
]


def test_decisions_are_imported_with_their_raters_and_a_rerun_adds_nothing(
    database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    _with_content(database, clock, tmp_path)
    make_user(database, clock, "ana", Role.VENDOR_REVIEWER, vendor="acme")
    events_before = _count(database, Event)
    path = _jsonl(tmp_path / "decisions.jsonl", ROWS)

    first = import_file(database, path, IngestKind.DECISIONS, principal="system:test", clock=clock)
    assert (first.rows, first.created, first.duplicates, first.rejected) == (7, 4, 0, 3)
    errors = sorted((e.line, e.path, e.message) for e in first.errors)
    assert errors == [
        (4, "content_id", "no content with this id; import the content first"),
        (5, "decided_at", "must be a date-time in ISO 8601, such as 2026-10-31T07:12:00Z"),
        (5, "label", "required field is missing"),
        (6, "", errors[3][2]),
    ]
    assert errors[3][2].startswith("not valid JSON")
    now = clock()
    assert _decisions(database) == [
        ("c0", "ana", "acme", "hate_speech", None, datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("c0", "ext-7", None, "none", "vendor_q", now),  # no time given: the import's
        ("c1", "ext-7", None, "spam", None, now),
        ("c2", "ext-8", None, "none", None, datetime(2026, 3, 1, 10, tzinfo=UTC)),
    ]
    with database.transaction() as session:
        raters = {r.name: r for r in session.scalars(select(Rater))}
        ana = session.scalars(select(User).where(User.name == "ana")).one()
        assert raters["ana"].user_pk == ana.pk
        assert raters["ext-7"].user_pk is None and raters["ext-8"].user_pk is None
        # External raters are names only: nobody can log in as them.
        assert session.scalar(select(func.count()).select_from(User).where(User.name.like("ext-%"))) == 0
        events = session.scalars(select(Event).where(Event.kind == EventKind.DECISION_IMPORTED.value)).all()
        audit = session.scalars(select(AuditRecord).where(AuditRecord.action == "import.decisions")).all()
    assert len(events) == 4 == _count(database, Event) - events_before
    assert {e.data["rater"] for e in events} == {"ana", "ext-7", "ext-8"}
    assert [(a.target, a.details["created"], a.details["errors"]) for a in audit] == [("decisions.jsonl", 4, 2)]

    clock.advance(timedelta(hours=1))  # a later run: rows without a time are still the same decisions
    second = import_file(database, path, IngestKind.DECISIONS, principal="system:test", clock=clock)
    assert (second.created, second.duplicates, second.rejected) == (0, 4, 3)
    assert _count(database, ImportedDecision) == 4
    assert _count(database, Event) == events_before + 4


def test_a_repeated_row_in_one_file_is_a_duplicate(database: Database, clock: FrozenClock, tmp_path: Path) -> None:
    _with_content(database, clock, tmp_path)
    row = {"content_id": "c3", "reviewer_id": "ext-1", "label": "none"}
    timed = {**row, "decided_at": "2026-03-01T10:00:00Z"}
    path = _jsonl(tmp_path / "decisions.jsonl", [row, row, timed, timed, {**timed, "label": "spam"}])
    summary = import_file(database, path, IngestKind.DECISIONS, principal="system:test", clock=clock)
    # The untimed row is the rater's one decision on the item; timed rows are known by their time.
    assert (summary.created, summary.duplicates, summary.rejected) == (2, 3, 0)


def test_csv_and_parquet_decisions_import_like_jsonl(database: Database, clock: FrozenClock, tmp_path: Path) -> None:
    _with_content(database, clock, tmp_path)
    rows = [
        {"content_id": "c0", "reviewer_id": "r1", "label": "spam", "decided_at": "2026-03-01T10:00:00Z", "queue": ""},
        {"content_id": "c1", "reviewer_id": "r2", "label": "none", "decided_at": "", "queue": "q1"},
        {"content_id": "nope", "reviewer_id": "r2", "label": "none", "decided_at": "", "queue": ""},
    ]
    csv_path = tmp_path / "decisions.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    from_csv = import_file(database, csv_path, IngestKind.DECISIONS, principal="system:test", clock=clock)
    assert (from_csv.created, from_csv.rejected) == (2, 1)
    assert [(e.line, e.path) for e in from_csv.errors] == [(4, "content_id")]

    parquet_path = tmp_path / "decisions.parquet"
    table = pa.table(
        {
            "content_id": ["c2", "c0", "c3"],
            "reviewer_id": ["r1", "r1", "r3"],
            "label": ["spam", "spam", None],
            "decided_at": [datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 1, 10, tzinfo=UTC), None],
        }
    )
    pq.write_table(table, parquet_path)
    from_parquet = import_file(database, parquet_path, IngestKind.DECISIONS, principal="system:test", clock=clock)
    assert (from_parquet.created, from_parquet.duplicates, from_parquet.rejected) == (1, 1, 1)
    assert [(e.line, e.path) for e in from_parquet.errors] == [(3, "label")]
    assert [(c, r, label, q) for c, r, _, label, q, _ in _decisions(database)] == [
        ("c0", "r1", "spam", None),
        ("c1", "r2", "none", "q1"),
        ("c2", "r1", "spam", None),
    ]


@pytest.mark.parametrize(
    ("row", "path", "message"),
    [
        ({"content_id": "c0", "reviewer_id": "r", "label": ""}, "label", "must not be empty"),
        ({"content_id": "c0", "reviewer_id": "r" * 129, "label": "x"}, "reviewer_id", "must be at most 128 characters"),
        ({"content_id": "c0", "reviewer_id": 203, "label": "x"}, "reviewer_id", "must be a string"),
        ({"content_id": "c0", "reviewer_id": "r", "label": "x", "queue": "q" * 65}, "queue", "must be at most 64"),
        ({"content_id": "c0", "reviewer_id": "r", "label": "x", "verdict": "x"}, "verdict", "unknown field"),
        ({"reviewer_id": "r", "label": "x"}, "content_id", "required field is missing"),
    ],
)
def test_bad_fields_are_named_with_the_reason(
    sqlite_database: Database, clock: FrozenClock, tmp_path: Path, row: dict[str, Any], path: str, message: str
) -> None:
    summary = import_file(
        sqlite_database,
        _jsonl(tmp_path / "decisions.jsonl", [row]),
        IngestKind.DECISIONS,
        principal="system:test",
        clock=clock,
    )
    assert [(e.line, e.path) for e in summary.errors] == [(1, path)]
    assert summary.errors[0].message.startswith(message)
    assert _count(sqlite_database, ImportedDecision) == 0 == _count(sqlite_database, Rater)


def test_the_command_imports_decisions(
    run_bastion: Bastion,  # noqa: F811 - the fixture imported above
    sqlite_database: Database,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    _with_content(sqlite_database, clock, tmp_path)
    path = _jsonl(tmp_path / "decisions.jsonl", ROWS)
    ran = run_bastion("import", str(path), "--kind", "decisions", url=sqlite_database.url)
    assert ran.code == 0, ran.err
    assert ran.out == "decisions.jsonl: 7 rows read · 4 created · 0 already known · 3 rows rejected\n"
    assert "line 4: content_id: no content with this id; import the content first" in ran.err.splitlines()


def test_the_api_takes_decisions_from_those_who_manage_quality(
    client: TestClient, database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    _with_content(database, clock, tmp_path)
    body = {"items": [{"content_id": "c0", "reviewer_id": "ext-1", "label": "spam"}]}
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    refused = client.post("/api/v1/imported-decisions", json=body, headers=platform)
    assert refused.status_code == 403
    assert "quality.manage" in refused.json()["error"]["message"]
    assert _count(database, ImportedDecision) == 0

    qa = bearer(api_key(database, clock, role=Role.QA))
    response = client.post("/api/v1/imported-decisions", json=body, headers=qa)
    assert response.status_code == 200, response.text
    assert (response.json()["created"], response.json()["items"][0]["id"]) == (1, "c0")
    unknown = {"items": [{**body["items"][0], "content_id": "x"}]}
    bad = client.post("/api/v1/imported-decisions", json=unknown, headers=qa)
    assert bad.status_code == 422
    assert bad.json()["items"][0]["errors"] == [
        {"path": "items[0].content_id", "message": "no content with this id; import the content first"}
    ]
