"""Extension hooks (pluggy): how an area, built in or third-party, adds itself to Bastion.

Every area registers the same way: a module with `@hookimpl` functions. The built-in areas are named in
`BUILT_IN_AREAS`; a third-party package names its module in the `bastion` entry-point group of its
packaging metadata, or a deployment lists modules in `BASTION_PLUGINS`. The composition root
(`bastion.assembly`) asks every registered area for its routers, navigation entries, page templates and
commands; services announce what happened through the after-commit hooks.

Two kinds of hooks:
- **In the transaction** (`content_stored`, `reports_stored`): the implementation writes in the caller's session, so its
  work commits or rolls back with the caller's. Used by areas that must stay consistent with the facts
  (a report and the job it opens commit together).
- **After commit** (`content_ingested`, `report_filed`, `job_created`, `decision_made`,
  `decision_withdrawn`, `action_taken`, `appeal_decided`, `trend_detected`, `threat_flagged`): a service
  calls `announce(session, fact)` while it works; the fact is delivered only once the session's transaction
  has committed, and dropped if it rolls back. An implementation that raises is logged (hook, plugin and
  error type) and the others still run: the fact is already true, and the caller's answer must not say
  otherwise.

Every hook is documented in docs/plugins.md; a test fails when one is not.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy
import structlog
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from bastion.config import settings
from bastion.domain.happened import (
    ActionTaken,
    AppealDecided,
    ContentIngested,
    DecisionMade,
    DecisionWithdrawn,
    JobCreated,
    ReportFiled,
    ThreatFlagged,
    TrendDetected,
)
from bastion.errors import ConfigurationError

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

    from bastion.detect.signals import SignalProvider
    from bastion.web.navigation import NavItem

PROJECT = "bastion"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
log = structlog.get_logger(__name__)

# The areas that ship with Bastion, registered in this order before any third-party plugin.
BUILT_IN_AREAS = (
    "bastion.areas.foundation",
    "bastion.areas.review",
    "bastion.areas.detect",
    "bastion.areas.match",
    "bastion.areas.models",
    "bastion.areas.quality",
    "bastion.areas.insight",
    "bastion.areas.investigate",
)


class BastionHooks:
    """The hook specifications. Implement any of them in a module and register it (see the module doc)."""

    # Assembly: asked once when the app or the command line is built.

    @hookspec
    def routers(self) -> Sequence[APIRouter]:
        """The area's FastAPI routers: REST endpoints under /api/v1 and pages. Every route must demand a
        permission through `bastion.http.security.requires`, or the app refuses to start."""
        raise NotImplementedError

    @hookspec
    def navigation(self) -> Sequence[NavItem]:
        """Entries of the web UI's navigation bar, each shown only to those holding its permission."""
        raise NotImplementedError

    @hookspec
    def template_folders(self) -> Sequence[Path]:
        """Folders of Jinja2 templates for the area's pages; they extend the shared `layout.html`."""
        raise NotImplementedError

    @hookspec
    def cli_commands(self, cli: typer.Typer) -> None:
        """Add the area's commands (or command groups) to the `bastion` command line."""

    @hookspec
    def signal_providers(self, session: Session) -> Sequence[SignalProvider]:
        """Signal groups detection computes for every content item, read by rules as
        `signals.<name>.<field>` (see `bastion.detect.signals.SignalProvider`). `session` reads the store
        the detector is built for (a group's fields may depend on it, e.g. one per hash bank); an
        implementation may leave the argument out."""
        raise NotImplementedError

    @hookspec
    def detection_generation(self, session: Session) -> object:
        """A value that changes whenever this area's signal groups must be built anew (a bank or model
        added, enabled or retrained): the cached detector is rebuilt when any area's value changes."""
        raise NotImplementedError

    # In the caller's transaction.

    @hookspec
    def content_stored(self, session: Session, content_pks: Sequence[int], now: datetime, principal: str) -> None:
        """New content items were stored in `session`'s transaction (not yet committed); e.g. queue them
        for detection, so that no stored item can miss it."""

    @hookspec
    def reports_stored(self, session: Session, report_pks: Sequence[int], now: datetime, principal: str) -> None:
        """New reports were stored in `session`'s transaction (not yet committed); e.g. open review jobs."""

    @hookspec
    def decision_stored(self, session: Session, fact: DecisionMade) -> None:
        """A decision was recorded in `session`'s transaction (not yet committed); e.g. sample it for QA in
        the same transaction, so that no decision is ever left out and no second connection is needed.
        On the hottest path: an implementation with nothing to do must return without a statement."""

    # After commit.

    @hookspec
    def content_ingested(self, fact: ContentIngested) -> None:
        """A batch of content items was stored (an API call or one chunk of an import)."""

    @hookspec
    def report_filed(self, fact: ReportFiled) -> None:
        """A report was stored (and, through `reports_stored`, routed to review)."""

    @hookspec
    def job_created(self, fact: JobCreated) -> None:
        """A review job was opened: from a report, an escalation or an appeal."""

    @hookspec
    def decision_made(self, fact: DecisionMade) -> None:
        """A reviewer decided a job."""

    @hookspec
    def decision_withdrawn(self, fact: DecisionWithdrawn) -> None:
        """A reviewer took a decision back within its undo window; its actions were cancelled, never sent."""

    @hookspec
    def action_taken(self, fact: ActionTaken) -> None:
        """An enforcement action (or its reversal, `restore`) was recorded and queued for the platform."""

    @hookspec
    def appeal_decided(self, fact: AppealDecided) -> None:
        """An appeal was upheld or overturned."""

    @hookspec
    def trend_detected(self, fact: TrendDetected) -> None:
        """A trend alert was recorded (a spike, a level shift, an emerging term); e.g. open a case from it."""

    @hookspec
    def threat_flagged(self, fact: ThreatFlagged) -> None:
        """A case was flagged as a real-world threat (imminent harm); e.g. page whoever is on call."""


