"""The command-line runner of tests/cli, for `bastion investigate`."""

from tests.cli.conftest import run_bastion

__all__ = ["run_bastion"]
