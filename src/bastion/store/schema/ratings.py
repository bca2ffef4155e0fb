"""Decisions made outside Bastion, imported for quality analysis, and the raters who made them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.schema.base import Base, Key


class Rater(Base):
    """Someone whose decisions were imported: a Bastion user (`user_pk`) or an external rater, who
    is only a name here and can never log in."""

    __tablename__ = "raters"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)  # the file's reviewer_id
    user_pk: Mapped[int | None] = mapped_column(ForeignKey("users.pk"))
    vendor: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]


class ImportedDecision(Base):
    """One label a rater gave a content item elsewhere: a policy id, "none", or any category name."""

    __tablename__ = "imported_decisions"
    __table_args__ = (
        UniqueConstraint("content_pk", "rater_pk", "decided_at"),
        Index("ix_imported_decisions_decided_at", "decided_at"),
    )

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    content_pk: Mapped[int] = mapped_column(ForeignKey("content_items.pk"), index=True)
    rater_pk: Mapped[int] = mapped_column(ForeignKey("raters.pk"), index=True)
    label: Mapped[str] = mapped_column(String(128))
    queue: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime]
    imported_at: Mapped[datetime]
