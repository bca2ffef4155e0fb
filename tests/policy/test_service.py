"""Versioning policies in the store: create, change, leave alone, retire, reinstate."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from bastion.domain.policy import Action, Policy
from bastion.errors import InvalidInput, NotFound
from bastion.policy.loader import default_policies
from bastion.policy.service import (
    PolicyLoadSummary,
    current_policies,
    load_policies,
    policy_history,
    policy_version,
)
from bastion.store.database import Database
from bastion.store.schema import PolicyVersion

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

SPAM = Policy(
    id="spam",
    title="Spam",
    severity=1,
    allowed_actions=(Action.REMOVE, Action.DEMOTE),
    guidance="Bulk commercial content.",
    dsa_category="STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
)
FAKE_ENGAGEMENT = Policy(
    id="spam.fake_engagement",
    title="Fake engagement",
    severity=2,
    allowed_actions=(Action.REMOVE, Action.SUSPEND),
    guidance="Bought likes and follows.",
    dsa_category="STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    description="Buying or selling engagement.",
)
SCAMS = Policy(
    id="scams_and_fraud",
    title="Scams and fraud",
    severity=3,
    allowed_actions=(Action.REMOVE, Action.BAN),
    guidance="Deceiving people for money.",
    dsa_category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
)
POLICIES = (SPAM, FAKE_ENGAGEMENT, SCAMS)


@pytest.fixture
def db(database: Database) -> Database:
    """The shared store (SQLite and PostgreSQL) without its default taxonomy: these tests load their own."""
    with database.transaction() as session:
        session.execute(delete(PolicyVersion))
    return database


def load(db: Database, policies: tuple[Policy, ...], *, at: datetime = T0) -> PolicyLoadSummary:
    with db.transaction() as session:
        return load_policies(session, policies, source="policies.yaml", principal="alice", now=at)


def row_count(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(PolicyVersion)) or 0


def live_versions(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        return {policy_id: record.version for policy_id, record in current_policies(session).items()}


def test_first_load_creates_version_one_of_each(db: Database) -> None:
    summary = load(db, POLICIES)
    assert summary == PolicyLoadSummary(created=("spam", "spam.fake_engagement", "scams_and_fraud"))
    assert live_versions(db) == {"scams_and_fraud": 1, "spam": 1, "spam.fake_engagement": 1}
    with db.transaction() as session:
        record = current_policies(session)["spam.fake_engagement"]
    assert record.policy == FAKE_ENGAGEMENT
    assert (record.version, record.retired, record.source, record.loaded_by) == (
        1,
        False,
        "policies.yaml",
        "alice",
    )
    assert record.loaded_at == T0


def test_loading_the_same_policies_again_changes_nothing(db: Database) -> None:
    load(db, POLICIES)
    summary = load(db, POLICIES, at=T0 + timedelta(days=1))
    assert summary == PolicyLoadSummary(unchanged=("spam", "spam.fake_engagement", "scams_and_fraud"))
    assert summary.versions_added == 0
    assert row_count(db) == 3


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Spam and bulk content"},
        {"severity": 2},
        {"allowed_actions": (Action.REMOVE, Action.DEMOTE, Action.WARN)},
        {"allowed_actions": (Action.DEMOTE, Action.REMOVE)},
        {"guidance": "Bulk commercial content, and engagement bait."},
        {"description": "Unwanted repetitive content."},
        {"dsa_category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_a_changed_field_adds_version_two(db: Database, change: dict[str, object]) -> None:
    load(db, POLICIES)
    changed_spam = replace(SPAM, **change)  # type: ignore[arg-type]
    summary = load(db, (changed_spam, FAKE_ENGAGEMENT, SCAMS), at=T0 + timedelta(hours=1))
    assert summary == PolicyLoadSummary(changed=("spam",), unchanged=("spam.fake_engagement", "scams_and_fraud"))
    assert live_versions(db)["spam"] == 2
    with db.transaction() as session:
        assert policy_version(session, "spam", 1).policy == SPAM, "the old version is kept as it was"
        newest = policy_version(session, "spam", 2)
    assert newest.policy == changed_spam
    assert newest.loaded_at == T0 + timedelta(hours=1)


def test_a_policy_left_out_is_retired_once(db: Database) -> None:
    load(db, POLICIES)
    summary = load(db, (SPAM, SCAMS))
    assert summary == PolicyLoadSummary(unchanged=("spam", "scams_and_fraud"), retired=("spam.fake_engagement",))
    assert "spam.fake_engagement" not in live_versions(db)
    with db.transaction() as session:
        retired = policy_version(session, "spam.fake_engagement", 2)
    assert retired.retired
    assert retired.policy == FAKE_ENGAGEMENT, "a retired version keeps the content it retired"

    again = load(db, (SPAM, SCAMS))
    assert again == PolicyLoadSummary(unchanged=("spam", "scams_and_fraud"))
    assert row_count(db) == 4


def test_a_retired_policy_loaded_again_is_reinstated(db: Database) -> None:
    load(db, POLICIES)
    load(db, (SPAM, SCAMS))
    summary = load(db, POLICIES)
    assert summary == PolicyLoadSummary(unchanged=("spam", "scams_and_fraud"), reinstated=("spam.fake_engagement",))
    assert live_versions(db)["spam.fake_engagement"] == 3
    with db.transaction() as session:
        history = policy_history(session, "spam.fake_engagement")
    assert [(record.version, record.retired) for record in history] == [(1, False), (2, True), (3, False)]


def test_the_caller_owns_the_transaction(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
        load_policies(session, POLICIES, source="policies.yaml", principal="alice", now=T0)
        raise RuntimeError("the caller's work failed after the load")
    assert row_count(db) == 0


def test_a_load_naming_a_policy_twice_is_refused(db: Database) -> None:
    with pytest.raises(InvalidInput) as caught:
        load(db, (SPAM, SCAMS, replace(SPAM, title="Other")))
    assert [(e.path, e.message) for e in caught.value.errors] == [("policies[2].id", "duplicate policy id 'spam'")]
    assert row_count(db) == 0


@pytest.mark.parametrize(("policy_id", "version"), [("spam", 2), ("spam", 0), ("hate_speech", 1)])
def test_an_unknown_version_is_not_found(db: Database, policy_id: str, version: int) -> None:
    load(db, POLICIES)
    with pytest.raises(NotFound), db.transaction() as session:
        policy_version(session, policy_id, version)


def test_naive_times_are_taken_as_utc(db: Database) -> None:
    load(db, POLICIES, at=datetime(2026, 11, 2, 9, 0))
    with db.transaction() as session:
        assert current_policies(session)["spam"].loaded_at == T0


def test_the_shipped_taxonomy_loads_and_reloads_idempotently(db: Database) -> None:
    shipped = default_policies()
    first = load(db, tuple(shipped))
    assert len(first.created) == len(shipped)
    second = load(db, tuple(shipped))
    assert second.versions_added == 0
    with db.transaction() as session:
        live = current_policies(session)
    assert [record.policy for record in live.values()] == sorted(shipped, key=lambda policy: policy.id)
