"""Appending to and reading the event log. Rows are never updated or deleted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion.domain.events import NewEvent
from bastion.domain.subjects import SubjectType
from bastion.store.bulk import insert_rows
from bastion.store.schema import Event
from bastion.store.upsert import table_of


def append_events(session: Session, events: Sequence[NewEvent], *, recorded_at: datetime) -> None:
    """Write events in the caller's transaction, so a fact and the state it changes commit together."""
    if not events:
        return
    # One bulk statement whatever the count: an import writes thousands of events per transaction.
    rows = [
        (str(e.kind), str(e.subject_type), e.subject_pk, e.occurred_at, recorded_at, e.principal, e.data)
        for e in events
    ]
    insert_rows(session, _TABLE, EVENT_COLUMNS, rows)


def append_event_rows(session: Session, rows: Sequence[tuple[Any, ...]], *, converted: bool = False) -> None:
    """`append_events` for callers that build many events as rows (values in `EVENT_COLUMNS` order);
    `converted`: as the driver takes them (see `bulk.driver_converter`)."""
    if rows:
        insert_rows(session, _TABLE, EVENT_COLUMNS, rows, converted=converted)


_TABLE = table_of(Event)
EVENT_COLUMNS = ("kind", "subject_type", "subject_pk", "occurred_at", "recorded_at", "principal", "data")


def subject_history(session: Session, subject_type: SubjectType, subject_pk: int, limit: int = 500) -> list[Event]:
    """A subject's newest `limit` events, oldest first (what happened last matters most on a busy subject)."""
    rows = session.scalars(
        select(Event)
        .where(Event.subject_type == subject_type.value, Event.subject_pk == subject_pk)
        .order_by(Event.pk.desc())
        .limit(limit)
    )
    return list(rows)[::-1]
