"""`bastion labels`: add (and extend), list in every format, remove; refusals in Bastion's words."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

from bastion import audit_log
from bastion.store.database import Database
from tests.cli.conftest import Bastion


def test_add_list_remove(run_bastion: Bastion, sqlite_database: Database) -> None:
    url = sqlite_database.url
    added = run_bastion("labels", "add", "ip", "203.0.113.9", "spam-wave", "--expires-in", "7d", url=url)
    assert added.code == 0, added.err
    assert added.out.startswith("ip 203.0.113.9: spam-wave until ")
    forever = run_bastion("labels", "add", "actor", "[b]a_1[/b]", "watch", url=url)
    assert forever.out == "actor [b]a_1[/b]: watch until removed\n"  # stored text, never rich markup

    table = run_bastion("labels", "list", url=url)
    assert "spam-wave" in table.out and "[b]a_1[/b]" in table.out
    listed = json.loads(run_bastion("labels", "list", "--format", "json", "--entity-type", "ip", url=url).out)
    assert [(r["value"], r["label"], r["status"], r["created_by"]) for r in listed] == [
        ("203.0.113.9", "spam-wave", "active", "system:bastion")
    ]
    rows = list(
        csv.DictReader(io.StringIO(run_bastion("labels", "list", "--format", "csv", "--label", "watch", url=url).out))
    )
    assert [(r["entity_type"], r["value"], r["expires_at"]) for r in rows] == [("actor", "[b]a_1[/b]", "")]

    removed = run_bastion("labels", "remove", "ip", "203.0.113.9", "spam-wave", url=url)
    assert (removed.code, removed.out) == (0, "ip 203.0.113.9: spam-wave removed\n")
    again = run_bastion("labels", "remove", "ip", "203.0.113.9", "spam-wave", url=url)
    assert (again.code, again.err) == (1, "error: ip 203.0.113.9 has no active label spam-wave\n")
    assert run_bastion("labels", "list", "--entity-type", "ip", url=url).out == "no labels\n"
    every = json.loads(run_bastion("labels", "list", "--all", "--format", "json", "--entity-type", "ip", url=url).out)
    assert [r["status"] for r in every] == ["removed"]
    with sqlite_database.transaction() as session:
        actions = [
            row.action for row in audit_log.search(session, audit_log.AuditFilters(target="ip:203.0.113.9")).rows
        ]
    assert actions == ["label.remove", "label.add"]


def test_refusals_name_the_field(run_bastion: Bastion, sqlite_database: Database) -> None:
    url = sqlite_database.url
    bad = run_bastion("labels", "add", "account", "a_1", "Watch", url=url)
    assert bad.code == 2
    assert bad.err.splitlines() == [
        "error: the label is not valid",
        "  entity_type: must be 'actor', 'content', 'ip', 'device' or 'url'",
        "  label: must be 1 to 128 characters, lower-case letters, digits and _ . : -, starting with a letter or digit",
    ]
    duration = run_bastion("labels", "add", "actor", "a_1", "watch", "--expires-in", "7 days", url=url)
    assert (duration.code, duration.err.splitlines()) == (
        2,
        [
            "error: --expires-in is not a duration",
            "  --expires-in: must be a whole number and a unit (s, m, h, d or w), such as 30m, 12h, 7d or 2w",
        ],
    )
    listing = run_bastion("labels", "list", "--entity-type", "account", url=url)
    assert listing.code == 2
    assert "entity_type: must be 'actor'" in listing.err
    missing = run_bastion("labels", "add", "actor", url=url)
    assert missing.code == 2
    assert missing.err.startswith("error: missing argument 'VALUE'")
    assert json.loads(run_bastion("labels", "list", "--all", "--format", "json", url=url).out) == []


def test_the_real_command_line(sqlite_database: Database) -> None:
    """Once through `python -m bastion`, as an operator runs it."""
    env = os.environ | {"BASTION_DATABASE_URL": sqlite_database.url, "NO_COLOR": "1"}
    ran = subprocess.run(
        [sys.executable, "-m", "bastion", "labels", "add", "device", "dev-7", "emulator", "--expires-in", "12h"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("device dev-7: emulator until ")
