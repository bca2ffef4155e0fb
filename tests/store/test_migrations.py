"""The migrations build exactly the schema the code declares, on both backends, and re-run safely."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from bastion.clock import FrozenClock
from bastion.store.database import Database
from bastion.store.migrate import current_revision, head_revision, upgrade
from bastion.store.schema import Base


def test_migrated_schema_matches_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrade_is_idempotent(database: Database) -> None:
    assert current_revision(database) == head_revision(database)
    before, after = upgrade(database)
    assert before == after == head_revision(database)


def test_sqlite_runs_with_wal_and_foreign_keys(sqlite_database: Database) -> None:
    with sqlite_database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_upgrading_a_store_with_review_work_keeps_its_audit_chain_and_exposure(
    database: Database, clock: FrozenClock
) -> None:
    """A store last migrated at 0003, with decisions and audit rows, upgrades to the newest schema intact."""
    from alembic import command
    from sqlalchemy import insert, select, update

    from bastion import audit_log
    from bastion.review.claims import claim_next_job, exposure_today
    from bastion.review.config_store import current_review_config
    from bastion.review.decisions import Choice, decide
    from bastion.store.migrate import alembic_config
    from bastion.store.schema import Decision, Job
    from bastion.store.upsert import table_of
    from tests.review.jobs_factory import make_jobs, make_reviewers

    (reviewer,) = make_reviewers(database, 1, clock())
    make_jobs(database, 3, now=clock(), policy_id="spam")
    command.downgrade(alembic_config(database), "0003")
    # Work done under the old schema: only the columns it has (Core renders just the ones given).
    decisions, jobs = table_of(Decision), table_of(Job)
    with database.engine.begin() as connection:
        for job_pk in connection.execute(select(jobs.c.pk).where(jobs.c.status == "open")).scalars().all():
            connection.execute(
                insert(decisions).values(
                    job_pk=job_pk,
                    reviewer_pk=reviewer.user_pk,
                    round=1,
                    action="no_action",
                    rationale="",
                    seconds_spent=1.0,
                    decided_at=clock(),
                    final=True,
                )
            )
            connection.execute(update(jobs).where(jobs.c.pk == job_pk).values(status="decided"))
    with database.transaction() as session:
        before_seq = session.execute(text("SELECT seq FROM audit_head")).scalar_one()  # verify needs the new schema

    assert upgrade(database) == ("0003", head_revision(database))
    make_jobs(database, 1, now=clock(), policy_id="spam")
    with database.transaction() as session:
        job = claim_next_job(session, "general", reviewer, now=clock())
        assert job is not None
        job_pk = job.pk
    with database.transaction() as session:
        decide(session, job_pk, reviewer, Choice("none", "no_action"), now=clock())
    with database.transaction() as session:
        # The chain goes on from where it was: the claim and the decision are its next two rows.
        assert audit_log.verify(session).last_seq == before_seq + 2
        assert set(session.scalars(select(Decision.harm_type))) == {"spam"}  # backfilled from the jobs
        config = current_review_config(session).config
        assert exposure_today(session, config, reviewer.user_pk or 0, clock())["spam"][0] == 4
