"""Users: people who log in, with roles, a vendor (for vendor reviewers) and languages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.passwords import hash_password
from bastion.auth.principal import SYSTEM, Principal
from bastion.domain.access import Role
from bastion.errors import Conflict, FieldError, InvalidInput, NotFound
from bastion.store.schema import User

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")  # also used for API key names


def parse_roles(values: Sequence[str]) -> frozenset[Role]:
    known = {r.value for r in Role}
    bad = [v for v in values if v not in known]
    if bad or not values:
        reason = f"unknown role {bad[0]!r}" if bad else "at least one role is needed"
        raise InvalidInput("bad role", [FieldError("role", f"{reason}; roles are: {', '.join(sorted(known))}")])
    return frozenset(Role(v) for v in values)


def add_user(
    session: Session,
    name: str,
    *,
    roles: frozenset[Role],
    password: str | None,
    now: datetime,
    vendor: str | None = None,
    languages: Sequence[str] = (),
    by: str = SYSTEM.name,
) -> User:
    """A new user, recorded as `user.add` in `by`'s name (the principal adding them)."""
    errors = []
    if not USER_NAME.match(name):
        errors.append(FieldError("name", "use letters, digits and . _ @ - (at most 64)"))
    if Role.VENDOR_REVIEWER in roles and not vendor:
        errors.append(FieldError("vendor", "a vendor_reviewer is bound to one vendor: give --vendor"))
    if vendor and Role.VENDOR_REVIEWER not in roles:
        errors.append(FieldError("vendor", "only vendor_reviewer users belong to a vendor"))
    if errors:
        raise InvalidInput(f"cannot add user {name!r}", errors)
    if session.scalar(select(User.pk).where(User.name == name)) is not None:
        raise Conflict(f"user {name!r} exists already")
    user = User(
        name=name,
        password_hash=hash_password(password) if password is not None else None,
        roles=sorted(r.value for r in roles),
        vendor=vendor,
        languages=[lang.strip().lower() for lang in languages if lang.strip()],
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    audit_log.record(
        session,
        principal=by,
        action="user.add",
        target=f"user:{name}",
        at=now,
        details={"roles": sorted(r.value for r in roles), "vendor": vendor},
    )
    return user


def set_password(session: Session, name: str, password: str) -> None:
    user = find_user(session, name)
    user.password_hash = hash_password(password)


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def find_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user {name!r}")
    return user


def principal_of(user: User, via: str) -> Principal:
    return Principal(
        name=f"user:{user.name}",
        roles=frozenset(Role(r) for r in user.roles),
        user_pk=user.pk,
        vendor=user.vendor,
        languages=tuple(user.languages),
        via=via,
    )
