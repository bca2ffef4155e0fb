"""The CLI's one error handler and its shared console."""

from __future__ import annotations

import typer
from click.exceptions import ClickException
from rich.console import Console
from rich.markup import escape

from bastion.config import settings
from bastion.errors import BastionError, InvalidInput
from bastion.store.database import Database

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

EXIT_INVALID = 2
EXIT_FAILED = 1


def open_database() -> Database:
    return Database(settings().database_url)


def report_error(error: BastionError) -> int:
    errors.print(f"[bold red]error:[/] {escape(error.message)}")
    for field_error in getattr(error, "errors", ()):
        errors.print(f"  {escape(str(field_error))}")
    return EXIT_INVALID if isinstance(error, InvalidInput) else EXIT_FAILED


def run_guarded(app: typer.Typer) -> int:
    """Run the app; Bastion's errors print as one clear message with every bad field, never a trace."""
    try:
        result = app(standalone_mode=False)
    except BastionError as error:
        return report_error(error)
    except ClickException as usage:
        usage.show()
        return usage.exit_code
    except typer.Abort:
        errors.print("aborted")
        return EXIT_FAILED
    return result if isinstance(result, int) else 0
