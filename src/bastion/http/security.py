"""Authentication and authorisation for every endpoint: deny unless a role allows.

A request is authenticated by a Bearer API key or by the web session cookie. Cookie-authenticated
requests that change state must carry the session's CSRF token (header or form field).
Every route is built with `requires(...)`; the app refuses to start if one is not (see app.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bastion.auth.apikeys import use_api_key
from bastion.auth.principal import Principal
from bastion.auth.sessions import active_session
from bastion.auth.tokens import same
from bastion.domain.access import Permission
from bastion.errors import Forbidden, Unauthenticated
from bastion.http.context import app_context

SESSION_COOKIE = "bastion_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
GUARD_MARK = "__bastion_guard__"

bearer_scheme = HTTPBearer(auto_error=False, description="An API key made with `bastion apikey create`.")


async def authenticate(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme)
) -> Principal:
    context = app_context(request)
    now = context.clock()
    if credentials is not None:
        principal = use_api_key(
            context.database,
            credentials.credentials,
            now=now,
            address=client_address(request),
            read_path=request.url.path if request.method in SAFE_METHODS else None,
        )
        request.state.principal = principal
        return principal
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Unauthenticated("log in, or send an API key as a Bearer token")
    with context.database.transaction() as session:
        active = active_session(session, token, now=now)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            form = await request.form()
            field = form.get(CSRF_FIELD)
            sent = field if isinstance(field, str) else None
        if sent is None or not same(sent, active.csrf_token):
            raise Forbidden("missing or wrong CSRF token; reload the page and try again")
    request.state.principal = active.principal
    request.state.csrf_token = active.csrf_token
    return active.principal


def client_address(request: Request) -> str:
    """The address failures are counted against. Behind a reverse proxy, run uvicorn with
    `--forwarded-allow-ips` naming the proxy, or every client shares the proxy's address."""
    return request.client.host if request.client else "unknown"


def requires(*permissions: Permission) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates and then demands every given permission (none: any user)."""

    async def guard(principal: Principal = Depends(authenticate)) -> Principal:
        for permission in permissions:
            principal.require(permission)
        return principal

    setattr(guard, GUARD_MARK, True)
    return guard


def is_guarded(dependant: Any) -> bool:
    """True when a route's dependency tree contains a `requires` guard."""
    if getattr(dependant.call, GUARD_MARK, False):
        return True
    return any(is_guarded(sub) for sub in dependant.dependencies)
