"""The ingest service: what a content item's event records, and that content is stored as the store's types store it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert, select

from bastion.clock import FrozenClock
from bastion.domain.events import EventKind, NewEvent
from bastion.domain.subjects import IngestKind, SubjectType
from bastion.ingest.service import (
    CONTENT_COLUMNS,
    _content_created,
    ingest_batch,
    prepared_for_store,
    record_batch,
    validate_batch,
)
from bastion.store.database import Database
from bastion.store.events import append_events
from bastion.store.schema import ContentItem


@given(ident=st.text(), content_type=st.sampled_from(["post", "comment"]), surface=st.none() | st.text())
def test_a_content_event_records_what_json_dumps_would_write(
    ident: str, content_type: str, surface: str | None
) -> None:
    data = {"id": ident, "type": content_type, "surface": surface}
    assert _content_created(ident, content_type, surface) == json.dumps(data)


@pytest.mark.parametrize("prepared_for", [None, "this store", "the other store"])
def test_content_and_its_event_are_stored_as_sqlalchemy_stores_them(
    database: Database, clock: FrozenClock, prepared_for: str | None
) -> None:
    """The content path converts its rows itself (times once per item), or takes them as a batch
    importer prepared them for its store: the bytes must not change."""
    item = {
        "id": "c1",
        "actor_id": "a1",
        "type": "post",
        "text": "olá",
        "language": "pt",
        "surface": "feed",
        "created_at": "2026-01-02T03:04:05.678+02:00",
        "views": 7,
    }
    actors = [{"id": "a1", "created_at": "2026-01-01T00:00:00Z"}]
    ingest_batch(database, IngestKind.ACTORS, actors, principal="p", now=clock(), action="ingest.a", target="t")
    batch = validate_batch(IngestKind.CONTENT, [item])
    if prepared_for is not None:
        other = "postgresql" if database.dialect == "sqlite" else "sqlite"
        batch = prepared_for_store(batch, database.dialect if prepared_for == "this store" else other)
    record_batch(database, batch, principal="p", now=clock(), action="ingest.c", target="t")
    with database.transaction() as session:
        imported = session.scalars(select(ContentItem).where(ContentItem.external_id == "c1")).one()
        values = {column: getattr(imported, column) for column in CONTENT_COLUMNS} | {"external_id": "c2"}
        session.execute(insert(ContentItem), [values])
        pk = session.scalars(select(ContentItem.pk).where(ContentItem.external_id == "c2")).one()
        event = NewEvent(
            EventKind.CONTENT_CREATED,
            SubjectType.CONTENT,
            pk,
            imported.created_at,
            "p",
            {"id": "c1", "type": "post", "surface": "feed"},
        )
        append_events(session, [event], recorded_at=clock())
    rows = _raw(database, "SELECT * FROM content_items WHERE external_id IN ('c1', 'c2') ORDER BY pk")
    assert rows[0][2:] == rows[1][2:]  # all but the key and the id
    if database.dialect == "sqlite":  # the time as SQLAlchemy writes it: UTC, microseconds, no zone
        assert rows[0][11] == "2026-01-02 01:04:05.678000"
    events = _raw(database, "SELECT * FROM events WHERE kind = 'content.created' ORDER BY pk")
    assert [e[1:3] + e[4:] for e in events[:1]] == [e[1:3] + e[4:] for e in events[1:]]  # all but the key and subject


def _raw(database: Database, query: str) -> list[tuple[Any, ...]]:
    with database.transaction() as session:
        return [tuple(row) for row in session.connection().exec_driver_sql(query)]
