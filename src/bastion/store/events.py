"""Appending to and reading the event log. Rows are never updated or deleted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bastion.domain.events import NewEvent
from bastion.domain.subjects import SubjectType
from bastion.store.schema import Event
from bastion.store.upsert import table_of


def append_events(session: Session, events: Sequence[NewEvent], *, recorded_at: datetime) -> None:
    """Write events in the caller's transaction, so a fact and the state it changes commit together."""
    if not events:
        return
    # Core insert on the table: the ORM's bulk path costs more than the row building itself.
    session.execute(
        _INSERT,
        [
            {
                "kind": e.kind,
                "subject_type": str(e.subject_type),
                "subject_pk": e.subject_pk,
                "occurred_at": e.occurred_at,
                "recorded_at": recorded_at,
                "principal": e.principal,
                "data": e.data,
            }
            for e in events
        ],
    )


_INSERT = insert(table_of(Event))


def subject_history(session: Session, subject_type: SubjectType, subject_pk: int, limit: int = 500) -> list[Event]:
    """A subject's newest `limit` events, oldest first (what happened last matters most on a busy subject)."""
    rows = session.scalars(
        select(Event)
        .where(Event.subject_type == subject_type.value, Event.subject_pk == subject_pk)
        .order_by(Event.pk.desc())
        .limit(limit)
    )
    return list(rows)[::-1]
