"""`bastion investigate act` and `reverse`: a preview printed with its token, the action taken with
`--confirm`, a stale token refused, the cap from `BASTION_BULK_ACTION_CAP`, a reversal, once."""

from __future__ import annotations

import re

from bastion.store.database import Database
from tests.cli.conftest import Bastion
from tests.investigate.test_bulk_actions import _ring_id
from tests.investigate.test_network_store import RING, _platform


def test_act_previews_confirms_and_reverses(run_bastion: Bastion, sqlite_database: Database) -> None:
    _platform(sqlite_database)
    ring, url = _ring_id(sqlite_database), sqlite_database.url
    preview = run_bastion("investigate", "act", ring, "--action", "remove", url=url)
    assert preview.code == 0, preview.err
    assert f"remove on network {ring} (6 members): 12 posts to change, 0 already done (skipped); cap 500" in preview.out
    token = re.search(r"--confirm (\S+)", preview.out)
    assert token is not None
    stale = run_bastion("investigate", "act", ring, "--action", "ban", "--confirm", token.group(1), url=url)
    assert stale.code == 1 and "changed since the preview" in stale.err
    done = run_bastion("investigate", "act", ring, "--action", "remove", "--confirm", token.group(1), url=url)
    assert done.code == 0, done.err
    assert "bulk action 1: remove on 12 posts" in done.out
    reversed_ = run_bastion("investigate", "reverse", "1", "--note", "wrong", url=url)
    assert reversed_.code == 0 and "12 items restored" in reversed_.out
    twice = run_bastion("investigate", "reverse", "1", url=url)
    assert twice.code == 1 and "already reversed" in twice.err


def test_the_cap_is_read_from_the_environment(run_bastion: Bastion, sqlite_database: Database) -> None:
    _platform(sqlite_database)
    ring = _ring_id(sqlite_database)
    refused = run_bastion(
        "investigate", "act", ring, "--action", "suspend", url=sqlite_database.url, env={"BASTION_BULK_ACTION_CAP": "5"}
    )
    assert refused.code == 2 and "the cap is 5 per bulk action" in refused.err
    assert all(member not in refused.out for member in RING)
