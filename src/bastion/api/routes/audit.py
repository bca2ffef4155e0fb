"""JSON twin of the audit log page: the same filters, the same pages, from the same query."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from bastion import audit_log
from bastion.api.contract import api_router, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires

router = api_router("audit")
MAX_PAGE = 1_000


class AuditRowBody(BaseModel):
    seq: int
    at: datetime
    principal: str
    action: str
    target: str
    details: dict[str, Any]


class AuditPageBody(BaseModel):
    total: int = Field(description="Rows matching the filters, on every page")
    older: int | None = Field(description="Pass as `before` for the next page back; null on the last page")
    rows: list[AuditRowBody]


@router.get("/audit", summary="Audit log rows, newest first, filtered", response_model=AuditPageBody)
def get_audit(
    principal_name: str | None = Query(
        None, alias="principal", max_length=256, description="user:alice or apikey:name"
    ),
    action: str | None = Query(None, max_length=64),
    target: str | None = Query(None, max_length=512, description='Exactly, or every target of a kind: "job:"'),
    since: datetime | None = Query(None, description="At or after (ISO 8601)"),
    until: datetime | None = Query(None, description="Before (ISO 8601)"),
    before: int | None = Query(
        None, ge=1, le=2**63 - 1, description="Rows with a sequence number below this: the next page"
    ),
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    principal: Principal = Depends(requires(Permission.AUDIT_READ)),
    context: AppContext = Depends(app_context),
) -> Response:
    filters = audit_log.AuditFilters(principal_name or None, action or None, target or None, since, until)
    with context.database.transaction() as session:
        page = audit_log.search(session, filters, before=before, limit=limit)
        rows = [
            AuditRowBody(seq=r.seq, at=r.at, principal=r.principal, action=r.action, target=r.target, details=r.details)
            for r in page.rows
        ]
        return json_response(AuditPageBody(total=page.total, older=page.older, rows=rows))
