"""The audit log: append-only, hash-chained record of who did and who saw what.

Each row carries the hash of the row before it, so changing or deleting any row breaks the chain
at that row. A single head row holds the last sequence number and hash; updating it serialises
appends (a row lock on PostgreSQL, the write lock on SQLite) so the chain never forks.

On PostgreSQL the hottest writers, claims and decisions, do not touch the head at all: they append
their rows unsealed (`append_unsealed`), and `seal` chains every unsealed row in one pass, in a
transaction of its own, shortly after (every `Database` runs it a moment after its commits), and
before `verify` and `search` read. The chain's order is then the order of sealing, and concurrent
claims and decisions never wait for each other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Insert,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from bastion.clock import as_utc
from bastion.errors import IntegrityBroken
from bastion.store.database import run_after_commits
from bastion.store.schema import AuditHead, AuditPending, AuditRecord
from bastion.store.upsert import table_of

GENESIS_HASH = "0" * 64
PRINCIPAL_CHARS = 256
TARGET_CHARS = 512
HEAD_ID = 1


def _canonical_time(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain_hash(
    seq: int,
    at: datetime,
    principal: str,
    action: str,
    target: str,
    details: Mapping[str, Any],
    prev_hash: str,
) -> str:
    """The SHA-256 of a row's contents and the previous row's hash, over canonical JSON."""
    body = _canonical([seq, _canonical_time(at), principal, action, target, details, prev_hash])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _canonical(value: object) -> str:
    return _CANONICAL_JSON.encode(value)


# What `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)` does, with
# the encoder made once rather than on every call (claims and decisions hash every row they record).
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def record(
    session: Session,
    *,
    principal: str,
    action: str,
    target: str,
    at: datetime,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Append one row in the caller's transaction: it is in the chain if and only if that commits.

    Every writer moves the one head row, so its lock is held as briefly as can be. On PostgreSQL the
    row is staged and a deferred trigger chains it during COMMIT (hashing in the server, see migration
    0004), so the lock is never held while a client is between statements. On SQLite, whose writers
    take turns for the whole transaction anyway, the row is chained here.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_STAGE, staged_row(principal=principal, action=action, target=target, at=at, details=details))
        return
    clean = json.loads(json.dumps(dict(details or {}), default=str))
    # Hash exactly what is stored: the same bounds as the columns, the time in UTC.
    principal, target, at = principal[:PRINCIPAL_CHARS], target[:TARGET_CHARS], as_utc(at)
    row = {"at": at, "principal": principal, "action": action, "target": target, "details": clean}
    head = session.execute(_LOCK_HEAD).one()
    seq = int(head.seq) + 1
    digest = chain_hash(seq, at, principal, action, target, clean, head.hash)
    session.execute(_INSERT, row | {"seq": seq, "prev_hash": head.hash, "hash": digest})
    session.execute(_MOVE_HEAD, {"seq": seq, "prev_hash": head.hash, "hash": digest})


def staged_row(
    *, principal: str, action: str, target: str, at: datetime, details: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The values of one `audit_pending` row (PostgreSQL): `at`, `principal`, `action`, `target`, `details`
    and `middle`, for a statement that writes its own audit row (staged, or unsealed: `append_unsealed`)."""
    clean = _as_stored(details)
    # Hash exactly what is stored: the same bounds as the columns, the time in UTC.
    principal, target, at = principal[:PRINCIPAL_CHARS], target[:TARGET_CHARS], as_utc(at)
    middle = _canonical([_canonical_time(at), principal, action, target, clean])[1:-1]
    return {"at": at, "principal": principal, "action": action, "target": target, "details": clean, "middle": middle}


def _as_stored(details: Mapping[str, Any] | None) -> dict[str, Any]:
    """The details as JSON gives them back. Claims and decisions give only text, whole numbers, booleans and
    nulls under text keys, which come back as they are: those skip the round trip through JSON."""
    if details is None:
        return {}
    if all(type(key) is str and type(value) in _AS_THEY_ARE for key, value in details.items()):
        return dict(details)
    clean: dict[str, Any] = json.loads(json.dumps(dict(details), default=str))
    return clean


_AS_THEY_ARE = frozenset({str, int, bool, type(None)})


