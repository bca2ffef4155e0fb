"""`bastion user` and `bastion apikey`: people and services that may use Bastion."""

from __future__ import annotations

import secrets
import sys

import typer
from rich.markup import escape

from bastion.auth.apikeys import create_api_key, list_api_keys, revoke_api_key
from bastion.auth.principal import SYSTEM
from bastion.auth.users import add_user, list_users, parse_roles
from bastion.cli.console import console, open_database
from bastion.cli.listing import Column, FormatOption, OutputFormat, print_listing
from bastion.clock import system_clock
from bastion.domain.access import Role

user_app = typer.Typer(help="People who log in.", no_args_is_help=True)
ROLES = ", ".join(Role)
apikey_app = typer.Typer(help="API keys for services and scripts.", no_args_is_help=True)


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., metavar="NAME", help="Login name."),
    role: list[str] = typer.Option(..., "--role", "-r", metavar="ROLE", help=f"One of {ROLES}; repeat for several."),
    vendor: str | None = typer.Option(None, metavar="VENDOR", help="The vendor a vendor_reviewer works for."),
    languages: str = typer.Option(
        "", metavar="CODES", help="Languages reviewed, comma-separated: en,pt.", show_default=False
    ),
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
            by=SYSTEM.name,
        )
    console.print(f"added user [bold]{name}[/] with roles {', '.join(sorted(roles))}")
    if not password_stdin:
        console.print("password (shown once):")
        print(password)


@apikey_app.command("create")
def apikey_create(
    name: str = typer.Option(..., metavar="NAME", help="A name for the key, e.g. the service using it."),
    role: Role | None = typer.Option(None, metavar="ROLE", help=f"A service key with this role: one of {ROLES}."),
    user: str | None = typer.Option(None, metavar="USER", help="A key that acts as this user, with the user's roles."),
) -> None:
    """Create an API key. The key is printed alone on the last line, once; only its hash is kept."""
    now = system_clock()
    database = open_database()
    with database.transaction() as session:
        issued = create_api_key(session, name, now=now, role=role, user=user, by=SYSTEM.name)
    console.print(f"created API key [bold]{name}[/] ({f'role {role.value}' if role else f'acts as {user}'}).")
    console.print("Send it as 'Authorization: Bearer <key>'. It is shown once:")
    print(issued.secret)


@apikey_app.command("revoke")
def apikey_revoke(name: str = typer.Argument(..., metavar="NAME", help="The key's name.")) -> None:
    """Revoke a key: it stops working at once."""
    now = system_clock()
    with open_database().transaction() as session:
        revoke_api_key(session, name, now=now, by=SYSTEM.name)
    console.print(f"revoked API key [bold]{escape(name)}[/]")


APIKEY_COLUMNS = tuple(
    Column(key) for key in ("name", "user", "role", "prefix", "created_at", "last_used_at", "revoked_at")
)
USER_COLUMNS = tuple(Column(key) for key in ("name", "roles", "vendor", "languages", "active"))


@apikey_app.command("list")
def apikey_list(output: FormatOption = OutputFormat.TABLE) -> None:
    """Every key, newest first: what it acts as and when it was last used (never the key itself)."""
    with open_database().transaction() as session:
        keys = list_api_keys(session)
    rows = [
        (key.name, user, None if user else key.role, key.prefix, key.created_at, key.last_used_at, key.revoked_at)
        for key, user in keys
    ]
    print_listing(APIKEY_COLUMNS, rows, output, empty="no API keys")


@user_app.command("list")
def user_list(output: FormatOption = OutputFormat.TABLE) -> None:
    """Every user with roles, vendor and languages."""
    with open_database().transaction() as session:
        users = list_users(session)
    rows = [(u.name, sorted(u.roles), u.vendor, list(u.languages), u.active) for u in users]
    print_listing(USER_COLUMNS, rows, output, empty="no users")
