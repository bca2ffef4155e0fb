"""API keys and web sessions against the real store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bastion.auth.apikeys import authenticate_api_key, create_api_key, revoke_api_key
from bastion.auth.sessions import active_session, log_in, log_out
from bastion.auth.tokens import digest
from bastion.auth.users import add_user, parse_roles
from bastion.clock import FrozenClock
from bastion.domain.access import Permission, Role
from bastion.errors import Conflict, InvalidInput, Unauthenticated
from bastion.store.database import Database
from bastion.store.schema import ApiKey
from tests.conftest import PASSWORD, make_user


def test_a_service_key_has_its_role_and_only_its_hash_is_stored(database: Database, clock: FrozenClock) -> None:
    with database.transaction() as session:
        issued = create_api_key(session, "ingest", now=clock(), role=Role.PLATFORM)
    with database.transaction() as session:
        stored = session.scalar(select(ApiKey).where(ApiKey.name == "ingest"))
        assert stored is not None
        assert stored.key_hash == digest(issued.secret)
        assert issued.secret not in (stored.key_hash, stored.prefix)
        principal = authenticate_api_key(session, issued.secret, now=clock())
    assert principal.name == "apikey:ingest"
    assert principal.can(Permission.INGEST_WRITE)
    assert not principal.can(Permission.USER_MANAGE)


def test_a_user_key_acts_with_the_users_roles(database: Database, clock: FrozenClock) -> None:
    make_user(database, clock, "vera", Role.VENDOR_REVIEWER, vendor="acme", languages=("pt",))
    with database.transaction() as session:
        issued = create_api_key(session, "vera-cli", now=clock(), user="vera")
        principal = authenticate_api_key(session, issued.secret, now=clock())
    assert principal.name == "user:vera"
    assert principal.vendor == "acme"
    assert principal.languages == ("pt",)
    assert principal.via == "apikey"


def test_revoked_and_unknown_keys_are_refused(database: Database, clock: FrozenClock) -> None:
    with database.transaction() as session:
        issued = create_api_key(session, "old", now=clock(), role=Role.ANALYST)
        revoke_api_key(session, "old", now=clock())
    with database.transaction() as session:
        with pytest.raises(Unauthenticated):
            authenticate_api_key(session, issued.secret, now=clock())
        with pytest.raises(Unauthenticated):
            authenticate_api_key(session, "bst_made_up", now=clock())


def test_a_key_needs_exactly_one_of_role_or_user_and_a_unique_name(database: Database, clock: FrozenClock) -> None:
    with database.transaction() as session:
        with pytest.raises(InvalidInput):
            create_api_key(session, "both", now=clock())
        create_api_key(session, "svc", now=clock(), role=Role.PLATFORM)
        with pytest.raises(Conflict):
            create_api_key(session, "svc", now=clock(), role=Role.PLATFORM)


def test_sessions_log_in_expire_and_log_out(database: Database, clock: FrozenClock) -> None:
    make_user(database, clock, "ana", Role.ANALYST)
    with database.transaction() as session:
        with pytest.raises(Unauthenticated):
            log_in(session, "ana", "wrong password!!", now=clock(), lifetime=timedelta(hours=1))
        with pytest.raises(Unauthenticated):
            log_in(session, "nobody", PASSWORD, now=clock(), lifetime=timedelta(hours=1))
        login = log_in(session, "ana", PASSWORD, now=clock(), lifetime=timedelta(hours=1))
    with database.transaction() as session:
        assert active_session(session, login.token, now=clock()).principal.name == "user:ana"
    clock.advance(timedelta(hours=1, seconds=1))
    with database.transaction() as session, pytest.raises(Unauthenticated, match="ended"):
        active_session(session, login.token, now=clock())
    with database.transaction() as session:
        again = log_in(session, "ana", PASSWORD, now=clock(), lifetime=timedelta(hours=1))
        log_out(session, again.token)
    with database.transaction() as session, pytest.raises(Unauthenticated):
        active_session(session, again.token, now=clock())


@pytest.mark.parametrize(
    ("name", "roles", "vendor", "field"),
    [
        ("has space", ["analyst"], None, "name"),
        ("v1", ["vendor_reviewer"], None, "vendor"),
        ("v2", ["analyst"], "acme", "vendor"),
    ],
)
def test_bad_users_are_refused_naming_the_field(
    database: Database, clock: FrozenClock, name: str, roles: list[str], vendor: str | None, field: str
) -> None:
    with database.transaction() as session, pytest.raises(InvalidInput) as caught:
        add_user(session, name, roles=parse_roles(roles), password=PASSWORD, now=clock(), vendor=vendor)
    assert field in [e.path for e in caught.value.errors]


def test_unknown_roles_are_refused() -> None:
    with pytest.raises(InvalidInput, match="bad role"):
        parse_roles(["superuser"])
