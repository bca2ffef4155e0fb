"""`bastion quality`: decision quality (placeholder of the contract, filled by its part)."""

from __future__ import annotations

import typer

quality_app = typer.Typer(help="Decision quality: reports, QA plans, golden sets, calibration.", no_args_is_help=True)
