"""The demo: an embedded store in a local folder, the default policies, and a user for every role."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from bastion import audit_log
from bastion.auth.principal import SYSTEM
from bastion.auth.users import add_user, set_password
from bastion.clock import Clock
from bastion.domain.access import Role
from bastion.errors import NotFound
from bastion.simulate import Scale, SimulationSpec, World
from bastion.simulate.reviewing import ReviewSummary, write_and_review
from bastion.store.database import Database
from bastion.store.schema import ContentItem

DEMO_FOLDER = "bastion-demo"
DEMO_DAYS = 14
DEMO_SEED = 1
# The simulated reviewers stop claiming this long before now: the newest reports and appeals wait in the
# queues for whoever logs in.
DEMO_BACKLOG = timedelta(hours=36)
DEMO_USERS: tuple[tuple[str, Role, str | None, tuple[str, ...]], ...] = (
    ("admin", Role.ADMIN, None, ()),
    ("analyst", Role.ANALYST, None, ()),
    ("investigator", Role.INVESTIGATOR, None, ()),
    ("qa", Role.QA, None, ("en",)),
    ("reviewer", Role.REVIEWER, None, ("en", "pt", "es")),
    ("vendor", Role.VENDOR_REVIEWER, "acme-review", ("en", "hi")),
    ("platform", Role.PLATFORM, None, ()),
)


_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 - no look-alikes


def demo_password(length: int = 16) -> str:
    """Easy to copy from a terminal: letters and digits only, about 93 bits."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class DemoLogin:
    name: str
    role: Role
    password: str


def prepare_demo_users(database: Database, clock: Clock) -> list[DemoLogin]:
    """Create the demo users, or give existing ones fresh passwords; returns the logins to print."""
    logins = []
    now = clock()
    with database.transaction() as session:
        for name, role, vendor, languages in DEMO_USERS:
            password = demo_password()
            try:
                set_password(session, name, password)
            except NotFound:
                add_user(
                    session,
                    name,
                    roles=frozenset({role}),
                    password=password,
                    now=now,
                    vendor=vendor,
                    languages=languages,
                )
            logins.append(DemoLogin(name, role, password))
        audit_log.record(session, principal=SYSTEM.name, action="demo.users", target="demo", at=now)
    return logins


@dataclass(frozen=True)
class DemoPopulation:
    """What filling the demo store wrote and what the simulated reviewers did."""

    written: dict[str, int]
    duplicates: int
    review: ReviewSummary


def populate_demo(database: Database, clock: Clock) -> DemoPopulation | None:
    """Fill an empty demo store with a small simulated platform whose two weeks end at the current hour.

    Simulated reviewers work its queues as the reports come in, and actioned users appeal, until
    `DEMO_BACKLOG` before now: the queues hold live work when someone logs in.
    """
    with database.transaction() as session:
        if session.scalar(select(ContentItem.pk).limit(1)) is not None:
            return None
    end = clock().replace(minute=0, second=0, microsecond=0)
    spec = SimulationSpec(seed=DEMO_SEED, scale=Scale.SMALL, days=DEMO_DAYS, start=end - timedelta(days=DEMO_DAYS))
    written, review = write_and_review(database, World(spec), review_until=end - DEMO_BACKLOG)
    return DemoPopulation(written.written, written.duplicates, review)
