"""Queue listings count what this reviewer can take beside the whole backlog, on both backends."""

from __future__ import annotations

from bastion.auth.users import add_user, principal_of
from bastion.domain.access import Role
from bastion.review.queues import queue_listing
from bastion.store.database import Database
from bastion.store.schema import JobExclusion
from tests.review.test_supervisor import NOW, Store


def test_a_reviewer_sees_what_they_can_take_beside_the_whole_backlog(database: Database) -> None:
    store = Store(database)
    english = [store.job("general", 1, language="en") for _ in range(3)]
    store.job("general", 1, language="es")
    store.job("general", 1, language=None)  # no language: anyone may take it
    store.job("general", 1, status="claimed", lease_owner="ben")
    with database.transaction() as session:
        lea = add_user(session, "lea", roles=frozenset({Role.REVIEWER}), password=None, now=NOW, languages=["en"])
        session.add(JobExclusion(job_pk=english[0], user_pk=lea.pk))  # she skipped it: never offered again
        listing = {q["name"]: q for q in queue_listing(session, principal_of(lea, via="session"), now=NOW)}
    general = listing["general"]
    assert (general["open"], general["claimed"], general["available"]) == (5, 1, 3)  # 2 English + the unlabelled
    assert listing["scams-spam"]["available"] == 0


def test_a_vendor_reviewer_sees_only_their_vendors_queues(database: Database) -> None:
    store = Store(database)
    store.job("child-safety", 1)
    store.job("scams-spam", 1)
    with database.transaction() as session:
        user = add_user(
            session, "vic", roles=frozenset({Role.VENDOR_REVIEWER}), password=None, now=NOW, vendor="acme-review"
        )
        listing = {q["name"]: q for q in queue_listing(session, principal_of(user, via="session"), now=NOW)}
    assert set(listing) == {"general", "hate-harassment", "scams-spam"}
    assert listing["scams-spam"]["available"] == 1
