"""The CLI's one error handler and its shared console.

Typer bundles its own copy of click, so click's own exception classes never match what typer raises:
usage errors are caught here as typer's (`typer._click.exceptions`), and a test runs each failure path.
Every failure ends in one line on standard error that starts with `error:`, never a traceback; a
usage error exits 2, a refused or failed operation 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import OperationalError, ProgrammingError
from typer._click.core import Context
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from bastion import __version__
from bastion.config import settings
from bastion.errors import BastionError, ConfigurationError, FieldError, InvalidInput
from bastion.ingest.validation import message_of
from bastion.logs import configure_logging
from bastion.store.database import Database
from bastion.store.migrate import current_revision

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

EXIT_INVALID = 2
EXIT_FAILED = 1


def choices(values: Iterable[str]) -> str:
    """The metavar of an option that takes one of a few words: `[actors|content|reports|views]`."""
    return "[" + "|".join(values) + "]"


def open_database() -> Database:
    """The configured store, once it has a schema.

    A store that `bastion init` never ran on would otherwise fail later with "no such table". An
    older schema is not checked here (reading the migrations costs a tenth of a second a command);
    `run_guarded` says to run `bastion init` when the database refuses a statement.
    """
    database = Database(settings().database_url)
    if current_revision(database) is None:
        raise ConfigurationError("the database has no Bastion schema yet: run 'bastion init' first")
    return database


def open_store() -> Database:
    """The configured store as it is, for the commands that create or upgrade it."""
    return Database(settings().database_url)


def _show_version(value: bool) -> None:
    if value:
        console.print(f"bastion {__version__}")
        raise typer.Exit()


def root_options(
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print Bastion's version and stop."
    ),
) -> None:
    """The options of `bastion` itself, before any command."""


def report_error(error: BastionError) -> int:
    errors.print(f"[bold red]error:[/] {escape(error.message)}", soft_wrap=True)
    for field_error in getattr(error, "errors", ()):
        errors.print(f"  {escape(str(field_error))}", soft_wrap=True)
    return EXIT_INVALID if isinstance(error, InvalidInput) else EXIT_FAILED


# Typer checks option values with pydantic; its wording, said in Bastion's.
_USAGE_WORDING = (
    (re.compile(r"Value error, "), ""),
    (re.compile(r"Input should be a valid integer(, unable to parse string as an integer)?"), "must be a whole number"),
    (re.compile(r"Input should be a valid number(, unable to parse string as a number)?"), "must be a number"),
    (re.compile(r"Input should be greater than or equal to"), "must be at least"),
    (re.compile(r"Input should be less than or equal to"), "must be at most"),
    (re.compile(r"Input should be"), "must be"),
    (re.compile(r"\. Did you mean"), "; did you mean"),
    (re.compile(r"\. Choose from"), "; choose from"),
    (re.compile(r" \(Possible options: (.+)\)$"), r"; did you mean \1?"),
)


def usage_line(usage: UsageError) -> str:
    """A usage error as one line in Bastion's style, pointing at the help of the command it concerns."""
    message = " ".join(usage.format_message().split()).rstrip(".")
    for library, ours in _USAGE_WORDING:
        message = library.sub(ours, message)
    message = message[:1].lower() + message[1:]
    command = usage.ctx.command_path if usage.ctx is not None else "bastion"
    return f"error: {message} (see '{command} --help')"


def short_usage(ctx: Context) -> str:
    """What `bastion` or `bastion user` alone print: the commands there are, one line each."""
    command = ctx.command
    lines = [f"usage: {ctx.command_path} COMMAND [OPTIONS] [ARGS]..."]
    if command.help:
        lines.append(command.help.strip().splitlines()[0])
    if isinstance(command, TyperGroup):
        names = command.list_commands(ctx)
        width = max((len(name) for name in names), default=0)
        lines.append("")
        lines.append("commands:")
        for name in names:
            sub = command.get_command(ctx, name)
            summary = _first_sentence(sub.help or "") if sub is not None else ""
            lines.append(f"  {name.ljust(width)}  {summary}".rstrip())
    lines.append("")
    lines.append(f"run '{ctx.command_path} COMMAND --help' for a command's options")
    return "\n".join(lines)


def _first_sentence(text: str) -> str:
    first = " ".join(text.strip().split("\n\n")[0].split())
    match = re.match(r"(.+?\.)(\s|$)", first)
    return (match.group(1) if match else first).rstrip(".")


def settings_error(error: ValidationError) -> InvalidInput:
    """Bad BASTION_* variables, each named as the user set it."""
    field_errors = [
        FieldError("BASTION_" + "_".join(str(part) for part in detail["loc"]).upper(), message_of(detail))
        for detail in error.errors(include_url=False, include_input=False)
    ]
    noun = "setting" if len(field_errors) == 1 else "settings"
    return InvalidInput(f"the environment has {len(field_errors)} bad {noun}", field_errors)


def run_guarded(app: typer.Typer | Callable[[], typer.Typer], args: Sequence[str] | None = None) -> int:
    """Run the app (or the app a function builds); Bastion's errors, bad settings included, print as one
    clear message with every bad field, never a trace."""
    try:
        configure_logging(settings().log_level)
        if not isinstance(app, typer.Typer):
            app = app()
        result = app(args=None if args is None else list(args), prog_name="bastion", standalone_mode=False)
    except BastionError as error:
        return report_error(error)
    except ValidationError as error:
        if error.title != "Settings":
            raise
        return report_error(settings_error(error))
    except NoArgsIsHelpError as usage:
        errors.print(escape(short_usage(usage.ctx)), soft_wrap=True)
        return EXIT_INVALID
    except UsageError as usage:
        errors.print(escape(usage_line(usage)), soft_wrap=True)
        return EXIT_INVALID
    except typer.TyperException as failure:  # typer's other errors (a file it could not open)
        errors.print(f"error: {escape(failure.format_message())}", soft_wrap=True)
        return EXIT_FAILED
    except (OperationalError, ProgrammingError) as failure:
        # Unreachable, locked, or older than this Bastion (a missing table or column).
        reason = _first_line(failure.orig)
        hint = (
            ""
            if failure.connection_invalidated or "connect" in reason
            else "; if Bastion was upgraded, run 'bastion init'"
        )
        return report_error(ConfigurationError(f"the database cannot be used: {reason}{hint}"))
    except typer.Abort:
        errors.print("aborted")
        return EXIT_FAILED
    return result if isinstance(result, int) else 0


def _first_line(error: BaseException | None) -> str:
    text = str(error).strip() if error is not None else ""
    return text.splitlines()[0] if text else "no reason given"
