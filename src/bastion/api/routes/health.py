"""Liveness and readiness: the one endpoint that needs no credentials."""

from __future__ import annotations

from fastapi import Depends
from sqlalchemy import text

from bastion import __version__
from bastion.api.contract import Health, api_router
from bastion.http.context import AppContext, app_context

router = api_router("health", guarded=False)


@router.get("/health", summary="Is the service up and its store reachable?", response_model=Health)
def health(context: AppContext = Depends(app_context)) -> Health:
    with context.database.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return Health.model_validate({"status": "ok", "version": __version__, "database": context.database.dialect})
