"""`POST /api/v1/sql` and the saved-query routes over real HTTP, on SQLite and PostgreSQL: the answer's
shape, the refusals the issue names (422, saying why), the roles, the audit record, and who may change
a saved query."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from bastion.store.schema import AuditRecord
from tests.conftest import api_key, bearer

REFUSALS = {
    "INSERT INTO content (pk) VALUES (1)": "writes (INSERT)",
    "ATTACH '/tmp/x.db' AS x": "attaching databases (ATTACH)",
    "COPY content TO '/tmp/content.csv'": "reading or writing files (COPY)",
    "SELECT * FROM read_csv('/etc/passwd')": "the table function read_csv() reads outside the console's views",
    "INSTALL httpfs": "installing or loading extensions",
    "LOAD httpfs": "installing or loading extensions",
    "SET threads = 1": "changing settings (SET, RESET)",
    "PRAGMA database_list": "not PRAGMA",
    "SELECT 1; SELECT 2": "one statement at a time",
    "SELECT name, password_hash FROM users": "'users' is not one of the console's views",
}


def _audit(database: Database, action: str) -> list[AuditRecord]:
    with database.transaction() as session:
        rows = session.scalars(select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.seq))
        return list(rows)


def test_an_analyst_runs_a_query_and_it_is_audited_without_its_results(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    analyst = bearer(api_key(database, clock, role=Role.ANALYST, user=None))
    sql = "SELECT policy_id, severity FROM policies WHERE version = 1 ORDER BY policy_id LIMIT 3"
    answer = client.post("/api/v1/sql", json={"sql": sql}, headers=analyst)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"columns", "rows", "truncated", "elapsed_ms"}
    assert body["columns"] == [{"name": "policy_id", "type": "VARCHAR"}, {"name": "severity", "type": "BIGINT"}]
    assert len(body["rows"]) == 3 and body["truncated"] is False and body["elapsed_ms"] > 0
    (record,) = _audit(database, "sql.run")
    assert record.details["sql"] == sql and record.details["rows"] == 3 and record.details["truncated"] is False
    assert record.principal.startswith("apikey:")
    assert body["rows"][0][0] not in str(record.details).replace(sql, "")  # the SQL, never the answer


def test_the_answer_says_when_rows_were_cut(client: TestClient, database: Database, clock: FrozenClock) -> None:
    admin = bearer(api_key(database, clock, role=Role.ADMIN))
    body = client.post("/api/v1/sql", json={"sql": "SELECT range FROM range(10005)"}, headers=admin).json()
    assert body["truncated"] is True and len(body["rows"]) == 10_000 and body["rows"][-1] == [9_999]


@pytest.mark.parametrize(("sql", "reason"), REFUSALS.items())
def test_each_refusal_is_a_422_naming_why_and_is_audited(
    client: TestClient, database: Database, clock: FrozenClock, sql: str, reason: str
) -> None:
    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    answer = client.post("/api/v1/sql", json={"sql": sql}, headers=analyst)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_input" and reason in error["message"]
    assert error["details"][0]["path"] == "sql"
    (record,) = _audit(database, "sql.refused")
    assert record.details["sql"] == sql and reason in record.details["reason"]


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.INVESTIGATOR, Role.QA, Role.VENDOR_REVIEWER, Role.PLATFORM])
def test_only_analysts_and_admins_may_query(
    client: TestClient, database: Database, clock: FrozenClock, role: Role
) -> None:
    other = bearer(api_key(database, clock, role=role))
    assert client.post("/api/v1/sql", json={"sql": "SELECT 1"}, headers=other).status_code == 403
    assert client.get("/api/v1/sql/queries", headers=other).status_code == 403
    assert client.post("/api/v1/sql", json={"sql": "SELECT 1"}).status_code == 401
    assert _audit(database, "sql.run") == []


def test_saved_queries_are_owned_shared_and_changed_by_their_owner_or_an_admin(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    ana = bearer(api_key(database, clock, role=Role.ANALYST))
    bo = bearer(api_key(database, clock, role=Role.ANALYST))
    admin = bearer(api_key(database, clock, role=Role.ADMIN))
    body = {"name": "Reports by reason", "sql": "SELECT reason, count(*) FROM reports GROUP BY reason"}
    made = client.post("/api/v1/sql/queries", json=body, headers=ana)
    assert made.status_code == 200, made.text
    query = made.json()
    assert query["shared"] is False and query["can_edit"] is True
    path = f"/api/v1/sql/queries/{query['id']}"
    assert client.get("/api/v1/sql/queries", headers=bo).json() == []
    assert client.get(path, headers=bo).status_code == 404  # another's unshared query is not told apart
    assert client.post("/api/v1/sql/queries", json=body, headers=bo).status_code == 409  # names are unique
    shared = client.put(path, json=body | {"shared": True, "description": "per day"}, headers=ana)
    assert shared.status_code == 200 and shared.json()["shared"] is True
    listed = client.get("/api/v1/sql/queries", headers=bo).json()
    assert [(q["name"], q["can_edit"]) for q in listed] == [("Reports by reason", False)]
    assert client.put(path, json=body, headers=bo).status_code == 403
    assert client.delete(path, headers=bo).status_code == 403
    refused = client.post("/api/v1/sql/queries", json={"name": "bad", "sql": "DROP TABLE content"}, headers=bo)
    assert refused.status_code == 422 and "DROP" in refused.json()["error"]["message"]
    assert client.post("/api/v1/sql/queries", json={"name": " ", "sql": "SELECT 1"}, headers=bo).status_code == 422
    assert client.delete(path, headers=admin).json()["name"] == "Reports by reason"
    assert client.get(path, headers=ana).status_code == 404
    assert [r.action for r in _audit(database, "sql.save") + _audit(database, "sql.update")] == [
        "sql.save",
        "sql.update",
    ]
    (deleted,) = _audit(database, "sql.delete")
    assert deleted.details == {"name": "Reports by reason"}
