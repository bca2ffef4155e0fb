"""Web sessions: a random cookie token (stored hashed) and a CSRF token bound to the session.

Logging in and out record themselves in the audit log (`auth.login`, `auth.login_failed`,
`auth.logout`), so every interface that signs people in gets the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.failures import count_failure, forget_failures, refuse_if_throttled
from bastion.auth.passwords import verify_password
from bastion.auth.principal import Principal
from bastion.auth.throttle import Scope, ThrottleKey
from bastion.auth.tokens import digest, new_secret
from bastion.auth.users import principal_of
from bastion.clock import as_utc
from bastion.errors import Unauthenticated
from bastion.store.database import Database
from bastion.store.schema import User, WebSession


@dataclass(frozen=True)
class Login:
    token: str  # goes into the cookie; only its hash is stored
    csrf_token: str
    principal: Principal
    expires_at: datetime


@dataclass(frozen=True)
class ActiveSession:
    principal: Principal
    csrf_token: str


def log_in(database: Database, name: str, password: str, *, address: str, now: datetime, lifetime: timedelta) -> Login:
    """Check a name and password and open a web session; every outcome is in the audit log.

    Failures count against the typed name and the client address (`bastion.auth.throttle`); once
    either has used up its limit, attempts are refused with `TooManyAttempts` before the password is
    looked at. A successful login clears the account's count. A failed one is committed, with its
    `auth.login_failed` row, before `Unauthenticated` is raised.
    """
    keys = (ThrottleKey(Scope.LOGIN_ACCOUNT, name), ThrottleKey(Scope.LOGIN_ADDRESS, address))
    with database.transaction() as session:
        refuse_if_throttled(session, keys, now=now)
        user = session.scalar(select(User).where(User.name == name))
        user_pk, stored_hash = (user.pk, user.password_hash) if user else (None, None)
    # Outside any transaction: Argon2 takes tens of milliseconds, and on SQLite a transaction holds
    # the store's write lock.
    ok = verify_password(stored_hash, password)
    with database.transaction() as session:
        user = session.get(User, user_pk) if user_pk is not None else None
        if ok and user is not None and user.active:
            return _open_session(session, user, keys[0], now=now, lifetime=lifetime)
        count_failure(session, keys, now=now)
        # Name the account only if it exists: people type passwords into the name field.
        target = f"user:{name}" if user is not None else "unknown user"
        audit_log.record(session, principal="anonymous", action="auth.login_failed", target=target, at=now)
    raise Unauthenticated("wrong name or password")


def _open_session(session: Session, user: User, account: ThrottleKey, *, now: datetime, lifetime: timedelta) -> Login:
    token, csrf = new_secret(), new_secret()
    expires = now + lifetime
    session.add(
        WebSession(token_hash=digest(token), csrf_token=csrf, user_pk=user.pk, created_at=now, expires_at=expires)
    )
    forget_failures(session, account)
    principal = principal_of(user, via="session")
    audit_log.record(session, principal=principal.name, action="auth.login", target="web", at=now)
    session.flush()
    return Login(token, csrf, principal, expires)


def active_session(session: Session, token: str, *, now: datetime) -> ActiveSession:
    row = session.execute(
        select(WebSession, User).join(User, User.pk == WebSession.user_pk).where(WebSession.token_hash == digest(token))
    ).one_or_none()
    if row is None:
        raise Unauthenticated("not logged in")
    web_session, user = row
    if as_utc(web_session.expires_at) <= now or not user.active:
        raise Unauthenticated("the session has ended; log in again")
    return ActiveSession(principal_of(user, via="session"), web_session.csrf_token)


def log_out(session: Session, token: str, *, principal: Principal, now: datetime) -> None:
    """End the session whose cookie holds `token`, recorded as `auth.logout`."""
    session.execute(delete(WebSession).where(WebSession.token_hash == digest(token)))
    audit_log.record(session, principal=principal.name, action="auth.logout", target="web", at=now)
