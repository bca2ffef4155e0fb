"""`bastion classifier train|list|show|evaluate|mode` on a real store, failures in Bastion's words."""

from __future__ import annotations

import json

from bastion.clock import FrozenClock
from bastion.store.database import Database
from tests.cli.conftest import Bastion
from tests.models.decided import decided_store


def test_train_list_show_evaluate_and_mode(run_bastion: Bastion, database: Database, clock: FrozenClock) -> None:
    empty = run_bastion("classifier", "list", url=database.url)
    assert (empty.code, empty.out.strip()) == (
        0,
        "no models yet: train one with 'bastion classifier train --policy POLICY'",
    )
    decided_store(database, clock)
    trained = run_bastion("classifier", "train", "--policy", "spam", "--name", "spam_text", url=database.url)
    assert trained.code == 0, trained.err
    assert "trained spam_text version 1 (shadow) for policy spam" in trained.out
    assert "30 decided items: 15 violating, 15 not" in trained.out and "held out (6 items)" in trained.out
    listed = json.loads(run_bastion("classifier", "list", "--format", "json", url=database.url).out)
    assert [(m["name"], m["version"], m["mode"], m["scored"]) for m in listed] == [("spam_text", 1, "shadow", 0)]
    shown = json.loads(run_bastion("classifier", "show", "spam_text", url=database.url).out)
    assert shown["card"]["data"]["examples"] == 30 and shown["kind"] == "sklearn"
    evaluated = run_bastion("classifier", "evaluate", "spam_text", url=database.url)
    assert "scored 0 items; reviewers decided 0 of them" in evaluated.out and "kappa —" in evaluated.out
    moved = run_bastion("classifier", "mode", "spam_text", "live", url=database.url)
    assert (moved.code, moved.out) == (0, "spam_text version 1 is live\n")


def test_failures_are_one_clear_error(run_bastion: Bastion, database: Database) -> None:
    few = run_bastion("classifier", "train", "--policy", "spam", url=database.url)
    assert few.code == 2 and "training needs at least 10 of each" in few.err and "Traceback" not in few.err
    unknown = run_bastion("classifier", "train", "--policy", "nope", url=database.url)
    assert unknown.code == 2 and "no live policy 'nope'" in unknown.err
    missing = run_bastion("classifier", "show", "nothing", url=database.url)
    assert (missing.code, missing.err.strip()) == (1, "error: no model 'nothing' in force")
    bad_mode = run_bastion("classifier", "mode", "x", "loud", url=database.url)
    assert bad_mode.code == 2 and "see 'bastion" in bad_mode.err