Fact = (
    ContentIngested
    | ReportFiled
    | JobCreated
    | DecisionMade
    | DecisionWithdrawn
    | ActionTaken
    | AppealDecided
    | TrendDetected
    | ThreatFlagged
)
HOOK_OF: dict[type[Any], str] = {
    ContentIngested: "content_ingested",
    ReportFiled: "report_filed",
    JobCreated: "job_created",
    DecisionMade: "decision_made",
    DecisionWithdrawn: "decision_withdrawn",
    ActionTaken: "action_taken",
    AppealDecided: "appeal_decided",
    TrendDetected: "trend_detected",
    ThreatFlagged: "threat_flagged",
}
_PENDING = "bastion.announce_after_commit"
_ANNOUNCING: ContextVar[Engine | None] = ContextVar("bastion_announcing_store", default=None)


def announcing_store() -> Engine:
    """In an after-commit hook: the store whose commit is being announced, for an implementation that opens
    its own transaction there (a process may work on several stores, e.g. tests)."""
    engine = _ANNOUNCING.get()
    if engine is None:
        raise ConfigurationError("announcing_store() is only known inside an after-commit hook")
    return engine


def announce(session: Session, fact: Fact) -> None:
    """Deliver `fact` to its hook once `session`'s transaction commits (never, if it rolls back)."""
    session.info.setdefault(_PENDING, []).append(fact)


@event.listens_for(Session, "after_commit")
def _deliver(session: Session) -> None:
    facts: list[Fact] = session.info.pop(_PENDING, [])
    if not facts:
        return
    manager = plugin_manager()
    token = _ANNOUNCING.set(session.get_bind().engine)
    try:
        for fact in facts:
            name = HOOK_OF[type(fact)]
            for implementation in getattr(manager.hook, name).get_hookimpls():
                try:
                    implementation.function(fact=fact)
                except Exception as error:
                    log.error(
                        "plugin_hook_failed",
                        hook=name,
                        plugin=implementation.plugin_name,
                        error_type=type(error).__name__,
                    )
    finally:
        _ANNOUNCING.reset(token)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


def in_registration_order(hook: str, **arguments: Any) -> list[Any]:
    """Call an assembly hook on every area in the order they registered (built-ins first), and return what
    each returned. pluggy itself calls the newest registration first; routes, navigation and commands read
    better in the order areas were added."""
    caller = getattr(plugin_manager().hook, hook)
    return [
        implementation.function(**{name: arguments[name] for name in implementation.argnames})
        for implementation in caller.get_hookimpls()
    ]


@cache
def plugin_manager() -> pluggy.PluginManager:
    """Every registered area: the built-ins, then installed packages' entry points, then BASTION_PLUGINS."""
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(BastionHooks)
    for name in (*BUILT_IN_AREAS, *settings().plugins):
        if manager.has_plugin(name):
            continue
        try:
            module = importlib.import_module(name)
        except ImportError as error:
            raise ConfigurationError(f"BASTION_PLUGINS: cannot import the plugin module {name!r}: {error}") from error
        manager.register(module, name=name)
    manager.load_setuptools_entrypoints(PROJECT)
    return manager
