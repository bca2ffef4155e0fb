"""`bastion banks`: create, import (a bad line names its number; nothing imported), list, show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bastion.detect.banks import bank_detail
from bastion.store.database import Database
from tests.cli.conftest import Bastion
from tests.cli.test_cli import bastion


def test_create_import_list_and_show(
    run_bastion: Bastion, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = database.url
    created = run_bastion("banks", "create", "spam", "--kind", "keyword", "--description", "[b]Sellers", url=url)
    assert (created.code, created.out) == (0, "created keyword bank spam (empty until the first import)\n")
    Path("spam.txt").write_text("\ufeff# sellers\nfree followers\n\nFR3E F0LLOWERS\n\\#ad\n", encoding="utf-8")
    imported = run_bastion("banks", "import", "spam", "spam.txt", url=database.url)
    assert imported.code == 0, imported.err
    assert imported.out == (
        "bank spam is at version 1: 2 entries (2 added)\n1 repeated entry kept once:\n  FR3E F0LLOWERS\n"
    )
    Path("more.txt").write_text("buy likes\n", encoding="utf-8")
    replaced = run_bastion("banks", "import", "spam", "more.txt", "--replace", url=database.url)
    assert replaced.out == "bank spam is at version 2: 1 entry (replaced the list)\n"
    listed = run_bastion("banks", "list", "--format", "json", url=database.url)
    (row,) = json.loads(listed.out)
    assert (row["name"], row["kind"], row["version"], row["entries"], row["description"]) == (
        "spam",
        "keyword",
        2,
        1,
        "[b]Sellers",
    )
    shown = run_bastion("banks", "show", "spam", "--format", "csv", url=database.url)
    lines = shown.out.splitlines()
    assert lines[0] == "version,entries,loaded_at,loaded_by,source,digest"
    assert [line.split(",")[:2] + line.split(",")[3:5] for line in lines[1:]] == [
        ["2", "1", "system:bastion", "more.txt"],
        ["1", "2", "system:bastion", "spam.txt"],
    ]
    table = run_bastion("banks", "show", "spam", url=database.url)
    assert "keyword bank spam: [b]Sellers" in table.out
    run_bastion("banks", "import", "spam", "spam.txt", url=database.url)
    entries = run_bastion("banks", "show", "spam", "--entries", url=database.url)
    assert entries.out == "buy likes\nfree followers\n\\#ad\n"  # ready to import elsewhere


def test_a_bad_line_is_named_and_nothing_is_imported(
    run_bastion: Bastion, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run_bastion("banks", "create", "phones", "--kind", "regex", url=database.url)
    Path("bad.txt").write_text("\\+\\d{8,}\n# ok\n(unclosed\n", encoding="utf-8")
    ran = run_bastion("banks", "import", "phones", "bad.txt", url=database.url)
    assert (ran.code, ran.out) == (2, "")
    assert ran.err == (
        "error: 1 entry cannot go into bank 'phones'; nothing was imported\n"
        "  line 3: RE2 refuses this pattern: missing ): (unclosed\n"
    )
    with database.transaction() as session:
        assert bank_detail(session, "phones").version == 0
    Path("latin1.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    unreadable = run_bastion("banks", "import", "phones", "latin1.txt", url=database.url)
    assert unreadable.code == 2
    assert unreadable.err == "error: latin1.txt is not UTF-8 text (byte 3 cannot be read); save it as UTF-8\n"


def test_usage_errors_in_bastions_words(run_bastion: Bastion, database: Database) -> None:
    bad_name = run_bastion("banks", "create", "Spam-Terms", "--kind", "keyword", url=database.url)
    assert bad_name.code == 2
    assert bad_name.err.startswith("error: the bank cannot be created\n  name: 'Spam-Terms' must start with")
    bad_kind = run_bastion("banks", "create", "spam", "--kind", "hash", url=database.url)
    assert bad_kind.code == 2 and "'hash' is not one of 'keyword', 'regex'" in bad_kind.err
    missing = run_bastion("banks", "show", "nope", url=database.url)
    assert (missing.code, missing.err) == (1, "error: there is no bank named 'nope'\n")
    empty = run_bastion("banks", "list", url=database.url)
    assert empty.out == "no banks yet: create one with 'bastion banks create'\n"


def test_through_the_real_command(sqlite_database: Database, tmp_path: Path) -> None:
    url = sqlite_database.url
    assert bastion("banks", "create", "spam", "--kind", "keyword", url=url).returncode == 0
    (tmp_path / "terms.txt").write_text("free followers\n", encoding="utf-8")
    ran = bastion("banks", "import", "spam", str(tmp_path / "terms.txt"), url=url)
    assert (ran.returncode, ran.stdout) == (0, "bank spam is at version 1: 1 entry (1 added)\n"), ran.stderr
    listed = bastion("banks", "list", url=url)
    assert "spam" in listed.stdout and "keyword" in listed.stdout
