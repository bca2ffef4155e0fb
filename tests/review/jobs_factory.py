"""Many review jobs and reviewers, fast: for concurrency tests and the claim benchmark.

`make_jobs` writes actors and content items in bulk, then the jobs themselves in one multi-row insert
per 1,000 that sets every column as `bastion.review.intake.open_jobs` does for a `NewWork` on that
content with weighted reports 1.0 and no report row (open, its queue's kind, priority terms, claim
rank, SLA deadline, the review configuration version in force), plus one `job.created` event per job.
`open_jobs` itself looks for each subject's open job one at a time, which is right for intake and slow
for 5,000 fresh subjects; `test_concurrency.py` checks that the two make the same job.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta

from sqlalchemy import insert

from bastion.auth.principal import Principal
from bastion.auth.users import add_user, principal_of
from bastion.domain.access import Role
from bastion.domain.events import EventEntity, EventKind, NewEvent
from bastion.domain.policy import harm_type
from bastion.policy.service import current_policies
from bastion.review.config_store import current_review_config, load_review_config
from bastion.review.jobs import JobStatus
from bastion.review.priority import PriorityInputs, base_priority, claim_rank, priority_terms
from bastion.store.database import Database
from bastion.store.events import append_events
from bastion.store.schema import Actor, ContentItem, Job

BATCH = 1_000
LANGUAGE = "en"
COUNTRY = "DE"
SURFACE = "feed"
VIEWS = 100
WEIGHTED_REPORTS = 1.0
_batch_ids = itertools.count()


def make_jobs(
    database: Database,
    n: int,
    *,
    queue: str = "general",
    now: datetime,
    policy_id: str | None = None,
    principal: str = "system:test",
) -> list[int]:
    """Create n content items, one actor each, and one open job on each in `queue`; returns the job pks.

    `policy_id` (default none) sets the jobs' policy hint, harm type and severity; the queue is taken
    as given, not routed, so pick one whose policies cover it.
    """
    tag = f"{uuid.uuid4().hex[:8]}-{next(_batch_ids)}"
    job_pks: list[int] = []
    for start in range(0, n, BATCH):
        size = min(BATCH, n - start)
        with database.transaction() as session:
            loaded = current_review_config(session)
            spec = loaded.config.queue(queue)
            record = current_policies(session).get(policy_id) if policy_id else None
            severity = record.policy.severity if record else 1
            actor_pks = list(
                session.scalars(
                    insert(Actor).returning(Actor.pk, sort_by_parameter_order=True),
                    [
                        {
                            "external_id": f"bulk-actor-{tag}-{start + i}",
                            "created_at": now - timedelta(days=30),
                            "country": COUNTRY,
                            "language": LANGUAGE,
                            "attributes": {"followers": 10},
                            "received_at": now,
                        }
                        for i in range(size)
                    ],
                )
            )
            content_pks = list(
                session.scalars(
                    insert(ContentItem).returning(ContentItem.pk, sort_by_parameter_order=True),
                    [
                        {
                            "external_id": f"bulk-content-{tag}-{start + i}",
                            "actor_pk": actor_pk,
                            "type": "post",
                            "text": f"bulk post {start + i}",
                            "language": LANGUAGE,
                            "language_detected": False,
                            "country": COUNTRY,
                            "surface": SURFACE,
                            "created_at": now - timedelta(hours=1),
                            "views": VIEWS,
                            "received_at": now,
                        }
                        for i, actor_pk in enumerate(actor_pks)
                    ],
                )
            )
            terms = priority_terms(PriorityInputs(severity, 0.0, VIEWS, 10, WEIGHTED_REPORTS), spec.priority_weights)
            base = base_priority(terms)
            row = {
                "queue": spec.name,
                "kind": spec.kind,
                "subject_type": "content",
                "status": JobStatus.OPEN.value,
                "policy_hint": policy_id,
                "harm_type": harm_type(policy_id),
                "severity": severity,
                "language": LANGUAGE,
                "country": COUNTRY,
                "surface": SURFACE,
                "priority": base,
                "priority_terms": terms | {"weighted_reports": WEIGHTED_REPORTS, "confidence_input": 0.0},
                "claim_rank": claim_rank(base, now, spec.sla_hours, spec.priority_weights),
                "report_count": 0,
                "reviews_required": spec.reviews_for(severity),
                "reviews_done": 0,
                "created_at": now,
                "sla_due_at": now + timedelta(hours=spec.sla_hours),
                "config_version": loaded.version,
            }
            pks = list(
                session.scalars(
                    insert(Job).returning(Job.pk, sort_by_parameter_order=True),
                    [row | {"subject_pk": content_pk} for content_pk in content_pks],
                )
            )
            append_events(
                session,
                [
                    NewEvent(EventKind.JOB_CREATED, EventEntity.JOB, pk, now, principal, {"queue": spec.name})
                    for pk in pks
                ],
                recorded_at=now,
            )
            job_pks += pks
    return job_pks


def lift_exposure_caps(database: Database, now: datetime) -> None:
    """Load the current review configuration without daily exposure caps: every job counts towards a cap
    (unclassified work under the default one), and a test or benchmark that has a few reviewers drain
    thousands of jobs is about claiming, not wellness."""
    with database.transaction() as session:
        config = current_review_config(session).config.model_copy(update={"daily_exposure_caps": {}})
        load_review_config(session, config, source="uncapped", principal="system:test", now=now)


def make_reviewers(
    database: Database, n: int, now: datetime, *, role: Role = Role.REVIEWER, prefix: str = "reviewer"
) -> list[Principal]:
    """n active users with `role` (no password, no languages), as the principals their sessions would be."""
    tag = uuid.uuid4().hex[:6]
    with database.transaction() as session:
        users = [
            add_user(session, f"{prefix}-{tag}-{i}", roles=frozenset({role}), password=None, now=now) for i in range(n)
        ]
        return [principal_of(user, via="session") for user in users]
