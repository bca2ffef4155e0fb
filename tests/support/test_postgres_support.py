"""The throwaway PostgreSQL server used by the PostgreSQL-backed tests."""

from __future__ import annotations

import os
import socket

import pytest
import sqlalchemy as sa

from .postgres import ENV_URL, PostgresServer

pytestmark = pytest.mark.postgres_only


def test_server_creates_queries_and_cleans_up() -> None:
    with PostgresServer() as pg:
        directory = pg.directory
        assert pg.external or (directory is not None and directory.is_dir())

        url = pg.create_database("bastion_support_check")
        assert url == pg.url("bastion_support_check")
        assert url.startswith("postgresql+psycopg://")
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                version = conn.execute(sa.text("select version()")).scalar_one()
                assert conn.execute(sa.text("select current_database()")).scalar_one() == "bastion_support_check"
            if not pg.external:
                assert str(version).startswith("PostgreSQL 15"), version

            # Cloning from a template, then dropping while a session is still open.
            with engine.begin() as conn:
                conn.execute(sa.text("create table marker (id int primary key)"))
                conn.execute(sa.text("insert into marker values (42)"))
        finally:
            engine.dispose()

        clone_url = pg.create_database("bastion_support_clone", template="bastion_support_check")
        clone = sa.create_engine(clone_url)
        try:
            with clone.connect() as held_open:
                assert held_open.execute(sa.text("select id from marker")).scalar_one() == 42
                pg.drop_database("bastion_support_clone")
        except sa.exc.OperationalError:
            pass  # the held session was terminated by drop_database, as intended
        finally:
            clone.dispose()
        pg.drop_database("bastion_support_check")
        pg.drop_database("bastion_support_check")  # dropping a missing database is not an error

        admin = sa.create_engine(pg.url("postgres"))
        try:
            with admin.connect() as conn:
                names = set(conn.execute(sa.text("select datname from pg_database")).scalars())
        finally:
            admin.dispose()
        assert not names & {"bastion_support_check", "bastion_support_clone"}

    if directory is not None:
        assert not directory.exists()


@pytest.mark.skipif(bool(os.environ.get(ENV_URL)), reason="uses an external server")
def test_two_servers_run_side_by_side() -> None:
    with PostgresServer() as first, PostgresServer() as second:
        assert first.port != second.port
        for pg in (first, second):
            engine = sa.create_engine(pg.url("postgres"))
            try:
                with engine.connect() as conn:
                    assert conn.execute(sa.text("show fsync")).scalar_one() == "off"
                    assert conn.execute(sa.text("show max_connections")).scalar_one() == "200"
                    assert conn.execute(sa.text("show listen_addresses")).scalar_one() == "127.0.0.1"
            finally:
                engine.dispose()


@pytest.mark.skipif(bool(os.environ.get(ENV_URL)), reason="uses an external server")
def test_a_taken_port_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    from . import postgres

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken])
        real_free_port = postgres._free_port
        monkeypatch.setattr(postgres, "_free_port", lambda: next(ports, None) or real_free_port())
        with PostgresServer() as pg:
            assert pg.port != taken
            assert "could not" in pg.log_tail().lower()  # the failed attempt is in the log