def append_unsealed(values: Mapping[str, ColumnElement[Any]], source: FromClause | None = None) -> Insert:
    """PostgreSQL: `INSERT INTO audit_log ... SELECT <values> [FROM source]`, unsealed rows (see AuditRecord)
    for a statement that records its own accesses. `values` gives each of the columns of `staged_row`:
    at, principal, action, target, details and middle. `seal` chains the rows after their commit."""
    arrival: ColumnElement[int] = -func.nextval(sql_text(ARRIVAL_SEQUENCE))
    columns = select(arrival, *(values[name] for name in _UNSEALED), sql_text(""), sql_text(""))
    if source is not None:
        columns = columns.select_from(source)
    return insert(_log).from_select(["seq", *_UNSEALED, "prev_hash", "hash"], columns)


_UNSEALED = ("at", "principal", "action", "target", "details", "middle")
ARRIVAL_SEQUENCE = "audit_arrival"  # minus its next value is the next unsealed row's `seq` (migration 0015)


def append_unsealed_from(
    source: FromClause,
    *,
    at: ColumnElement[datetime],
    principal: ColumnElement[str],
    action: str,
    target: ColumnElement[str],
    details: Mapping[str, ColumnElement[Any]],
) -> Insert:
    """`append_unsealed` of one audit row per row of `source`, for a PostgreSQL statement that records its
    own accesses (a claim and a first-round decision record themselves this way).

    `at` and `principal` are bound values, as the caller passes them; `target` is text and each value of
    `details` text, a whole number or null, computed in the statement (from `source` or bound values).
    The row's `middle` (what its hash covers, see `chain_hash`) is then built in SQL too: PostgreSQL's
    `to_json` of a text escapes exactly as Python's `json.dumps(..., ensure_ascii=False)` does, and
    writes a whole number and null as it does, which tests hold it to. The caller keeps `target` within
    TARGET_CHARS and `principal` within PRINCIPAL_CHARS.
    """
    keys = sorted(details)

    def json_text(value: ColumnElement[Any]) -> ColumnElement[str]:
        return cast(func.to_json(value), Text)

    def json_value(value: ColumnElement[Any]) -> ColumnElement[str]:
        return func.coalesce(json_text(value), sql_text("null"))  # to_json(NULL) is NULL; JSON says null

    utc = func.timezone(sql_text("UTC"), at)
    middle: ColumnElement[str] = json_text(func.to_char(utc, sql_text(_CANONICAL_TIME_SQL)))
    for part in (
        sql_text(","),
        json_text(principal),
        sql_text("," + json.dumps(action, ensure_ascii=False) + ","),
        json_text(target),
        sql_text(",{"),
    ):
        middle = middle.concat(part)
    for n, key in enumerate(keys):
        middle = middle.concat(sql_text(("," if n else "") + json.dumps(key, ensure_ascii=False) + ":"))
        middle = middle.concat(json_value(details[key]))
    middle = middle.concat(sql_text("}"))
    document = func.jsonb_build_object(*[item for key in keys for item in (sql_text(key), details[key])])
    values: dict[str, ColumnElement[Any]] = {
        "at": at,
        "principal": principal,
        "action": sql_text(action),
        "target": target,
        "details": cast(document, JSONB),
        "middle": middle,
    }
    return append_unsealed(values, source)


def sql_text(value: str) -> ColumnElement[str]:
    """A constant string written into a statement built once, rather than bound on every execution."""
    return literal_column("'" + value.replace("'", "''") + "'", Text)


_CANONICAL_TIME_SQL = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'  # `_canonical_time` in PostgreSQL's words


# Built once: these run on every claim and decision, and a prebuilt statement is compiled once.
_log, _head = table_of(AuditRecord), table_of(AuditHead)
_STAGE = insert(table_of(AuditPending))
_LOCK_HEAD = select(_head.c.seq, _head.c.hash).where(_head.c.id == HEAD_ID).with_for_update()
_INSERT = insert(_log)
_MOVE_HEAD = (
    update(_head)
    .where(_head.c.id == HEAD_ID)
    .values(seq=bindparam("seq"), prev_hash=bindparam("prev_hash"), hash=bindparam("hash"))
)


def seal(connection: Connection, *, wait: bool) -> int:
    """Chain every unsealed audit row this transaction sees, in arrival order, in one pass; how many.

    PostgreSQL: takes the head's lock until the caller's transaction ends; with `wait` false, seals
    nothing when another sealer holds it (that one, or the next, seals these rows). SQLite chains every
    row as it is written: nothing to do.
    """
    if connection.dialect.name != "postgresql":
        return 0
    return int(connection.execute(_SEAL, {"wait": wait}).scalar_one())


