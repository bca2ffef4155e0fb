"""Labels on entities: `spam-wave` on an IP address, `trusted` on an actor, each until it expires.

A rule reads the unexpired labels of the entities of an item (`signals.labels.<entity>`), a rule's
`label` effect puts one on, and analysts add and remove them by hand (CLI, API). A label is **active**
from when it is added until it expires or is removed; a row is never deleted, so what was labelled when
stays answerable. Adding a label that is already active extends it (a later expiry, or none) rather
than adding a second row; it never shortens it.

Manual changes are recorded in the audit log (`label.add`, `label.remove`); a rule's labels are
recorded with the rule's hit instead (`audited=False`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, or_, select, text
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.clock import as_utc
from bastion.domain.detect import EntityType
from bastion.errors import FieldError, InvalidInput
from bastion.ingest.payloads import text_problem
from bastion.store.schema import EntityLabel

LABEL_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.:-]{0,127}")
MAX_VALUE = 2048
ENTITY_TYPES = tuple(entity.value for entity in EntityType)
MAX_PAGE = 1000


class LabelStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REMOVED = "removed"


@dataclass(frozen=True)
class LabelView:
    """One label as listed: the same for the CLI, the API and pages."""

    id: int
    entity_type: str
    value: str
    label: str
    status: LabelStatus
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    removed_at: datetime | None


def label_problems(entity_type: str, value: str, label: str) -> list[FieldError]:
    """Every reason these are not a label on an entity, each naming its field."""
    problems = []
    if entity_type not in ENTITY_TYPES:
        problems.append(FieldError("entity_type", "must be " + _one_of(ENTITY_TYPES)))
    value_problem = text_problem(value)
    if not value:
        problems.append(FieldError("value", "must not be empty"))
    elif len(value) > MAX_VALUE:
        problems.append(FieldError("value", f"must be at most {MAX_VALUE:,} characters"))
    elif value_problem is not None:
        problems.append(FieldError("value", value_problem))
    if LABEL_PATTERN.fullmatch(label) is None:
        problems.append(
            FieldError(
                "label",
                "must be 1 to 128 characters, lower-case letters, digits and _ . : -, starting with a letter or digit",
            )
        )
    return problems


def _one_of(words: Collection[str]) -> str:
    quoted = [f"'{word}'" for word in words]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _check(entity_type: str, value: str, label: str, extra: list[FieldError] | None = None) -> None:
    problems = label_problems(entity_type, value, label) + (extra or [])
    if problems:
        raise InvalidInput("the label is not valid", problems)


def _active(now: datetime) -> ColumnElement[bool]:
    return and_(EntityLabel.removed_at.is_(None), or_(EntityLabel.expires_at.is_(None), EntityLabel.expires_at > now))


def _same(entity_type: str, value: str, label: str) -> ColumnElement[bool]:
    return and_(EntityLabel.entity_type == entity_type, EntityLabel.entity_value == value, EntityLabel.label == label)


def _one_at_a_time(session: Session, entity_type: str, value: str, label: str) -> None:
    """Serialise changes to one label on one entity until the transaction ends, so two concurrent adds
    cannot both find it absent and add two rows. SQLite's writers already take turns (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"entity_label\0{entity_type}\0{value}\0{label}".encode("utf-8", "surrogatepass"))
    session.execute(
        text("SELECT pg_advisory_xact_lock(:key)"), {"key": int.from_bytes(digest.digest()[:8], "big", signed=True)}
    )


def add_label(
    session: Session,
    entity_type: str,
    value: str,
    label: str,
    *,
    expires_at: datetime | None,
    by: str,
    now: datetime,
    audited: bool = True,
) -> EntityLabel:
    """Put `label` on the entity until `expires_at` (None: until removed), in the caller's transaction.

    If the label is already active there, it is extended instead: its expiry becomes the later of the
    two (none if either has none). `by` is the principal (`user:alice`) or the rule (`rule:NAME@VERSION`).
    """
    expiry_problems = []
    if expires_at is not None and as_utc(expires_at) <= as_utc(now):
        expiry_problems.append(FieldError("expires_at", "must be later than now"))
    _check(entity_type, value, label, expiry_problems)
    _one_at_a_time(session, entity_type, value, label)
    existing = session.scalars(
        select(EntityLabel)
        .where(_same(entity_type, value, label), _active(now))
        .order_by(EntityLabel.pk)
        .limit(1)
        .with_for_update()
    ).first()
    if existing is not None:
        before = existing.expires_at
        if before is not None and (expires_at is None or as_utc(expires_at) > as_utc(before)):
            existing.expires_at = expires_at
        row = existing
        session.flush()
    else:
        before = None
        row = EntityLabel(
            entity_type=entity_type,
            entity_value=value,
            label=label,
            created_at=now,
            expires_at=expires_at,
            created_by=by,
            removed_at=None,
        )
        session.add(row)
        session.flush()
    if audited:
        details = {
            "label": label,
            "expires_at": row.expires_at,
            "extended": existing is not None,
            **({"previous_expires_at": before} if existing is not None else {}),
        }
        audit_log.record(
            session, principal=by, action="label.add", target=_target(entity_type, value), at=now, details=details
        )
    return row


