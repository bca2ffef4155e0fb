"""Quality over REST: the quality report, the JSON twin of `bastion quality report --format json`."""

from __future__ import annotations

from datetime import datetime

from fastapi import Depends, Query
from fastapi.responses import Response
from pydantic import Field

from bastion.api.contract import Shape, api_router, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.quality.engine import quality_report

router = api_router("quality")


class ThresholdsBody(Shape):
    accuracy: float = Field(description="A score is flagged when its interval's upper bound is below this")
    confidence: float = Field(description="The Wilson intervals' confidence (two-sided)")
    min_decisions: int = Field(description="Never flagged on fewer scored decisions")


class AgreementBody(Shape):
    krippendorff_alpha: float | None = Field(description="Nominal, over the items rated twice or more")
    fleiss_kappa: float | None = Field(description="Per number of ratings per item, averaged weighted by items")
    percent_agreement: float | None = Field(description="Mean share of agreeing pairs of ratings per item")
    items: int = Field(description="Items rated twice or more")
    ratings: int = Field(description="Their ratings")


class PairBody(Shape):
    a: str
    b: str
    kappa: float | None = Field(description="Cohen's kappa over the items both rated")
    items: int


class ScoreFields(Shape):
    decisions: int
    scored: int = Field(description="Decisions with an answer: a reference, or a strict majority of the others")
    correct: int
    accuracy: float | None
    accuracy_low: float | None
    accuracy_high: float | None
    flagged: bool
    needed: int | None = Field(description="Not flagged but below the threshold: scored decisions it would take")
    appeals: int
    overturned: int
    overturn_rate: float | None


class PolicyScoreBody(ScoreFields):
    policy: str


class DisagreementBody(Shape):
    decision_pk: int | None
    item: int
    label: str = Field(description="What the reviewer said")
    reference: str = Field(description="The answer it was scored against")
    decided_at: datetime
    source: str


class ReviewerScoreBody(ScoreFields):
    reviewer_id: str
    vendor: str | None
    policies: list[PolicyScoreBody] = Field(description="The reviewer on each policy")
    disagreements: list[DisagreementBody] = Field(description="Up to 5 newest, as evidence")


class VendorScoreBody(ScoreFields):
    vendor: str


class QueueScoreBody(ScoreFields):
    queue: str


class ConfusionBody(Shape):
    labels: list[str]
    matrix: list[list[int]] = Field(
        description="matrix[i][j]: decisions whose answer was labels[i] that said labels[j]"
    )


class ConfusedPairBody(Shape):
    a: str
    b: str
    count: int
    share: float = Field(description="Of all disagreements")


class DriftPointBody(Shape):
    period_start: datetime
    decisions: int
    scored: int
    accuracy: float | None
    accuracy_low: float | None
    accuracy_high: float | None


class QualityReportBody(Shape):
    as_of: datetime
    since: datetime | None
    queue: str | None
    thresholds: ThresholdsBody
    agreement: AgreementBody
    pairs: list[PairBody]
    reviewers: list[ReviewerScoreBody]
    vendors: list[VendorScoreBody]
    queues: list[QueueScoreBody]
    policies: list[PolicyScoreBody]
    confusion: ConfusionBody
    confused_pairs: list[ConfusedPairBody]
    drift: list[DriftPointBody] = Field(description="Per week from Monday, or per day when the span is under two weeks")


@router.get(
    "/quality/report",
    summary="Agreement, accuracy with intervals and flags per reviewer, vendor, queue and policy, drift",
    response_model=QualityReportBody,
)
def get_quality_report(
    since: datetime | None = Query(None, description="Only decisions from this time (UTC when it names no zone)"),
    queue: str | None = Query(None, max_length=128, description="Only decisions in this queue"),
    principal: Principal = Depends(requires(Permission.QUALITY_READ)),
    context: AppContext = Depends(app_context),
) -> Response:
    now = context.clock()
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=now.tzinfo)
    found = quality_report(context.database, now=now, since=since, queue=queue or None)
    return json_response(QualityReportBody.model_validate(found.as_json()))
