"""A store with real decisions for the report's command and endpoint tests: jobs reviewed twice (a
double review), each round a rating, decided through the real claim and decision services; posts reported
for spam through the real ingest service."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from bastion.auth.users import add_user, principal_of
from bastion.domain.access import Role
from bastion.domain.subjects import IngestKind
from bastion.ingest.service import ingest
from bastion.policy.service import current_policies
from bastion.review.claims import claim_next_job_pk
from bastion.review.decisions import Choice, decide
from bastion.store.database import Database
from bastion.store.schema import Job
from tests.review.jobs_factory import make_jobs

VIOLATES = Choice("spam", "remove", "a scam")
FINE = Choice("none", "no_action", "harmless")


def double_reviewed(database: Database, now: datetime, said: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One job per pair of labels ("spam" or "none"), decided by reviewer `ana` then `ben` in the hours
    before `now`; the labels back."""
    opened = now - timedelta(days=1)
    job_pks = make_jobs(database, len(said), now=opened)
    with database.transaction() as session:
        session.execute(update(Job).where(Job.pk.in_(job_pks)).values(reviews_required=2))
        people = {
            name: principal_of(
                add_user(session, name, roles=frozenset({Role.REVIEWER}), password=None, now=now), via="session"
            )
            for name in ("ana", "ben")
        }
    for round_, name in enumerate(("ana", "ben")):
        for n in range(len(said)):
            at = opened + timedelta(minutes=n + 100 * round_)
            with database.transaction() as session:
                job_pk = claim_next_job_pk(session, "general", people[name], now=at)
                assert job_pk is not None
                index = job_pks.index(job_pk)
                decide(session, job_pk, people[name], VIOLATES if said[index][round_] == "spam" else FINE, now=at)
    return said


def spam_reported(database: Database, now: datetime, count: int) -> None:
    """`count` posts (s-0, s-1, ...) by one author, each reported for spam: the queue opens a job per post."""
    with database.transaction() as session:
        policy_ids = frozenset(current_policies(session))
        ingest(session, IngestKind.ACTORS, [{"id": "au", "created_at": "2025-01-01T00:00:00Z"}], principal="t", now=now)
        posts = [
            {"id": f"s-{i}", "actor_id": "au", "type": "post", "text": "x", "created_at": now.isoformat()}
            for i in range(count)
        ]
        ingest(session, IngestKind.CONTENT, posts, principal="t", now=now)
        reports = [
            {"id": f"r-{i}", "target": {"content_id": f"s-{i}"}, "reason": "spam", "created_at": now.isoformat()}
            for i in range(count)
        ]
        ingest(session, IngestKind.REPORTS, reports, principal="t", now=now, policy_ids=policy_ids)
