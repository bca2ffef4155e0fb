"""Pages: login, home, subjects, policies, the audit log. Routers only translate; services decide."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.auth.sessions import log_in, log_out
from bastion.auth.throttle import wait_in_words
from bastion.auth.tokens import same
from bastion.clock import as_utc
from bastion.domain.access import Permission
from bastion.errors import FieldError, InvalidInput, TooManyAttempts, Unauthenticated
from bastion.home import home
from bastion.http.context import AppContext, app_context
from bastion.http.security import SESSION_COOKIE, client_address, requires
from bastion.policy.service import current_policies
from bastion.subjects import view_actor, view_content
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "bastion_login_csrf"
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def _secure_cookies(request: Request, context: AppContext) -> bool:
    if context.settings.cookie_secure is not None:
        return context.settings.cookie_secure
    # Browsers treat loopback as a secure context, so Secure cookies work there over plain HTTP too.
    return request.url.scheme == "https" or request.url.hostname in LOOPBACK


def _safe_next(target: str | None) -> str:
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login")
def login_page(request: Request, next: str = "/", context: AppContext = Depends(app_context)) -> Response:
    return _login_form(request, context, _safe_next(next), error=None, status_code=200)


def _login_form(
    request: Request, context: AppContext, next_path: str, error: str | None, status_code: int, name: str = ""
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render_page(
        request,
        "login.html",
        {"title": "Log in", "login_csrf": token, "next": next_path, "error": error, "name": name},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure_cookies(request, context),
        path="/login",
    )
    return response


@router.post("/login")
def login_submit(
    request: Request,
    name: str = Form(""),
    password: str = Form(""),
    login_csrf: str = Form(""),
    next: str = Form("/"),
    context: AppContext = Depends(app_context),
) -> Response:
    next_path = _safe_next(next)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected:
        return _login_form(request, context, next_path, _cookie_not_returned(request, context), 403, name)
    if not same(expected, login_csrf):
        return _login_form(request, context, next_path, "Your login form expired. Please try again.", 403, name)
    try:
        login = log_in(
            context.database,
            name,
            password,
            address=client_address(request),
            now=context.clock(),
            lifetime=context.session_lifetime,
        )
    except TooManyAttempts as refused:
        wait = wait_in_words(refused.retry_after_seconds)
        message = f"Too many failed logins for this account or from this address. Try again in {wait}."
        response = _login_form(request, context, next_path, message, 429, name)
        response.headers["Retry-After"] = str(refused.retry_after_seconds)
        return response
    except Unauthenticated:
        return _login_form(request, context, next_path, "Wrong name or password.", 401, name)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        login.token,
        httponly=True,
        samesite="lax",
        secure=_secure_cookies(request, context),
        max_age=int(context.session_lifetime.total_seconds()),
    )
    response.delete_cookie(
        LOGIN_CSRF_COOKIE, path="/login", secure=_secure_cookies(request, context), httponly=True, samesite="strict"
    )
    return response


def _cookie_not_returned(request: Request, context: AppContext) -> str:
    """Why the login form's cookie did not come back, in words a person (or a script's author) can act on."""
    if request.url.scheme == "http" and request.url.hostname in LOOPBACK and _secure_cookies(request, context):
        return (
            "Your client did not send back the login form's cookie. Bastion marks its cookies Secure: "
            "browsers send them to this loopback address over plain http, but other clients (curl, "
            "scripts) send them only over https. Scripts should use an API key; for a local test, "
            "BASTION_COOKIE_SECURE=false turns the Secure flag off."
        )
    return "Your browser did not send back the login form's cookie. Allow cookies for this site, then try again."


@router.post("/logout")
def logout(
    request: Request, principal: Principal = Depends(requires()), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        log_out(session, request.cookies.get(SESSION_COOKIE, ""), principal=principal, now=context.clock())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, secure=_secure_cookies(request, context), httponly=True, samesite="lax")
    return response


@router.get("/", response_class=HTMLResponse)
def home_page(
    request: Request, principal: Principal = Depends(requires()), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        view = home(session, principal, now=context.clock())
    return render_page(request, "home.html", {"title": "Home", "home": view})


@router.get("/subjects")
def find_subject(
    request: Request,
    id: str = "",
    type: str = "content",
    principal: Principal = Depends(requires(Permission.SUBJECT_READ)),
) -> Response:
    kind = "actors" if type == "actor" else "content"
    return RedirectResponse(f"/{kind}/{quote(id.strip(), safe='')}", status_code=303)


@router.get("/content/{content_id:path}", response_class=HTMLResponse)
def content_page(
    request: Request,
    content_id: str,
    principal: Principal = Depends(requires(Permission.SUBJECT_READ)),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        view = view_content(session, content_id, principal=principal, now=context.clock())
    return render_page(request, "content.html", {"title": f"Content {content_id}", "view": view})


@router.get("/actors/{actor_id:path}", response_class=HTMLResponse)
def actor_page(
    request: Request,
    actor_id: str,
    principal: Principal = Depends(requires(Permission.SUBJECT_READ)),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        view = view_actor(session, actor_id, principal=principal, now=context.clock())
    return render_page(request, "actor.html", {"title": f"Actor {actor_id}", "view": view})


@router.get("/policies", response_class=HTMLResponse)
def policies_page(
    request: Request,
    principal: Principal = Depends(requires(Permission.POLICY_READ)),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        policies = sorted(current_policies(session).values(), key=lambda p: p.policy.id)
    return render_page(request, "policies.html", {"title": "Policies", "policies": policies})


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    principal: Principal = Depends(requires(Permission.AUDIT_READ)),
    context: AppContext = Depends(app_context),
) -> Response:
    params = dict(request.query_params)
    values: dict[str, Any] = {"title": "Audit log", "params": params, "errors": {}, "page": None}
    with context.database.transaction() as session:
        values["actions"] = audit_log.actions(session)
        try:
            filters, before = _audit_filters(params)
            page = audit_log.search(session, filters, before=before, limit=AUDIT_PAGE)
        except InvalidInput as error:
            values["errors"] = {e.path: e.message for e in error.errors}
            return render_page(request, "audit.html", values, status_code=422)
    kept = {k: v for k, v in params.items() if v and k != "before"}
    values |= {
        "page": page,
        "rows": [(row, target_link(row.target)) for row in page.rows],
        "older": f"/audit?{urlencode(kept | {'before': str(page.older)})}" if page.older is not None else None,
        "newest": f"/audit?{urlencode(kept)}" if "before" in params else None,
    }
    return render_page(request, "audit.html", values)


AUDIT_PAGE = 100


def _audit_filters(params: dict[str, str]) -> tuple[audit_log.AuditFilters, int | None]:
    errors: list[FieldError] = []
    moments: dict[str, datetime | None] = {}
    for name in ("since", "until"):
        raw = params.get(name, "").strip()
        moments[name] = None
        if raw:
            try:
                moments[name] = as_utc(datetime.fromisoformat(raw.replace("Z", "+00:00")))
            except ValueError:
                errors.append(FieldError(name, "must be a date or time such as 2026-11-02 or 2026-11-02T09:00"))
    before_raw = params.get("before", "").strip()
    if before_raw and not before_raw.isdigit():
        errors.append(FieldError("before", "must be a row number"))
    texts = {name: params.get(name, "").strip() for name in ("principal", "action", "target")}
    errors += [FieldError(n, "at most 512 characters") for n, v in texts.items() if len(v) > audit_log.TARGET_CHARS]
    if errors:
        raise InvalidInput("the audit log filters are not valid", errors)
    filters = audit_log.AuditFilters(
        principal=texts["principal"] or None,
        action=texts["action"] or None,
        target=texts["target"] or None,
        since=moments["since"],
        until=moments["until"],
    )
    return filters, int(before_raw) if before_raw else None


# What each kind of audit target opens; other targets (files, "web") have no page of their own.
_TARGET_PAGES = {
    "job": "/review/jobs/{}",
    "content": "/content/{}",
    "actor": "/actors/{}",
    "webhook_delivery": "/admin/webhooks",
    "user": "/audit?principal=user%3A{}",
    "apikey": "/audit?principal=apikey%3A{}",
}


def target_link(target: str) -> str | None:
    """The page of an audit row's target (`job:12` → `/review/jobs/12`), its identifier escaped for a URL."""
    kind, _, key = target.partition(":")
    page = _TARGET_PAGES.get(kind)
    if page is None or not key:
        return None
    return page.format(quote(key, safe=""))
