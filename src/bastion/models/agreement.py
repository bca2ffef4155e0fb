"""A model scored like a reviewer: its verdicts against review's decisions on the same items.

The truth is `metrics/outcomes.py` (the latest final decision of each item, overturned appeals
counting as not violating), the same truth rule precision and reviewer quality use. An item is
violating for the model when review found it violating the model's policy or one under it; decided
items under other policies count as not violating it. Items review has not decided are left out.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion.domain.models import ModelVerdict
from bastion.domain.policy import covers
from bastion.models.measures import BinaryMeasures, binary_measures
from bastion.review.outcomes import review_outcomes
from bastion.store.schema import ModelScore


def model_agreement(session: Session, model_version_pk: int, policy_id: str) -> BinaryMeasures:
    """Precision, recall, F1 and Cohen's kappa of one model version's verdicts against review."""
    verdicts = {
        int(pk): verdict == ModelVerdict.VIOLATING
        for pk, verdict in session.execute(
            select(ModelScore.content_pk, ModelScore.verdict).where(ModelScore.model_version_pk == model_version_pk)
        )
    }
    outcomes = review_outcomes(session, list(verdicts))
    decided = sorted(outcomes)
    truth = [outcomes[pk].violating and covers(policy_id, outcomes[pk].policy_id) for pk in decided]
    return binary_measures(truth, [verdicts[pk] for pk in decided])
