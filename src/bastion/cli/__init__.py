"""The `bastion` command line: thin commands over the same services the API uses."""

from __future__ import annotations

import sys

from bastion.cli.app import built
from bastion.cli.console import run_guarded


def main() -> None:
    sys.exit(run_guarded(built))


__all__ = ["main"]
