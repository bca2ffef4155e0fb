"""The relational schema of Bastion's store (SQLAlchemy 2, typed).

Naming: `*_pk` columns are Bastion's own surrogate keys; `external_id` is the platform's own id,
unique per subject type. Timestamps are stored in UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from bastion.clock import as_utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit keys on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the fast rowid alias.
Key = BigInteger().with_variant(Integer(), "sqlite")
Document = JSON().with_variant(JSONB(), "postgresql")


class Moment(TypeDecorator[datetime]):
    """A point in time, stored in UTC and always read back as an aware UTC datetime, on every backend.

    (SQLite keeps no zone, PostgreSQL answers in the session's zone; readers never have to care.)
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: Document, datetime: Moment()}  # noqa: RUF012


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


class User(Base):
    __tablename__ = "users"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    roles: Mapped[list[str]] = mapped_column(Document)
    vendor: Mapped[str | None] = mapped_column(String(128))
    languages: Mapped[list[str]] = mapped_column(Document, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class ApiKey(Base):
    __tablename__ = "api_keys"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    role: Mapped[str | None] = mapped_column(String(32))
    user_pk: Mapped[int | None] = mapped_column(ForeignKey("users.pk"))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    __tablename__ = "web_sessions"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_pk: Mapped[int] = mapped_column(ForeignKey("users.pk"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class AuditRecord(Base):
    """One row of the hash-chained audit log: who did or saw what, when."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    principal: Mapped[str] = mapped_column(String(256))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(512))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The single row holding the chain's last sequence number and hash; also its append lock."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Key)
    hash: Mapped[str] = mapped_column(String(64))
