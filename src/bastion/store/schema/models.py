"""Models: versions of the classifiers and model endpoints that score content, with their model cards,
and the scores they gave."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bastion.domain.models import ModelKind, ModelMode, ModelVerdict
from bastion.domain.review import one_of
from bastion.store.schema.base import Base, Document, Key


class ModelVersion(Base):
    """One version of one model. Training (or registering an endpoint) under a name adds a version and
    retires the previous one; the newest version of a name that is not retired is in force.

    `artefact` is the built-in classifier as Bastion serialised it (NumPy arrays, never a pickle) and
    `artefact_sha256` its digest, checked before it is loaded; endpoints have none."""

    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("name", "version"),
        CheckConstraint(one_of("kind", ModelKind), name="kind"),
        CheckConstraint(one_of("mode", ModelMode), name="mode"),
    )

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    policy_id: Mapped[str] = mapped_column(String(128))  # the policy, or the family, it scores
    mode: Mapped[str] = mapped_column(String(8))
    artefact: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    artefact_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    config: Mapped[dict[str, Any]] = mapped_column(Document)  # endpoint, timeout, threshold, …
    card: Mapped[dict[str, Any]] = mapped_column(Document)  # the model card
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(128))
    retired_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ModelScore(Base):
    """What one model version said of one content item: its score (the probability of violating its
    policy), its verdict at the version's threshold and, for prompt models, the reasoning it stated."""

    __tablename__ = "model_scores"
    __table_args__ = (
        UniqueConstraint("model_version_pk", "content_pk"),
        CheckConstraint(one_of("verdict", ModelVerdict), name="verdict"),
    )

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    model_version_pk: Mapped[int] = mapped_column(ForeignKey("model_versions.pk"))
    content_pk: Mapped[int] = mapped_column(ForeignKey("content_items.pk"), index=True)
    score: Mapped[float] = mapped_column(Float)
    verdict: Mapped[str] = mapped_column(String(16))
    reasoning: Mapped[str | None] = mapped_column(Text, nullable=True)
    latency_ms: Mapped[float] = mapped_column(Float)
    scored_at: Mapped[datetime]
