"""Making a store ready: migrate it to the newest schema and give it the default policies once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bastion.auth.principal import SYSTEM
from bastion.clock import Clock
from bastion.policy.loader import default_taxonomy_path, load_policy_file
from bastion.policy.service import current_policies, load_policies
from bastion.review.config import DEFAULT_CONFIG, default_review_config
from bastion.review.config_store import load_review_config
from bastion.store.database import Database
from bastion.store.migrate import upgrade
from bastion.store.schema import ReviewConfig as ReviewConfigRow


@dataclass(frozen=True)
class InitReport:
    revision_before: str | None
    revision_after: str | None
    policies_loaded: int


def initialise(database: Database, clock: Clock) -> InitReport:
    """Create or upgrade the schema; load the default taxonomy only into a store that has no policies.

    Idempotent: running it again changes nothing, and never replaces policies an admin has loaded.
    """
    before, after = upgrade(database)
    loaded = 0
    with database.transaction() as session:
        if not current_policies(session):
            path = default_taxonomy_path()
            now = clock()
            summary = load_policies(session, load_policy_file(path), source=path.name, principal=SYSTEM.name, now=now)
            loaded = len(summary.created)
        if session.scalar(select(ReviewConfigRow.pk).limit(1)) is None:
            config = default_review_config()
            load_review_config(session, config, source=DEFAULT_CONFIG.name, principal=SYSTEM.name, now=clock())
    return InitReport(before, after, loaded)
