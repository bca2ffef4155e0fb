"""The `bastion` command as a user runs it: a real process, configured by BASTION_DATABASE_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import update

from bastion.auth.apikeys import authenticate_api_key
from bastion.clock import FrozenClock
from bastion.errors import Unauthenticated
from bastion.store.database import Database
from bastion.store.schema import AuditRecord


def bastion(
    *args: str, url: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BASTION_DATABASE_URL": url, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "bastion", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
        cwd=cwd,
    )


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = bastion("--help", url=f"sqlite:///{tmp_path}/x.db")
    assert result.returncode == 0
    for command in (
        "init",
        "demo",
        "serve",
        "import",
        "simulate",
        "user",
        "apikey",
        "policies",
        "queues",
        "audit",
        "webhooks",
    ):
        assert f" {command} " in result.stdout, command


def test_init_is_idempotent_and_verify_names_a_tampered_row(database: Database) -> None:
    first = bastion("init", url=database.url)
    assert first.returncode == 0, first.stderr
    again = bastion("init", url=database.url)
    assert "already up to date" in again.stdout
    added = bastion("user", "add", "olga", "--role", "admin", url=database.url)
    assert added.returncode == 0, added.stderr
    ok = bastion("audit", "verify", url=database.url)
    assert ok.returncode == 0 and "intact" in ok.stdout
    with database.transaction() as session:
        session.execute(update(AuditRecord).where(AuditRecord.seq == 2).values(principal="user:nobody"))
    broken = bastion("audit", "verify", url=database.url)
    assert broken.returncode != 0
    assert "row 2 was changed" in broken.stderr


def test_apikey_prints_the_key_alone_on_its_last_line(database: Database, clock: FrozenClock) -> None:
    result = bastion("apikey", "create", "--name", "crawler", "--role", "platform", url=database.url)
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("bst_") and " " not in key
    with database.transaction() as session:
        assert authenticate_api_key(session, key, now=clock()).name == "apikey:crawler"
    listed = bastion("apikey", "list", url=database.url)
    assert "crawler" in listed.stdout and key not in listed.stdout
    assert bastion("apikey", "revoke", "crawler", url=database.url).returncode == 0
    with database.transaction() as session, pytest.raises(Unauthenticated):
        authenticate_api_key(session, key, now=clock())
    assert bastion("apikey", "revoke", "nope", url=database.url).returncode == 1
    neither = bastion("apikey", "create", "--name", "x", url=database.url)
    assert neither.returncode == 2
    assert "--role or --user" in neither.stderr


def test_user_add_reads_a_password_from_stdin_and_rejects_bad_input(sqlite_database: Database) -> None:
    url = sqlite_database.url
    ok = bastion(
        "user",
        "add",
        "vic",
        "--role",
        "vendor_reviewer",
        "--vendor",
        "acme",
        "--languages",
        "en,pt",
        "--password-stdin",
        url=url,
        stdin="a very long password\n",
    )
    assert ok.returncode == 0, ok.stderr
    assert "a very long password" not in ok.stdout
    dup = bastion("user", "add", "vic", "--role", "analyst", url=url)
    assert dup.returncode == 1 and "exists already" in dup.stderr
    missing_vendor = bastion("user", "add", "val", "--role", "vendor_reviewer", url=url)
    assert missing_vendor.returncode == 2 and "vendor" in missing_vendor.stderr


def test_import_reports_bad_rows_by_line_and_a_rerun_creates_nothing(sqlite_database: Database, tmp_path: Path) -> None:
    url = sqlite_database.url
    path = tmp_path / "actors.jsonl"
    rows = [json.dumps({"id": f"a{i}", "created_at": "2026-01-01T00:00:00Z"}) for i in range(30)]
    rows[6] = json.dumps({"id": "a6", "created_at": "not a date"})
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    first = bastion("import", str(path), "--kind", "actors", url=url)
    assert first.returncode == 0, first.stderr
    assert "line 7" in first.stderr and "created_at" in first.stderr
    assert "29 created" in first.stdout
    second = bastion("import", str(path), "--kind", "actors", url=url)
    assert "0 created" in second.stdout and "29 already known" in second.stdout


def test_policies_load_reports_line_and_field(sqlite_database: Database, tmp_path: Path) -> None:
    bad = tmp_path / "policies.yaml"
    bad.write_text(
        "policies:\n"
        "  - id: spam\n"
        "    title: Spam\n"
        "    severity: 9\n"
        "    allowed_actions: [remove]\n"
        "    guidance: Remove spam.\n"
        "    dsa_category: STATEMENT_CATEGORY_SCAMS_AND_FRAUD\n",
        encoding="utf-8",
    )
    result = bastion("policies", "load", str(bad), url=sqlite_database.url)
    assert result.returncode == 2
    assert "line 4" in result.stderr and "severity" in result.stderr


@pytest.mark.parametrize("url", ["mysql://nobody@127.0.0.1/x", "not a url"])
def test_a_bad_database_url_is_a_clear_error(url: str) -> None:
    result = bastion("init", url=url)
    assert result.returncode != 0
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_with_several_workers_answers_from_each(database: Database) -> None:
    """`bastion serve --workers 2`: the worker processes each build the app from the environment."""
    import signal
    import socket
    import time

    import httpx

    assert bastion("init", url=database.url).returncode == 0
    created = bastion("apikey", "create", "--name", "ops", "--role", "admin", url=database.url)
    key = created.stdout.strip().splitlines()[-1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "BASTION_DATABASE_URL": database.url, "NO_COLOR": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "bastion", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline, answers = time.monotonic() + 60, []
        while len(answers) < 20:
            assert time.monotonic() < deadline and server.poll() is None, "the server did not come up"
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/api/v1/decisions", headers={"Authorization": f"Bearer {key}"}, timeout=5
                )
                answers.append((response.status_code, response.json()))
            except httpx.TransportError:
                time.sleep(0.2)
        assert answers == [(200, [])] * 20  # authenticated and answered by a working app, every time
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/decisions", timeout=5).status_code == 401
        children = [
            entry.name
            for entry in Path("/proc").iterdir()
            if entry.name.isdigit()
            and (entry / "stat").exists()
            and (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] == str(server.pid)
            and b"multiprocessing" in (entry / "cmdline").read_bytes()
        ]
        assert len(children) >= 2, children
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    assert "with 2 worker processes" in out, err
