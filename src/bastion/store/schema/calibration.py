"""Calibration exercises: a set of items every reviewer of a group decides, then compared and discussed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bastion.domain.quality import ExerciseStatus
from bastion.domain.review import one_of
from bastion.store.schema.base import Base, Key


class CalibrationExercise(Base):
    __tablename__ = "calibration_exercises"
    __table_args__ = (CheckConstraint(one_of("status", ExerciseStatus), name="status"),)

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    group: Mapped[str] = mapped_column(String(128))  # who takes part: "queue:<name>", "vendor:<name>" or "users:a,b"
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(128))
    closed_at: Mapped[datetime | None]


class CalibrationItem(Base):
    __tablename__ = "calibration_items"
    __table_args__ = (UniqueConstraint("exercise_pk", "content_pk"),)

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    exercise_pk: Mapped[int] = mapped_column(ForeignKey("calibration_exercises.pk"), index=True)
    content_pk: Mapped[int] = mapped_column(ForeignKey("content_items.pk"))
    position: Mapped[int] = mapped_column(Integer)


class CalibrationAnswer(Base):
    __tablename__ = "calibration_answers"
    __table_args__ = (UniqueConstraint("item_pk", "user_pk"),)

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    item_pk: Mapped[int] = mapped_column(ForeignKey("calibration_items.pk"), index=True)
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.pk"))
    label: Mapped[str] = mapped_column(String(128))  # a policy id or "none"
    rationale: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime]


class CalibrationNote(Base):
    """The discussion, recorded: what the group concluded about an item (or the whole exercise)."""

    __tablename__ = "calibration_notes"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    exercise_pk: Mapped[int] = mapped_column(ForeignKey("calibration_exercises.pk"), index=True)
    item_pk: Mapped[int | None] = mapped_column(ForeignKey("calibration_items.pk"))
    author: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime]
