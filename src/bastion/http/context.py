"""What every request handler needs: the store, the clock, the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request

from bastion.clock import Clock
from bastion.config import Settings
from bastion.store.database import Database


@dataclass(frozen=True)
class AppContext:
    database: Database
    settings: Settings
    clock: Clock

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(hours=self.settings.session_hours)


def app_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context
