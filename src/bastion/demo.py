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
from bastion.simulate.writer import WriteSummary, write_platform
from bastion.store.database import Database
from bastion.store.schema import ContentItem

DEMO_FOLDER = "bastion-demo"
DEMO_DAYS = 14
DEMO_SEED = 1
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


def populate_demo(database: Database, clock: Clock) -> WriteSummary | None:
    """Fill an empty demo store with a small simulated platform whose two weeks end at midnight today."""
    with database.transaction() as session:
        if session.scalar(select(ContentItem.pk).limit(1)) is not None:
            return None
    today = clock().replace(hour=0, minute=0, second=0, microsecond=0)
    spec = SimulationSpec(
        seed=DEMO_SEED, scale=Scale.SMALL, days=DEMO_DAYS, start=today - timedelta(days=DEMO_DAYS - 1)
    )
    return write_platform(database, World(spec).records(), clock=clock)
