"""A throwaway PostgreSQL server for tests.

``PostgresServer`` runs ``initdb`` into a fresh temporary folder, starts the cluster with ``pg_ctl`` on a
free TCP port bound to 127.0.0.1 (its unix socket lives inside the same folder), and on exit stops it and
removes the folder. PostgreSQL refuses to run as root, so when the tests run as root every server command
runs as the ``postgres`` system user (``runuser``, falling back to ``su``); otherwise it runs as the
current user. Start-up takes well under two seconds, so each pytest-xdist worker can start its own server;
a port taken between probing and binding is detected in the server log and retried with another one.

Set ``BASTION_TEST_POSTGRES_URL`` (for example ``postgresql://postgres@db.internal:5432/postgres``) to
use an existing cluster instead: nothing is started or stopped, databases are created on that server, and
the database named in the URL (``postgres`` when absent) is the one administrative commands connect to.

    with PostgresServer() as pg:
        url = pg.create_database("bastion_test", template=None)
        engine = sqlalchemy.create_engine(url)
        ...
        pg.drop_database("bastion_test")
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shlex
import shutil
import socket
import stat
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

__all__ = ["ENV_URL", "PostgresServer"]

ENV_URL = "BASTION_TEST_POSTGRES_URL"
"""Environment variable naming an existing cluster to use instead of starting one."""

SERVICE_USER = "postgres"
"""System user that owns and runs the cluster when the tests run as root."""

SUPERUSER = "postgres"
"""Database superuser created by ``initdb`` (trusted, no password)."""

HOST = "127.0.0.1"

FAST_SETTINGS: Mapping[str, str] = {
    # Durability is pointless for a cluster that is deleted at the end of the run.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "checkpoint_timeout": "30min",
    "max_wal_size": "1GB",
    "max_connections": "200",
    "shared_buffers": "64MB",
    # Autovacuum workers connecting to a template database make CREATE DATABASE ... TEMPLATE fail.
    "autovacuum": "off",
    # JIT compilation costs more than it saves on test-sized queries.
    "jit": "off",
    "timezone": "'UTC'",
    "log_timezone": "'UTC'",
    "log_min_messages": "warning",
}

_PORT_ATTEMPTS = 10
_BIND_FAILURE = re.compile(r"could not bind|address already in use|could not create any TCP/IP sockets", re.I)
_MAX_SOCKET_PATH = 100  # sun_path is 108 bytes; leave room for "/.s.PGSQL.NNNNN"


class PostgresServer:
    """A PostgreSQL cluster for the duration of a ``with`` block (or between ``start()`` and ``stop()``).

    ``external_url`` (default: the ``BASTION_TEST_POSTGRES_URL`` environment variable) names an existing
    server to use instead of starting one. ``settings`` override or extend ``FAST_SETTINGS``.
    """

    def __init__(
        self,
        *,
        external_url: str | None = None,
        settings: Mapping[str, str] | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        if external_url is None:
            external_url = os.environ.get(ENV_URL) or None
        self._settings = {**FAST_SETTINGS, **(settings or {})}
        self._startup_timeout = startup_timeout
        self._root: Path | None = None
        self._port: int | None = None
        self._started = False
        self._external: URL | None = None
        if external_url is not None:
            parsed = make_url(external_url)
            if not parsed.drivername.startswith("postgresql"):
                raise ValueError(f"{ENV_URL} must be a postgresql:// URL, got {parsed.drivername}://")
            self._external = parsed

    # ----------------------------------------------------------------------------------------- lifecycle

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Create and start the cluster (a no-op for an external server or when already started)."""
        if self._external is not None or self._started:
            return
        root = self._make_root()
        self._root = root
        atexit.register(self.stop)
        try:
            self._initdb()
            self._start_on_free_port()
        except BaseException:
            self.stop()
            raise
        self._started = True

    def stop(self) -> None:
        """Stop the cluster and delete its folder. Safe to call more than once."""
        atexit.unregister(self.stop)
        root, self._root = self._root, None
        self._started = False
        if root is None:
            return
        try:
            if (root / "data" / "postmaster.pid").exists():
                pg_ctl = _pg_binary("pg_ctl")
                for mode in ("fast", "immediate"):
                    done = self._run(
                        [pg_ctl, "-D", str(root / "data"), "-m", mode, "-w", "-t", "30", "stop"],
                        cwd=root,
                        check=False,
                    )
                    if done.returncode == 0:
                        break
        finally:
            shutil.rmtree(root, ignore_errors=True)
            if root.exists():  # a second try surfaces the real error
                shutil.rmtree(root)

    # ------------------------------------------------------------------------------------------ queries

    @property
    def external(self) -> bool:
        """True when using the server named by ``BASTION_TEST_POSTGRES_URL`` (or ``external_url``)."""
        return self._external is not None

    @property
    def host(self) -> str:
        if self._external is not None:
            return self._external.host or "localhost"
        return HOST

    @property
    def port(self) -> int:
        if self._external is not None:
            return self._external.port or 5432
        if self._port is None:
            raise RuntimeError("PostgresServer is not started")
        return self._port

    @property
    def directory(self) -> Path | None:
        """The temporary folder holding data, socket and log (None for an external server)."""
        return self._root

    @property
    def log_path(self) -> Path | None:
        return None if self._root is None else self._root / "postgres.log"

    def url(self, dbname: str) -> str:
        """SQLAlchemy URL of database ``dbname``: ``postgresql+psycopg://postgres@127.0.0.1:PORT/dbname``."""
        return self._sqlalchemy_url(dbname).render_as_string(hide_password=False)

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create database ``name`` (copied from ``template`` if given) and return its SQLAlchemy URL.

        The template must have no open connections (dispose engines first); PostgreSQL waits up to
        five seconds for them to go away.
        """
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        with self._admin_connection() as conn:
            conn.execute(statement)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists, terminating any sessions still connected to it."""
        with self._admin_connection() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            statement = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
            if conn.info.server_version >= 130000:
                statement = sql.SQL("{} WITH (FORCE)").format(statement)
            conn.execute(statement)

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the server log ('' if there is none)."""
        path = self.log_path
        if path is None or not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # -------------------------------------------------------------------------------------------- guts

    def _sqlalchemy_url(self, dbname: str) -> URL:
        if self._external is not None:
            return self._external.set(drivername="postgresql+psycopg", database=dbname)
        return URL.create("postgresql+psycopg", username=SUPERUSER, host=HOST, port=self.port, database=dbname)

    @contextlib.contextmanager
    def _admin_connection(self) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        if self._external is not None:
            admin = self._external.set(drivername="postgresql", database=self._external.database or "postgres")
        else:
            admin = URL.create("postgresql", username=SUPERUSER, host=HOST, port=self.port, database="postgres")
        conninfo = admin.render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
            yield conn

    def _make_root(self) -> Path:
        as_root = os.geteuid() == 0
        base = Path(tempfile.gettempdir())
        if (as_root and not _reachable_by_others(base)) or len(str(base)) > _MAX_SOCKET_PATH - 40:
            base = Path("/tmp")  # the service user must be able to reach the folder
        root = Path(tempfile.mkdtemp(prefix="bastion-pg-", dir=base))
        if as_root:
            try:
                user = pwd.getpwnam(SERVICE_USER)
            except KeyError:
                shutil.rmtree(root)
                raise RuntimeError(
                    f"PostgreSQL refuses to run as root and there is no {SERVICE_USER!r} user to run it as;"
                    f" create one, run the tests as another user, or set {ENV_URL}"
                ) from None
            os.chown(root, user.pw_uid, user.pw_gid)
        return root

    def _initdb(self) -> None:
        assert self._root is not None
        data = self._root / "data"
        self._run(
            [
                _pg_binary("initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            cwd=self._root,
            what="initdb",
        )
        settings = {
            **self._settings,
            "listen_addresses": f"'{HOST}'",
            "unix_socket_directories": _quote_setting(str(self._root)),
        }
        with (data / "postgresql.conf").open("a") as conf:  # appending keeps the service user's ownership
            conf.write("\n# bastion test settings\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def _start_on_free_port(self) -> None:
        assert self._root is not None
        root = self._root
        log = root / "postgres.log"
        pg_ctl = _pg_binary("pg_ctl")
        for _attempt in range(_PORT_ATTEMPTS):
            port = _free_port()
            offset = log.stat().st_size if log.exists() else 0
            started = self._run(
                [
                    pg_ctl,
                    "-D",
                    str(root / "data"),
                    "-l",
                    str(log),
                    "-w",
                    "-t",
                    str(int(self._startup_timeout)),
                    "-o",
                    f"-p {port}",
                    "start",
                ],
                cwd=root,
                check=False,
            )
            if started.returncode == 0:
                self._port = port
                return
            new_log = ""
            if log.exists():
                with log.open("rb") as handle:
                    handle.seek(offset)
                    new_log = handle.read().decode(errors="replace")
            if not _BIND_FAILURE.search(new_log):
                raise RuntimeError(_failure("pg_ctl start", started, self.log_tail()))
        raise RuntimeError(
            f"pg_ctl start: no free port after {_PORT_ATTEMPTS} attempts\n--- server log ---\n{self.log_tail()}"
        )

    def _run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        check: bool = True,
        what: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        env["LC_ALL"] = "C"
        done = subprocess.run(
            _as_service_user(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            timeout=self._startup_timeout + 30,
        )
        if check and done.returncode != 0:
            raise RuntimeError(_failure(what or Path(argv[0]).name, done, self.log_tail()))
        return done


def _failure(what: str, done: subprocess.CompletedProcess[str], log_tail: str) -> str:
    parts = [f"{what} failed (exit {done.returncode}): {shlex.join(str(a) for a in done.args)}"]
    output = "\n".join(s.strip() for s in (done.stdout, done.stderr) if s and s.strip())
    if output:
        parts.append(f"--- output ---\n{output}")
    if log_tail:
        parts.append(f"--- server log ---\n{log_tail}")
    return "\n".join(parts)


def _as_service_user(argv: Sequence[str]) -> list[str]:
    if os.geteuid() != 0:
        return list(argv)
    runuser = shutil.which("runuser")
    if runuser is not None:
        return [runuser, "-u", SERVICE_USER, "--", *argv]
    su = shutil.which("su")
    if su is not None:
        return [su, SERVICE_USER, "-s", "/bin/sh", "-c", shlex.join(argv)]
    raise RuntimeError(f"running as root, but neither runuser nor su is available to switch to {SERVICE_USER!r}")


def _pg_binary(name: str) -> str:
    """``name`` from PATH, else from ``pg_config --bindir``, else from the newest /usr/lib/postgresql/N/bin."""
    found = shutil.which(name)
    if found is not None:
        return found
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout
        candidate = Path(bindir.strip()) / name
        if bindir.strip() and candidate.is_file():
            return str(candidate)
    versions = sorted(
        (p for p in Path("/usr/lib/postgresql").glob(f"*/bin/{name}") if p.parent.parent.name.isdigit()),
        key=lambda p: int(p.parent.parent.name),
    )
    if versions:
        return str(versions[-1])
    raise RuntimeError(f"PostgreSQL's {name!r} is not on PATH; install PostgreSQL or set {ENV_URL}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _reachable_by_others(path: Path) -> bool:
    """Whether a user other than the owner can traverse every folder down to ``path``."""
    for folder in (path.resolve(), *path.resolve().parents):
        try:
            if not folder.stat().st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


def _quote_setting(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
