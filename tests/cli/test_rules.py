"""`bastion rules check|load|list`: compiler-style diagnostics, versions on load, nothing half-written."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bastion.store.database import Database
from bastion.store.schema import RuleVersion
from tests.cli.conftest import Bastion

RULES = """\
rules:
  - name: link-burst
    owner: spam-team
    mode: shadow
    policy: spam.commercial_spam
    when: 'actor.account_age_days < 2 && signals.velocity.actor_posts_1h > 20'
    then:
      - enqueue: {queue: scams-spam, priority: 0.8}
  - name: threat
    mode: live
    when: content.text.contains("kill")
    then:
      - escalate: {policy: violence_and_incitement.credible_threats}
"""
PLANTED = """\
rules:
  - name: syntax-error
    mode: live
    when: content.text == "a" &&
    then: []
  - name: unknown-field
    mode: shadow
    when: |
      content.has_media
        && actor.acount_age_days < 2
    then:
      - enqueue: {queue: general}
  - name: unknown-queue
    mode: live
    when: content.has_media
    then:
      - enqueue: {queue: scam-spam, priority: 0.5}
"""
PLANTED_LINES = [
    "planted.yaml:4:33: rules[0].when: invalid condition: it ends too early"
    " (an operand or a closing bracket is missing)",
    "planted.yaml:10:18: rules[1].when: unknown field 'actor.acount_age_days'; did you mean 'actor.account_age_days'?",
    "planted.yaml:17:26: rules[2].then[0].enqueue.queue: unknown queue 'scam-spam'; did you mean 'scams-spam'?",
]


def _count(database: Database) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(RuleVersion)) or 0)


def test_check_prints_three_planted_errors_through_the_real_entry_point(
    sqlite_database: Database, tmp_path: Path
) -> None:
    (tmp_path / "planted.yaml").write_text(PLANTED, encoding="utf-8")
    env = {**os.environ, "BASTION_DATABASE_URL": sqlite_database.url, "NO_COLOR": "1"}
    ran = subprocess.run(
        [sys.executable, "-m", "bastion", "rules", "check", "planted.yaml"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert ran.returncode == 1, ran.stderr
    assert ran.stdout.splitlines() == [*PLANTED_LINES, "planted.yaml: 3 errors"]
    assert ran.stderr == ""


def test_check_a_good_file(
    run_bastion: Bastion, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("rules.yaml").write_text(RULES, encoding="utf-8")
    ran = run_bastion("rules", "check", "rules.yaml", url=database.url)
    assert (ran.code, ran.out, ran.err) == (0, "rules.yaml: 2 rules, no errors\n", "")
    Path("one.yaml").write_text(RULES[: RULES.index("  - name: threat")], encoding="utf-8")
    assert run_bastion("rules", "check", "one.yaml", url=database.url).out == "one.yaml: 1 rule, no errors\n"
    assert _count(database) == 0  # checking writes nothing


def test_load_refuses_a_bad_file_and_writes_nothing(
    run_bastion: Bastion, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("planted.yaml").write_text(PLANTED, encoding="utf-8")
    ran = run_bastion("rules", "load", "planted.yaml", url=database.url)
    assert ran.code == 1
    assert ran.out.splitlines() == [
        *PLANTED_LINES,
        "planted.yaml: 3 errors",
        "planted.yaml: not loaded; nothing changed",
    ]
    assert _count(database) == 0


def test_load_reload_and_change_one(
    run_bastion: Bastion, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = Path("rules.yaml")
    path.write_text(RULES, encoding="utf-8")
    first = run_bastion("rules", "load", "rules.yaml", url=database.url)
    assert (first.code, first.out) == (0, "created: link-burst v1, threat v1\n2 new versions\n"), first.err
    again = run_bastion("rules", "load", "rules.yaml", url=database.url)
    assert again.out == "unchanged: link-burst v1, threat v1\n0 new versions\n"
    live = RULES.replace("mode: shadow", "mode: live")
    path.write_text(live, encoding="utf-8")
    changed = run_bastion("rules", "load", "rules.yaml", url=database.url)
    assert changed.out == "changed: link-burst v2\nunchanged: threat v1\n1 new version\n"
    path.write_text(live[: live.index("  - name: threat")], encoding="utf-8")
    retired = run_bastion("rules", "load", "rules.yaml", url=database.url)
    assert retired.out == "retired: threat v2\nunchanged: link-burst v2\n1 new version\n"

    listed = run_bastion("rules", "list", "--format", "json", url=database.url)
    (rule,) = json.loads(listed.out)
    assert {k: rule[k] for k in ("name", "version", "mode", "owner", "policy", "effects", "confidence")} == {
        "name": "link-burst",
        "version": 2,
        "mode": "live",
        "owner": "spam-team",
        "policy": "spam.commercial_spam",
        "effects": ["enqueue"],
        "confidence": 0.8,
    }
    as_csv = list(csv.DictReader(io.StringIO(run_bastion("rules", "list", "--format", "csv", url=database.url).out)))
    assert [(r["name"], r["version"]) for r in as_csv] == [("link-burst", "2")]
    table = run_bastion("rules", "list", url=database.url).out
    assert "link-burst" in table and "spam-team" in table


def test_list_with_no_rules(run_bastion: Bastion, database: Database) -> None:
    assert run_bastion("rules", "list", url=database.url).out == "no rules loaded\n"


def test_a_file_that_is_not_text_or_not_there(
    run_bastion: Bastion, sqlite_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("latin1.yaml").write_bytes(b"rules: []\n# caf\xe9\n")
    ran = run_bastion("rules", "check", "latin1.yaml", url=sqlite_database.url)
    assert ran.code == 2 and "not UTF-8 text" in ran.err
    missing = run_bastion("rules", "load", "nope.yaml", url=sqlite_database.url)
    assert missing.code == 2 and "nope.yaml" in missing.err