def remove_label(session: Session, entity_type: str, value: str, label: str, *, by: str, now: datetime) -> bool:
    """End the active label now (the row stays, with `removed_at`); False when it was not active."""
    _check(entity_type, value, label)
    _one_at_a_time(session, entity_type, value, label)
    rows = session.scalars(
        select(EntityLabel).where(_same(entity_type, value, label), _active(now)).with_for_update()
    ).all()
    for row in rows:
        row.removed_at = now
    if rows:
        session.flush()
        audit_log.record(
            session,
            principal=by,
            action="label.remove",
            target=_target(entity_type, value),
            at=now,
            details={"label": label},
        )
    return bool(rows)


def _target(entity_type: str, value: str) -> str:
    return f"{entity_type}:{value}"


def labels_of(
    session: Session, keys: Mapping[str, Collection[str]], now: datetime
) -> dict[tuple[str, str], frozenset[str]]:
    """The active labels of every entity named, in one query: {(entity_type, value): labels}, with an
    empty set for an entity without any. `keys`: entity type -> its values, e.g. {"actor": ["a_1"],
    "url": ["https://x.example/a", "https://y.example/"]}; empty values are left out."""
    unknown = set(keys) - set(ENTITY_TYPES)
    if unknown:
        raise ValueError(f"labels are on {', '.join(ENTITY_TYPES)}; not {', '.join(sorted(unknown))}")
    found: dict[tuple[str, str], set[str]] = {}
    conditions = []
    for entity_type, values in keys.items():
        wanted = sorted({value for value in values if value and len(value) <= MAX_VALUE})
        if wanted:
            for value in wanted:
                found[(entity_type, value)] = set()
            conditions.append(and_(EntityLabel.entity_type == entity_type, EntityLabel.entity_value.in_(wanted)))
    if conditions:
        rows = session.execute(
            select(EntityLabel.entity_type, EntityLabel.entity_value, EntityLabel.label).where(
                or_(*conditions), _active(now)
            )
        )
        for entity_type, value, label in rows:
            found[(entity_type, value)].add(label)
    return {key: frozenset(labels) for key, labels in found.items()}


def list_labels(
    session: Session,
    *,
    now: datetime,
    entity_type: str | None = None,
    value: str | None = None,
    label: str | None = None,
    include_expired: bool = False,
    before: int | None = None,
    limit: int = 100,
) -> list[LabelView]:
    """Labels newest first, at most `limit` with an id below `before` (the next page: the last id listed).
    Only active ones unless `include_expired`, which lists expired and removed ones too."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("the listing is not valid", [FieldError("limit", f"must be from 1 to {MAX_PAGE:,}")])
    if entity_type is not None and entity_type not in ENTITY_TYPES:
        raise InvalidInput("the listing is not valid", [FieldError("entity_type", "must be " + _one_of(ENTITY_TYPES))])
    query = select(EntityLabel).order_by(EntityLabel.pk.desc()).limit(limit)
    if entity_type is not None:
        query = query.where(EntityLabel.entity_type == entity_type)
    if value is not None:
        query = query.where(EntityLabel.entity_value == value)
    if label is not None:
        query = query.where(EntityLabel.label == label)
    if not include_expired:
        query = query.where(_active(now))
    if before is not None:
        query = query.where(EntityLabel.pk < before)
    return [label_view(row, now) for row in session.scalars(query)]


def label_view(row: EntityLabel, now: datetime) -> LabelView:
    if row.removed_at is not None:
        status = LabelStatus.REMOVED
    elif row.expires_at is not None and as_utc(row.expires_at) <= as_utc(now):
        status = LabelStatus.EXPIRED
    else:
        status = LabelStatus.ACTIVE
    return LabelView(
        id=row.pk,
        entity_type=row.entity_type,
        value=row.entity_value,
        label=row.label,
        status=status,
        created_at=as_utc(row.created_at),
        created_by=row.created_by,
        expires_at=None if row.expires_at is None else as_utc(row.expires_at),
        removed_at=None if row.removed_at is None else as_utc(row.removed_at),
    )
