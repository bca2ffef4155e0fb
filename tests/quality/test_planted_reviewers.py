"""The quality report finds the simulation's planted low-accuracy reviewers: on the default simulation
(seed 1, small, 14 days, the workforce at work with its QA team and QA lead) and on two other seeds,
every planted reviewer is flagged, with evidence, and at most one other reviewer is."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bastion.quality.engine import quality_report
from bastion.simulate import SimulationSpec
from bastion.store.database import Database
from tests.support.simulated import simulated_copy


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_planted_low_accuracy_reviewer_is_flagged_with_at_most_one_false_flag(
    simulated_cache: Path, tmp_path: Path, seed: int
) -> None:
    spec = SimulationSpec(seed=seed)
    truth = simulated_copy(simulated_cache, seed, tmp_path / "simulated.db")
    database = Database(f"sqlite:///{tmp_path / 'simulated.db'}")
    report = quality_report(database, now=spec.start + timedelta(days=spec.days + 1))
    database.dispose()

    planted = {entry["id"]: set(entry["policies"]) for entry in truth["low_accuracy_reviewers"]}
    assert len(planted) == 2
    flagged = {reviewer.key: reviewer for reviewer in report.reviewers if reviewer.flagged}
    assert set(planted) <= set(flagged), f"missed {sorted(set(planted) - set(flagged))}"
    assert len(set(flagged) - set(planted)) <= 1, f"false flags {sorted(set(flagged) - set(planted))}"
    for reviewer_id, weak in planted.items():
        reviewer = flagged[reviewer_id]
        # The evidence: where the flag comes from (overall, or a policy the reviewer was planted weak
        # on), and examples of their disagreements with the answers.
        flagged_policies = {policy.key for policy in reviewer.policies if policy.flagged}
        assert (reviewer.accuracy or 1.0) < report.thresholds.accuracy or flagged_policies & weak
        assert reviewer.disagreements
        assert all(example.label != example.reference for example in reviewer.disagreements)
    # The QA team re-reviews only, and is never judged by the decisions it checks.
    qa_team = {entry["id"] for entry in truth["qa_reviewers"]}
    assert qa_team and not qa_team & set(flagged)
