"""The durable queue of content items waiting for detection.

An item is queued in the transaction that stores it (the detection area's `content_stored` hook), so a
crash right after the commit loses nothing; it leaves the queue in the transaction that records its
verdict, so no item is evaluated twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from bastion.store.bulk import driver_converter, insert_rows
from bastion.store.schema import DetectionQueueItem
from bastion.store.upsert import table_of

_TABLE = table_of(DetectionQueueItem)
_COLUMNS = ("content_pk", "enqueued_at", "available_at", "attempts")


def enqueue(session: Session, content_pks: Sequence[int], *, now: datetime) -> None:
    """Queue these stored content items for detection, in the caller's transaction."""
    at = driver_converter(session.get_bind().dialect.name, _TABLE, "enqueued_at")(now)  # once, not twice a row
    insert_rows(session, _TABLE, _COLUMNS, [(pk, at, at, 0) for pk in content_pks], converted=True)
