"""API keys: Bearer tokens for services (a role of their own) or acting as a user (the user's roles).

Creating, revoking and using a key record themselves in the audit log (`apikey.create`,
`apikey.revoke`, `apikey.use`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.failures import count_failure, refuse_if_throttled
from bastion.auth.principal import SYSTEM, Principal
from bastion.auth.throttle import Scope, ThrottleKey
from bastion.auth.tokens import API_KEY_PREFIX, digest, new_secret
from bastion.auth.users import USER_NAME, find_user, principal_of
from bastion.domain.access import Role
from bastion.errors import Conflict, FieldError, InvalidInput, NotFound, Unauthenticated
from bastion.store.database import Database
from bastion.store.schema import ApiKey, User

# last_used_at is a convenience for admins, not a log: refresh it at most this often.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedKey:
    name: str
    secret: str  # shown once, never stored


def create_api_key(
    session: Session,
    name: str,
    *,
    now: datetime,
    role: Role | None = None,
    user: str | None = None,
    by: str = SYSTEM.name,
) -> IssuedKey:
    """A new key, recorded as `apikey.create` in `by`'s name; the secret is returned once."""
    if (role is None) == (user is None):
        raise InvalidInput(
            "an API key needs a role or a user", [FieldError("role", "give exactly one of --role or --user")]
        )
    if not USER_NAME.match(name):
        raise InvalidInput("bad key name", [FieldError("name", "use letters, digits and . _ @ - (at most 64)")])
    if session.scalar(select(ApiKey.pk).where(ApiKey.name == name)) is not None:
        raise Conflict(f"an API key named {name!r} exists already")
    user_pk = find_user(session, user).pk if user is not None else None
    secret = API_KEY_PREFIX + new_secret()
    session.add(
        ApiKey(
            name=name,
            key_hash=digest(secret),
            prefix=secret[:8],
            role=role.value if role else None,
            user_pk=user_pk,
            created_at=now,
        )
    )
    session.flush()
    audit_log.record(
        session,
        principal=by,
        action="apikey.create",
        target=f"apikey:{name}",
        at=now,
        details={"role": role.value if role else None, "user": user},
    )
    return IssuedKey(name=name, secret=secret)


def use_api_key(database: Database, secret: str, *, now: datetime, address: str, read_path: str | None) -> Principal:
    """The principal a request's API key acts for, with throttling and the audit log.

    An unknown or revoked key counts as a failure against the client address, committed before
    `Unauthenticated` is raised; once the address has used up its limit, every key from it is refused
    with `TooManyAttempts` unlooked-at, so the refusal says nothing about the key. `read_path`: the
    path of a read (GET, HEAD, OPTIONS) made with the key, recorded as `apikey.use` (writes record
    their own rows).
    """
    address_key = ThrottleKey(Scope.API_KEY_ADDRESS, address)
    with database.transaction() as session:
        refuse_if_throttled(session, (address_key,), now=now)
        try:
            principal = authenticate_api_key(session, secret, now=now)
        except Unauthenticated as refused:
            failure = refused
        else:
            if read_path is not None:
                audit_log.record(session, principal=principal.name, action="apikey.use", target=read_path, at=now)
            return principal
        count_failure(session, (address_key,), now=now)
    raise failure


def authenticate_api_key(session: Session, secret: str, *, now: datetime) -> Principal:
    """The principal of a key, or `Unauthenticated`; no throttling and no audit row (see `use_api_key`)."""
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest(secret)))
    if key is None or key.revoked_at is not None:
        raise Unauthenticated("unknown or revoked API key")
    if key.user_pk is not None:
        user = session.get(User, key.user_pk)
        if user is None or not user.active:
            raise Unauthenticated("the API key's user is disabled")
        principal = principal_of(user, via="apikey")
    else:
        principal = Principal(name=f"apikey:{key.name}", roles=frozenset({Role(str(key.role))}), via="apikey")
    last = key.last_used_at
    if last is None or now - last >= LAST_USED_RESOLUTION:  # read back aware (the Moment column type)
        session.execute(update(ApiKey).where(ApiKey.pk == key.pk).values(last_used_at=now))
    return principal


def revoke_api_key(session: Session, name: str, *, now: datetime, by: str = SYSTEM.name) -> None:
    """Stop a key working, recorded as `apikey.revoke`; revoking a revoked key changes and records nothing."""
    key = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        raise NotFound(f"no API key named {name!r}")
    if key.revoked_at is None:
        key.revoked_at = now
        audit_log.record(session, principal=by, action="apikey.revoke", target=f"apikey:{name}", at=now)


def list_api_keys(session: Session) -> list[tuple[ApiKey, str | None]]:
    """Every key with the name of the user it acts as, if any; newest first."""
    rows = session.execute(
        select(ApiKey, User.name).outerjoin(User, User.pk == ApiKey.user_pk).order_by(ApiKey.pk.desc())
    )
    return [(key, user) for key, user in rows]
