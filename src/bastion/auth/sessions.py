"""Web sessions: a random cookie token (stored hashed) and a CSRF token bound to the session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bastion.auth.passwords import verify_password
from bastion.auth.principal import Principal
from bastion.auth.tokens import digest, new_secret
from bastion.auth.users import principal_of
from bastion.clock import as_utc
from bastion.errors import Unauthenticated
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


def log_in(session: Session, name: str, password: str, *, now: datetime, lifetime: timedelta) -> Login:
    user = session.scalar(select(User).where(User.name == name))
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        raise Unauthenticated("wrong name or password")
    token, csrf = new_secret(), new_secret()
    expires = now + lifetime
    session.add(
        WebSession(token_hash=digest(token), csrf_token=csrf, user_pk=user.pk, created_at=now, expires_at=expires)
    )
    session.flush()
    return Login(token, csrf, principal_of(user, via="session"), expires)


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


def log_out(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == digest(token)))
