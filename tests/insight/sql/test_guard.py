"""The console's parser check: one SELECT over the documented views passes; everything else is refused,
each with its reason in Bastion's words."""

from __future__ import annotations

import pytest

from bastion.errors import InvalidInput
from bastion.insight.sql.guard import MAX_SQL_CHARS, check_query

REFUSED = [
    ("INSERT INTO content (pk) VALUES (1)", "writes (INSERT)"),
    ("UPDATE content SET text = ''", "writes (UPDATE)"),
    ("DELETE FROM content", "writes (DELETE)"),
    ("CREATE TABLE x AS SELECT 1", "CREATE"),
    ("DROP TABLE content", "DROP"),
    ("ATTACH '/tmp/other.db' AS other", "ATTACH"),
    ("DETACH store", "DETACH"),
    ("COPY content TO '/tmp/content.csv'", "COPY"),
    ("COPY content FROM '/etc/passwd'", "COPY"),
    ("SELECT * FROM read_csv('/etc/passwd')", "read_csv()"),
    ("SELECT * FROM read_csv_auto('/etc/passwd')", "read_csv_auto()"),
    ("SELECT * FROM read_parquet('/tmp/x.parquet')", "read_parquet()"),
    ("SELECT * FROM read_json('/tmp/x.json')", "read_json()"),
    ("SELECT * FROM read_text('/etc/passwd')", "read_text()"),
    ("SELECT * FROM read_blob('/etc/passwd')", "read_blob()"),
    ("SELECT * FROM glob('/etc/*')", "glob()"),
    ("SELECT * FROM sqlite_scan('/tmp/x.db', 'users')", "sqlite_scan()"),
    ("SELECT * FROM '/etc/passwd'", "'/etc/passwd' is not one of the console's views"),
    ("SELECT * FROM 'https://example.org/x.csv'", "is not one of the console's views"),
    ("SELECT pk FROM content WHERE pk IN (SELECT 1 FROM read_csv('/etc/passwd'))", "read_csv()"),
    ("WITH f AS (SELECT * FROM read_parquet('x.parquet')) SELECT * FROM f", "read_parquet()"),
    ("INSTALL httpfs", "installing or loading extensions"),
    ("LOAD httpfs", "installing or loading extensions"),
    ("LOAD '/tmp/evil.duckdb_extension'", "installing or loading extensions"),
    ("SET enable_external_access = true", "changing settings"),
    ("RESET threads", "changing settings"),
    ("PRAGMA database_list", "PRAGMA"),
    ("CALL pragma_version()", "CALL"),
    ("EXPORT DATABASE '/tmp/out'", "EXPORT DATABASE"),
    ("IMPORT DATABASE '/etc'", "reading files"),
    ("SELECT 1; SELECT 2", "one statement at a time (2 found"),
    ("SELECT 1;SELECT * FROM users", "one statement at a time"),
    ("BEGIN TRANSACTION", "transactions"),
    ("DESCRIBE content", "show ref"),
    ("SUMMARIZE content", "show ref"),
    ("SELECT * FROM users", "'users' is not one of the console's views"),
    ("SELECT * FROM api_keys", "'api_keys' is not one of the console's views"),
    ("SELECT * FROM audit_log", "'audit_log' is not one of the console's views"),
    ("SELECT * FROM content_items", "'content_items' is not one of the console's views"),
    ("SELECT * FROM store.users", "'store.users' is not one of the console's views"),
    ("SELECT * FROM main.content", "'main.content'"),
    ("SELECT * FROM information_schema.tables", "'information_schema.tables'"),
    ("SELECT * FROM duckdb_settings()", "duckdb_settings()"),
    ("SELECT (SELECT count(*) FROM web_sessions)", "'web_sessions' is not one of the console's views"),
    ("SELEC 1", "not valid SQL"),
    ("", "the query is empty"),
    ("   ", "the query is empty"),
]


@pytest.mark.parametrize(("sql", "reason"), REFUSED)
def test_refused_with_the_reason(sql: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_query(sql)
    assert refused.value.message.startswith("the SQL console refuses this query: ")
    assert reason in refused.value.message
    assert [e.path for e in refused.value.errors] == ["sql"]


def test_a_query_too_long_is_refused_before_parsing() -> None:
    with pytest.raises(InvalidInput, match="longer than 20,000 characters"):
        check_query("SELECT 1 " + " " * MAX_SQL_CHARS + "-- x")


@pytest.mark.parametrize(
    ("sql", "views"),
    [
        ("SELECT 1", set()),
        ("select count(*) from content", {"content"}),
        ("FROM content", {"content"}),
        ("SELECT * FROM CONTENT c JOIN actors a ON a.pk = c.actor_pk", {"content", "actors"}),
        ("WITH daily AS (SELECT date_trunc('day', created_at) d FROM reports) SELECT d, count(*) FROM daily GROUP BY d",
         {"reports"}),
        ("SELECT * FROM jobs WHERE pk IN (SELECT job_pk FROM decisions)", {"jobs", "decisions"}),
        ("SELECT * FROM range(10)", set()),
        ("SELECT unnest([1, 2])", set()),
        ("SELECT kind FROM events UNION ALL SELECT kind FROM jobs", {"events", "jobs"}),
        ("  SELECT 1;  ", set()),
    ],
)  # fmt: skip
def test_one_select_over_the_views_passes_with_the_views_it_reads(sql: str, views: set[str]) -> None:
    checked = check_query(sql)
    assert checked.views == views
    assert checked.sql == sql.strip()


@pytest.mark.parametrize(
    ("sql", "columns"),
    [
        ("SELECT count(*) FROM content", set()),
        ("SELECT c.country, count(*) FROM content c GROUP BY ALL", {"c", "country"}),
        ("SELECT 1 FROM content JOIN actors USING (pk)", {"pk"}),
        ("SELECT data->>'$.policy' FROM events WHERE kind = 'x'", {"data", "kind"}),
        ("SELECT * FROM content", None),
        ("SELECT c.* FROM content c", None),
        ("SELECT COLUMNS('.*_at') FROM content", None),
        ("SELECT 1 FROM content NATURAL JOIN actors", None),
    ],
)
def test_the_columns_a_query_mentions_or_none_for_every_column(sql: str, columns: set[str] | None) -> None:
    assert check_query(sql).columns == (None if columns is None else frozenset(columns))
