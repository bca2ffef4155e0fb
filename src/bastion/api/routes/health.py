"""Liveness and readiness: the one endpoint that needs no credentials."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import text

from bastion import __version__
from bastion.http.context import AppContext, app_context

router = APIRouter(prefix="/api/v1", tags=["health"])


@router.get("/health", summary="Is the service up and its store reachable?")
def health(context: AppContext = Depends(app_context)) -> dict[str, Any]:
    with context.database.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__, "database": context.database.dialect}
