"""Posts that a rule sends to review and a reviewer decides, through the real detection and review services."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bastion.auth.principal import SYSTEM
from bastion.auth.users import principal_of
from bastion.clock import FrozenClock
from bastion.detect.rule_store import load_rule_text
from bastion.detect.service import detect_for_worker
from bastion.detect.worker import DetectionWorker
from bastion.domain.access import Role
from bastion.domain.subjects import IngestKind
from bastion.ingest.service import ingest
from bastion.review.claims import claim_next_job
from bastion.review.decisions import Choice, decide
from bastion.store.database import Database
from bastion.store.schema import User
from tests.conftest import make_user


def decided_posts(
    database: Database,
    clock: FrozenClock,
    *,
    rules: str,
    texts: list[str],
    violating: int,
    posted: datetime,
    policy: str = "spam",
) -> None:
    """Load `rules`, post `texts` at `posted`, detect, and decide every job the rules opened in `general`:
    the first `violating` as `policy`, the others as no violation."""
    with database.transaction() as session:
        load_rule_text(session, rules, source="test", principal=SYSTEM.name, now=posted)
        ingest(session, IngestKind.ACTORS, [{"id": "a1", "created_at": posted.isoformat()}], principal="t", now=posted)
        posts = [
            {
                "id": f"p{i}",
                "actor_id": "a1",
                "type": "post",
                "language": "en",
                "text": text,
                "created_at": posted.isoformat(),
            }
            for i, text in enumerate(texts)
        ]
        ingest(session, IngestKind.CONTENT, posts, principal="t", now=posted)
    DetectionWorker(database, detect_for_worker, FrozenClock(posted)).run_once()
    make_user(database, clock, "rita", Role.REVIEWER, languages=("en",))
    with database.transaction() as session:
        rita = principal_of(session.scalars(select(User).where(User.name == "rita")).one(), via="session")
    for n in range(len(texts)):
        with database.transaction() as session:
            job = claim_next_job(session, "general", rita, now=posted)
            assert job is not None
            choice = Choice(policy, "remove") if n < violating else Choice("none", "none")
            decide(session, job.pk, rita, choice, now=posted + timedelta(minutes=1))
