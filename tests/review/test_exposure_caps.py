"""Daily exposure caps: a reviewer who reached a harm type's cap today is offered no more of it."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from bastion.auth.principal import Principal
from bastion.clock import FrozenClock
from bastion.review.claims import claim_next_job, exposure_today
from bastion.review.config_store import current_review_config, load_review_config
from bastion.review.decisions import Choice, decide
from bastion.store.database import Database
from tests.review.jobs_factory import make_jobs, make_reviewers

CAPS = {"spam": 2, "default": 3}


def _capped_store(database: Database, clock: FrozenClock) -> None:
    with database.transaction() as session:
        config = current_review_config(session).config.model_copy(update={"daily_exposure_caps": CAPS})
        load_review_config(session, config, source="test", principal="test", now=clock())
    make_jobs(database, 4, now=clock(), policy_id="spam")
    make_jobs(database, 5, now=clock(), policy_id="scams_and_fraud")
    make_jobs(database, 4, now=clock())  # no policy: "unclassified", under the default cap


def _work_until_empty(database: Database, reviewer: Principal, clock: FrozenClock) -> Counter[str]:
    """Claim and decide until nothing is offered; the harm types decided."""
    seen: Counter[str] = Counter()
    while True:
        with database.transaction() as session:
            job = claim_next_job(session, "general", reviewer, now=clock())
            if job is None:
                return seen
            job_pk, harm_type = job.pk, job.harm_type
        with database.transaction() as session:
            decide(session, job_pk, reviewer, Choice("none", "no_action"), now=clock())
        seen[harm_type] += 1
        clock.advance(timedelta(seconds=30))


def test_a_reviewer_stops_getting_a_harm_type_at_its_cap(database: Database, clock: FrozenClock) -> None:
    _capped_store(database, clock)
    first, second = make_reviewers(database, 2, clock())

    # spam has a cap of its own; scams_and_fraud and unclassified work fall under the default.
    assert _work_until_empty(database, first, clock) == Counter({"spam": 2, "scams_and_fraud": 3, "unclassified": 3})
    with database.transaction() as session:
        assert exposure_today(session, current_review_config(session).config, first.user_pk or 0, clock()) == {
            "spam": (2, 2),
            "scams_and_fraud": (3, 3),
            "unclassified": (3, 3),
        }

    # Caps are per reviewer: a colleague gets what is left.
    assert _work_until_empty(database, second, clock) == Counter({"spam": 2, "scams_and_fraud": 2, "unclassified": 1})


def test_the_cap_counts_only_today(database: Database, clock: FrozenClock) -> None:
    _capped_store(database, clock)
    (reviewer,) = make_reviewers(database, 1, clock())
    assert _work_until_empty(database, reviewer, clock)["spam"] == 2

    clock.advance(timedelta(days=1))
    # A new day (UTC): yesterday's decisions no longer count, and the rest of the spam comes back.
    assert _work_until_empty(database, reviewer, clock) == Counter({"spam": 2, "scams_and_fraud": 2, "unclassified": 1})
