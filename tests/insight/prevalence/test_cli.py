"""`bastion prevalence start | list | status | estimate`, run as a user runs them."""

from __future__ import annotations

import json

from bastion.clock import FrozenClock
from bastion.store.database import Database
from tests.cli.conftest import Bastion
from tests.insight.prevalence.platform import POLICY, labeller, make_platform
from tests.insight.prevalence.test_rounds import DAY, label_all

NAME = "2026-11-01-to-2026-11-02"


def test_start_follow_and_estimate_a_round(run_bastion: Bastion, sqlite_database: Database, clock: FrozenClock) -> None:
    truth = make_platform(sqlite_database, DAY)
    url = sqlite_database.url
    empty = run_bastion("prevalence", "list", url=url)
    assert (empty.code, empty.out.strip()) == (0, "no prevalence rounds")
    started = run_bastion(
        "prevalence", "start", "--period-start", "2026-11-01", "--period-end", "2026-11-02", "--size", "20",
        "--seed", "3", url=url,
    )  # fmt: skip
    assert started.code == 0, started.err
    assert started.out.startswith(f"round {NAME}: 20 views drawn, ")
    assert "score 0.6-1" in started.out and "unscored" in started.out
    status = run_bastion("prevalence", "status", NAME, url=url)
    assert status.code == 0 and "labelling · 0 of" in status.out
    early = run_bastion("prevalence", "estimate", NAME, url=url)
    assert early.code == 1 and f"round '{NAME}' is still labelling: 0 of" in early.err
    label_all(sqlite_database, labeller(sqlite_database, clock()), truth, clock())
    listed = json.loads(run_bastion("prevalence", "list", "--format", "json", url=url).out)
    assert [(r["name"], r["status"], r["size"]) for r in listed] == [(NAME, "done", 20)]
    document = json.loads(run_bastion("prevalence", "estimate", NAME, "--format", "json", url=url).out)
    hate = next(p for p in document["policies"] if p["policy"] == POLICY)
    assert hate["draws"] == 20 and 0 <= hate["low"] <= hate["prevalence"] <= hate["high"] <= 1
    assert set(hate) >= {"shown", "upper_limit", "standard_error", "violating", "method"}
    table = run_bastion("prevalence", "estimate", NAME, url=url)
    assert table.code == 0 and POLICY in table.out and "at most" in table.out


def test_bad_days_and_unknown_rounds_are_one_clear_line(run_bastion: Bastion, sqlite_database: Database) -> None:
    url = sqlite_database.url
    bad = run_bastion(
        "prevalence", "start", "--period-start", "1st nov", "--period-end", "2026-11-02", "--size", "5", url=url
    )
    assert bad.code == 2 and "--period-start: '1st nov' is not a date (YYYY-MM-DD)" in bad.err
    backwards = run_bastion(
        "prevalence", "start", "--period-start", "2026-11-05", "--period-end", "2026-11-02", "--size", "5", url=url
    )
    assert backwards.code == 2 and "period_end: must be after the period's start" in backwards.err
    missing = run_bastion("prevalence", "status", "nope", url=url)
    assert missing.code == 1 and "no prevalence round 'nope'" in missing.err
