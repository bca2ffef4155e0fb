"""Insight: saved SQL queries, prevalence rounds and their sampled views, trend alerts, and the
recommendations someone acted on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bastion.domain.insight import PrevalenceRoundStatus, TrendKind
from bastion.domain.review import one_of
from bastion.store.schema.base import Base, Document, Key


class SavedQuery(Base):
    """A read-only SQL query of the console, kept under a name; shared ones are listed for every analyst."""

    __tablename__ = "saved_queries"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    sql: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(128), index=True)  # the principal who saved it
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PrevalenceRound(Base):
    """One prevalence measurement: views of a period sampled, stratified by classifier score, for labelling."""

    __tablename__ = "prevalence_rounds"
    __table_args__ = (CheckConstraint(one_of("status", PrevalenceRoundStatus), name="status"),)

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    size: Mapped[int] = mapped_column(Integer)  # views asked for
    # The design: {"model": ..., "strata": [{"name", "low", "high", "population", "sample"}], ...}
    design: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)
    queue: Mapped[str] = mapped_column(String(64))  # the labelling queue
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(128))


class PrevalenceSample(Base):
    """A sampled view: its stratum, its sampling weight, and the labelling job that decides it."""

    __tablename__ = "prevalence_samples"
    __table_args__ = (UniqueConstraint("round_pk", "view_pk"),)

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    round_pk: Mapped[int] = mapped_column(ForeignKey("prevalence_rounds.pk"), index=True)
    view_pk: Mapped[int] = mapped_column(ForeignKey("views.pk"))
    content_pk: Mapped[int] = mapped_column(ForeignKey("content_items.pk"))
    stratum: Mapped[str] = mapped_column(String(64))
    weight: Mapped[float] = mapped_column(Float)  # views of the population this sampled view stands for
    # Times the item was drawn (views are drawn with replacement, one job per item): counted that often.
    draws: Mapped[int] = mapped_column(Integer, default=1)
    job_pk: Mapped[int | None] = mapped_column(ForeignKey("jobs.pk"), nullable=True, unique=True)


class TrendAlert(Base):
    """A detected change in a metric's series for a segment (a spike, a level shift), or an emerging term."""

    __tablename__ = "trend_alerts"
    __table_args__ = (
        CheckConstraint(one_of("kind", TrendKind), name="kind"),
        UniqueConstraint("kind", "metric", "segment_key", "at"),
    )

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str] = mapped_column(String(64))  # a metric name, or "term" for an emerging term
    segment_key: Mapped[str] = mapped_column(String(255))  # "policy=hate_speech|country=BR", sorted by key
    segment: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)
    at: Mapped[datetime]  # when the change began
    score: Mapped[float] = mapped_column(Float)  # 0..1, higher is surer
    evidence: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)  # series, baseline, term counts...
    detected_at: Mapped[datetime]


class RecommendationAction(Base):
    """A recommendation someone acted on (a draft bank entry, a rule change in shadow, an exercise)."""

    __tablename__ = "recommendation_actions"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), index=True)  # the recommendation's stable key
    kind: Mapped[str] = mapped_column(String(32))
    result: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)  # what was made: {"bank": ..., ...}
    acted_by: Mapped[str] = mapped_column(String(128))
    acted_at: Mapped[datetime]
