"""The `bastion` command line: thin commands over the same services the API uses."""

from __future__ import annotations

import sys

from bastion.cli.app import app
from bastion.cli.console import run_guarded
from bastion.config import settings
from bastion.logs import configure_logging


def main() -> None:
    configure_logging(settings().log_level)
    sys.exit(run_guarded(app))


__all__ = ["app", "main"]
