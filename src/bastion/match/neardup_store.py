"""The cluster index of each store, kept in memory, and what detection batches write of it.

One `ClusterIndex` per store and process, built from the stored memberships the first time it is
needed (signatures included, so nothing is recomputed) and brought up to date at the start of every
batch with the memberships other workers have committed since (by the memberships' increasing key,
reading a little behind the newest key seen, because on PostgreSQL a transaction that took a smaller
key may commit later).

A batch places its items in the index before its transaction commits. Should the transaction roll
back, the index holds placements the store does not: it is dropped, and the next batch rebuilds it from
the store. Batches of one process take turns on the index (a lock); a batch writes its memberships and
cluster sizes through the batch's own session, so they commit or roll back with its verdicts.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, case, event, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bastion.match.neardup import ClusterIndex, Placement, Signature, from_bytes, to_bytes
from bastion.store.bulk import driver_cursor, insert_rows, sqlite_moment
from bastion.store.schema import NearDuplicateCluster, NearDuplicateMember
from bastion.store.upsert import table_of

CATCH_UP_LAG = 1_000
MEMBER_COLUMNS = (
    "content_pk",
    "cluster_pk",
    "similarity",
    "joined_at",
    "signature",
)  # memberships re-read behind the newest key seen (see the module doc)
_PLACED = "bastion.neardup_placed"
_SEEN = "bastion.neardup_seen"


@dataclass
class _Loaded:
    index: ClusterIndex
    seen: int  # the largest membership key read into the index


@dataclass(frozen=True)
class NewMember:
    """An item a batch placed: what its membership row records."""

    placement: Placement
    posted: datetime
    signature: Signature | None


class StoreIndexes:
    """One cluster index per store (engine) and process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: weakref.WeakKeyDictionary[Engine, _Loaded] = weakref.WeakKeyDictionary()

    @contextmanager
    def index(self, session: Session) -> Iterator[ClusterIndex]:
        """The store's index, up to date with what is committed, held by this batch until it is done."""
        engine = _engine_of(session)
        with self._lock:
            loaded = self._loaded.get(engine)
            if loaded is None:
                loaded = self._loaded[engine] = _Loaded(ClusterIndex(), 0)
            loaded.seen = _catch_up(session, loaded.index, loaded.seen)
            yield loaded.index

    def seen_up_to(self, engine: Engine, key: int) -> None:
        """Every membership up to `key` is in the store's index (a batch that held SQLite's write lock
        committed them): the next catch-up starts after it."""
        with self._lock:
            loaded = self._loaded.get(engine)
            if loaded is not None:
                loaded.seen = max(loaded.seen, key)

    def forget(self, engine: Engine) -> None:
        """Drop a store's index (its transaction rolled back): the next batch rebuilds it from the store."""
        with self._lock:
            self._loaded.pop(engine, None)


INDEXES = StoreIndexes()


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def _catch_up(session: Session, index: ClusterIndex, seen: int) -> int:
    """Read into the index the memberships committed since `seen` (all of them for a new index)."""
    members = table_of(NearDuplicateMember)
    # SQLite runs one writing transaction at a time, so memberships commit in key order: no lag needed.
    lag = CATCH_UP_LAG if session.get_bind().dialect.name == "postgresql" and seen else 0
    recent = session.execute(select(members.c.pk, members.c.content_pk).where(members.c.pk > seen - lag)).all()
    if not recent:
        return seen
    unknown = [int(content_pk) for _, content_pk in recent if int(content_pk) not in index]
    newest = max(int(pk) for pk, _ in recent)
    for start in range(0, len(unknown), 900):
        chunk = unknown[start : start + 900]
        rows = session.execute(
            select(
                members.c.content_pk,
                members.c.cluster_pk,
                members.c.signature,
                members.c.joined_at,
                members.c.similarity,
            )
            .where(members.c.content_pk.in_(chunk))
            .order_by(members.c.pk)
        )
        for content_pk, cluster_pk, signature, joined_at, similarity in rows:
            value = from_bytes(signature) if signature is not None else None
            index.add(int(content_pk), int(cluster_pk), value, joined_at, float(similarity))
    return max(seen, newest)


