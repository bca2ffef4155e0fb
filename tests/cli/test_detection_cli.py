"""Detection from the command line: the reference set, a backtest, and the worker, through `python -m bastion`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import bastion

REFERENCE = Path(__file__).resolve().parents[2] / "src" / "bastion" / "detect" / "reference" / "rules.yaml"


def test_reference_set_then_posts_then_the_worker_then_a_backtest(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/b.db"
    assert bastion("init", url=url).returncode == 0
    installed = bastion("rules", "reference", url=url)
    assert installed.returncode == 0, installed.stderr
    assert "banks created: spam_terms, scam_terms, slurs, link_patterns" in installed.stdout
    assert "rules: 10 created" in installed.stdout  # three read the reference hash banks
    again = bastion("rules", "reference", url=url)
    assert "rules: 0 created, 0 changed, 10 unchanged" in again.stdout
    actors = tmp_path / "actors.jsonl"
    actors.write_text('{"id": "a1", "created_at": "2026-11-01T00:00:00Z"}\n')
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        '{"id": "p1", "actor_id": "a1", "type": "post", "created_at": "2026-11-02T10:00:00Z",'
        ' "text": "FREE F0LL0WERS here https://bit.ly/x"}\n'
        '{"id": "p2", "actor_id": "a1", "type": "post", "created_at": "2026-11-02T10:05:00Z", "text": "hello"}\n'
    )
    assert bastion("import", str(actors), "--kind", "actors", url=url).returncode == 0
    imported = bastion("import", str(posts), "--kind", "content", "--no-detect", url=url)
    assert imported.returncode == 0 and "detection" not in imported.stdout
    worked = bastion("worker", "--once", url=url)
    assert worked.returncode == 0, worked.stderr
    assert "evaluated 2 items in 1 batches: 1 rule hits" in worked.stdout
    more = tmp_path / "more.jsonl"
    more.write_text(
        '{"id": "p3", "actor_id": "a1", "type": "post", "created_at": "2026-11-02T11:00:00Z",'
        ' "text": "You won a gift card! Claim now at https://gift-claim.example/r/7"}\n'
    )
    detected = bastion("import", str(more), "--kind", "content", url=url)
    assert "detection: 1 items evaluated in 1 batches, 1 rule hits" in detected.stdout
    backtest = bastion(
        "rules",
        "backtest",
        str(REFERENCE),
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-03",
        "--format",
        "json",
        url=url,
    )
    assert backtest.returncode == 0, backtest.stderr
    report = json.loads(backtest.stdout)
    assert (report["since"], report["items"]) == ("2026-11-01T00:00:00+00:00", 3)
    hits = {rule["name"]: rule["hits"] for rule in report["rules"]}
    assert hits["spam-terms-with-link"] == 1 and hits["scam-terms-with-link"] == 1 and sum(hits.values()) == 2
    # Nobody decided anything yet: precision cannot be measured, and says so.
    spam = next(rule for rule in report["rules"] if rule["name"] == "spam-terms-with-link")
    assert spam["precision"] == {"count": 0, "total": 0, "value": None, "low": None, "high": None}


def test_a_backtest_refuses_a_bad_period_and_a_file_that_does_not_check(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/b.db"
    assert bastion("init", url=url).returncode == 0
    bad_date = bastion("rules", "backtest", str(REFERENCE), "--since", "last week", url=url)
    assert bad_date.returncode != 0 and "--since" in bad_date.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules:\n  - name: x\n    mode: live\n    when: 'content.nope'\n    then: []\n")
    refused = bastion("rules", "backtest", str(broken), "--since", "2026-11-01", url=url)
    assert refused.returncode == 1
    assert refused.stdout.startswith(f"{broken}:4:") and "content.nope" in refused.stdout
