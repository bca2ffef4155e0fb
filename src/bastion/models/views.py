"""What the models page and its JSON twin show: each model in force (or every version), its card, its
agreement with reviewers, and the scores it gave most recently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion.models.agreement import model_agreement
from bastion.models.measures import BinaryMeasures
from bastion.models.versions import find_version
from bastion.store.schema import ContentItem, ModelScore, ModelVersion

NOT_MEASURED_YET = (
    "QA reviews and golden answers do not exist in Bastion yet (they come with the quality area): a model's "
    "accuracy on them cannot be measured. Agreement with reviewers' decisions is measured instead (above, "
    "and on each model's page)."
)
RECENT_SCORES = 50


@dataclass(frozen=True)
class ModelSummary:
    name: str
    version: int
    kind: str
    policy: str
    mode: str
    threshold: float | None
    created_at: datetime
    created_by: str
    retired_at: datetime | None
    scored: int  # items this version scored
    agreement: BinaryMeasures  # against reviewers' decisions on the items it scored


@dataclass(frozen=True)
class ScoreRecord:
    content_id: str
    score: float
    verdict: str
    reasoning: str | None  # the reasoning a prompt model stated
    latency_ms: float
    scored_at: datetime


@dataclass(frozen=True)
class ModelDetail:
    model: ModelSummary
    config: dict[str, Any]  # endpoint, timeout, threshold; never a secret (only the name of a key's variable)
    card: dict[str, Any]
    versions: list[ModelSummary]  # every version of the name, newest first
    recent: list[ScoreRecord]  # the newest scores of this version
    qa_and_golden: str = NOT_MEASURED_YET


def _summary(session: Session, row: ModelVersion) -> ModelSummary:
    scored = session.scalar(select(func.count()).where(ModelScore.model_version_pk == row.pk)) or 0
    threshold = row.config.get("threshold")
    return ModelSummary(
        name=row.name,
        version=row.version,
        kind=row.kind,
        policy=row.policy_id,
        mode=row.mode,
        threshold=float(threshold) if threshold is not None else None,
        created_at=row.created_at,
        created_by=row.created_by,
        retired_at=row.retired_at,
        scored=int(scored),
        agreement=model_agreement(session, row.pk, row.policy_id),
    )


def list_models(session: Session, *, retired: bool = False) -> list[ModelSummary]:
    """The model in force under each name (with `retired`, every version), by name, newest first."""
    query = select(ModelVersion).order_by(ModelVersion.name, ModelVersion.version.desc())
    if not retired:
        query = query.where(ModelVersion.retired_at.is_(None))
    return [_summary(session, row) for row in session.scalars(query)]


def model_detail(session: Session, name: str, version: int | None = None) -> ModelDetail:
    """A model's version (by default the one in force): its card, agreement, versions and newest scores."""
    row = find_version(session, name, version)
    versions = session.scalars(
        select(ModelVersion).where(ModelVersion.name == name).order_by(ModelVersion.version.desc())
    )
    recent = session.execute(
        select(
            ContentItem.external_id,
            ModelScore.score,
            ModelScore.verdict,
            ModelScore.reasoning,
            ModelScore.latency_ms,
            ModelScore.scored_at,
        )
        .join(ContentItem, ContentItem.pk == ModelScore.content_pk)
        .where(ModelScore.model_version_pk == row.pk)
        .order_by(ModelScore.pk.desc())
        .limit(RECENT_SCORES)
    )
    return ModelDetail(
        model=_summary(session, row),
        config=dict(row.config),
        card=dict(row.card),
        versions=[_summary(session, other) for other in versions],
        recent=[ScoreRecord(str(c), float(s), str(v), r, float(ms), at) for c, s, v, r, ms, at in recent],
    )
