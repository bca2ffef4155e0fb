"""List commands: a table for people that never cuts a value short, JSON and CSV for scripts."""

from __future__ import annotations

import csv
import io
import json

from bastion.review.config import default_review_config
from bastion.store.database import Database
from tests.cli.conftest import Bastion

LONG_NAME = "reviewer." + "x" * 55  # the longest a name may be; with the other columns, past 80


def add_users(run_bastion: Bastion, url: str) -> None:
    for args in (
        ("user", "add", LONG_NAME, "--role", "reviewer", "--languages", "en,pt"),
        ("user", "add", "vic", "--role", "vendor_reviewer", "--role", "qa", "--vendor", "acme"),
        ("apikey", "create", "--name", "crawler", "--role", "platform"),
        ("apikey", "create", "--name", "vics-key", "--user", "vic"),
    ):
        ran = run_bastion(*args, url=url)
        assert ran.code == 0, ran.err


def test_users_and_keys_in_every_format(run_bastion: Bastion, database: Database) -> None:
    url = database.url
    add_users(run_bastion, url)

    table = run_bastion("user", "list", url=url)
    assert table.code == 0
    assert any(LONG_NAME in line and "reviewer" in line for line in table.out.splitlines()), table.out
    assert "…" not in table.out

    users = json.loads(run_bastion("user", "list", "--format", "json", url=url).out)
    assert users == [
        {"name": LONG_NAME, "roles": ["reviewer"], "vendor": None, "languages": ["en", "pt"], "active": True},
        {"name": "vic", "roles": ["qa", "vendor_reviewer"], "vendor": "acme", "languages": [], "active": True},
    ]
    rows = list(csv.DictReader(io.StringIO(run_bastion("user", "list", "--format", "csv", url=url).out)))
    assert [(r["name"], r["roles"], r["vendor"], r["languages"], r["active"]) for r in rows] == [
        (LONG_NAME, "reviewer", "", "en,pt", "true"),
        ("vic", "qa,vendor_reviewer", "acme", "", "true"),
    ]

    keys = json.loads(run_bastion("apikey", "list", "--format", "json", url=url).out)
    assert [(k["name"], k["user"], k["role"], k["revoked_at"]) for k in keys] == [
        ("vics-key", "vic", None, None),
        ("crawler", None, "platform", None),
    ]
    assert all(k["prefix"].startswith("bst_") and k["created_at"] and k["last_used_at"] is None for k in keys)
    assert run_bastion("apikey", "revoke", "crawler", url=url).code == 0
    revoked = list(csv.DictReader(io.StringIO(run_bastion("apikey", "list", "--format", "csv", url=url).out)))
    assert [r["name"] for r in revoked if r["revoked_at"]] == ["crawler"]


def test_policies_and_queues_list_whole_ids(run_bastion: Bastion, database: Database) -> None:
    url = database.url
    policies = list(csv.DictReader(io.StringIO(run_bastion("policies", "list", "--format", "csv", url=url).out)))
    assert len(policies) >= 35
    assert list(policies[0]) == ["policy", "title", "severity", "version", "dsa_category"]
    longest = max((p["policy"] for p in policies), key=len)
    table = run_bastion("policies", "list", url=url).out
    assert any(longest in line for line in table.splitlines())
    assert "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS" in table

    queues = json.loads(run_bastion("queues", "list", "--format", "json", url=url).out)
    assert [q["queue"] for q in queues] == [q.name for q in default_review_config().queues]
    assert all(q["open"] == 0 and q["oldest_age_hours"] is None for q in queues)
    assert isinstance(queues[0]["sla_hours"], float) and isinstance(queues[0]["vendors"], list)


def test_an_empty_list_in_every_format(run_bastion: Bastion, database: Database) -> None:
    url = database.url
    assert run_bastion("webhooks", "dead", url=url).out == "no dead letters\n"
    assert run_bastion("webhooks", "dead", "--format", "json", url=url).out == "[]\n"
    assert run_bastion("webhooks", "dead", "--format", "csv", url=url).out == (
        "id,event,action,subject_type,subject_id,attempts,last_error,last_attempt_at\n"
    )
    assert run_bastion("user", "list", url=url).out == "no users\n"


def test_table_cells_are_shown_as_stored_not_as_markup(run_bastion: Bastion, database: Database) -> None:
    ran = run_bastion("user", "add", "mo", "--role", "vendor_reviewer", "--vendor", "[bold]acme", url=database.url)
    assert ran.code == 0, ran.err
    assert "[bold]acme" in run_bastion("user", "list", url=database.url).out


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_quoted(run_bastion: Bastion, database: Database) -> None:
    """Text from the platform or a user reaches a CSV; a cell that starts like a formula must stay text."""
    url = database.url
    assert (
        run_bastion("banks", "create", "terms", "--kind", "keyword", "--description", "=HYPERLINK(1)", url=url).code
        == 0
    )
    assert run_bastion("banks", "create", "plain", "--kind", "keyword", "--description", "a - b", url=url).code == 0
    ran = run_bastion("banks", "list", "--format", "csv", url=url)
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(ran.out))}
    assert rows["terms"]["description"] == "'=HYPERLINK(1)"
    assert rows["plain"]["description"] == "a - b"
    assert rows["terms"]["entries"] == "0"  # numbers are numbers
