"""NAB's standard-profile score of Bastion's trend detector on NAB's ten realTweets series, beside the
published detectors on the same files; then on NAB's 37 other real series (server metrics, ad clicks,
traffic, known causes), which the detector was not designed on but which have been scored before (each run
on them is counted in docs/performance.md), beside the same published detectors; and on synthetic series of
other shapes.

    .venv/bin/python bench/nab.py

Every realTweets file is scanned through `bastion trends scan FILE --format json` (the command a user
runs), its detections mapped back to rows and scored with `bastion.insight.trends.nab` (NAB's scorer,
checked against NAB's published per-file raw scores in tests/insight/trends/test_nab.py). The synthetic
series (`bastion.insight.trends.synthetic`: traffic, ad clicks, CPU, latency, daily sign-ups) are
scored the same way, beside NAB's windowed Gaussian run there with its best threshold for that corpus
(NAB's own optimiser's advantage, which Bastion's fixed rule does not get).

    .venv/bin/python bench/nab.py --dev

scores the development set alone, the series a change to the detector is designed and judged on before
the scored corpora above are run (they have been scored, so they are no longer unseen: each run on them
is counted in docs/performance.md): NAB's eleven artificial series (MIT, shipped in
tests/insight/trends/data/nab_artificial) and the short, irregularly sampled synthetic series
(`synthetic.short_corpus`: 1,000 to 2,500 rows, a daily rhythm, one planted change or none).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import math
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import erfc

from bastion.insight.trends import nab, synthetic
from bastion.insight.trends.detector import detect
from bastion.insight.trends.nab import NAB_DATA
from bastion.insight.trends.series_file import parse_timestamp


def scan_with_cli(series: nab.LabelledSeries, folder: Path) -> list[int]:
    """Run `bastion trends scan` on the series written as CSV; the detected rows."""
    path = folder / Path(series.name).name  # realTraffic/speed_6005.csv: the file name alone
    lines = ["timestamp,value"] + [
        f"{t:%Y-%m-%d %H:%M:%S},{v:g}" for t, v in zip(series.timestamps, series.values, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = [sys.executable, "-m", "bastion", "trends", "scan", str(path), "--format", "json"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    row = {parse_timestamp(f"{t:%Y-%m-%d %H:%M:%S}"): i for i, t in enumerate(series.timestamps)}
    return [row[parse_timestamp(d["timestamp"])] for d in json.loads(out)["detections"]]


def windowed_gaussian(values: list[float]) -> np.ndarray:
    """NAB's windowed Gaussian baseline: the Gaussian tail of each value over the previous 6,400 values."""
    y = pd.Series(np.asarray(values, dtype=float))
    mean = y.shift(1).rolling(6400, min_periods=1).mean()
    std = y.shift(1).rolling(6400, min_periods=2).std(ddof=0).replace(0.0, 1e-6)
    z = ((y - mean) / std).abs().fillna(0.0).to_numpy()
    return np.asarray(1.0 - 0.5 * erfc(z / math.sqrt(2)))


def best_threshold_score(corpus: list[nab.LabelledSeries]) -> tuple[float, float]:
    scores = [windowed_gaussian(s.values) for s in corpus]
    best = (-math.inf, 0.0)
    for threshold in (0.99, 0.999, 0.9999, 0.99999, 0.999999, 1 - 1e-7, 1 - 1e-8, 1 - 1e-9):
        files = [
            nab.score_file(s.timestamps, list(np.flatnonzero(a >= threshold)), s.windows)
            for s, a in zip(corpus, scores, strict=True)
        ]
        best = max(best, (nab.normalised(files), threshold))
    return best


ARTIFICIAL = Path(__file__).resolve().parent.parent / "tests" / "insight" / "trends" / "data" / "nab_artificial"


def artificial_series() -> list[nab.LabelledSeries]:
    """NAB's artificialWithAnomaly and artificialNoAnomaly series with their windows (none for the latter)."""
    windows = json.loads((ARTIFICIAL / "windows.json").read_text(encoding="utf-8"))
    corpus = []
    for name in sorted(windows):
        text = gzip.decompress((ARTIFICIAL / f"{name}.gz").read_bytes()).decode("utf-8")
        rows = list(csv.DictReader(io.StringIO(text)))
        timestamps = [nab.parse_nab_timestamp(row["timestamp"]) for row in rows]
        spans = [(nab.parse_nab_timestamp(a), nab.parse_nab_timestamp(b)) for a, b in windows[name]]
        corpus.append(nab.LabelledSeries(name, timestamps, [float(row["value"]) for row in rows], spans))
    return corpus


def development_set() -> None:
    """The detector on the development set: NAB's normalised score where windows exist, and the detections
    on the series where nothing happens (each a false positive)."""
    print("Development set (not the scored corpora), standard profile")
    groups = [("NAB artificial", artificial_series())]
    short = synthetic.short_corpus()
    groups += [
        (f"short {kind}", [s for s in short if s.name.startswith(f"short_{kind}-")]) for kind in synthetic.SHORT_KINDS
    ]
    groups += [
        ("short (all kinds)", [s for s in short if s.windows]),
        ("short, nothing planted", [s for s in short if not s.windows]),
    ]
    for label, corpus in groups:
        files = [
            nab.score_file(s.timestamps, [d.index for d in detect(s.timestamps, s.values)], s.windows) for s in corpus
        ]
        labelled = [f for f, s in zip(files, corpus, strict=True) if s.windows]
        quiet = [f for f, s in zip(files, corpus, strict=True) if not s.windows]
        if labelled:
            found = sum(f.true_positives for f in labelled)
            windows = found + sum(f.false_negatives for f in labelled)
            false = sum(f.false_positives for f in labelled)
            line = f"{nab.normalised(labelled):5.1f}   {found} of {windows} windows, {false} false positives"
        else:
            line = "    -  "
        if quiet:
            chance = sum(f.false_positives for f in quiet)
            line += f"{';' if labelled else ''} {chance} detections on {len(quiet)} series without an anomaly"
        print(f"  {label + f' ({len(corpus)})':<28} {line}")


