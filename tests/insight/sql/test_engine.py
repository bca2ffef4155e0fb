"""Running console queries in DuckDB over the store, on SQLite and PostgreSQL: the views hold what the
simulator sent, private fields never show, rows are capped, slow queries stop, and a query that got
past the parser still can reach nothing but the views it named."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import text

from bastion.clock import FrozenClock
from bastion.domain.subjects import IngestKind
from bastion.errors import InvalidInput
from bastion.ingest.service import ingest
from bastion.insight.sql.catalog import VIEWS, column_type
from bastion.insight.sql.console import private_fields
from bastion.insight.sql.engine import QueryResult, run_checked, store_location
from bastion.insight.sql.guard import CheckedQuery, check_query
from bastion.store.database import Database
from tests.insight.sql.conftest import simulated_store


def _private(database: Database) -> tuple[str, ...]:
    with database.transaction() as session:
        return private_fields(session)


def _run(database: Database, sql: str, **kw: object) -> QueryResult:
    query, location = check_query(sql), store_location(database.url)
    return run_checked(query, location, private_fields=_private(database), **kw)  # type: ignore[arg-type]


def _unchecked(database: Database, sql: str) -> QueryResult:
    return run_checked(CheckedQuery(sql, frozenset({"content"})), store_location(database.url), private_fields=())


def test_the_views_hold_what_the_simulator_sent(database: Database, clock: FrozenClock) -> None:
    sent = simulated_store(database, clock)
    counts = _run(
        database,
        "SELECT (SELECT count(*) FROM content), (SELECT count(*) FROM actors), (SELECT count(*) FROM reports),"
        " (SELECT count(*) FROM views), (SELECT count(*) FROM events WHERE kind = 'content.created')",
    )
    assert counts.rows == ((sent.content, sent.actors, sent.reports, sent.views, sent.content),)
    by_country = _run(database, "SELECT country, count(*) AS n FROM content GROUP BY country ORDER BY n DESC")
    assert [c.name for c in by_country.columns] == ["country", "n"]
    assert {str(country): n for country, n in by_country.rows} == dict(sent.content_by_country)
    joined = _run(database, "SELECT count(*) FROM content c JOIN actors a ON a.pk = c.actor_pk")
    assert joined.rows == ((sent.content,),)
    # The default configuration's private fields (ip, device_id, ...) never leave the store.
    attributes = _run(database, "SELECT attributes FROM actors")
    assert len(attributes.rows) == sent.actors
    assert all("ip" not in a and "device_id" not in a and "followers" in a for (a,) in attributes.rows)


def test_every_view_has_the_same_types_on_every_backend(database: Database) -> None:
    for view in VIEWS:
        result = _run(database, f"SELECT * FROM {view.name} LIMIT 0")
        assert [(c.name, c.type) for c in result.columns] == [(c.name, column_type(view, c)) for c in view.columns]


def test_rows_are_capped_and_the_answer_says_it_was_cut(database: Database) -> None:
    cut = _run(database, "SELECT range AS n FROM range(25)", row_limit=10)
    assert cut.truncated and [r[0] for r in cut.rows] == list(range(10))
    whole = _run(database, "SELECT range AS n FROM range(10)", row_limit=10)
    assert not whole.truncated and len(whole.rows) == 10


def test_a_slow_query_is_stopped_when_its_time_is_up(sqlite_database: Database) -> None:
    started = time.monotonic()
    with pytest.raises(InvalidInput, match=r"ran longer than 0.5 s and was stopped"):
        _run(sqlite_database, "SELECT count(*) FROM range(100000000) a, range(100000000) b", time_limit=0.5)
    assert time.monotonic() - started < 10


def test_values_come_back_as_json_carries_them(database: Database) -> None:
    result = _run(
        database,
        "SELECT TIMESTAMP '2026-11-02 09:00:00' AS t, 1.5::DECIMAL(4,2) AS d, 'nan'::DOUBLE AS f,"
        " '{\"a\": [1]}'::JSON AS j, [1, 2] AS l, NULL AS n, true AS b",
    )
    assert result.rows == (("2026-11-02T09:00:00", 1.5, None, {"a": [1]}, [1, 2], None, True),)


def test_a_failing_query_says_why_in_one_line(database: Database) -> None:
    with pytest.raises(InvalidInput, match=r"the query failed: Binder Error: .*nope") as failed:
        _run(database, "SELECT nope FROM content")
    assert failed.value.errors[0].path == "sql"


# Defence in depth: these bypass the parser check on purpose, as a parser bug would.
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM store.users",
        "SELECT * FROM store.api_keys",
        "SELECT * FROM users",
        "SELECT * FROM duckdb_extensions()",
        "SELECT getenv('HOME')",
        "INSTALL httpfs",
        "LOAD '/tmp/evil.duckdb_extension'",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "PRAGMA enable_external_access",
    ],
)
def test_past_the_parser_the_locked_connection_still_refuses(database: Database, sql: str) -> None:
    with pytest.raises(InvalidInput, match="the query failed"):
        _unchecked(database, sql)


def test_past_the_parser_nothing_can_be_attached_or_written(sqlite_database: Database, tmp_path: Path) -> None:
    location = store_location(sqlite_database.url)
    assert _private(sqlite_database) == ("device_id", "email", "ip", "phone")  # the default configuration's
    target = tmp_path / "out.csv"
    for sql in (
        f"COPY content TO '{target}'",
        f"ATTACH '{location.target}' AS again (TYPE sqlite)",
        f"ATTACH '{tmp_path / 'new.db'}' AS fresh",
        f"EXPORT DATABASE '{tmp_path / 'export'}'",
    ):
        with pytest.raises(InvalidInput, match="the query failed"):
            _unchecked(sqlite_database, sql)
    assert {p.name.split("-wal")[0].split("-shm")[0] for p in tmp_path.iterdir()} == {"bastion-sqlite-only.db"}
    # Writing to the in-memory copy is possible past the parser, and changes nothing in the store.
    wrote = _unchecked(sqlite_database, "DELETE FROM content")
    assert wrote.rows == ((0,),)


def test_private_fields_go_at_any_depth_in_any_case_even_spelled_with_escapes(
    sqlite_database: Database, clock: FrozenClock
) -> None:
    """The default configuration's private fields (ip, device_id, email, phone), sent in every shape."""
    attributes = {
        "IP": "203.0.113.9",
        "contact": {"Email": "a@example.org", "city": "Recife"},
        "devices": [{"device_id": "d-1", "os": "android"}, {"Phone": "+55"}],
        "followers": 3,
    }
    with sqlite_database.transaction() as session:
        actor = {"id": "a1", "created_at": clock().isoformat(), "attributes": attributes}
        ingest(session, IngestKind.ACTORS, [actor], principal="user:t", now=clock())
        escaped = {"id": "a2", "created_at": clock().isoformat(), "attributes": {"ok": 1}}
        ingest(session, IngestKind.ACTORS, [escaped], principal="user:t", now=clock())
        # A document whose key is spelled with a JSON escape ("\u0069p" is "ip"), as another writer may.
        session.execute(
            text("UPDATE actors SET attributes = :doc WHERE external_id = 'a2'"),
            {"doc": '{"\\u0069p": "198.51.100.1", "ok": 1}'},
        )
    result = _run(sqlite_database, "SELECT external_id, attributes FROM actors ORDER BY external_id")
    assert result.rows == (
        ("a1", {"contact": {"city": "Recife"}, "devices": [{"os": "android"}, {}], "followers": 3}),
        ("a2", {"ok": 1}),
    )
    assert "203.0.113.9" not in str(_run(sqlite_database, "SELECT * FROM events").rows)


def test_only_the_columns_a_query_mentions_are_copied_and_the_answer_is_the_same(sqlite_database: Database) -> None:
    pruned = _run(sqlite_database, "SELECT count(*) AS n, count(DISTINCT severity) AS s FROM policies")
    whole = _run(sqlite_database, "SELECT count(*) AS n, count(DISTINCT severity) AS s FROM (SELECT * FROM policies)")
    assert pruned.rows == whole.rows and pruned.rows[0][0] > 0
    # A column the query never names was not copied: reaching it some other way finds nothing.
    with pytest.raises(InvalidInput, match="title"):
        _run(sqlite_database, "SELECT pk, policy_id FROM policies WHERE struct_extract(policies, 'title') IS NULL")
