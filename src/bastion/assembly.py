"""The composition root: the web app and the command line, assembled from the registered areas.

Nothing else imports the areas: each area (built in or a plugin, see `bastion.plugins`) contributes its
routers, navigation entries, page templates and commands through hooks, and this module puts them together,
then refuses to start if any route lacks an access rule (deny by default).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute, Mount, Route

from bastion import __version__
from bastion.clock import system_clock
from bastion.config import settings
from bastion.errors import ConfigurationError
from bastion.http.context import AppContext
from bastion.http.errors import install_error_handlers
from bastion.http.headers import SecurityHeaders
from bastion.http.security import is_guarded
from bastion.plugins import in_registration_order
from bastion.store.database import Database
from bastion.web.rendering import error_page, page_templates

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


STATIC = Path(__file__).parent / "web" / "static"


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
    app.state.navigation = tuple(item for items in in_registration_order("navigation") for item in items)
    app.state.templates = page_templates([f for folders in in_registration_order("template_folders") for f in folders])
    unexpected = install_error_handlers(app, error_page)
    for routers in in_registration_order("routers"):
        for router in routers:
            app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _refuse_unguarded_routes(app)
    headers = {
        "Content-Security-Policy": content_security_policy(context.settings.media_origins),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    app.add_middleware(SecurityHeaders, headers=headers, unexpected=unexpected)
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
