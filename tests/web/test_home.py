"""The home page of each role: reviewers their queues, supervisors the totals, admins the store and its logs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from tests.conftest import api_key, bearer, make_user

SEARCH_BOX = 'action="/subjects"'


def _home(client: TestClient, database: Database, clock: FrozenClock, name: str, role: Role, **kw: str) -> str:
    make_user(database, clock, name, role, **kw)  # type: ignore[arg-type]
    page = client.get("/", headers=bearer(api_key(database, clock, user=name)))
    assert page.status_code == 200
    return page.text


def test_a_vendor_reviewer_sees_their_queues_and_nothing_of_other_vendors(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    text = _home(client, database, clock, "vic", Role.VENDOR_REVIEWER, vendor="acme-review")
    assert "Your queues" in text and "Scams, fraud and spam" in text
    assert "Portuguese and Spanish" not in text  # globalmod's queue
    assert "Child safety" not in text  # in-house only
    for absent in ("Review operations", "Latest reports", "Content items", "Webhook outbox", "audit", SEARCH_BOX):
        assert absent not in text, absent


def test_a_supervisor_sees_the_overview_and_may_search(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    text = _home(client, database, clock, "ana", Role.ANALYST)
    assert "Review operations" in text and 'href="/review/supervisor"' in text
    assert "Content items" in text and "Latest reports" in text and SEARCH_BOX in text
    assert "Your queues" not in text and "Webhook outbox" not in text and "Latest audit entries" not in text


def test_an_admin_sees_the_store_the_outbox_and_the_audit_log(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    text = _home(client, database, clock, "ada", Role.ADMIN)
    for present in ("Your queues", "Review operations", "Content items", "Webhook outbox", "Latest audit entries"):
        assert present in text, present


def test_a_reviewer_has_no_search_box(client: TestClient, database: Database, clock: FrozenClock) -> None:
    text = _home(client, database, clock, "rita", Role.REVIEWER)
    assert "Your queues" in text and SEARCH_BOX not in text and "Review operations" not in text
