"""The reviewer workforce planted for later issues: vendors, shifts, skills, and its gaps."""

from __future__ import annotations

from bastion.simulate import SimulationSpec, World
from bastion.simulate.workforce import UNDERSTAFFED_LANGUAGE

from .conftest import Generated


def test_workforce_mixes_in_house_and_vendor_reviewers(small: Generated) -> None:
    workforce = small.world.workforce
    assert len(workforce) == small.world.spec.profile.reviewers
    assert any(r.vendor is None for r in workforce) and any(r.vendor is not None for r in workforce)
    assert len({r.site for r in workforce}) >= 4
    for reviewer in workforce:
        assert reviewer.languages and 0 <= reviewer.shift.start_hour < 24 and reviewer.shift.hours in (4, 8)
        assert 20 <= reviewer.handle_time.median_seconds <= 90 and 0 < reviewer.handle_time.spread < 1


def test_accuracy_is_mostly_high_with_planted_weak_spots(small: Generated) -> None:
    scores = [p for r in small.world.workforce for _, p in r.accuracy]
    normal = [p for p in scores if 0.85 <= p <= 0.95]
    assert len(normal) >= 0.9 * len(scores)
    weak = [r for r in small.world.workforce if any(0.45 <= p <= 0.70 for _, p in r.accuracy)]
    assert len(weak) >= 2
    assert {w["id"] for w in small.truth["low_accuracy_reviewers"]} == {r.id for r in weak}
    assert weak[0].accuracy_for("hate_speech.dehumanization") == weak[0].accuracy_for("hate_speech")


def test_one_language_queue_is_understaffed(small: Generated) -> None:
    (queue,) = small.truth["understaffed_queues"]
    assert queue["language"] == UNDERSTAFFED_LANGUAGE
    assert queue["demand_share"] >= 0.03
    assert queue["capacity_share"] < 0.5 * queue["demand_share"]
    readers = [r for r in small.world.workforce if UNDERSTAFFED_LANGUAGE in r.languages]
    assert len(readers) == 1


def test_truth_lists_every_reviewer(small: Generated) -> None:
    listed = small.truth["reviewers"]
    assert [r["id"] for r in listed] == [r.id for r in small.world.workforce]
    assert set(listed[0]) >= {"id", "vendor", "languages", "accuracy", "shift", "handle_time", "site"}


def test_workforce_is_deterministic() -> None:
    assert World(SimulationSpec(seed=5, days=1)).workforce == World(SimulationSpec(seed=5, days=1)).workforce
