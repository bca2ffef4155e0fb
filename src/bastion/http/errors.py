"""One error handler for the whole app: JSON under /api, HTML pages elsewhere, from the same error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from bastion.errors import BastionError, FieldError, InvalidInput, TooManyAttempts, Unauthenticated
from bastion.ingest.validation import json_path, message_of

log = structlog.get_logger(__name__)


def error_body(error: BastionError) -> dict[str, Any]:
    details = [{"path": e.path, "message": e.message} for e in getattr(error, "errors", ())]
    return {"error": {"code": error.code, "message": error.message, "details": details}}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


HtmlErrorPage = Callable[[Request, BastionError], Response]
UnexpectedErrorPage = Callable[[Request, Exception], Response]


def install_error_handlers(app: FastAPI, html_page: HtmlErrorPage) -> UnexpectedErrorPage:
    """Route every error through one renderer; `html_page` draws it for people (the web layer).

    Returns the renderer of unexpected errors, for the outermost middleware (`bastion.http.headers`) to
    call: a handler registered for `Exception` would run outside every middleware, so its 500 would miss
    the security headers, and Starlette would re-raise the error and drop the connection.
    """

    def render_error(request: Request, error: BastionError) -> Response:
        if error.http_status >= 500:
            log.error("request_failed", path=request.url.path, code=error.code)
        if wants_json(request):
            headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, Unauthenticated) else {}
            response: Response = JSONResponse(error_body(error), status_code=error.http_status, headers=headers)
        elif isinstance(error, Unauthenticated) and request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        else:
            response = html_page(request, error)
        if isinstance(error, TooManyAttempts):
            response.headers["Retry-After"] = str(error.retry_after_seconds)
        return response

    @app.exception_handler(BastionError)
    async def _bastion_error(request: Request, error: BastionError) -> Response:
        return render_error(request, error)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, error: RequestValidationError) -> Response:
        details = []
        for item in error.errors():
            loc = [p for p in item["loc"] if p != "body"]
            details.append(FieldError(json_path("", loc), message_of(item)))
        return render_error(request, InvalidInput("the request is not valid", details))

    def unexpected(request: Request, error: Exception) -> Response:
        # Never echo the exception: it may hold content or SQL. The type is enough to find it in logs.
        log.error("unexpected_error", path=request.url.path, error_type=type(error).__name__)
        internal = BastionError("something went wrong on our side; nothing was changed")
        internal.code = "internal_error"
        return render_error(request, internal)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        return render_error(request, http_error(request, error))

    return unexpected


def http_error(request: Request, error: StarletteHTTPException) -> BastionError:
    """Starlette's and FastAPI's own errors (no such path, wrong method, an unreadable body) in Bastion's words."""
    if error.status_code == 404:
        wrapped = BastionError(f"no such page or endpoint: {request.url.path}")
        wrapped.code = "not_found"
    elif error.status_code == 405:
        wrapped = BastionError(f"{request.method} is not allowed on {request.url.path}")
        wrapped.code = "method_not_allowed"
    elif error.status_code == 400:
        wrapped = BastionError("the request body could not be read; send JSON, or a form for the pages")
        wrapped.code = "bad_request"
    else:
        wrapped = BastionError(str(error.detail))
        wrapped.code = "http_error"
    wrapped.http_status = error.status_code
    return wrapped
