"""Extension hooks (pluggy). Built-in areas register through the same hooks as third-party plugins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

import pluggy
from sqlalchemy.orm import Session

PROJECT = "bastion"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class BastionHooks:
    @hookspec
    def bastion_reports_filed(self, session: Session, report_pks: Sequence[int], now: datetime, principal: str) -> None:
        """New reports were stored, in `session`'s transaction; e.g. open or update review jobs."""


@cache
def plugin_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(BastionHooks)
    from bastion.review import intake  # built-ins register like any plugin

    manager.register(intake)
    manager.load_setuptools_entrypoints(PROJECT)
    return manager