def record_members(session: Session, index: ClusterIndex, new: Sequence[NewMember]) -> None:
    """Write the batch's new memberships, and the size, newest posting and busiest hour of each cluster
    they joined (inserted when it has just got its second member, updated otherwise)."""
    if not new:
        return
    dialect = session.get_bind().dialect.name
    members = table_of(NearDuplicateMember)
    # A batch places only the items it took from the detection queue, each once: plain inserts.
    insert_rows(
        session,
        members,
        MEMBER_COLUMNS,
        [
            (
                member.placement.content_pk,
                member.placement.cluster,
                member.placement.similarity,
                member.posted,
                to_bytes(member.signature) if member.signature is not None else None,
            )
            for member in new
        ],
    )
    if dialect == "sqlite":  # this transaction holds the write lock: every key up to the newest is known
        session.info[_SEEN] = int(session.scalar(select(func.max(members.c.pk))) or 0)
    grown: dict[int, list[Any]] = {}  # cluster -> [added, newest posting, busiest hour]
    for member in new:
        placement = member.placement
        if placement.cluster == placement.content_pk:
            continue
        row = grown.setdefault(placement.cluster, [0, member.posted, 0])
        row[0] += 1
        row[1] = max(row[1], member.posted)
        row[2] = max(row[2], placement.growth_1h)
    if not grown:
        return
    created = [
        {
            "pk": pk,
            "first_seen": index.first_seen(pk),
            "last_seen": last,
            "size": index.size(pk),
            "peak": peak,
            "added": added,
        }
        for pk, (added, last, peak) in grown.items()
        if index.size(pk) - added < 2
    ]
    if created:
        session.execute(_grow_clusters(dialect), created)
    updated = [(added, last, peak, pk) for pk, (added, last, peak) in grown.items() if index.size(pk) - added >= 2]
    if updated:
        _update_clusters(session, dialect, updated)


def _update_clusters(session: Session, dialect: str, rows: list[tuple[int, datetime, int, int]]) -> None:
    """Add to each cluster's size, move its newest posting and busiest hour: one prepared statement for
    the batch's clusters, below SQLAlchemy's per-value work (most items join a cluster that exists)."""
    cursor = driver_cursor(session)
    try:
        if dialect == "postgresql":
            cursor.executemany(_UPDATE_POSTGRESQL, rows)
        else:
            cursor.executemany(_UPDATE_SQLITE, [(a, sqlite_moment(t), p, k) for a, t, p, k in rows])
    finally:
        cursor.close()


_UPDATE_SQLITE = (
    "UPDATE near_duplicate_clusters SET size = size + ?, last_seen = max(last_seen, ?), "
    "peak_1h = max(peak_1h, ?) WHERE pk = ?"
)
_UPDATE_POSTGRESQL = (
    "UPDATE near_duplicate_clusters SET size = size + %s, last_seen = greatest(last_seen, %s), "
    "peak_1h = greatest(peak_1h, %s) WHERE pk = %s"
)


@cache
def _grow_clusters(dialect: str) -> Any:
    """Insert each grown cluster, or add to its size and move its newest posting (another worker made it)."""
    table = table_of(NearDuplicateCluster)
    statement = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)
    statement = statement.values(
        pk=bindparam("pk"),
        first_seen=bindparam("first_seen"),
        last_seen=bindparam("last_seen"),
        size=bindparam("size"),
        peak_1h=bindparam("peak"),
    )
    newer, peak = statement.excluded.last_seen, statement.excluded.peak_1h
    return statement.on_conflict_do_update(
        index_elements=["pk"],
        set_={
            "size": table.c.size + bindparam("added"),
            "last_seen": case((table.c.last_seen < newer, newer), else_=table.c.last_seen),
            "peak_1h": case((table.c.peak_1h < peak, peak), else_=table.c.peak_1h),
        },
    )


def placing(session: Session) -> None:
    """Mark the session's transaction as placing items in its store's index: should it roll back, the
    index is dropped (before anything is placed, so that a failure half-way is covered too)."""
    session.info[_PLACED] = True


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    if session.info.pop(_PLACED, False):
        INDEXES.forget(_engine_of(session))


@event.listens_for(Session, "after_commit")
def _kept(session: Session) -> None:
    session.info.pop(_PLACED, None)
    seen = session.info.pop(_SEEN, None)
    if seen is not None:
        INDEXES.seen_up_to(_engine_of(session), seen)
