"""`bastion quality`: placeholder of the contract, filled by its part."""

from __future__ import annotations

import typer

calibration_app = typer.Typer(no_args_is_help=True)
