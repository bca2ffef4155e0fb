"""Saved and shared console queries: saved under a unique name by their owner, listed for their owner,
and for every analyst once shared; changed or deleted by their owner or an admin. Each change is
recorded in the audit log (`sql.save`, `sql.update`, `sql.delete`). A query is checked when saved,
so a saved query is always one the console would run."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.domain.access import Role
from bastion.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from bastion.insight.sql.guard import check_query
from bastion.store.schema import SavedQuery as SavedQueryRow

NAME_CHARS = 128
DESCRIPTION_CHARS = 2_000
_NAME = re.compile(r"^[^\x00-\x1f\x7f]+$")


@dataclass(frozen=True)
class SavedQuery:
    id: int
    name: str
    sql: str
    description: str
    owner: str
    shared: bool
    created_at: datetime
    updated_at: datetime
    can_edit: bool  # the one asking may change or delete it


def _view(row: SavedQueryRow, asking: Principal) -> SavedQuery:
    return SavedQuery(
        id=row.pk,
        name=row.name,
        sql=row.sql,
        description=row.description,
        owner=row.owner,
        shared=row.shared,
        created_at=row.created_at,
        updated_at=row.updated_at,
        can_edit=_may_edit(row, asking),
    )


def _may_edit(row: SavedQueryRow, asking: Principal) -> bool:
    return row.owner == asking.name or Role.ADMIN in asking.roles


def list_saved(session: Session, asking: Principal) -> list[SavedQuery]:
    """The queries `asking` saved and every shared one (an admin sees all), by name."""
    query = select(SavedQueryRow).order_by(SavedQueryRow.name)
    if Role.ADMIN not in asking.roles:
        query = query.where(or_(SavedQueryRow.owner == asking.name, SavedQueryRow.shared.is_(True)))
    return [_view(row, asking) for row in session.scalars(query)]


def open_saved(session: Session, query_id: int, asking: Principal) -> SavedQuery:
    return _view(_visible(session, query_id, asking), asking)


def save_query(
    session: Session, *, name: str, sql: str, description: str, shared: bool, asking: Principal, now: datetime
) -> SavedQuery:
    name, description = _checked(name, sql, description)
    _name_free(session, name, None)
    row = SavedQueryRow(
        name=name, sql=sql.strip(), description=description, owner=asking.name, shared=shared, created_at=now,
        updated_at=now,
    )  # fmt: skip
    session.add(row)
    session.flush()
    audit_log.record(
        session, principal=asking.name, action="sql.save", target=f"saved_query:{row.pk}", at=now,
        details={"name": name, "shared": shared},
    )  # fmt: skip
    return _view(row, asking)


def update_query(
    session: Session,
    query_id: int,
    *,
    name: str,
    sql: str,
    description: str,
    shared: bool,
    asking: Principal,
    now: datetime,
) -> SavedQuery:
    row = _editable(session, query_id, asking)
    name, description = _checked(name, sql, description)
    _name_free(session, name, row.pk)
    row.name, row.sql, row.description, row.shared, row.updated_at = name, sql.strip(), description, shared, now
    session.flush()
    audit_log.record(
        session, principal=asking.name, action="sql.update", target=f"saved_query:{row.pk}", at=now,
        details={"name": name, "shared": shared},
    )  # fmt: skip
    return _view(row, asking)


def delete_query(session: Session, query_id: int, *, asking: Principal, now: datetime) -> SavedQuery:
    """Delete it; returns it as it was."""
    row = _editable(session, query_id, asking)
    was = _view(row, asking)
    audit_log.record(
        session, principal=asking.name, action="sql.delete", target=f"saved_query:{row.pk}", at=now,
        details={"name": row.name},
    )  # fmt: skip
    session.delete(row)
    return was


def _visible(session: Session, query_id: int, asking: Principal) -> SavedQueryRow:
    row = session.get(SavedQueryRow, query_id)
    if row is None or not (row.shared or _may_edit(row, asking)):
        raise NotFound(f"no saved query {query_id}")  # another's unshared query is not told apart from none
    return row


def _editable(session: Session, query_id: int, asking: Principal) -> SavedQueryRow:
    row = _visible(session, query_id, asking)
    if not _may_edit(row, asking):
        raise Forbidden(f"only its owner ({row.owner.split(':', 1)[-1]}) or an admin may change saved query {query_id}")
    return row


def _checked(name: str, sql: str, description: str) -> tuple[str, str]:
    name = name.strip()
    errors = []
    if not name:
        errors.append(FieldError("name", "a saved query needs a name"))
    elif len(name) > NAME_CHARS:
        errors.append(FieldError("name", f"at most {NAME_CHARS} characters"))
    elif not _NAME.match(name):
        errors.append(FieldError("name", "no control characters"))
    if len(description) > DESCRIPTION_CHARS:
        errors.append(FieldError("description", f"at most {DESCRIPTION_CHARS:,} characters"))
    if errors:
        raise InvalidInput("the saved query is not valid", errors)
    check_query(sql)  # a query the console refuses is not saved either
    return name, description.strip()


def _name_free(session: Session, name: str, own_pk: int | None) -> None:
    taken = session.scalar(select(SavedQueryRow.pk).where(SavedQueryRow.name == name))
    if taken is not None and taken != own_pk:
        raise Conflict(f"a saved query is already called '{name}'")
