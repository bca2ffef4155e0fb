"""Running `bastion` in this process: the entry point's own `run_guarded` over the real command tree.

A subprocess costs a second or more of start-up per command; the error paths and listings below run
dozens of commands, so they call what `main()` calls, with the environment a user would set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from bastion.cli.app import app
from bastion.cli.console import run_guarded
from bastion.config import settings


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


Bastion = Callable[..., Ran]


@pytest.fixture
def run_bastion(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Bastion]:
    """`run_bastion("user", "list", url=..., env={...})`: exit code, standard output, standard error."""

    def run(*args: str, url: str, env: dict[str, str] | None = None) -> Ran:
        monkeypatch.setenv("BASTION_DATABASE_URL", url)
        monkeypatch.setenv("NO_COLOR", "1")
        monkeypatch.delenv("COLUMNS", raising=False)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        settings.cache_clear()
        capsys.readouterr()
        code = run_guarded(app, args)
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    yield run
    settings.cache_clear()
