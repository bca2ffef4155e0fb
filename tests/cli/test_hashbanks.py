"""`bastion hashbanks`: create, import (a bad line names its number; nothing imported), list, enable,
disable, threshold, lookup."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bastion.store.database import Database
from tests.cli.conftest import Bastion

A = "f0" * 32


def test_create_import_list_disable_and_look_up(
    run_bastion: Bastion, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = database.url
    created = run_bastion("hashbanks", "create", "scams", "--flood-limit", "5", "--flood-window", "60", url=url)
    assert (created.code, created.out) == (0, "created match hash bank scams (empty until the first import)\n")
    Path("scams.csv").write_text(f"pdq,label\n{A},[b]giveaway\n{A},again\n", encoding="utf-8")
    imported = run_bastion("hashbanks", "import", "scams", "scams.csv", url=url)
    assert imported.code == 0, imported.err
    assert imported.out.splitlines() == [
        "hash bank scams holds 1 hash: 1 added, 1 already in it (csv list)",
        "stored items the new hashes match: 0, checked by the rules again",
        "review jobs they opened: 0",
    ]
    Path("bad.txt").write_text(f"{A}\nnope\n", encoding="utf-8")
    refused = run_bastion("hashbanks", "import", "scams", "bad.txt", "--format", "hex", url=url)
    assert refused.code != 0 and "line 2: hash: must be 64 hexadecimal digits" in refused.err
    near = f"{int(A, 16) ^ 0b11:064x}"
    found = run_bastion("hashbanks", "lookup", near, "--json", url=url)
    (answer,) = json.loads(found.out)
    assert [(m["bank"], m["distance"], m["label"]) for m in answer["matches"]] == [("scams", 2, "[b]giveaway")]
    assert run_bastion("hashbanks", "disable", "scams", url=url).out == "hash bank scams disabled\n"
    assert "no match in any enabled bank" in run_bastion("hashbanks", "lookup", near, url=url).out
    assert run_bastion("hashbanks", "enable", "scams", url=url).code == 0
    assert run_bastion("hashbanks", "threshold", "scams", "1", url=url).code == 0
    listed = run_bastion("hashbanks", "list", "--format", "json", url=url)
    (row,) = json.loads(listed.out)
    assert (row["name"], row["enabled"], row["threshold"], row["hashes"], row["flood"]) == (
        "scams",
        "yes",
        1,
        1,
        "more than 5 in 60s",
    )
    half = run_bastion("hashbanks", "create", "other", "--flood-limit", "5", url=url)
    assert half.code != 0 and "a flood limit needs both --flood-limit and --flood-window" in half.err
