"""A store with content that reviewers decided: scam-like posts found violating spam, the others not."""

from __future__ import annotations

from datetime import timedelta

from bastion.clock import FrozenClock
from bastion.domain.subjects import IngestKind
from bastion.ingest.service import ingest
from bastion.policy.service import current_policies
from bastion.review.claims import claim_next_job
from bastion.review.decisions import Choice, decide
from bastion.store.database import Database
from tests.conftest import START
from tests.review.jobs_factory import make_reviewers

SPAMMY = ["buy followers cheap now", "cheap followers buy today", "followers for sale cheap", "buy cheap likes now"]
FINE = ["my cat slept all day", "rain again in the city", "we cooked soup tonight", "the train was late today"]


def decided_store(database: Database, clock: FrozenClock, per_class: int = 15) -> dict[str, bool]:
    """2 × `per_class` posts, each reported as spam and decided; returns {content id: violating}."""
    posts = {f"s{i}": f"{SPAMMY[i % 4]} #{i}" for i in range(per_class)} | {
        f"f{i}": f"{FINE[i % 4]} #{i}" for i in range(per_class)
    }
    now = clock()
    with database.transaction() as session:
        policy_ids = frozenset(current_policies(session))
        ingest(session, IngestKind.ACTORS, [{"id": "a1", "created_at": (START - timedelta(days=9)).isoformat()}],
               principal="t", now=now)  # fmt: skip
        items = [{"id": cid, "actor_id": "a1", "type": "post", "text": text, "created_at": now.isoformat()}
                 for cid, text in posts.items()]  # fmt: skip
        ingest(session, IngestKind.CONTENT, items, principal="t", now=now)
        reports = [{"id": f"r-{cid}", "target": {"content_id": cid}, "reason": "spam", "created_at": now.isoformat()}
                   for cid in posts]  # fmt: skip
        ingest(session, IngestKind.REPORTS, reports, principal="t", now=now, policy_ids=policy_ids)
    (reviewer,) = make_reviewers(database, 1, now)
    truth: dict[str, bool] = {}
    while True:
        with database.transaction() as session:
            job = claim_next_job(session, "scams-spam", reviewer, now=clock())
            if job is None:
                return truth
            from bastion.store.schema import ContentItem

            content_id = session.get_one(ContentItem, job.subject_pk).external_id
            violating = content_id.startswith("s")
            choice = Choice("spam.commercial_spam", "remove") if violating else Choice("none", "no_action")
            decide(session, job.pk, reviewer, choice, now=clock())
            truth[content_id] = violating
        clock.advance(timedelta(seconds=5))
