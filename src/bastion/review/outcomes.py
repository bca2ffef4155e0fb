"""What review finally found about content items: the truth that detection's precision and recall,
and decision quality, are measured against.

An item's outcome is its latest final decision on a review or escalation job (a decision taken back
within its undo window does not count): violating when it named a policy. An appeal overturned on an
action against the item turns that into "not violating", and says so.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion.domain.review import AppealStatus, JobKind
from bastion.domain.subjects import SubjectType
from bastion.store.schema import Appeal, Decision, EnforcementAction, Job

_IN_CHUNKS = 5_000  # keys sent in one IN list


@dataclass(frozen=True)
class ReviewOutcome:
    violating: bool
    policy_id: str | None  # the policy the item was found to violate (None when it was not)
    decided_at: datetime
    overturned: bool = False  # an appeal overturned the action taken on it


def same_family(policy_id: str | None, scope: str | None) -> bool:
    """Whether `policy_id` falls under `scope` (`spam` covers `spam.commercial_spam`); no scope covers all."""
    if scope is None:
        return policy_id is not None
    if policy_id is None:
        return False
    family = scope.split(".")[0]
    return policy_id == family or policy_id.startswith(family + ".")


def review_outcomes(session: Session, content_pks: Collection[int]) -> dict[int, ReviewOutcome]:
    """The outcome of each of these items that review decided."""
    pks = sorted(set(content_pks))
    found: dict[int, ReviewOutcome] = {}
    for start in range(0, len(pks), _IN_CHUNKS):
        chunk = pks[start : start + _IN_CHUNKS]
        rows = session.execute(
            select(Job.subject_pk, Decision.policy_id, Decision.decided_at)
            .join(Decision, Decision.job_pk == Job.pk)
            .where(
                Job.subject_type == SubjectType.CONTENT.value,
                Job.subject_pk.in_(chunk),
                Job.kind.in_((JobKind.REVIEW.value, JobKind.ESCALATION.value)),
                Decision.final.is_(True),
                Decision.withdrawn_at.is_(None),
            )
            .order_by(Decision.decided_at, Decision.pk)
        )
        for subject_pk, policy_id, decided_at in rows:  # the latest decision wins
            found[int(subject_pk)] = ReviewOutcome(policy_id is not None, policy_id, decided_at)
        overturned = session.scalars(
            select(EnforcementAction.subject_pk)
            .join(Appeal, Appeal.action_pk == EnforcementAction.pk)
            .where(
                EnforcementAction.subject_type == SubjectType.CONTENT.value,
                EnforcementAction.subject_pk.in_(chunk),
                Appeal.status == AppealStatus.OVERTURNED.value,
            )
        )
        for subject_pk in overturned:
            known = found.get(int(subject_pk))
            if known is not None:
                found[int(subject_pk)] = ReviewOutcome(False, None, known.decided_at, overturned=True)
    return found
