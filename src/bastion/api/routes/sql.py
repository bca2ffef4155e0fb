"""The SQL console over REST: run one read-only query over the documented views, and the saved queries.
Analysts and admins only (`insight.sql`); every query is recorded in the audit log by the service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bastion.api.contract import Shape, api_router, errors, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.insight.sql.console import run_query
from bastion.insight.sql.engine import ROW_LIMIT, TIME_LIMIT_SECONDS, QueryResult
from bastion.insight.sql.guard import MAX_SQL_CHARS
from bastion.insight.sql.saved import (
    DESCRIPTION_CHARS,
    NAME_CHARS,
    delete_query,
    list_saved,
    open_saved,
    save_query,
    update_query,
)

router = api_router("sql")
can_query = requires(Permission.INSIGHT_SQL)
QueryId = Annotated[int, Path(ge=1, le=2**53, description="The saved query's id")]
SqlText = Annotated[str, StringConstraints(max_length=MAX_SQL_CHARS)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SqlRequest(Body):
    sql: SqlText = Field(description="One SELECT (or WITH ... SELECT) over the views documented in docs/insight.md")


class SqlColumn(Shape):
    name: str
    type: str = Field(description="DuckDB's name of the type: VARCHAR, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP, JSON, ...")


class SqlAnswer(Shape):
    columns: list[SqlColumn]
    rows: list[list[Any]] = Field(description="Times as ISO 8601 text in UTC; JSON columns as JSON values")
    truncated: bool = Field(description=f"More rows matched than the cap ({ROW_LIMIT:,}): only the first are here")
    elapsed_ms: float


class SavedQueryBody(Body):
    name: Annotated[str, StringConstraints(max_length=NAME_CHARS)]
    sql: SqlText
    description: Annotated[str, StringConstraints(max_length=DESCRIPTION_CHARS)] = ""
    shared: bool = Field(False, description="Listed for every analyst, not only for its owner")


class SavedQueryView(Shape):
    id: int
    name: str
    sql: str
    description: str
    owner: str
    shared: bool
    created_at: datetime
    updated_at: datetime
    can_edit: bool = Field(description="The one asking may change or delete it (its owner, or an admin)")


def answer(result: QueryResult) -> SqlAnswer:
    return SqlAnswer(
        columns=[SqlColumn(name=c.name, type=c.type) for c in result.columns],
        rows=[list(row) for row in result.rows],
        truncated=result.truncated,
        elapsed_ms=result.elapsed_ms,
    )


@router.post(
    "/sql",
    summary=f"Run one read-only SQL query over the documented views ({ROW_LIMIT:,} rows, {TIME_LIMIT_SECONDS:g} s)",
    response_model=SqlAnswer,
)
def post_sql(
    body: SqlRequest, principal: Principal = Depends(can_query), context: AppContext = Depends(app_context)
) -> Response:
    """Writes, file access, extensions, ATTACH, settings and stacked statements are refused (422, saying
    why). Recorded in the audit log as `sql.run` (or `sql.refused`) with the SQL text and the row count."""
    result = run_query(context.database, body.sql, principal=principal.name, now=context.clock())
    return json_response(answer(result))


@router.get(
    "/sql/queries", summary="Saved queries: one's own and every shared one", response_model=list[SavedQueryView]
)
def get_saved_queries(
    principal: Principal = Depends(can_query), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        return json_response(list_saved(session, principal), list[SavedQueryView])


@router.post(
    "/sql/queries",
    summary="Save a query under a unique name",
    response_model=SavedQueryView,
    responses=errors(409),
)
def post_saved_query(
    body: SavedQueryBody, principal: Principal = Depends(can_query), context: AppContext = Depends(app_context)
) -> Response:
    """Recorded in the audit log as `sql.save`. A query the console would refuse is not saved."""
    with context.database.transaction() as session:
        saved = save_query(
            session, name=body.name, sql=body.sql, description=body.description, shared=body.shared,
            asking=principal, now=context.clock(),
        )  # fmt: skip
        return json_response(saved, SavedQueryView)


@router.get("/sql/queries/{query_id}", summary="A saved query", response_model=SavedQueryView, responses=errors(404))
def get_saved_query(
    query_id: QueryId, principal: Principal = Depends(can_query), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        return json_response(open_saved(session, query_id, principal), SavedQueryView)


@router.put(
    "/sql/queries/{query_id}",
    summary="Change a saved query (its owner or an admin)",
    response_model=SavedQueryView,
    responses=errors(404, 409),
)
def put_saved_query(
    query_id: QueryId,
    body: SavedQueryBody,
    principal: Principal = Depends(can_query),
    context: AppContext = Depends(app_context),
) -> Response:
    """Recorded in the audit log as `sql.update`."""
    with context.database.transaction() as session:
        saved = update_query(
            session, query_id, name=body.name, sql=body.sql, description=body.description, shared=body.shared,
            asking=principal, now=context.clock(),
        )  # fmt: skip
        return json_response(saved, SavedQueryView)


@router.delete(
    "/sql/queries/{query_id}",
    summary="Delete a saved query (its owner or an admin); answers the query as it was",
    response_model=SavedQueryView,
    responses=errors(404),
)
def delete_saved_query(
    query_id: QueryId, principal: Principal = Depends(can_query), context: AppContext = Depends(app_context)
) -> Response:
    """Recorded in the audit log as `sql.delete`."""
    with context.database.transaction() as session:
        return json_response(delete_query(session, query_id, asking=principal, now=context.clock()), SavedQueryView)