_SEAL = text("SELECT audit_seal(:wait)")


def _seal_soon(connection: Connection) -> None:
    seal(connection, wait=False)


run_after_commits(_seal_soon)  # every Database seals a moment after its commits: nothing stays unsealed long


@dataclass(frozen=True)
class ChainReport:
    rows: int
    last_seq: int


def verify(session: Session) -> ChainReport:
    """Seal what is unsealed, then walk the whole chain; raises IntegrityBroken naming the first bad row."""
    seal(session.connection(), wait=True)
    expected_seq, prev_hash, rows = 1, GENESIS_HASH, 0
    for row in _rows(session):
        if row.seq != expected_seq:
            missing = f"row {expected_seq}" if row.seq == expected_seq + 1 else f"rows {expected_seq}–{row.seq - 1}"
            raise IntegrityBroken(f"audit log {missing} missing: row {row.seq} follows row {expected_seq - 1}")
        if row.prev_hash != prev_hash:
            raise IntegrityBroken(
                f"audit log row {row.seq}: its link to row {row.seq - 1} is broken (previous-hash does not match)"
            )
        digest = chain_hash(row.seq, row.at, row.principal, row.action, row.target, row.details, row.prev_hash)
        if digest != row.hash:
            raise IntegrityBroken(f"audit log row {row.seq} was changed: its hash does not match its contents")
        expected_seq, prev_hash, rows = row.seq + 1, row.hash, rows + 1
    head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID)).one()
    if head.seq > expected_seq - 1:
        raise IntegrityBroken(
            f"audit log rows after row {expected_seq - 1} are missing: the head records row {head.seq}"
        )
    if head.seq != expected_seq - 1 or head.hash != prev_hash:
        raise IntegrityBroken(
            f"audit log head does not match the chain: it records row {head.seq}, the chain ends at row "
            f"{expected_seq - 1}"
        )
    return ChainReport(rows=rows, last_seq=expected_seq - 1)


def _rows(session: Session) -> Iterator[AuditRecord]:
    sealed = select(AuditRecord).where(AuditRecord.seq > 0)
    yield from session.scalars(sealed.order_by(AuditRecord.seq).execution_options(yield_per=2000))


def recent(session: Session, limit: int = 100) -> list[AuditRecord]:
    return search(session, AuditFilters(), limit=limit).rows


@dataclass(frozen=True)
class AuditFilters:
    """Which rows: `principal` and `action` exactly; `target` exactly, or every target of a kind when it
    ends with ":" (`job:` for every job); `since` inclusive, `until` exclusive."""

    principal: str | None = None
    action: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRecord]
    total: int  # rows matching the filters, on every page
    older: int | None  # the `before` of the next page back, None on the last


def search(session: Session, filters: AuditFilters, *, before: int | None = None, limit: int = 100) -> AuditPage:
    """Newest first, `limit` rows with a sequence number below `before`: pages hold still while rows arrive.

    Sealed rows only, after sealing what is unsealed (unless another sealer is at it this instant)."""
    seal(session.connection(), wait=False)
    conditions = [AuditRecord.seq > 0]
    if filters.principal:
        conditions.append(AuditRecord.principal == filters.principal)
    if filters.action:
        conditions.append(AuditRecord.action == filters.action)
    if filters.target:
        if filters.target.endswith(":"):
            conditions.append(AuditRecord.target.startswith(filters.target, autoescape=True))
        else:
            conditions.append(AuditRecord.target == filters.target)
    if filters.since is not None:
        conditions.append(AuditRecord.at >= filters.since)
    if filters.until is not None:
        conditions.append(AuditRecord.at < filters.until)
    total = int(session.scalar(select(func.count()).select_from(AuditRecord).where(*conditions)) or 0)
    page = select(AuditRecord).where(*conditions)
    if before is not None:
        page = page.where(AuditRecord.seq < before)
    rows = list(session.scalars(page.order_by(AuditRecord.seq.desc()).limit(limit + 1)))
    older = rows[limit - 1].seq if len(rows) > limit else None
    return AuditPage(rows[:limit], total, older)


def actions(session: Session) -> list[str]:
    """Every action recorded so far (for the filter menu), from the action index."""
    return sorted(str(a) for a in session.scalars(select(AuditRecord.action).distinct()))
