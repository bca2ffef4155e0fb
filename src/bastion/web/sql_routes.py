"""The SQL console page: an editor, the result as a sortable table, its CSV, a quick chart, and the saved
queries beside it. The same services as `/api/v1/sql`; analysts and admins only (`insight.sql`)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bastion.auth.principal import Principal
from bastion.charts import Chart
from bastion.domain.access import Permission
from bastion.errors import InvalidInput
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.insight.sql.catalog import VIEWS, column_type
from bastion.insight.sql.console import result_csv, run_query
from bastion.insight.sql.engine import ROW_LIMIT, TIME_LIMIT_SECONDS, QueryResult
from bastion.insight.sql.guard import MAX_SQL_CHARS
from bastion.insight.sql.quick_chart import ChartChoice, is_numeric, quick_chart
from bastion.insight.sql.saved import (
    DESCRIPTION_CHARS,
    NAME_CHARS,
    delete_query,
    list_saved,
    open_saved,
    save_query,
    update_query,
)
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_query = requires(Permission.INSIGHT_SQL)
EXAMPLE = "SELECT country, count(*) AS items\nFROM content\nGROUP BY country\nORDER BY items DESC"
COLUMN_CHARS = 128


@router.get("/insight/sql", response_class=HTMLResponse)
def sql_page(
    request: Request,
    query: int | None = None,
    saved: bool = False,
    principal: Principal = Depends(can_query),
    context: AppContext = Depends(app_context),
) -> Response:
    opened = None
    if query is not None:
        with context.database.transaction() as session:
            opened = open_saved(session, query, principal)
    text = opened.sql if opened is not None else EXAMPLE
    return _page(request, context, principal, text, opened=opened, just_saved=saved)


@router.post("/insight/sql", response_class=HTMLResponse)
def run_submit(
    request: Request,
    sql: str = Form("", max_length=MAX_SQL_CHARS),
    x: str = Form("", max_length=COLUMN_CHARS),
    y: str = Form("", max_length=COLUMN_CHARS),
    query: int | None = Form(None),
    principal: Principal = Depends(can_query),
    context: AppContext = Depends(app_context),
) -> Response:
    opened = None
    if query is not None:
        with context.database.transaction() as session:
            opened = open_saved(session, query, principal)
    try:
        result = run_query(context.database, sql, principal=principal.name, now=context.clock())
    except InvalidInput as error:
        return _page(request, context, principal, sql, opened=opened, error=error, status_code=422)
    chart: Chart | None = None
    chart_error: InvalidInput | None = None
    if x and y:
        try:
            chart = quick_chart(result, ChartChoice(x, y))
        except InvalidInput as error:
            chart_error = error
    return _page(
        request, context, principal, sql, opened=opened, result=result, chart=chart, chart_error=chart_error,
        choice=ChartChoice(x, y),
    )  # fmt: skip


@router.post("/insight/sql/csv", response_model=None)
def csv_submit(
    request: Request,
    sql: str = Form("", max_length=MAX_SQL_CHARS),
    principal: Principal = Depends(can_query),
    context: AppContext = Depends(app_context),
) -> Response:
    try:
        result = run_query(context.database, sql, principal=principal.name, now=context.clock())
    except InvalidInput as error:
        return _page(request, context, principal, sql, error=error, status_code=422)
    headers = {"Content-Disposition": 'attachment; filename="bastion-query.csv"'}
    return Response(result_csv(result), media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/insight/sql/saved", response_model=None)
def save_submit(
    request: Request,
    sql: str = Form("", max_length=MAX_SQL_CHARS),
    name: str = Form("", max_length=NAME_CHARS),
    description: str = Form("", max_length=DESCRIPTION_CHARS),
    shared: bool = Form(False),
    query: int | None = Form(None),
    principal: Principal = Depends(can_query),
    context: AppContext = Depends(app_context),
) -> Response:
    """Saves a new query, or, with `query`, changes that saved query."""
    try:
        with context.database.transaction() as session:
            fields: dict[str, Any] = {"name": name, "sql": sql, "description": description, "shared": shared}
            if query is None:
                kept = save_query(session, **fields, asking=principal, now=context.clock())
            else:
                kept = update_query(session, query, **fields, asking=principal, now=context.clock())
    except InvalidInput as error:
        return _page(request, context, principal, sql, error=error, status_code=422)
    return RedirectResponse(f"/insight/sql?query={kept.id}&saved=true", status_code=303)


@router.post("/insight/sql/saved/{query_id}/delete", response_model=None)
def delete_submit(
    query_id: int, principal: Principal = Depends(can_query), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        delete_query(session, query_id, asking=principal, now=context.clock())
    return RedirectResponse("/insight/sql", status_code=303)


def _page(
    request: Request,
    context: AppContext,
    principal: Principal,
    sql: str,
    *,
    opened: Any = None,
    just_saved: bool = False,
    result: QueryResult | None = None,
    chart: Chart | None = None,
    chart_error: InvalidInput | None = None,
    choice: ChartChoice | None = None,
    error: InvalidInput | None = None,
    status_code: int = 200,
) -> Response:
    with context.database.transaction() as session:
        saved = list_saved(session, principal)
    values = {
        "title": "SQL console",
        "sql": sql,
        "opened": opened,
        "just_saved": just_saved,
        "saved": saved,
        "result": result,
        "cells": [[_cell(v) for v in row] for row in result.rows] if result else [],
        "numeric": [is_numeric(c.type) for c in result.columns] if result else [],
        "chart": chart,
        "chart_error": chart_error,
        "choice": choice or ChartChoice("", ""),
        "error": error,
        "views": [(v, [(c.name, column_type(v, c)) for c in v.columns]) for v in VIEWS],
        "row_limit": ROW_LIMIT,
        "time_limit": TIME_LIMIT_SECONDS,
    }
    return render_page(request, "sql.html", values, status_code=status_code)


def _cell(value: object) -> tuple[str, str]:
    """A value as shown (text, escaped by the template) and as sorted."""
    if value is None:
        return "", ""
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return text, text
    return str(value), str(value)
