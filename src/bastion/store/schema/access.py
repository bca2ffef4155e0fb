"""Who may use Bastion and what they did: users, API keys, web sessions, failed attempts, the hash-chained
audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.schema.base import Base, Document, Key


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


class AuthFailure(Base):
    """One failed login or API key, counted against an account or an address for throttling.

    Only a digest of the account name or address is kept: people type passwords into the name field.
    Rows older than the longest throttle window are deleted as new failures come in.
    """

    __tablename__ = "auth_failures"
    __table_args__ = (Index("ix_auth_failures_key_at", "key_hash", "at"),)

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(32))
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)


class AuditRecord(Base):
    """One row of the hash-chained audit log: who did or saw what, when.

    `seq` is the row's place in the chain. A row a claim or a decision appended on PostgreSQL is
    unsealed until the sealer chains it (`bastion.audit_log.seal`): its `seq` is then negative (minus
    its place in arrival order), its `prev_hash` and `hash` empty, and `middle` holds the canonical
    JSON its hash will cover; sealing gives it the next `seq`, its link and hash, and clears `middle`.
    """

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    principal: Mapped[str] = mapped_column(String(256))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(512))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    middle: Mapped[str | None] = mapped_column(Text)  # unsealed rows only: what the hash will cover


class AuditPending(Base):
    """An audit row waiting for its transaction's commit (PostgreSQL): a deferred trigger then moves it
    into the chain. Never holds a committed row; SQLite does not use it, and neither do claims and
    decisions, which append their rows unsealed (see AuditRecord)."""

    __tablename__ = "audit_pending"

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    principal: Mapped[str] = mapped_column(String(256))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(512))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    middle: Mapped[str] = mapped_column(Text)  # the canonical JSON the row's hash covers, bar seq and link


class AuditHead(Base):
    """The single row holding the chain's last sequence number and hash; also its append lock."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Key)
    prev_hash: Mapped[str] = mapped_column(String(64), default="0" * 64)  # the last row's link
    hash: Mapped[str] = mapped_column(String(64))


# --- review operations -------------------------------------------------------------------------------
