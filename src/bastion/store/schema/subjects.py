"""Subjects and what the platform tells about them: actors, content items, reports, views, the event log,
and the versioned policies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.schema.base import Base, Document, Key


class Actor(Base):
    __tablename__ = "actors"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(256), unique=True)
    created_at: Mapped[datetime]
    country: Mapped[str | None] = mapped_column(String(2))
    language: Mapped[str | None] = mapped_column(String(16))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime]


class ContentItem(Base):
    __tablename__ = "content_items"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(256), unique=True)
    actor_pk: Mapped[int] = mapped_column(ForeignKey("actors.pk"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(String(2048))
    media_pdq: Mapped[str | None] = mapped_column(String(64))
    media_quality: Mapped[int | None] = mapped_column(Integer)  # the PDQ quality, 0-100, when known
    language: Mapped[str | None] = mapped_column(String(16))
    language_detected: Mapped[bool] = mapped_column(Boolean, default=False)
    country: Mapped[str | None] = mapped_column(String(2))
    surface: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(index=True)
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    received_at: Mapped[datetime]


class Report(Base):
    __tablename__ = "reports"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(256), unique=True)
    content_pk: Mapped[int | None] = mapped_column(ForeignKey("content_items.pk"), index=True)
    actor_pk: Mapped[int | None] = mapped_column(ForeignKey("actors.pk"), index=True)
    reporter_id: Mapped[str | None] = mapped_column(String(256), index=True)
    reason: Mapped[str] = mapped_column(String(256))
    policy_id: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
    received_at: Mapped[datetime]


class View(Base):
    """A sampled impression of a content item; `weight` real impressions stand behind each sample."""

    __tablename__ = "views"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(256), unique=True)
    content_pk: Mapped[int] = mapped_column(ForeignKey("content_items.pk"), index=True)
    viewer_id: Mapped[str | None] = mapped_column(String(256))
    viewed_at: Mapped[datetime] = mapped_column(index=True)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    received_at: Mapped[datetime]


class Event(Base):
    """The append-only log of facts. State elsewhere is a projection of these rows."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_subject", "subject_type", "subject_pk", "pk"),)

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_pk: Mapped[int] = mapped_column(Key)
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    principal: Mapped[str] = mapped_column(String(256))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PolicyVersion(Base):
    """One version of one policy; a load that changes a policy adds a version, never edits one."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("policy_id", "version"),)

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    policy_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(256))
    severity: Mapped[int] = mapped_column(Integer)
    allowed_actions: Mapped[list[str]] = mapped_column(Document)
    guidance: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    dsa_category: Mapped[str] = mapped_column(String(128))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(512))
    loaded_at: Mapped[datetime]
    loaded_by: Mapped[str] = mapped_column(String(128))
