"""`bastion serve` and `bastion demo` refuse a taken port before saying "serving", and say what to do."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bastion.store.database import Database
from tests.cli.conftest import Bastion


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_serve_on_a_taken_port_names_another(run_bastion: Bastion, sqlite_database: Database, taken_port: int) -> None:
    ran = run_bastion("serve", "--port", str(taken_port), url=sqlite_database.url)
    assert (ran.code, ran.out) == (1, "")
    match = re.fullmatch(
        rf"error: port {taken_port} on 127\.0\.0\.1 is already in use by another program: "
        r"pick another with --port, e\.g\. --port (\d+)\n",
        ran.err,
    )
    assert match, ran.err
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", int(match.group(1))))  # the suggestion is free


def test_demo_checks_the_port_before_any_work(
    run_bastion: Bastion, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, taken_port: int
) -> None:
    monkeypatch.chdir(tmp_path)
    ran = run_bastion("demo", "--port", str(taken_port), url="")
    assert ran.code == 1
    assert f"port {taken_port} on 127.0.0.1 is already in use" in ran.err
    assert not (tmp_path / "bastion-demo").exists()


@pytest.mark.parametrize(
    ("host", "says"),
    [
        ("no-such-host.invalid", "cannot listen on 'no-such-host.invalid': not an address or a host name"),
        ("192.0.2.1", "cannot listen on 192.0.2.1 port 8000"),  # TEST-NET-1: never this machine's
    ],
)
def test_serve_on_an_address_that_is_not_this_machines(
    run_bastion: Bastion, sqlite_database: Database, host: str, says: str
) -> None:
    ran = run_bastion("serve", "--host", host, url=sqlite_database.url)
    assert ran.code == 2
    assert ran.err.startswith(f"error: {says}")
    assert len(ran.err.splitlines()) == 1