# NAB's names for the published detectors, as in its results folder.
PUBLISHED_DETECTORS = {
    "ARTime": "ARTime",
    "numenta": "Numenta HTM",
    "twitterADVec": "Twitter ADVec",
    "windowedGaussian": "windowed Gaussian",
}


def published_raw_scores() -> dict[str, dict[str, float]]:
    """NAB's published standard-profile raw score of each detector on each of the other real files."""
    path = resources.files("bastion").joinpath(*NAB_DATA, "published_otherReal_scores.csv")
    found: dict[str, dict[str, float]] = defaultdict(dict)
    for row in csv.DictReader(path.read_text(encoding="utf-8").splitlines()):
        found[row["detector"]][row["file"]] = float(row["raw_score"])
    return found


def unseen_real_series(folder: Path) -> None:
    """Bastion's command on NAB's other real series, beside the published detectors' scores on the same
    files, normalised per category and over all of them as NAB normalises (null and perfect per file)."""
    corpus = nab.other_real_series()
    ours = {s.name: nab.score_file(s.timestamps, scan_with_cli(s, folder), s.windows) for s in corpus}
    published = published_raw_scores()
    categories = sorted({name.split("/")[0] for name in ours})
    windows = sum(len(s.windows) for s in corpus)
    print(f"\nNAB's other real series ({len(corpus)} files, {windows} windows), not designed on; scored before")
    header = "".join(f"{label:>19}" for label in ["Bastion", *PUBLISHED_DETECTORS.values()])
    print(f"  {'category':<20}{header}")
    for category in [*categories, "all"]:
        names = [n for n in ours if category == "all" or n.startswith(category + "/")]
        row = [nab.normalised([ours[n] for n in names])]
        for detector in PUBLISHED_DETECTORS:
            raw = [nab.FileScore(published[detector][n], 0, 0, 0, ours[n].null, ours[n].perfect) for n in names]
            row.append(nab.normalised(raw))
        print(f"  {category + f' ({len(names)})':<20}" + "".join(f"{value:19.1f}" for value in row))
        if category == "all":
            advec = row[list(PUBLISHED_DETECTORS).index("twitterADVec") + 1]
            print(f"  Bastion against Twitter ADVec over all {len(names)} files: {row[0] - advec:+.1f} points")
    found = sum(f.true_positives for f in ours.values())
    false = sum(f.false_positives for f in ours.values())
    print(f"  Bastion: {found} of {windows} windows, {false} false positives")


def main() -> None:
    parser = argparse.ArgumentParser(description="NAB's score of the trend detector")
    parser.add_argument("--dev", action="store_true", help="score the development set only")
    if parser.parse_args().dev:
        development_set()
        return
    started = time.process_time()
    tweets = nab.realtweets()
    with tempfile.TemporaryDirectory() as folder:
        files = [nab.score_file(s.timestamps, scan_with_cli(s, Path(folder)), s.windows) for s in tweets]
    ours = nab.normalised(files)
    print("NAB realTweets (10 files, 33 windows), standard profile, normalised score")
    print(f"  {'Bastion (bastion trends scan)':<32} {ours:5.1f}   ratio to Twitter ADVec {ours / 59.6:.2f}")
    for name, score in nab.PUBLISHED_REALTWEETS.items():
        print(f"  {name + ' (published)':<32} {score:5.1f}")
    detected = sum(f.true_positives for f in files)
    false = sum(f.false_positives for f in files)
    print(
        f"  Bastion: {detected} of {detected + sum(f.false_negatives for f in files)} windows, {false} false positives"
    )
    for name, f in zip((s.name for s in tweets), files, strict=True):
        print(f"    {name:<28} raw {f.raw:6.3f}  tp {f.true_positives} fn {f.false_negatives} fp {f.false_positives}")

    with tempfile.TemporaryDirectory() as folder:
        unseen_real_series(Path(folder))

    others = synthetic.corpus()
    mine = [nab.score_file(s.timestamps, [d.index for d in detect(s.timestamps, s.values)], s.windows) for s in others]
    baseline, threshold = best_threshold_score(others)
    print(f"\nSynthetic series of other shapes ({len(others)} series, 45 windows), standard profile")
    print(f"  {'Bastion (the same rule)':<32} {nab.normalised(mine):5.1f}")
    print(f"  {'windowed Gaussian (best thr.)':<32} {baseline:5.1f}   (threshold {threshold})")
    for kind in synthetic.KINDS:
        part = [f for s, f in zip(others, mine, strict=True) if s.name.startswith(kind)]
        print(f"    {kind:<20} {nab.normalised(part):5.1f}  fp {sum(f.false_positives for f in part)}")
    print()
    development_set()
    print(f"\nCPU time {time.process_time() - started:.1f} s (this process; the scans run in child processes)")


if __name__ == "__main__":
    main()
