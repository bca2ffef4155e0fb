"""Detection: rules, banks, signals, the pipeline and its worker, shadow runs, backtests and rule
performance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from bastion.plugins import hookimpl


@hookimpl
def content_stored(session: Session, content_pks: Sequence[int], now: datetime, principal: str) -> None:
    """Every stored content item is queued for detection in the transaction that stores it."""
    from bastion.detect.queue import enqueue

    enqueue(session, content_pks, now=now)
