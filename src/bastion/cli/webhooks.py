"""`bastion webhooks`: deliver enforcement messages to the platform; the dead-letter list."""

from __future__ import annotations

import typer

webhooks_app = typer.Typer(help="Enforcement webhooks: delivery and the dead-letter list.", no_args_is_help=True)
