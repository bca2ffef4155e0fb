"""Claims record themselves: on PostgreSQL the lease, its event and its audit row are one statement,
whose audit row's hash is built in SQL; it must chain exactly as Python hashes it, whatever the text."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bastion import audit_log
from bastion.clock import FrozenClock
from bastion.domain.events import EventKind
from bastion.review.claims import claim_next_job, claim_next_job_pk
from bastion.store.database import Database
from bastion.store.schema import AuditRecord, ContentItem, Event, Job
from tests.review.jobs_factory import make_jobs, make_reviewers

QUEUE = "general"
# Quotes, backslashes, control characters JSON escapes, non-ASCII, an astral character, a line separator.
HOSTILE_IDS = [
    'post "quoted" \\ back\\slash',
    "line\nbreak\ttab\rreturn\x01\x1f\x7f",
    "ünïcødé ✓ 🙂 \u2028 </script>",
    "it's",
]


@pytest.mark.parametrize("external_id", HOSTILE_IDS)
def test_a_claim_audits_the_subject_it_shows_and_the_chain_verifies(
    database: Database, clock: FrozenClock, external_id: str
) -> None:
    (job_pk,) = make_jobs(database, 1, queue=QUEUE, now=clock())
    (reviewer,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        subject_pk = session.get_one(Job, job_pk).subject_pk
        session.execute(update(ContentItem).where(ContentItem.pk == subject_pk).values(external_id=external_id))
    with database.transaction() as session:
        job = claim_next_job(session, QUEUE, reviewer, now=clock())
        assert job is not None and job.pk == job_pk and job.lease_owner == reviewer.user_pk

    with database.transaction() as session:
        row = session.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1)).one()
        assert (row.principal, row.action, row.target) == (reviewer.name, "job.claim", f"job:{job_pk}")
        assert row.details == {"subject": f"content:{external_id}", "queue": QUEUE}
        assert row.at == clock()
        audit_log.verify(session)
        event = session.scalars(select(Event).where(Event.kind == EventKind.JOB_CLAIMED)).one()
        assert (event.subject_type, event.subject_pk, event.principal) == ("job", job_pk, reviewer.name)
        assert event.data == {"queue": QUEUE} and event.occurred_at == clock()


def test_claiming_by_key_leases_the_same_job_and_records_the_same_rows(database: Database, clock: FrozenClock) -> None:
    first, second = make_jobs(database, 2, queue=QUEUE, now=clock())
    ana, ben = make_reviewers(database, 2, clock())
    with database.transaction() as session:
        job = claim_next_job(session, QUEUE, ana, now=clock())
        assert job is not None
        assert claim_next_job_pk(session, QUEUE, ben, now=clock()) == ({first, second} - {job.pk}).pop()
    with database.transaction() as session:
        assert claim_next_job_pk(session, QUEUE, ben, now=clock()) is None
        holders = dict(session.execute(select(Job.pk, Job.lease_owner).where(Job.pk.in_([first, second]))).all())
        assert sorted(holders.values()) == sorted([ana.user_pk, ben.user_pk])
        claims = session.scalars(select(AuditRecord.principal).where(AuditRecord.action == "job.claim")).all()
        assert sorted(claims) == sorted([ana.name, ben.name])
        assert len(session.scalars(select(Event.pk).where(Event.kind == EventKind.JOB_CLAIMED)).all()) == 2
        audit_log.verify(session)
