"""The application: REST API, web pages and static files, with deny-by-default enforced at start-up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from bastion import __version__
from bastion.api.context import AppContext
from bastion.api.errors import install_error_handlers
from bastion.api.routes import health, ingest, review, subjects, supervisor, webhooks
from bastion.api.security import is_guarded
from bastion.clock import system_clock
from bastion.config import settings
from bastion.errors import ConfigurationError
from bastion.store.database import Database
from bastion.web import admin_routes, review_routes
from bastion.web import routes as web_routes
from bastion.web.rendering import error_page

# The only routes anyone may call without credentials.
PUBLIC_ROUTES = frozenset(
    {
        ("GET", "/api/v1/health"),
        ("GET", "/login"),
        ("POST", "/login"),
        ("GET", "/openapi.json"),
        ("HEAD", "/openapi.json"),
    }
)
PUBLIC_MOUNTS = frozenset({"/static"})  # the UI's own CSS, script and icon


def content_security_policy(media_origins: list[str]) -> str:
    """Only the UI's own files run; images may also come from the platform's media origins."""
    images = " ".join(["'self'", "data:", "blob:", *media_origins])
    return (
        f"default-src 'self'; script-src 'self'; style-src 'self'; img-src {images}; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )


STATIC = Path(__file__).parent.parent / "web" / "static"


def app_from_settings() -> FastAPI:
    """The app on the store the environment names: what each worker process of `bastion serve
    --workers N` builds for itself."""
    config = settings()
    return create_app(AppContext(database=Database(config.database_url), settings=config, clock=system_clock))


def create_app(context: AppContext) -> FastAPI:
    app = FastAPI(
        title="Bastion",
        version=__version__,
        description="Integrity operations: ingest, review, quality, investigations, insight.",
        docs_url=None,  # the hosted docs UIs load scripts from a CDN; the schema is at /openapi.json
        redoc_url=None,
    )
    app.state.context = context
    install_error_handlers(app, error_page)
    for router in (
        health.router,
        ingest.router,
        subjects.router,
        review.router,
        supervisor.router,
        webhooks.router,
        web_routes.router,
        review_routes.router,
        admin_routes.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _refuse_unguarded_routes(app)
    policy = content_security_policy(context.settings.media_origins)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app


def all_routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route, including those of included routers (which carry their own full paths)."""
    for route in routes:
        if isinstance(route, APIRouter):
            yield from all_routes(route.routes)
        elif hasattr(route, "original_router"):  # how FastAPI wraps an included router
            yield from all_routes(route.original_router.routes)
        else:
            yield route


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    return (route for route in all_routes(routes) if isinstance(route, APIRoute))


def _refuse_unguarded_routes(app: FastAPI) -> None:
    """Deny by default: every route must demand a role through `requires`, unless listed as public.

    Routes that cannot carry a guard (plain routes, mounts) are allowed only when listed as public.
    """
    open_routes = []
    for route in all_routes(app.routes):
        if isinstance(route, APIRoute):
            for method in route.methods or ():
                if (method, route.path) not in PUBLIC_ROUTES and not is_guarded(route.dependant):
                    open_routes.append(f"{method} {route.path}")
        elif isinstance(route, Mount):
            if route.path not in PUBLIC_MOUNTS:
                open_routes.append(f"mount {route.path}")
        elif isinstance(route, Route):
            open_routes.extend(
                f"{method} {route.path}"
                for method in route.methods or ("ANY",)
                if (method, route.path) not in PUBLIC_ROUTES
            )
        else:
            open_routes.append(f"unknown route {route!r}")
    if open_routes:
        raise ConfigurationError(f"routes without an access rule: {', '.join(sorted(open_routes))}")
