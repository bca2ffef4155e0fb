"""Bulk inserts store exactly what SQLAlchemy's types store, skip known keys, and stay in the transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from bastion.domain.events import EventKind, NewEvent
from bastion.domain.subjects import SubjectType
from bastion.store.bulk import SQLITE_BULK_CACHE_KIB, driver_converter, insert_rows, make_room_for_bulk_writes
from bastion.store.database import Database
from bastion.store.events import append_events
from bastion.store.schema import Actor, ContentItem, Event
from bastion.store.upsert import insert_new, table_of

AT = datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=timezone(timedelta(hours=2)))


def _actor(external_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "created_at": AT,
        "country": "BR",
        "language": None,
        "attributes": {"tier": "gold", "n": [1, 2]},
        "received_at": datetime(2026, 3, 5, tzinfo=UTC),
    } | extra


def _raw(database: Database, table: str, where: str) -> tuple[Any, ...]:
    """A row as the database holds it, read below SQLAlchemy's types."""
    with database.transaction() as session:
        row = session.connection().exec_driver_sql(f"SELECT * FROM {table} WHERE {where}").one()
    return tuple(row[1:])  # without the key


def test_bulk_rows_are_stored_as_sqlalchemy_stores_them(database: Database) -> None:
    with database.transaction() as session:
        session.execute(insert(Actor), [_actor("through-sqlalchemy")])
        insert_new(session, Actor, [_actor("in-bulk")])
        actor_pk = session.scalar(select(Actor.pk).where(Actor.external_id == "in-bulk"))
        content = {
            "actor_pk": actor_pk,
            "type": "post",
            "text": "hello",
            "media_url": None,
            "media_pdq": None,
            "language": "en",
            "language_detected": True,
            "country": None,
            "surface": "feed",
            "created_at": datetime(2026, 1, 1, 12, 0),  # naive: taken to be UTC, as the Moment type does
            "views": 3,
            "received_at": AT,
        }
        session.execute(insert(ContentItem), [content | {"external_id": "c-sqlalchemy"}])
        insert_new(session, ContentItem, [content | {"external_id": "c-bulk"}])

    through, bulk = (
        _raw(database, "actors", "external_id = 'through-sqlalchemy'"),
        _raw(database, "actors", "external_id = 'in-bulk'"),
    )
    assert bulk[1:] == through[1:]
    through, bulk = (
        _raw(database, "content_items", "external_id = 'c-sqlalchemy'"),
        _raw(database, "content_items", "external_id = 'c-bulk'"),
    )
    assert bulk[1:] == through[1:]
    with database.transaction() as session:
        stored = session.scalars(select(Actor).where(Actor.external_id == "in-bulk")).one()
        assert (stored.created_at, stored.attributes) == (AT.astimezone(UTC), {"tier": "gold", "n": [1, 2]})


def test_known_keys_are_skipped_and_only_new_rows_come_back(database: Database) -> None:
    with database.transaction() as session:
        first = insert_new(session, Actor, [_actor(f"a{i}") for i in range(3)])
    # More rows than one SQLite statement takes, and some already stored.
    rows = [_actor(f"a{i}") for i in range(1_234)]
    with database.transaction() as session:
        second = insert_new(session, Actor, rows)
        assert session.scalar(select(func.count()).select_from(Actor)) == 1_234
    assert set(first) == {"a0", "a1", "a2"}
    assert set(second) == {f"a{i}" for i in range(3, 1_234)}
    assert len(set(second.values()) | set(first.values())) == 1_234


def test_a_rolled_back_transaction_keeps_no_bulk_rows(database: Database) -> None:
    events = table_of(Event)
    columns = ("kind", "subject_type", "subject_pk", "occurred_at", "recorded_at", "principal", "data")
    row = ("content.created", "content", 1, AT, AT, "t", {"id": "c1"})
    many = [_actor(f"a{i}") for i in range(300)]  # PostgreSQL: enough to go by COPY and a staging table
    with pytest.raises(RuntimeError), database.transaction() as session:
        insert_new(session, Actor, many)
        insert_rows(session, events, columns, [row] * 700)
        raise RuntimeError("interrupted")
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Actor)) == 0
        assert session.scalar(select(func.count()).select_from(Event)) == 0
        assert insert_rows(session, events, columns, []) == []
    with database.transaction() as session:  # the staging table went with the rollback; it comes back
        assert len(insert_new(session, Actor, many)) == 300
        # Twice in one transaction: the second insert sees none of the first's staged rows.
        assert set(insert_new(session, Actor, [_actor(f"b{i}") for i in range(250)] + many)) == {
            f"b{i}" for i in range(250)
        }


