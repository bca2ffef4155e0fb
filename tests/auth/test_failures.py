"""Failed logins and API keys counted in the store: per account, per address, across worker processes."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from bastion.auth.apikeys import create_api_key, use_api_key
from bastion.auth.failures import count_failure
from bastion.auth.sessions import Login, log_in
from bastion.auth.throttle import LIMITS, Scope, ThrottleKey
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.errors import TooManyAttempts, Unauthenticated
from bastion.store.database import Database
from bastion.store.schema import AuthFailure
from tests.conftest import PASSWORD, make_user

HOUR = timedelta(hours=1)
ACCOUNT_LIMIT = LIMITS[Scope.LOGIN_ACCOUNT]
ADDRESS_LIMIT = LIMITS[Scope.LOGIN_ADDRESS]


def _log_in(database: Database, clock: FrozenClock, name: str, password: str, address: str = "10.0.0.1") -> Login:
    return log_in(database, name, password, address=address, now=clock(), lifetime=HOUR)


def _fail(database: Database, clock: FrozenClock, name: str, times: int, address: str = "10.0.0.1") -> None:
    for _ in range(times):
        with pytest.raises(Unauthenticated):
            _log_in(database, clock, name, "not the password", address)


@pytest.fixture
def second_worker(database: Database) -> Iterator[Database]:
    """The same store through an engine and pool of its own, as another worker process has."""
    other = Database(database.url)
    yield other
    other.dispose()


def _seed_failures(database: Database, clock: FrozenClock, key: ThrottleKey, times: int) -> None:
    """Failures already in the store, as if made earlier (each real one costs an Argon2 check)."""
    with database.transaction() as session:
        for _ in range(times):
            count_failure(session, [key], now=clock())


def _stored(database: Database, key: ThrottleKey) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(func.count()).where(AuthFailure.key_hash == key.digest)) or 0)


def test_an_account_is_throttled_across_workers_and_a_success_clears_its_count(
    database: Database, second_worker: Database, clock: FrozenClock
) -> None:
    make_user(database, clock, "ana", Role.ANALYST)
    ana = ThrottleKey(Scope.LOGIN_ACCOUNT, "ana")
    _seed_failures(database, clock, ana, ACCOUNT_LIMIT.failures - 2)
    clock.advance(timedelta(seconds=100))
    _fail(second_worker, clock, "ana", 1, address="10.0.1.1")
    _fail(database, clock, "ana", 1, address="10.0.1.2")
    for worker in (database, second_worker):
        with pytest.raises(TooManyAttempts) as refused:
            _log_in(worker, clock, "ana", PASSWORD, address="10.9.9.9")  # even the right password, from anywhere
    # The first failure was 100 s ago; it leaves the 15-minute window in 800 s.
    assert refused.value.retry_after_seconds == 800
    assert refused.value.code == "too_many_attempts" and refused.value.http_status == 429
    assert "try again in 13 minutes" in refused.value.message
    clock.advance(timedelta(seconds=799))
    with pytest.raises(TooManyAttempts):
        _log_in(database, clock, "ana", PASSWORD)
    clock.advance(timedelta(seconds=1))
    assert _stored(database, ana) == ACCOUNT_LIMIT.failures
    assert _log_in(second_worker, clock, "ana", PASSWORD).principal.name == "user:ana"
    assert _stored(database, ana) == 0  # the success cleared the account's count
    assert _stored(database, ThrottleKey(Scope.LOGIN_ADDRESS, "10.0.1.1")) == 1  # but not the addresses'


def test_unknown_names_are_throttled_like_real_ones(database: Database, clock: FrozenClock) -> None:
    _seed_failures(database, clock, ThrottleKey(Scope.LOGIN_ACCOUNT, "nobody"), ACCOUNT_LIMIT.failures - 1)
    _fail(database, clock, "nobody", 1)
    with pytest.raises(TooManyAttempts):
        _log_in(database, clock, "nobody", "anything at all")


def test_an_address_is_throttled_whatever_names_it_tries(database: Database, clock: FrozenClock) -> None:
    make_user(database, clock, "ana", Role.ANALYST)
    _seed_failures(database, clock, ThrottleKey(Scope.LOGIN_ADDRESS, "192.0.2.7"), ADDRESS_LIMIT.failures - 1)
    _fail(database, clock, "a-new-guess", 1, address="192.0.2.7")
    with pytest.raises(TooManyAttempts):
        _log_in(database, clock, "ana", PASSWORD, address="192.0.2.7")
    assert _log_in(database, clock, "ana", PASSWORD, address="192.0.2.8").principal.name == "user:ana"


def test_refused_attempts_do_not_count_and_old_failures_are_dropped(database: Database, clock: FrozenClock) -> None:
    _seed_failures(database, clock, ThrottleKey(Scope.LOGIN_ACCOUNT, "ana"), ACCOUNT_LIMIT.failures - 1)
    _fail(database, clock, "ana", 1)
    for _ in range(5):
        with pytest.raises(TooManyAttempts):
            _log_in(database, clock, "ana", "again")
    with database.transaction() as session:
        stored = session.scalar(select(func.count()).select_from(AuthFailure))
        names = set(session.scalars(select(AuthFailure.key_hash)))
    assert stored == ACCOUNT_LIMIT.failures + 1  # the account's, and the one real failure's address: no more
    assert not {n for n in names if "ana" in n or "10.0.0.1" in n}  # digests only
    clock.advance(timedelta(minutes=15))
    _fail(database, clock, "bob", 1, address="10.0.0.2")
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuthFailure)) == 2


def test_bad_api_keys_are_throttled_per_address(database: Database, clock: FrozenClock) -> None:
    with database.transaction() as session:
        good = create_api_key(session, "svc", now=clock(), role=Role.ANALYST).secret
    limit = LIMITS[Scope.API_KEY_ADDRESS]
    _seed_failures(database, clock, ThrottleKey(Scope.API_KEY_ADDRESS, "198.51.100.1"), limit.failures - 3)
    for i in range(3):
        with pytest.raises(Unauthenticated):
            use_api_key(database, f"bst_guess{i}", now=clock(), address="198.51.100.1", read_path=None)
    with pytest.raises(TooManyAttempts):  # refused unlooked-at: the answer says nothing about the key
        use_api_key(database, good, now=clock(), address="198.51.100.1", read_path=None)
    assert use_api_key(database, good, now=clock(), address="198.51.100.2", read_path=None).name == "apikey:svc"
    clock.advance(limit.window)
    assert use_api_key(database, good, now=clock(), address="198.51.100.1", read_path=None).name == "apikey:svc"


# --- real worker processes --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def two_workers(sqlite_database: Database) -> Iterator[str]:
    """`bastion serve --workers 2` on the test's store, with plain-http cookies so a script can log in."""
    port = _free_port()
    env = {**os.environ, "BASTION_DATABASE_URL": sqlite_database.url, "BASTION_COOKIE_SECURE": "false", "NO_COLOR": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "bastion", "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("bastion serve did not start")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _form_login(url: str, name: str, password: str) -> httpx.Response:
    # A fresh client each time: a new connection, which either worker may accept.
    with httpx.Client(base_url=url, timeout=30) as http:
        form = http.get("/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
        assert token, form.text
        return http.post("/login", data={"name": name, "password": password, "login_csrf": token.group(1)})


@pytest.mark.timeout(300)
def test_the_login_throttle_holds_across_the_processes_of_bastion_serve(
    sqlite_database: Database, clock: FrozenClock, two_workers: str
) -> None:
    make_user(sqlite_database, clock, "ana", Role.ANALYST)
    for _ in range(ACCOUNT_LIMIT.failures):
        assert _form_login(two_workers, "ana", "not the password").status_code == 401
    refused = _form_login(two_workers, "ana", PASSWORD)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert "Too many failed logins" in refused.text and "Try again in" in refused.text
