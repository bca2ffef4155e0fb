"""Claims record themselves: on PostgreSQL the lease, its event and its audit row are one statement,
whose audit row's hash is built in SQL; it must chain exactly as Python hashes it, whatever the text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import psycopg
import pytest
from sqlalchemy import select, update

from bastion import audit_log
from bastion.clock import FrozenClock
from bastion.domain.events import EventKind
from bastion.review.claims import _claim_statement, claim_next_job, claim_next_job_pk
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
        audit_log.verify(session)  # seals the claim's row (PostgreSQL appends it unsealed), then checks its hash
        row = session.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1)).one()
        assert (row.principal, row.action, row.target) == (reviewer.name, "job.claim", f"job:{job_pk}")
        assert row.details == {"subject": f"content:{external_id}", "queue": QUEUE}
        assert row.at == clock()
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


def test_a_claim_by_key_takes_only_jobs_in_the_reviewers_languages(database: Database, clock: FrozenClock) -> None:
    (job_pk,) = make_jobs(database, 1, queue=QUEUE, now=clock())  # in English
    (reviewer,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        portuguese = replace(reviewer, languages=("pt",))
        assert claim_next_job_pk(session, QUEUE, portuguese, now=clock()) is None
        either = replace(reviewer, languages=("pt", "en"))
        assert claim_next_job_pk(session, QUEUE, either, now=clock()) == job_pk


def test_postgresql_plans_the_claim_once_not_for_every_claim(database: Database, clock: FrozenClock) -> None:
    """PostgreSQL keeps one plan for a prepared statement only when a plan made without its values looks
    as good as one made with them. With a bound LIMIT it expected 200 jobs picked and joined the whole
    jobs table, so it planned each claim afresh, which cost the server more than running it."""
    if database.dialect != "postgresql":
        pytest.skip("about PostgreSQL's plans of prepared statements")
    make_jobs(database, 200, queue=QUEUE, now=clock())
    (reviewer,) = make_reviewers(database, 1, clock())
    with database.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE jobs")
        connection.commit()
    compiled = _claim_statement(True, False, (), False).compile(dialect=database.engine.dialect)
    names: list[str] = []

    def numbered(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    sql = re.sub(r"%\((\w+)\)s", numbered, compiled.string)
    values = compiled.construct_params(
        {"queue_name": QUEUE, "me": reviewer.user_pk, "now": clock(), "until": clock(), "principal": reviewer.name}
    )
    raw = database.engine.raw_connection()
    try:
        cursor = psycopg.ClientCursor(raw.driver_connection)
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE claim AS {sql}")
        arguments = ", ".join(["%s"] * len(names))
        cursor.execute(f"EXPLAIN (FORMAT JSON) EXECUTE claim({arguments})", [values[n] for n in names])
        ((plan,),) = cursor.fetchall()
    finally:
        raw.rollback()
        raw.close()
    limits = [node for node in _nodes(plan[0]["Plan"]) if node["Node Type"] == "Limit"]
    assert [node["Plan Rows"] for node in limits] == [1]


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)