@pytest.mark.parametrize("count", [3, 300])  # PostgreSQL: below and above the rows sent by COPY
def test_events_read_back_as_written(database: Database, count: int) -> None:
    events = [
        NewEvent(EventKind.CONTENT_CREATED, SubjectType.CONTENT, i, AT + timedelta(seconds=i), "p\tq", {"id": f"c{i}"})
        for i in range(count)
    ]
    with database.transaction() as session:
        append_events(session, events, recorded_at=AT)
    with database.transaction() as session:
        stored = list(session.scalars(select(Event).order_by(Event.pk)))
    read = [(e.kind, e.subject_type, e.subject_pk, e.occurred_at, e.recorded_at, e.principal, e.data) for e in stored]
    assert read == [
        ("content.created", "content", i, AT + timedelta(seconds=i), AT, "p\tq", {"id": f"c{i}"}) for i in range(count)
    ]


def test_the_same_instant_in_another_zone_is_stored_as_the_same_time(database: Database) -> None:
    """Times are formatted once per instant and kept for the next insert: the zone must not leak into it."""
    elsewhere = AT.astimezone(timezone(timedelta(hours=-7)))
    with database.transaction() as session:
        insert_new(session, Actor, [_actor("first", created_at=AT)])
        insert_new(session, Actor, [_actor("second", created_at=elsewhere), _actor("third", created_at=AT)])
        session.execute(insert(Actor), [_actor("through-sqlalchemy", created_at=elsewhere)])
    stored = {_raw(database, "actors", f"external_id = '{name}'")[1] for name in ("first", "second", "third")}
    assert stored == {_raw(database, "actors", "external_id = 'through-sqlalchemy'")[1]}


@pytest.mark.parametrize("count", [5, 300])  # PostgreSQL: below and above the rows sent by COPY
def test_the_keys_returned_are_the_stored_keys_whether_or_not_rows_were_skipped(database: Database, count: int) -> None:
    """Keys of a chunk with nothing skipped are not read back: SQLite counts them from the largest
    before it, PostgreSQL draws them from the sequence and copies the rows in with them."""
    with database.transaction() as session:
        insert_new(session, Actor, [_actor("before")])
        every_row_new = insert_new(session, Actor, [_actor(f"a{i}") for i in range(count)])
        some_known = insert_new(session, Actor, [_actor(f"a{i}") for i in range(3, count + 4)])
        repeated = insert_new(session, Actor, [_actor("twice")] + [_actor(f"b{i}") for i in range(count)] * 2)
    with database.transaction() as session:
        stored = {str(k): int(pk) for k, pk in session.execute(select(Actor.external_id, Actor.pk))}
    assert every_row_new == {f"a{i}": stored[f"a{i}"] for i in range(count)}
    assert some_known == {f"a{i}": stored[f"a{i}"] for i in range(count, count + 4)}
    assert repeated == {"twice": stored["twice"]} | {f"b{i}": stored[f"b{i}"] for i in range(count)}
    assert len(stored) == 1 + count + 4 + 1 + count


@pytest.mark.parametrize("count", [3, 300])  # PostgreSQL: below and above the rows sent by COPY
def test_rows_converted_by_the_caller_are_stored_as_converted_here(database: Database, count: int) -> None:
    events = table_of(Event)
    columns = ("kind", "subject_type", "subject_pk", "occurred_at", "recorded_at", "principal", "data")
    rows = [
        ("content.created", "content", i, AT + timedelta(seconds=i), AT, "p", {"id": f"c{i}"}) for i in range(count)
    ]
    convert = [driver_converter(database.dialect, events, column) for column in columns]
    converted = [tuple(c(v) for c, v in zip(convert, row, strict=True)) for row in rows]
    with database.transaction() as session:
        insert_rows(session, events, columns, rows, converted=False)
        insert_rows(session, events, columns, converted, converted=True)
    with database.transaction() as session:
        stored = [tuple(row[1:]) for row in session.connection().exec_driver_sql("SELECT * FROM events ORDER BY pk")]
    assert len(stored) == 2 * count
    assert stored[count:] == stored[:count]


def test_a_bulk_chunk_on_sqlite_gets_a_page_cache_to_match(database: Database) -> None:
    with database.transaction() as session:
        make_room_for_bulk_writes(session)
        if database.dialect == "sqlite":
            assert session.connection().exec_driver_sql("PRAGMA cache_size").scalar() == -SQLITE_BULK_CACHE_KIB
        insert_new(session, Actor, [_actor("after")])  # still the same transaction, still writing
    assert _raw(database, "actors", "external_id = 'after'")[0] == "after"
