"""What a console query may be: one SELECT (or WITH ... SELECT) over the documented views, nothing else.

The query is parsed by DuckDB itself, the engine that will run it, so the check and the run read the
same statement: `extract_statements` splits it (more than one is refused) and names its type (only
SELECT passes); `json_serialize_sql` gives its syntax tree, which is walked for every table it reads.
A table must be one of the views (`catalog.VIEWS`) or a name the query itself defines with WITH; a
schema or catalog prefix (`store.users`), a file name (`FROM '/etc/passwd'`) and any table function
(`read_csv`, `read_parquet`, `glob`, ...) except the few that make rows from nothing are refused.

This allow-list is the first wall, not the only one: the run happens in a DuckDB that holds only the
views the query names, with external access off and its configuration locked (`engine.py`), so a
query that slipped past the parser still finds nothing else to read and no file to open.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb

from bastion.errors import FieldError, InvalidInput
from bastion.insight.sql.catalog import VIEW_NAMES

MAX_SQL_CHARS = 20_000
# Table functions that read nothing outside the query: rows from a range or a list.
ROW_MAKERS = frozenset({"range", "generate_series", "unnest"})
# Table references that are a source of rows made inside the query.
_INNER_REFS = frozenset({"JOIN", "SUBQUERY", "EMPTY", "EXPRESSION_LIST", "PIVOT"})
_WORDS = {
    "INSERT": "writes (INSERT)",
    "UPDATE": "writes (UPDATE)",
    "DELETE": "writes (DELETE)",
    "CREATE": "creating tables or views (CREATE)",
    "DROP": "dropping (DROP)",
    "ALTER": "changing tables (ALTER)",
    "ATTACH": "attaching databases (ATTACH)",
    "DETACH": "detaching databases (DETACH)",
    "COPY": "reading or writing files (COPY)",
    "COPY_DATABASE": "copying databases (COPY)",
    "EXPORT": "exporting the database (EXPORT DATABASE)",
    "LOAD": "installing or loading extensions (INSTALL, LOAD)",
    "SET": "changing settings (SET, RESET)",
    "VARIABLE_SET": "changing settings (SET, RESET)",
    "PRAGMA": "changing settings (PRAGMA)",
    "CALL": "calling procedures (CALL)",
    "TRANSACTION": "transactions (BEGIN, COMMIT)",
    "PREPARE": "prepared statements (PREPARE)",
    "EXECUTE": "prepared statements (EXECUTE)",
    "EXPLAIN": "EXPLAIN",
    "VACUUM": "VACUUM",
    "UPDATE_EXTENSIONS": "installing or loading extensions (UPDATE EXTENSIONS)",
}


_FIRST_WORD = re.compile(r"\s*([A-Za-z]+)")


@dataclass(frozen=True)
class CheckedQuery:
    """A query the console may run, the views it reads, and the column names it mentions (None: every
    column, for `*`, `COLUMNS(...)` or a NATURAL JOIN, whose meaning depends on the columns present)."""

    sql: str
    views: frozenset[str]
    columns: frozenset[str] | None = None


def refused(reason: str) -> InvalidInput:
    return InvalidInput(f"the SQL console refuses this query: {reason}", [FieldError("sql", reason)])


def check_query(sql: str) -> CheckedQuery:
    """`sql` if the console may run it, with the views it reads; else `InvalidInput` saying why."""
    text = sql.strip()
    if not text:
        raise refused("the query is empty")
    if len(text) > MAX_SQL_CHARS:
        raise refused(f"the query is longer than {MAX_SQL_CHARS:,} characters")
    parser = _parser()
    try:
        try:
            # Parsed by a connection without file access: DuckDB reads IMPORT DATABASE's files while parsing.
            statements = parser.extract_statements(text)
        except duckdb.PermissionException:
            raise refused("only SELECT is allowed, not reading files") from None
        except duckdb.Error as error:
            raise refused(f"it is not valid SQL ({_first_line(error)})") from None
        if len(statements) != 1:
            raise refused(f"one statement at a time ({len(statements)} found: stacked statements are not run)")
        kind = statements[0].type.name
        if kind != "SELECT":
            raise refused(f"only SELECT is allowed, not {_WORDS.get(kind, kind)}")
        tree = _syntax_tree(parser, text)
    finally:
        parser.close()
    defined = set(_with_names(tree))
    read: set[str] = set()
    for ref in _table_refs(tree):
        _check_ref(ref, defined, read)
    return CheckedQuery(sql=text, views=frozenset(read & VIEW_NAMES), columns=_mentioned_columns(tree))


def _parser() -> duckdb.DuckDBPyConnection:
    parser = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    parser.execute("SET enable_external_access = false")
    parser.execute("SET lock_configuration = true")
    return parser


def _syntax_tree(parser: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any]:
    row = parser.execute("SELECT json_serialize_sql($1)", [sql]).fetchone()
    assert row is not None
    tree: dict[str, Any] = json.loads(row[0])
    if tree.get("error"):
        # PRAGMA and SHOW parse as SELECT statements, but are not plain ones.
        word = _FIRST_WORD.match(sql)
        raise refused(f"only a plain SELECT is allowed, not {word.group(1).upper() if word else 'this statement'}")
    return tree


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _with_names(tree: dict[str, Any]) -> Iterator[str]:
    for node in _walk(tree):
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            for entry in cte_map.get("map", []):
                yield str(entry["key"]).lower()


def _table_refs(tree: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every table reference of the query: FROM and JOIN items at any depth, in subqueries and WITH too.
    Expressions carry a `class`, query nodes a type ending in `_NODE`; table references neither."""
    for node in _walk(tree):
        kind = str(node.get("type", ""))
        if "class" not in node and "sample" in node and "alias" in node and not kind.endswith("_NODE"):
            yield node


def _mentioned_columns(tree: dict[str, Any]) -> frozenset[str] | None:
    """Every name a column reference mentions (`c.text` gives `c` and `text`), and USING columns: a
    superset of the columns the query reads, so that only those are copied. A column left out can only
    make the query fail (an unknown column), never show more."""
    names: set[str] = set()
    for node in _walk(tree):
        if node.get("class") == "STAR" or node.get("ref_type") == "NATURAL":
            return None
        if node.get("class") == "COLUMN_REF":
            names.update(str(name).lower() for name in node.get("column_names", []))
        names.update(str(name).lower() for name in node.get("using_columns", []) or [])
    return frozenset(names)


def _check_ref(ref: dict[str, Any], defined: set[str], read: set[str]) -> None:
    kind = ref.get("type")
    if kind == "BASE_TABLE":
        name = str(ref.get("table_name", ""))
        prefix = ".".join(p for p in (ref.get("catalog_name"), ref.get("schema_name")) if p)
        if prefix:
            raise refused(f"'{prefix}.{name}' is not one of the console's views (name a view without a prefix)")
        folded = name.lower()
        if folded not in VIEW_NAMES and folded not in defined:
            raise refused(f"'{name}' is not one of the console's views (see the SQL console in docs/insight.md)")
        read.add(folded)
        return
    if kind == "TABLE_FUNCTION":
        function = ref.get("function") or {}
        name = str(function.get("function_name", "")).lower()
        if name not in ROW_MAKERS:
            raise refused(f"the table function {name}() reads outside the console's views")
        return
    if kind in _INNER_REFS:
        return
    raise refused(f"this kind of table ({str(kind).lower().replace('_', ' ')}) is not allowed")


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0][:200]
