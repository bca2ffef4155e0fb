"""The built-in text classifier on HateXplain's official split, beside the paper's table.

Trains on the official train split only (15,383 posts with a majority label), tests on the official
test split (1,924), three classes (hatespeech, offensive, normal). Two feature sets side by side in one
run: the default (word 1-2-grams) and words and characters (word 1-2-grams and character 2-5-grams
within words). Prints accuracy, macro-F1 and AUROC next to the paper's BiRNN, CNN-GRU and
BERT, the training time, and how many posts a second one core scores (what detection pays per item for
one built-in model); fails when the default's macro-F1 is under the paper's BiRNN (0.575).

    .venv/bin/python bench/classifier_hatexplain.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bastion.models.hatexplain import FLOOR, PAPER, run_hatexplain  # noqa: E402
from bastion.models.text_classifier import WORDS_AND_CHARACTERS, Settings  # noqa: E402


def main() -> int:
    runs = {
        "Bastion default (words)": run_hatexplain(),
        "Bastion words + characters": run_hatexplain(Settings(features=WORDS_AND_CHARACTERS)),
    }
    first = next(iter(runs.values()))
    print(f"HateXplain: trained on {first.train_posts:,} posts of the train split, tested on {first.test_posts:,}")
    print(f"{'model':<30}{'accuracy':>10}{'macro-F1':>10}{'AUROC':>8}{'train s':>9}{'posts/s':>9}{'features':>10}")
    for name, figures in PAPER.items():
        print(f"{'paper ' + name:<30}{figures.accuracy:>10.3f}{figures.macro_f1:>10.3f}{figures.auroc:>8.3f}")
    for name, run in runs.items():
        m = run.measures
        print(
            f"{name:<30}{m.accuracy:>10.3f}{m.macro_f1:>10.3f}{m.auroc:>8.3f}{run.train_seconds:>9.1f}"
            f"{run.test_posts / run.score_seconds:>9,.0f}{run.classifier.feature_count:>10,}"
        )
    ratio = runs["Bastion words + characters"].score_seconds / first.score_seconds
    print(f"scoring cost of words + characters over words alone: {ratio:.1f}x")
    if first.measures.macro_f1 < FLOOR:
        print(f"FAIL: macro-F1 {first.measures.macro_f1:.3f} is under the paper's BiRNN ({FLOOR})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
