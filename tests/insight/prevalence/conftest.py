"""The command-line fixture, shared with the CLI tests."""

from tests.cli.conftest import run_bastion

__all__ = ["run_bastion"]
