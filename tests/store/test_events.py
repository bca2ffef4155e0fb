"""The event log's reading side: a subject's history."""

from __future__ import annotations

from datetime import timedelta

from bastion.clock import FrozenClock
from bastion.domain.events import EventKind, NewEvent
from bastion.domain.subjects import SubjectType
from bastion.store.database import Database
from bastion.store.events import append_events, subject_history


def test_a_long_history_keeps_the_newest_events_oldest_first(database: Database, clock: FrozenClock) -> None:
    start = clock()
    events = [
        NewEvent(EventKind.REPORT_FILED, SubjectType.CONTENT, 7, start + timedelta(minutes=i), "t", {"n": i})
        for i in range(12)
    ]
    with database.transaction() as session:
        append_events(session, events, recorded_at=start)
        append_events(
            session, [NewEvent(EventKind.REPORT_FILED, SubjectType.CONTENT, 8, start, "t", {})], recorded_at=start
        )
    with database.transaction() as session:
        history = subject_history(session, SubjectType.CONTENT, 7, limit=5)
        assert [e.data["n"] for e in history] == [7, 8, 9, 10, 11]
        assert len(subject_history(session, SubjectType.CONTENT, 7)) == 12
