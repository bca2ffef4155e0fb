"""The Numenta Anomaly Benchmark's score, as NAB defines it, and the ten realTweets series Bastion ships.

NAB scores a detector's detections on a labelled series (Lavin and Ahmad, "Evaluating Real-time
Anomaly Detection Algorithms: the Numenta Anomaly Benchmark", 2015; numenta/NAB `nab/sweeper.py`):

- every labelled anomaly window counts once: the *first* detection inside it earns a scaled sigmoid of
  its position (1.0 at the window's left edge, falling to 0 at its right edge), times the tp weight;
  a window with no detection costs the fn weight;
- every detection outside a window costs the fp weight times a scaled sigmoid of its distance past the
  preceding window's right edge (about 0 just after a window, -1 from three window widths on, and -1
  before the first window);
- the first 15 % of a file (at most 750 rows) is a probation period: detections there are not scored,
  nor are windows that lie wholly inside it;
- a corpus is normalised as 100 * (raw - null) / (perfect - null), where "null" detects nothing
  (-fn per window) and "perfect" detects every window at its left edge (+tp per window).

NAB optimises one threshold per detector over its whole corpus; a detection here is whatever the
detector reports (Bastion's detector decides with one global rule, see `detector.py`).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

from bastion.errors import FieldError, InvalidInput

PROBATION_PERCENT = 0.15
NAB_DATA = ("data", "nab")

# The published detectors' normalised standard-profile scores on the ten realTweets files (NAB's
# per-file results, normalised over these files alone).
PUBLISHED_REALTWEETS = {
    "ARTime": 81.8,
    "Numenta HTM": 68.0,
    "Twitter ADVec": 59.6,
    "windowed Gaussian": 51.4,
}


@dataclass(frozen=True)
class CostMatrix:
    """A NAB profile's weights."""

    tp: float
    fp: float
    fn: float


STANDARD = CostMatrix(tp=1.0, fp=0.11, fn=1.0)
REWARD_LOW_FP = CostMatrix(tp=1.0, fp=0.22, fn=1.0)
REWARD_LOW_FN = CostMatrix(tp=1.0, fp=0.11, fn=2.0)
PROFILES = {"standard": STANDARD, "reward_low_FP_rate": REWARD_LOW_FP, "reward_low_FN_rate": REWARD_LOW_FN}


@dataclass(frozen=True)
class FileScore:
    """One file's NAB score: the raw score and its parts, with the null and perfect scores to normalise by."""

    raw: float
    true_positives: int  # windows detected
    false_negatives: int  # windows missed
    false_positives: int  # scored detections outside every window
    null: float
    perfect: float


@dataclass(frozen=True)
class LabelledSeries:
    """A NAB data file with its anomaly windows."""

    name: str
    timestamps: list[datetime]
    values: list[float]
    windows: list[tuple[datetime, datetime]]


def scaled_sigmoid(position: float) -> float:
    """NAB's reward curve: 2 * sigmoid(-5 * position) - 1, and -1 beyond three window widths."""
    if position > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def probation_length(rows: int) -> float:
    """The rows at the start of a file that are not scored: 15 % of them, at most 15 % of 5,000."""
    return min(math.floor(PROBATION_PERCENT * rows), PROBATION_PERCENT * 5000)


def score_file(
    timestamps: Sequence[datetime],
    detected: Sequence[int],
    windows: Sequence[tuple[datetime, datetime]],
    costs: CostMatrix = STANDARD,
) -> FileScore:
    """Score the detections (row indices) on one file whose windows start and end on its timestamps."""
    index = {t: i for i, t in enumerate(timestamps)}
    spans: list[tuple[int, int]] = []
    for start, end in windows:
        if start not in index or end not in index:
            reason = f"window {start} .. {end} does not start and end on the file's timestamps"
            raise InvalidInput(reason, [FieldError("windows", reason)])
        spans.append((index[start], index[end]))
    spans.sort()
    probation = probation_length(len(timestamps))
    max_tp = scaled_sigmoid(-1.0)
    # Windows with a scored row take part; each starts at -fn until a detection lifts it.
    window_score = {w: -costs.fn for w, (_, right) in enumerate(spans) if right >= probation}
    fp_total = 0.0
    false_positives = 0
    for i in sorted(set(detected)):
        if i < probation:
            continue
        inside = next((w for w, (left, right) in enumerate(spans) if left <= i <= right), None)
        if inside is not None:
            left, right = spans[inside]
            width = right - left + 1
            position = -(right - i + 1) / width
            window_score[inside] = max(window_score[inside], scaled_sigmoid(position) * costs.tp / max_tp)
            continue
        before = [(left, right) for left, right in spans if right < i]
        if before:
            left, right = before[-1]
            width = right - left + 1
            unweighted = scaled_sigmoid(abs(right - i) / (width - 1))
        else:
            unweighted = -1.0
        fp_total += unweighted * costs.fp
        false_positives += 1
    detected_windows = sum(1 for s in window_score.values() if s > -costs.fn)
    return FileScore(
        raw=sum(window_score.values()) + fp_total,
        true_positives=detected_windows,
        false_negatives=len(window_score) - detected_windows,
        false_positives=false_positives,
        null=-costs.fn * len(window_score),
        perfect=costs.tp * len(window_score),
    )


def normalised(scores: Sequence[FileScore]) -> float:
    """NAB's normalised score of a corpus: 100 * (raw - null) / (perfect - null), summed over its files."""
    raw = sum(s.raw for s in scores)
    null = sum(s.null for s in scores)
    perfect = sum(s.perfect for s in scores)
    return 100.0 * (raw - null) / (perfect - null)


def parse_nab_timestamp(text: str) -> datetime:
    """NAB's timestamps: '2015-02-26 21:42:53', with or without fractional seconds."""
    return datetime.fromisoformat(text.strip())


def realtweets() -> list[LabelledSeries]:
    """The ten realTweets series (5-minute tweet counts, MIT, (c) Numenta) with their labelled windows."""
    return _corpus("realTweets_windows.json")


def other_real_series() -> list[LabelledSeries]:
    """NAB's 37 other real series, of kinds the detector was not designed on: server metrics (AWS
    CloudWatch), ad-exchange clicks and costs, freeway traffic and known-cause incidents (MIT, (c) Numenta).
    Their names carry their category: `realTraffic/speed_6005.csv`."""
    return _corpus("otherReal_windows.json", with_category=True)


def _corpus(windows_file: str, *, with_category: bool = False) -> list[LabelledSeries]:
    root = resources.files("bastion").joinpath(*NAB_DATA)
    windows: Mapping[str, list[list[str]]] = json.loads(root.joinpath(windows_file).read_text(encoding="utf-8"))
    corpus = []
    for key in sorted(windows):
        category, name = key.split("/")
        raw = root.joinpath(category, name + ".gz").read_bytes()
        reader = csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8")))
        timestamps, values = [], []
        for row in reader:
            timestamps.append(parse_nab_timestamp(row["timestamp"]))
            values.append(float(row["value"]))
        spans = [(parse_nab_timestamp(a), parse_nab_timestamp(b)) for a, b in windows[key]]
        corpus.append(LabelledSeries(key if with_category else name, timestamps, values, spans))
    return corpus
