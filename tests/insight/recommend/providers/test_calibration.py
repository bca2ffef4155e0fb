"""Calibration and policy-clarity candidates from a quality report made by hand (tests/quality/reports.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bastion.clock import FrozenClock
from bastion.insight.recommend.model import ActionKind, RecommendationKind
from bastion.insight.recommend.providers import Window
from bastion.insight.recommend.providers.calibration import candidates_of
from bastion.insight.recommend.providers.policy_clarity import clarity_candidates
from bastion.quality.report import Confusion
from tests.quality.reports import hand_report


def _window(clock: FrozenClock) -> Window:
    return Window(clock() - timedelta(days=14), clock())


def test_flagged_reviewers_and_vendors_with_the_wrong_decisions_calibration_would_avoid(clock: FrozenClock) -> None:
    report = hand_report(clock(), item=1)
    found = {c.subject: c for c in candidates_of(report, _window(clock))}
    # bo is flagged (10 of 40 right); ana (45 of 50) sets the team's accuracy; cy has too few to judge.
    assert set(found) == {"bo", "acme"}
    bo = found["bo"]
    assert bo.kind is RecommendationKind.CALIBRATE_REVIEWER
    assert bo.impact == pytest.approx(45 * (0.9 - 10 / 40) / 2)  # 45 decisions over two weeks, 65 points wrong
    assert bo.evidence.figures["team_accuracy"] == 0.9
    assert bo.action is not None and bo.action.kind is ActionKind.CALIBRATION_EXERCISE
    assert bo.action.params["group"] == "users:bo"
    acme = found["acme"]
    assert acme.kind is RecommendationKind.CALIBRATE_VENDOR
    assert acme.impact == pytest.approx(53 * (0.9 - 13 / 46) / 2)


def test_a_pair_explained_by_the_error_rates_is_no_hot_spot(clock: FrozenClock) -> None:
    # none/spam: 21 disagreements where the labels' error rates lead to expect 16 (p = 0.13).
    assert clarity_candidates(hand_report(clock(), item=1), _window(clock)) == []


def test_a_pair_confused_beyond_the_error_rates_is_a_hot_spot(clock: FrozenClock) -> None:
    labels = ("bullying", "hate", "none", "spam")
    matrix = (
        (100, 40, 3, 2),  # answer bullying: 40 said hate
        (30, 120, 4, 1),  # answer hate: 30 said bullying
        (2, 3, 200, 5),
        (1, 2, 6, 150),
    )
    report = replace(hand_report(clock(), item=1), confusion=Confusion(labels, matrix))
    (found,) = clarity_candidates(report, _window(clock))
    assert found.subject == "bullying / hate"
    assert found.evidence.figures["disagreements"] == 70
    expected = float(found.evidence.figures["expected_from_error_rates"])
    assert expected < 35
    assert found.impact > 0
