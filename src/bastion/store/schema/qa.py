"""QA sampling: the plans that pick decisions for blind re-review, and the decisions they picked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bastion.domain.quality import SampleReason
from bastion.domain.review import one_of
from bastion.store.schema.base import Base, Document, Key


class QaPlan(Base):
    """How one queue's decisions are sampled for QA: a random rate, stratum rates and targets (JSON),
    and the QA queue the sampled decisions go to. Changing a plan adds a version; the newest is in force."""

    __tablename__ = "qa_plans"
    __table_args__ = (UniqueConstraint("queue", "version"),)

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    queue: Mapped[str] = mapped_column(String(64), index=True)  # the queue whose decisions are sampled
    version: Mapped[int] = mapped_column(Integer)
    qa_queue: Mapped[str] = mapped_column(String(64))  # where the sampled decisions are re-reviewed
    rate: Mapped[float] = mapped_column(Float)  # the base random rate, 0..1
    strata: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)  # {"policy": {"hate_speech": 0.2}, ...}
    # {"low_confidence": {"below": 0.6, "rate": 0.5}, "new_reviewer": {...}, ...}
    targets: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(128))


class QaSample(Base):
    """A decision a plan sampled, and the QA job that re-reviews it blind (one sample per decision)."""

    __tablename__ = "qa_samples"
    __table_args__ = (CheckConstraint(one_of("reason", SampleReason), name="reason"),)

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    decision_pk: Mapped[int] = mapped_column(ForeignKey("decisions.pk"), unique=True)
    plan_pk: Mapped[int] = mapped_column(ForeignKey("qa_plans.pk"), index=True)
    job_pk: Mapped[int] = mapped_column(ForeignKey("jobs.pk"), unique=True)
    reason: Mapped[str] = mapped_column(String(32))
    sampled_at: Mapped[datetime]
