"""`bastion quality`: placeholder of the contract, filled by its part."""

from __future__ import annotations

import typer

plans_app = typer.Typer(no_args_is_help=True)
