"""Deciding a near-duplicate cluster once: each member decided as a decision of its own, from the preview."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bastion.auth.principal import Principal
from bastion.auth.users import add_user, principal_of
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.errors import Conflict, Forbidden, InvalidInput
from bastion.match.clusters import cluster_detail, decide_cluster
from bastion.review.claims import claim_next_job
from bastion.review.decisions import Choice
from bastion.store.database import Database
from bastion.store.schema import AuditRecord, ContentItem, Decision, EnforcementAction, Job
from bastion.store.schema import User as UserRow
from tests.match.cluster_factory import make_cluster

REMOVE = Choice("spam", "remove", "the same airdrop scam posted over and over")


def _person(database: Database, clock: FrozenClock, name: str, role: Role) -> Principal:
    with database.transaction() as session:
        add_user(session, name, roles=frozenset({role}), password="a long enough password 1", now=clock())
        return principal_of(session.scalars(select(UserRow).where(UserRow.name == name)).one(), via="test")


def test_a_cluster_is_decided_once_for_every_member(database: Database, clock: FrozenClock) -> None:
    cluster, ids = make_cluster(database, clock, 6, reported=3)
    lead = _person(database, clock, "qa-lead", Role.QA)
    clock.advance(timedelta(minutes=10))
    with database.transaction() as session:
        preview = cluster_detail(session, cluster, now=clock())
        assert (preview.cluster.size, preview.members_with_open_jobs, preview.members_decided) == (6, 3, 0)
        outcome = decide_cluster(session, cluster, lead, REMOVE, expected_members=6, now=clock())
    assert len(outcome.decided) == 6 and outcome.awaiting_review == [] and outcome.skipped == []
    assert len(outcome.opened) == 3  # the three members nobody reported
    with database.transaction() as session:
        decisions = list(session.scalars(select(Decision).order_by(Decision.pk)))
        assert len(decisions) == 6
        assert {(d.policy_id, d.action, d.final, d.reviewer_pk) for d in decisions} == {
            ("spam", "remove", True, lead.user_pk)
        }
        assert all("[bulk decision on near-duplicate cluster" in d.rationale for d in decisions)
        assert session.scalar(select(func.count()).select_from(EnforcementAction)) == 6
        decided_items = set(
            session.scalars(
                select(ContentItem.external_id)
                .join(Job, Job.subject_pk == ContentItem.pk)
                .where(Job.status == "decided")
            )
        )
        assert decided_items == set(ids)
        actions = [a.action for a in session.scalars(select(AuditRecord))]
        assert actions.count("job.decide") == 6 and actions.count("cluster.decide") == 1
        after = cluster_detail(session, cluster, now=clock())
        assert (after.members_with_open_jobs, after.members_decided) == (0, 6)


def test_no_violation_decides_the_open_jobs_and_opens_none(database: Database, clock: FrozenClock) -> None:
    cluster, _ = make_cluster(database, clock, 4, reported=2)
    lead = _person(database, clock, "qa-lead", Role.QA)
    with database.transaction() as session:
        outcome = decide_cluster(
            session,
            cluster,
            lead,
            Choice("none", "no_action", "a harmless chain message"),
            expected_members=4,
            now=clock(),
        )
    assert (len(outcome.decided), outcome.opened, outcome.skipped) == (2, [], [])
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 2
        assert session.scalar(select(func.count()).select_from(EnforcementAction)) == 0


def test_members_already_decided_or_held_by_another_reviewer_are_skipped(
    database: Database, clock: FrozenClock
) -> None:
    cluster, _ = make_cluster(database, clock, 4, reported=2)
    lead = _person(database, clock, "qa-lead", Role.QA)
    reviewer = _person(database, clock, "rev-1", Role.REVIEWER)
    with database.transaction() as session:
        held = claim_next_job(session, "scams-spam", reviewer, now=clock()) or claim_next_job(
            session, "general", reviewer, now=clock()
        )
        assert held is not None
        held_item = session.get_one(ContentItem, held.subject_pk).external_id
    with database.transaction() as session:
        first = decide_cluster(session, cluster, lead, REMOVE, expected_members=4, now=clock())
    assert [(s.content_id, s.reason) for s in first.skipped] == [(held_item, "being reviewed by someone else")]
    assert len(first.decided) == 3
    with database.transaction() as session:
        again = decide_cluster(session, cluster, lead, REMOVE, expected_members=4, now=clock())
    assert again.decided == [] and again.opened == []
    assert sorted(s.reason for s in again.skipped) == ["already decided"] * 3 + ["being reviewed by someone else"]


def test_a_cluster_that_grew_since_the_preview_is_refused_and_nothing_is_written(
    database: Database, clock: FrozenClock
) -> None:
    cluster, _ = make_cluster(database, clock, 3, reported=3)
    lead = _person(database, clock, "qa-lead", Role.QA)
    with pytest.raises(Conflict, match="3 members, not the 2 previewed"), database.transaction() as session:
        decide_cluster(session, cluster, lead, REMOVE, expected_members=2, now=clock())
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 0


def test_a_bulk_decision_needs_a_person_a_rationale_and_a_valid_verdict(database: Database, clock: FrozenClock) -> None:
    cluster, _ = make_cluster(database, clock, 3, reported=3)
    lead = _person(database, clock, "qa-lead", Role.QA)
    with pytest.raises(InvalidInput) as no_reason, database.transaction() as session:
        decide_cluster(session, cluster, lead, Choice("spam", "remove", "  "), expected_members=3, now=clock())
    assert [e.path for e in no_reason.value.errors] == ["rationale"]
    with pytest.raises(InvalidInput) as bad_action, database.transaction() as session:
        decide_cluster(session, cluster, lead, Choice("spam", "label", "why"), expected_members=3, now=clock())
    assert [e.path for e in bad_action.value.errors] == ["action"]
    with pytest.raises(Forbidden), database.transaction() as session:
        system = Principal(name="system:test", roles=lead.roles)
        decide_cluster(session, cluster, system, REMOVE, expected_members=3, now=clock())
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Decision)) == 0
