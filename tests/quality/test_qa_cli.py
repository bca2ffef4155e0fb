"""`bastion quality plans`: set (file and options), list, show, preview, catch-up; refusals by field."""

from __future__ import annotations

import json
from pathlib import Path

from bastion import audit_log
from bastion.store.database import Database
from tests.cli.conftest import Bastion, run_bastion  # noqa: F401  (the fixture)


def test_set_list_show_preview_and_catch_up(run_bastion: Bastion, sqlite_database: Database, tmp_path: Path) -> None:  # noqa: F811
    url = sqlite_database.url
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "rate: 0.05\nstrata:\n  policy_family: {hate_speech: 0.2}\n"
        "targets:\n  low_confidence: {below: 0.6, rate: 0.5}\n",
        encoding="utf-8",
    )
    made = run_bastion("quality", "plans", "set", "general", "--file", str(plan), url=url)
    assert (made.code, made.out) == (0, "QA plan for general: version 1, rate 0.05, to qa\n"), made.err
    raised = run_bastion("quality", "plans", "set", "general", "--rate", "0.1", url=url)
    assert raised.out == "QA plan for general: version 2, rate 0.1, to qa\n"  # the rest kept as it was
    shown = json.loads(run_bastion("quality", "plans", "show", "general", url=url).out)
    assert (shown["version"], shown["strata"], shown["targets"]["low_confidence"]) == (
        2,
        {"policy_family": {"hate_speech": 0.2}},
        {"rate": 0.5, "below": 0.6},
    )
    listed = json.loads(run_bastion("quality", "plans", "list", "--format", "json", url=url).out)
    assert [(p["queue"], p["version"], p["samples"]) for p in listed] == [("general", 2, 0)]
    preview = run_bastion("quality", "plans", "preview", "general", "--rate", "1", "--days", "3", url=url)
    assert preview.code == 0 and "0 of 0 decisions sampled; by reason: none" in preview.out
    assert run_bastion("quality", "plans", "catch-up", "--since", "7d", url=url).out == "0 decisions newly sampled\n"
    with sqlite_database.transaction() as session:
        rows = audit_log.search(session, audit_log.AuditFilters(target="qa_plan:general")).rows
        assert [(r.action, r.principal) for r in rows] == [("qa_plan.set", "system:bastion")] * 2


def test_refusals_name_the_field(run_bastion: Bastion, sqlite_database: Database, tmp_path: Path) -> None:  # noqa: F811
    url = sqlite_database.url
    bad = run_bastion("quality", "plans", "set", "general", "--rate", "2", "--qa-queue", "appeals", url=url)
    assert bad.code == 2
    assert bad.err.splitlines() == [
        "error: the QA plan is not valid",
        "  qa_queue: 'appeals' is a queue of kind appeal, not a QA queue (kind: qa)",
        "  rate: a rate is a number from 0 to 1, got 2.0",
    ]
    broken = tmp_path / "broken.yaml"
    broken.write_text("rate: 0.1\nstrata: [\n", encoding="utf-8")
    unreadable = run_bastion("quality", "plans", "set", "general", "--file", str(broken), url=url)
    assert unreadable.code == 2 and unreadable.err.startswith("error: broken.yaml is not YAML or JSON\n  line ")
    missing = run_bastion("quality", "plans", "show", "scams-spam", url=url)
    assert (missing.code, missing.err) == (1, "error: no QA plan for the queue 'scams-spam'\n")
    assert run_bastion("quality", "plans", "list", url=url).out == "no QA plans\n"
