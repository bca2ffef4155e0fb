"""Matching: PDQ hash banks, their entries, and the matches found between entries and stored content."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bastion.domain.match import HashBankKind, MatchStatus
from bastion.domain.review import one_of
from bastion.store.schema.base import Base, Key


class HashBank(Base):
    """A named set of PDQ hashes: what content within `threshold` bits of one of them is (a match bank's
    `policy`), or that it is known to be fine (an allow bank). `version` grows with every change (settings
    or entries), so that detectors and indexes know when to catch up."""

    __tablename__ = "hash_banks"
    __table_args__ = (
        CheckConstraint(one_of("kind", HashBankKind), name="kind"),
        CheckConstraint("threshold >= 0 AND threshold <= 128", name="threshold"),
        CheckConstraint("(flood_limit IS NULL) = (flood_window_seconds IS NULL)", name="flood"),
    )

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(8))
    threshold: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    policy_id: Mapped[str | None] = mapped_column(String(128))
    flood_limit: Mapped[int | None] = mapped_column(Integer)  # more matches of one entry than this …
    flood_window_seconds: Mapped[int | None] = mapped_column(Integer)  # … within this long: quarantined
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(128))


class HashBankEntry(Base):
    """One hash in a bank. Removing it keeps the row (matches point at it) and sets `removed_at`; at most
    one entry of a bank holds a given hash at a time."""

    __tablename__ = "hash_bank_entries"
    __table_args__ = (
        Index(
            "uq_hash_bank_entries_active",
            "bank_pk",
            "hash",
            unique=True,
            sqlite_where=text("removed_at IS NULL"),
            postgresql_where=text("removed_at IS NULL"),
        ),
    )

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    bank_pk: Mapped[int] = mapped_column(ForeignKey("hash_banks.pk"), index=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    label: Mapped[str] = mapped_column(String(256), default="")
    source: Mapped[str] = mapped_column(String(512), default="")
    added_at: Mapped[datetime]
    added_by: Mapped[str] = mapped_column(String(128))
    removed_at: Mapped[datetime | None]


class HashMatch(Base):
    """A content item matched a bank entry: found when the item was detected, or later (`retroactive`) when
    the entry was added. One row per (content, entry), so a match is acted on once."""

    __tablename__ = "hash_matches"
    __table_args__ = (
        Index("uq_hash_matches_content_entry", "content_pk", "entry_pk", unique=True),
        Index("ix_hash_matches_entry_found", "entry_pk", "found_at"),
        Index("ix_hash_matches_bank_found", "bank_pk", "found_at"),
        CheckConstraint(one_of("status", MatchStatus), name="status"),
    )

    pk: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    content_pk: Mapped[int] = mapped_column(ForeignKey("content_items.pk"))
    bank_pk: Mapped[int] = mapped_column(ForeignKey("hash_banks.pk"))
    entry_pk: Mapped[int] = mapped_column(ForeignKey("hash_bank_entries.pk"))
    distance: Mapped[int] = mapped_column(Integer)
    found_at: Mapped[datetime]
    retroactive: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12))
