"""Bulk actions on a network: the preview's counts equal what is done (on the simulation's planted networks),
the cap holds, a stale or reused confirmation is refused, a reversal restores every item it changed and is
audited, once; investigators and admins only. On SQLite and PostgreSQL (the ring of `test_network_store`)."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.domain.access import Role
from bastion.domain.events import EventEntity, EventKind
from bastion.domain.investigate import BulkActionKind
from bastion.errors import Conflict, Forbidden, InvalidInput
from bastion.investigate import bulk_actions
from bastion.investigate.bulk_actions import bulk_action_view, current_networks, execute, preview, reverse_bulk_action
from bastion.review.enforcement import take_action, target_of
from bastion.store.database import Database
from bastion.store.schema import Actor, BulkAction, EnforcementAction, Event
from tests.investigate.test_network_store import RING, START, _platform
from tests.support.simulated import simulated_copy

NOW = START + timedelta(days=7)
INES = Principal(name="user:ines", roles=frozenset({Role.INVESTIGATOR}))
ADA = Principal(name="user:ada", roles=frozenset({Role.ADMIN}))


def _ring_id(database: Database) -> str:
    with database.transaction() as session:
        (network,) = current_networks(session, INES).networks
    assert network.members == tuple(RING)
    return network.id


def _suspend_by_hand(session: Session, actor: str) -> EnforcementAction:
    pk = session.scalar(select(Actor.pk).where(Actor.external_id == actor))
    assert pk is not None
    target = target_of(session, "actor", pk)
    return take_action(
        session, target, "suspend", record=None, reason="decision", statement="by hand", now=NOW, principal="user:rev"
    )


def _bulk_rows(session: Session) -> tuple[int, int]:
    """How many bulk actions, and how many enforcement actions they could have taken, are in the store."""
    bulk = session.scalar(select(func.count()).select_from(BulkAction)) or 0
    taken = session.scalar(select(func.count()).where(EnforcementAction.reason == bulk_actions.REASON)) or 0
    return bulk, taken


def test_the_preview_is_what_is_done_on_the_planted_networks(simulated_cache: Path, tmp_path: Path) -> None:
    truth = simulated_copy(simulated_cache, 1, tmp_path / "simulated.db")
    database = Database(f"sqlite:///{tmp_path / 'simulated.db'}")
    with database.transaction() as session:
        report = current_networks(session, INES)
    planted = truth["networks"][0]
    network = max(report.networks, key=lambda n: len(set(n.members) & set(planted["members"])))
    assert len(set(network.members) & set(planted["members"])) >= 0.9 * len(planted["members"])
    with database.transaction() as session:
        _suspend_by_hand(session, network.members[0])
    for action in (BulkActionKind.SUSPEND, BulkActionKind.REMOVE):
        with database.transaction() as session:
            removed_before = set(
                session.scalars(
                    select(EnforcementAction.subject_pk).where(
                        EnforcementAction.subject_type == "content",
                        EnforcementAction.action == "remove",
                        EnforcementAction.reversed_at.is_(None),
                        EnforcementAction.cancelled_at.is_(None),
                    )
                )
            )
            plan = preview(session, INES, network.id, action, now=NOW)
        with database.transaction() as session:
            bulk = execute(session, INES, network.id, action, plan.token, now=NOW)
            done = session.execute(
                select(EnforcementAction.subject_type, EnforcementAction.subject_pk, EnforcementAction.action).where(
                    EnforcementAction.pk.in_(bulk.changed)
                )
            ).all()
        assert sorted((t, pk) for t, pk, _ in done) == sorted((i.subject_type, i.subject_pk) for i in plan.to_change)
        assert {a for _, _, a in done} == {action.value}
        assert bulk.skipped == len(plan.skipped)
        if action is BulkActionKind.SUSPEND:
            assert [i.ref for i in plan.skipped] == [network.members[0]]
            assert {i.ref for i in plan.to_change} == set(network.members) - {network.members[0]}
        else:
            assert plan.to_change and {i.actor for i in plan.to_change} <= set(network.members)
            # the posts reviewers had removed already are skipped, and only those
            assert {i.subject_pk for i in plan.skipped} == removed_before & {
                i.subject_pk for i in plan.to_change + plan.skipped
            }
    database.dispose()


def test_a_reversal_restores_every_item_it_changed_once_and_is_audited(database: Database) -> None:
    _platform(database)
    ring = _ring_id(database)
    with database.transaction() as session:
        by_hand = _suspend_by_hand(session, RING[0]).pk
    with database.transaction() as session:
        plan = preview(session, INES, ring, BulkActionKind.SUSPEND, now=NOW)
    assert (len(plan.to_change), len(plan.skipped)) == (5, 1)
    with database.transaction() as session:
        bulk_pk = execute(session, INES, ring, BulkActionKind.SUSPEND, plan.token, now=NOW).pk
    later = NOW + timedelta(hours=1)
    with database.transaction() as session:
        reverse_bulk_action(session, ADA, bulk_pk, now=later, note="wrong network")
    with database.transaction() as session:
        view = bulk_action_view(session, INES, bulk_pk)
        in_force = session.scalars(
            select(EnforcementAction.pk).where(
                EnforcementAction.action == "suspend", EnforcementAction.reversed_at.is_(None)
            )
        ).all()
        audit = audit_log.search(session, audit_log.AuditFilters(target=f"bulk_action:{bulk_pk}"))
        facts = session.scalars(
            select(Event.kind).where(Event.subject_type == EventEntity.BULK_ACTION.value, Event.subject_pk == bulk_pk)
        ).all()
    assert view.reversed_by == ADA.name and view.changed == 5
    assert sorted(i.ref for i in view.items) == RING[1:]
    assert all(i.restored_by_action is not None for i in view.items)
    assert in_force == [by_hand]  # the account suspended before the bulk action stays suspended
    assert sorted(r.action for r in audit.rows) == sorted([bulk_actions.TAKEN_AUDIT, bulk_actions.REVERSED_AUDIT])
    assert sorted(facts) == sorted([EventKind.BULK_ACTION_TAKEN.value, EventKind.BULK_ACTION_REVERSED.value])
    with database.transaction() as session, pytest.raises(Conflict, match="already reversed"):
        reverse_bulk_action(session, ADA, bulk_pk, now=later)


def test_the_cap_refuses_a_larger_plan_and_writes_nothing(database: Database) -> None:
    _platform(database)
    ring = _ring_id(database)
    with database.transaction() as session, pytest.raises(InvalidInput) as refused:
        preview(session, INES, ring, BulkActionKind.SUSPEND, now=NOW, cap=5)
    assert "the cap is 5 per bulk action" in refused.value.errors[0].message
    assert "6 accounts" in refused.value.errors[0].message
    with database.transaction() as session:
        token = preview(session, INES, ring, BulkActionKind.SUSPEND, now=NOW, cap=6).token
    with database.transaction() as session, pytest.raises(InvalidInput, match="too many accounts"):
        execute(session, INES, ring, BulkActionKind.SUSPEND, token, now=NOW, cap=5)
    with database.transaction() as session:
        assert _bulk_rows(session) == (0, 0)


def test_a_stale_expired_or_reused_confirmation_is_refused(database: Database) -> None:
    _platform(database)
    ring = _ring_id(database)
    with database.transaction() as session:
        token = preview(session, INES, ring, BulkActionKind.SUSPEND, now=NOW).token
    with database.transaction() as session:
        _suspend_by_hand(session, RING[3])  # someone acts meanwhile
    with database.transaction() as session, pytest.raises(Conflict, match="changed since the preview"):
        execute(session, INES, ring, BulkActionKind.SUSPEND, token, now=NOW)
    with database.transaction() as session:
        assert _bulk_rows(session) == (0, 0)
        token = preview(session, INES, ring, BulkActionKind.SUSPEND, now=NOW).token
    with database.transaction() as session, pytest.raises(Conflict, match="changed since the preview"):
        execute(session, INES, ring, BulkActionKind.BAN, token, now=NOW)  # a token binds its action
    with database.transaction() as session, pytest.raises(Conflict, match="expired"):
        execute(session, INES, ring, BulkActionKind.SUSPEND, token, now=NOW + timedelta(minutes=16))
    with database.transaction() as session, pytest.raises(InvalidInput, match="not a confirmation token"):
        execute(session, INES, ring, BulkActionKind.SUSPEND, "yes", now=NOW)
    with database.transaction() as session:
        execute(session, INES, ring, BulkActionKind.SUSPEND, token, now=NOW)
    with database.transaction() as session, pytest.raises(Conflict):
        execute(session, INES, ring, BulkActionKind.SUSPEND, token, now=NOW)
    with database.transaction() as session:
        assert _bulk_rows(session) == (1, 5)


def test_two_confirmed_plans_on_the_same_accounts_run_one_after_the_other(database: Database) -> None:
    """Two investigators preview the same suspension and confirm at the same moment: the first acts, the
    second waits for it and is then refused (its plan changed), never suspending the ring a second time."""
    _platform(database)
    ring = _ring_id(database)
    with database.transaction() as session:
        first = preview(session, INES, ring, BulkActionKind.SUSPEND, now=NOW).token
        second = preview(session, ADA, ring, BulkActionKind.SUSPEND, now=NOW).token
    assert first != second  # a token is bound to its person too
    outcome: list[BaseException | None] = []
    with database.transaction() as session:
        execute(session, INES, ring, BulkActionKind.SUSPEND, first, now=NOW)

        def confirm_meanwhile() -> None:
            try:
                with database.transaction() as other:
                    execute(other, ADA, ring, BulkActionKind.SUSPEND, second, now=NOW)
                outcome.append(None)
            except Exception as error:  # the thread hands its outcome to the test
                outcome.append(error)

        racer = threading.Thread(target=confirm_meanwhile)
        racer.start()
        racer.join(timeout=1.5)  # it must wait for this transaction, not act beside it
        assert racer.is_alive() and outcome == []
    racer.join(timeout=30)
    (refused,) = outcome
    assert isinstance(refused, Conflict) and "changed since the preview" in str(refused)
    with database.transaction() as session:
        assert _bulk_rows(session) == (1, len(RING))


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.VENDOR_REVIEWER, Role.ANALYST, Role.QA])
def test_only_investigators_and_admins_act(sqlite_database: Database, role: Role) -> None:
    _platform(sqlite_database)
    ring = _ring_id(sqlite_database)
    with sqlite_database.transaction() as session:
        plan = preview(session, INES, ring, BulkActionKind.SUSPEND, now=NOW)
        bulk_pk = execute(session, INES, ring, BulkActionKind.SUSPEND, plan.token, now=NOW).pk
    other = Principal(name="user:other", roles=frozenset({role}))
    vendor_investigator = Principal(name="user:v", roles=frozenset({role, Role.INVESTIGATOR}))
    for who in (other, vendor_investigator) if role is Role.VENDOR_REVIEWER else (other,):
        with sqlite_database.transaction() as session:
            with pytest.raises(Forbidden):
                current_networks(session, who)
            with pytest.raises(Forbidden):
                bulk_action_view(session, who, bulk_pk)
            with pytest.raises(Forbidden):
                preview(session, who, ring, BulkActionKind.REMOVE, now=NOW)
            with pytest.raises(Forbidden):
                execute(session, who, ring, BulkActionKind.REMOVE, plan.token, now=NOW)
            with pytest.raises(Forbidden):
                reverse_bulk_action(session, who, bulk_pk, now=NOW)
    with sqlite_database.transaction() as session:
        assert bulk_action_view(session, INES, bulk_pk).reversed_at is None
