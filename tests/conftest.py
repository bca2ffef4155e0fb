"""Shared fixtures: a fresh, migrated store per test on SQLite and on a real PostgreSQL server.

Tests that take `database` run once per backend. A template store (schema + default taxonomy) is
built once per session and cloned per test, so each test starts from the same clean state fast.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings

from bastion.assembly import create_app
from bastion.auth.apikeys import create_api_key
from bastion.auth.users import add_user
from bastion.clock import FrozenClock
from bastion.config import Settings
from bastion.domain.access import Role
from bastion.http.context import AppContext
from bastion.setup import initialise
from bastion.store.database import Database
from tests.support.browser import CHROMIUM_ARGS, chromium_executable
from tests.support.postgres import PostgresServer

# Hypothesis checks what code does, not how fast: no per-example deadline (speed is measured in bench/,
# and on a shared machine a deadline fails tests at random).
hypothesis_settings.register_profile("bastion", deadline=None)
hypothesis_settings.load_profile("bastion")

BACKENDS = ("sqlite", "postgresql")
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session")
def template_stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Lazily built templates, one per backend."""
    return {"dir": tmp_path_factory.mktemp("templates")}


def _sqlite_template(templates: dict[str, Any]) -> Path:
    if "sqlite" not in templates:
        path = templates["dir"] / "template.db"
        database = Database(f"sqlite:///{path}")
        initialise(database, FrozenClock(START))
        database.dispose()
        templates["sqlite"] = path
    return Path(templates["sqlite"])


def _postgres_template(templates: dict[str, Any], server: PostgresServer) -> str:
    if "postgresql" not in templates:
        name = f"bastion_template_{os.getpid()}"
        server.create_database(name)
        database = Database(server.url(name))
        initialise(database, FrozenClock(START))
        database.dispose()
        templates["postgresql"] = name
    return str(templates["postgresql"])


@pytest.fixture(scope="session")
def simulated_cache(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """Where `tests.support.simulated` keeps each seed's simulated store: shared by the session's xdist
    workers (their temporary folders' parent), or this process's own folder without xdist."""
    base = tmp_path_factory.getbasetemp()
    return (base if worker_id == "master" else base.parent) / "simulated"


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path, template_stores: dict[str, Any]) -> Iterator[Database]:
    """A fresh store with the schema and the default taxonomy, on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "bastion.db"
        shutil.copyfile(_sqlite_template(template_stores), path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"t{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:6]}"
    server.create_database(name, template=_postgres_template(template_stores, server))
    database = Database(server.url(name), pool_size=5, max_overflow=60)
    yield database
    database.dispose()
    server.drop_database(name)


@pytest.fixture
def sqlite_database(tmp_path: Path, template_stores: dict[str, Any]) -> Iterator[Database]:
    """A fresh SQLite store, for tests that need only one backend (browser tests, the CLI)."""
    path = tmp_path / "bastion-sqlite-only.db"  # apart from `database`'s file: a test may use both
    shutil.copyfile(_sqlite_template(template_stores), path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


def make_context(database: Database, clock: FrozenClock) -> AppContext:
    return AppContext(database=database, settings=Settings(database_url=database.url), clock=clock)


@pytest.fixture
def client(database: Database, clock: FrozenClock) -> Iterator[TestClient]:
    with TestClient(create_app(make_context(database, clock)), base_url="http://127.0.0.1") as test_client:
        yield test_client


def api_key(database: Database, clock: FrozenClock, role: Role | None = None, user: str | None = None) -> str:
    with database.transaction() as session:
        name = f"key-{next(_counter)}"
        return create_api_key(session, name, now=clock(), role=role, user=user).secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def make_user(
    database: Database,
    clock: FrozenClock,
    name: str,
    role: Role,
    *,
    vendor: str | None = None,
    languages: tuple[str, ...] = (),
) -> str:
    with database.transaction() as session:
        add_user(
            session, name, roles=frozenset({role}), password=PASSWORD, now=clock(), vendor=vendor, languages=languages
        )
    return PASSWORD


# --- a real HTTP server, for end-to-end and browser tests ------------------------------------------------


class LiveServer:
    def __init__(self, context: AppContext) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = uvicorn.Config(create_app(context), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.context = context

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(sqlite_database: Database, clock: FrozenClock) -> Iterator[LiveServer]:
    with LiveServer(make_context(sqlite_database, clock)) as server:
        yield server


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": chromium_executable(), "args": CHROMIUM_ARGS}
