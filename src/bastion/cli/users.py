"""`bastion user` and `bastion apikey`: people and services that may use Bastion."""

from __future__ import annotations

import secrets
import sys

import typer
from rich.markup import escape
from rich.table import Table

from bastion import audit_log
from bastion.auth.apikeys import create_api_key, list_api_keys, revoke_api_key
from bastion.auth.principal import SYSTEM
from bastion.auth.users import add_user, list_users, parse_roles
from bastion.cli.console import console, open_database
from bastion.clock import system_clock
from bastion.domain.access import Role

user_app = typer.Typer(help="People who log in.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys for services and scripts.", no_args_is_help=True)


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="Login name."),
    role: list[str] = typer.Option(..., "--role", "-r", help="A role; repeat for several."),
    vendor: str | None = typer.Option(None, help="The vendor a vendor_reviewer works for."),
    languages: str = typer.Option("", help="Languages reviewed, comma-separated: en,pt."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
) -> None:
    """Add a user. Without --password-stdin a strong password is made and printed once."""
    roles = parse_roles(role)
    password = sys.stdin.readline().rstrip("\n") if password_stdin else secrets.token_urlsafe(15)
    now = system_clock()
    database = open_database()
    with database.transaction() as session:
        add_user(
            session,
            name,
            roles=roles,
            password=password,
            now=now,
            vendor=vendor,
            languages=languages.split(",") if languages else (),
        )
        audit_log.record(
            session,
            principal=SYSTEM.name,
            action="user.add",
            target=f"user:{name}",
            at=now,
            details={"roles": sorted(roles), "vendor": vendor},
        )
    console.print(f"added user [bold]{name}[/] with roles {', '.join(sorted(roles))}")
    if not password_stdin:
        console.print("password (shown once):")
        print(password)


@apikey_app.command("create")
def apikey_create(
    name: str = typer.Option(..., help="A name for the key, e.g. the service using it."),
    role: Role | None = typer.Option(None, help="A service key with this role."),
    user: str | None = typer.Option(None, help="A key that acts as this user, with the user's roles."),
) -> None:
    """Create an API key. The key is printed alone on the last line, once; only its hash is kept."""
    now = system_clock()
    database = open_database()
    with database.transaction() as session:
        issued = create_api_key(session, name, now=now, role=role, user=user)
        audit_log.record(
            session,
            principal=SYSTEM.name,
            action="apikey.create",
            target=f"apikey:{name}",
            at=now,
            details={"role": role.value if role else None, "user": user},
        )
    console.print(f"created API key [bold]{name}[/] ({f'role {role.value}' if role else f'acts as {user}'}).")
    console.print("Send it as 'Authorization: Bearer <key>'. It is shown once:")
    print(issued.secret)


@apikey_app.command("revoke")
def apikey_revoke(name: str = typer.Argument(..., help="The key's name.")) -> None:
    """Revoke a key: it stops working at once."""
    now = system_clock()
    with open_database().transaction() as session:
        revoke_api_key(session, name, now=now)
        audit_log.record(session, principal=SYSTEM.name, action="apikey.revoke", target=f"apikey:{name}", at=now)
    console.print(f"revoked API key [bold]{escape(name)}[/]")


@apikey_app.command("list")
def apikey_list() -> None:
    """Every key: its name, what it acts as, when it was last used (keys themselves are never shown)."""
    with open_database().transaction() as session:
        keys = list_api_keys(session)
    table = Table("name", "acts as", "prefix", "created", "last used", "revoked")
    for key, user in keys:
        table.add_row(
            escape(key.name),
            f"user {escape(user)}" if user else f"role {key.role}",
            key.prefix + "…",
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never",
            f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "",
        )
    console.print(table)


@user_app.command("list")
def user_list() -> None:
    """Every user with roles, vendor and languages."""
    with open_database().transaction() as session:
        users = list_users(session)
    table = Table("name", "roles", "vendor", "languages", "active")
    for user in users:
        table.add_row(
            escape(user.name),
            ", ".join(user.roles),
            user.vendor or "",
            ", ".join(user.languages),
            "yes" if user.active else "no",
        )
    console.print(table)
