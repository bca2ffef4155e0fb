"""Agreement measures: table tests against hand-worked figures, and undefined measures left undefined."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from bastion.models.measures import best_threshold, binary_measures


def test_hand_worked_figures() -> None:
    truth = [True, True, True, False, False, False, False, False]
    verdicts = [True, True, False, True, False, False, False, False]
    m = binary_measures(truth, verdicts)
    assert (m.count, m.positives, m.flagged, m.true_positives) == (8, 3, 3, 2)
    assert m.precision == pytest.approx(2 / 3) and m.recall == pytest.approx(2 / 3)
    assert m.accuracy == pytest.approx(6 / 8)
    # observed 0.75; expected (3·3 + 5·5)/64 = 34/64; kappa = (0.75 - 0.53125) / (1 - 0.53125)
    assert m.kappa == pytest.approx((0.75 - 34 / 64) / (1 - 34 / 64))


def test_undefined_measures_are_none() -> None:
    m = binary_measures([False, False], [False, False])
    assert (m.precision, m.recall, m.f1, m.kappa, m.accuracy) == (None, None, None, None, 1.0)
    assert binary_measures([], []).accuracy is None


@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=60))
def test_kappa_is_sklearns(pairs: list[tuple[bool, bool]]) -> None:
    truth, verdicts = [t for t, _ in pairs], [v for _, v in pairs]
    m = binary_measures(truth, verdicts)
    if m.kappa is not None and len(set(truth) | set(verdicts)) > 1:
        assert m.kappa == pytest.approx(cohen_kappa_score(truth, verdicts))


def test_the_threshold_with_the_best_f1_is_chosen() -> None:
    assert best_threshold([True, True, False, False], [0.9, 0.6, 0.55, 0.1]) == 0.6
    assert best_threshold([False, False], [0.3, 0.2]) == 0.5
