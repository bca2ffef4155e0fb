"""API keys and web sessions against the real store."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

import bastion
from bastion.auth.apikeys import authenticate_api_key, create_api_key, revoke_api_key, use_api_key
from bastion.auth.sessions import Login, active_session, log_in, log_out
from bastion.auth.tokens import digest
from bastion.auth.users import add_user, parse_roles
from bastion.clock import FrozenClock
from bastion.domain.access import Permission, Role
from bastion.errors import Conflict, InvalidInput, Unauthenticated
from bastion.store.database import Database
from bastion.store.schema import ApiKey, AuditRecord
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


HOUR = timedelta(hours=1)


def _log_in(database: Database, clock: FrozenClock, name: str, password: str = PASSWORD) -> Login:
    return log_in(database, name, password, address="10.0.0.1", now=clock(), lifetime=HOUR)


def _audit(database: Database, since: int) -> list[tuple[str, str, str]]:
    with database.transaction() as session:
        rows = session.scalars(select(AuditRecord).where(AuditRecord.seq > since).order_by(AuditRecord.seq))
        return [(r.principal, r.action, r.target) for r in rows]


def _last_seq(database: Database) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(func.coalesce(func.max(AuditRecord.seq), 0))) or 0)


def test_sessions_log_in_expire_and_log_out(database: Database, clock: FrozenClock) -> None:
    make_user(database, clock, "ana", Role.ANALYST)
    with pytest.raises(Unauthenticated):
        _log_in(database, clock, "ana", "wrong password!!")
    with pytest.raises(Unauthenticated):
        _log_in(database, clock, "nobody")
    login = _log_in(database, clock, "ana")
    with database.transaction() as session:
        assert active_session(session, login.token, now=clock()).principal.name == "user:ana"
    clock.advance(timedelta(hours=1, seconds=1))
    with database.transaction() as session, pytest.raises(Unauthenticated, match="ended"):
        active_session(session, login.token, now=clock())
    again = _log_in(database, clock, "ana")
    with database.transaction() as session:
        log_out(session, again.token, principal=again.principal, now=clock())
    with database.transaction() as session, pytest.raises(Unauthenticated):
        active_session(session, again.token, now=clock())


def test_logging_in_and_out_records_each_outcome_once(database: Database, clock: FrozenClock) -> None:
    """Regression: the web routes wrote these rows, so another way in would have written none."""
    make_user(database, clock, "ana", Role.ANALYST)
    since = _last_seq(database)
    with pytest.raises(Unauthenticated):
        _log_in(database, clock, "ana", "wrong password!!")
    with pytest.raises(Unauthenticated):
        _log_in(database, clock, "my secret password")  # a password typed as a name is not kept
    login = _log_in(database, clock, "ana")
    with database.transaction() as session:
        log_out(session, login.token, principal=login.principal, now=clock())
    assert _audit(database, since) == [
        ("anonymous", "auth.login_failed", "user:ana"),
        ("anonymous", "auth.login_failed", "unknown user"),
        ("user:ana", "auth.login", "web"),
        ("user:ana", "auth.logout", "web"),
    ]


def test_users_and_keys_record_their_creation_and_revocation_once(database: Database, clock: FrozenClock) -> None:
    since = _last_seq(database)
    with database.transaction() as session:
        add_user(session, "ana", roles=frozenset({Role.ANALYST}), password=PASSWORD, now=clock(), by="user:root")
        create_api_key(session, "ana-cli", now=clock(), user="ana", by="user:root")
        create_api_key(session, "ingest", now=clock(), role=Role.PLATFORM)
        revoke_api_key(session, "ingest", now=clock())
        revoke_api_key(session, "ingest", now=clock())  # already revoked: nothing changes, nothing recorded
    assert _audit(database, since) == [
        ("user:root", "user.add", "user:ana"),
        ("user:root", "apikey.create", "apikey:ana-cli"),
        ("system:bastion", "apikey.create", "apikey:ingest"),
        ("system:bastion", "apikey.revoke", "apikey:ingest"),
    ]
    with database.transaction() as session:
        details = [r.details for r in session.scalars(select(AuditRecord).where(AuditRecord.seq > since))]
    assert details[:3] == [
        {"roles": ["analyst"], "vendor": None},
        {"role": None, "user": "ana"},
        {"role": "platform", "user": None},
    ]


def test_a_key_records_its_reads_once_and_its_refusals_not_at_all(database: Database, clock: FrozenClock) -> None:
    with database.transaction() as session:
        issued = create_api_key(session, "reader", now=clock(), role=Role.ANALYST)
    since = _last_seq(database)
    principal = use_api_key(database, issued.secret, now=clock(), address="10.0.0.2", read_path="/api/v1/content/c1")
    assert principal.name == "apikey:reader"
    use_api_key(database, issued.secret, now=clock(), address="10.0.0.2", read_path=None)  # a write records itself
    with pytest.raises(Unauthenticated):
        use_api_key(database, "bst_made_up", now=clock(), address="10.0.0.2", read_path="/api/v1/content/c1")
    assert _audit(database, since) == [("apikey:reader", "apikey.use", "/api/v1/content/c1")]


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


AUTH_ACTIONS = {"auth.login", "auth.login_failed", "auth.logout", "user.add", "apikey.create", "apikey.revoke"}
AUTH_ACTIONS |= {"apikey.use"}
EDGES = ("api", "web", "cli", "http", "areas")


def _recorded_actions(path: Path) -> set[str]:
    actions = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record":
            for keyword in node.keywords:
                if keyword.arg == "action" and isinstance(keyword.value, ast.Constant):
                    actions.add(str(keyword.value.value))
    return actions


def test_only_the_auth_services_record_sign_ins_users_and_keys() -> None:
    """Regression: routes and commands wrote these rows, so a new interface would have forgotten them."""
    package = Path(bastion.__file__).parent
    at_the_edges = {
        str(path.relative_to(package)): found
        for edge in EDGES
        for path in (package / edge).rglob("*.py")
        if (found := _recorded_actions(path) & AUTH_ACTIONS)
    }
    assert at_the_edges == {}
    in_services = set().union(*(_recorded_actions(path) for path in (package / "auth").glob("*.py")))
    assert in_services == AUTH_ACTIONS
