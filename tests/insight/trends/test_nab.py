"""NAB's scorer: NAB's published raw scores per file reproduced from the published detectors' own
detections, the normalisation identity, and cases worked by hand."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest

from bastion.errors import InvalidInput
from bastion.insight.trends import nab

PUBLISHED = Path(__file__).parent / "data" / "nab_published_detections.json"
T0 = datetime(2020, 1, 1)


@pytest.fixture(scope="module")
def corpus() -> dict[str, nab.LabelledSeries]:
    return {s.name: s for s in nab.realtweets()}


def test_the_ten_realtweets_series_ship_with_their_33_windows(corpus: dict[str, nab.LabelledSeries]) -> None:
    assert len(corpus) == 10
    assert sum(len(s.windows) for s in corpus.values()) == 33
    aapl = corpus["Twitter_volume_AAPL.csv"]
    assert (aapl.timestamps[0], aapl.values[0]) == (datetime(2015, 2, 26, 21, 42, 53), 104.0)
    assert all(len(s.values) > 15_000 for s in corpus.values())


@pytest.mark.parametrize(
    ("detector", "published"), [("ARTime", 81.8), ("numenta", 68.0), ("twitterADVec", 59.6), ("windowedGaussian", 51.4)]
)
def test_published_raw_scores_per_file_are_reproduced_from_the_detectors_detections(
    corpus: dict[str, nab.LabelledSeries], detector: str, published: float
) -> None:
    # The rows where the detector's anomaly score reached its published threshold (from NAB's results).
    files = json.loads(PUBLISHED.read_text(encoding="utf-8"))["detectors"][detector]
    scores = []
    for name, found in files.items():
        series = corpus[name]
        row = {t: i for i, t in enumerate(series.timestamps)}
        detected = [row[nab.parse_nab_timestamp(t)] for t in found["detections"]]
        score = nab.score_file(series.timestamps, detected, series.windows)
        assert score.raw == pytest.approx(found["raw_score"], abs=1e-9), name
        scores.append(score)
    windows = sum(len(corpus[name].windows) for name in files)
    total = nab.normalised(scores)
    assert total == pytest.approx(100 * (sum(s.raw for s in scores) + windows) / (2 * windows))
    assert round(total, 1) == published


def minutes(count: int) -> list[datetime]:
    return [T0 + timedelta(minutes=i) for i in range(count)]


def test_a_detection_at_a_windows_left_edge_earns_one_and_at_its_right_edge_almost_nothing() -> None:
    ts = minutes(1000)  # probation: 150 rows
    window = [(ts[400], ts[499])]  # 100 rows
    assert nab.score_file(ts, [400], window).raw == pytest.approx(1.0)
    right = (2 / (1 + math.exp(5 * (-1 / 100))) - 1) / nab.scaled_sigmoid(-1.0)
    assert nab.score_file(ts, [499], window).raw == pytest.approx(right)
    # Only the first detection of a window counts.
    assert nab.score_file(ts, [400, 450, 499], window).raw == pytest.approx(1.0)
    middle = nab.score_file(ts, [450], window)
    assert middle.raw == pytest.approx((2 / (1 + math.exp(5 * -0.5)) - 1) / nab.scaled_sigmoid(-1.0))
    assert (middle.true_positives, middle.false_negatives, middle.false_positives) == (1, 0, 0)


def test_misses_cost_the_fn_weight_and_false_positives_their_sigmoid_times_the_fp_weight() -> None:
    ts = minutes(1000)
    window = [(ts[400], ts[499])]
    assert nab.score_file(ts, [], window).raw == -1.0
    # Before any window: the full fp weight.
    assert nab.score_file(ts, [300], window).raw == pytest.approx(-1.0 - 0.11)
    # Just past the window's right edge: almost free; three widths past it: the full weight.
    assert nab.score_file(ts, [500], window).raw == pytest.approx(-1.0 + 0.11 * nab.scaled_sigmoid(1 / 99))
    assert nab.score_file(ts, [900], window).raw == pytest.approx(-1.0 - 0.11)
    low_fp = nab.score_file(ts, [300], window, nab.REWARD_LOW_FP)
    low_fn = nab.score_file(ts, [], window, nab.REWARD_LOW_FN)
    assert (low_fp.raw, low_fn.raw) == (pytest.approx(-1.22), -2.0)


def test_the_probation_period_is_not_scored() -> None:
    ts = minutes(1000)
    assert nab.probation_length(1000) == 150
    assert nab.probation_length(16_000) == 750
    inside = nab.score_file(ts, [10, 149], [(ts[0], ts[100]), (ts[400], ts[499])])
    # The first window lies inside probation: it takes no part, and neither do the detections there.
    assert (inside.raw, inside.null, inside.perfect, inside.false_positives) == (-1.0, -1.0, 1.0, 0)


def test_a_window_off_the_files_timestamps_is_refused() -> None:
    ts = minutes(10)
    with pytest.raises(InvalidInput, match="does not start and end"):
        nab.score_file(ts, [], [(ts[1] + timedelta(seconds=1), ts[5])])


def test_nabs_other_real_series_ship_with_their_windows_and_published_scores() -> None:
    corpus = nab.other_real_series()
    assert len(corpus) == 37 and sum(len(s.windows) for s in corpus) == 77
    assert {s.name.split("/")[0] for s in corpus} == {
        "realAWSCloudwatch",
        "realAdExchange",
        "realKnownCause",
        "realTraffic",
    }
    published = resources.files("bastion").joinpath("data", "nab", "published_otherReal_scores.csv")
    rows = published.read_text(encoding="utf-8").splitlines()[1:]
    assert len(rows) == 4 * 37 and {row.split(",")[2] for row in rows} == {s.name for s in corpus}
