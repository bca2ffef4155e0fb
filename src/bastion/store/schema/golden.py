"""Golden sets: items with a known answer, served inside normal queues and scored, never enforced."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.schema.base import Base, Key


class GoldenSet(Base):
    """A named golden set and how often it is served: in each queue it has items for, golden jobs of the
    last 24 hours match `share` of the real jobs opened there in that time, plus `per_day`."""

    __tablename__ = "golden_sets"
    __table_args__ = (
        CheckConstraint("share >= 0 AND share <= 1", name="share"),
        CheckConstraint("per_day >= 0", name="per_day"),
    )

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    share: Mapped[float] = mapped_column(Float)
    per_day: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(128))


class GoldenItem(Base):
    """A content item of a golden set with its known answer (a policy id, or None for no violation)
    and the rationale behind it. A job serving it has `jobs.golden_pk` set and looks like any other."""

    __tablename__ = "golden_items"
    __table_args__ = (UniqueConstraint("golden_set", "content_pk"),)

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    golden_set: Mapped[str] = mapped_column(String(64), index=True)
    queue: Mapped[str] = mapped_column(String(64))  # the queue its jobs are served in
    content_pk: Mapped[int] = mapped_column(ForeignKey("content_items.pk"), index=True)
    policy_id: Mapped[str | None] = mapped_column(String(128))  # the answer; None: no violation
    rationale: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(128))
    retired_at: Mapped[datetime | None]
