"""The built-in text classifier on HateXplain's official split, beside the paper's table.

Trains on the official train split only (15,383 posts with a majority label), tests on the official
test split (1,924), three classes (hatespeech, offensive, normal). Prints accuracy, macro-F1 and
AUROC next to the paper's BiRNN, CNN-GRU and BERT, the training time, and how many posts a second one
core scores (what detection pays per item for one built-in model); fails when macro-F1 is under the
paper's BiRNN (0.575).

    .venv/bin/python bench/classifier_hatexplain.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bastion.models.hatexplain import FLOOR, PAPER, run_hatexplain  # noqa: E402


def main() -> int:
    run = run_hatexplain()
    print(
        f"HateXplain: trained on {run.train_posts:,} posts in {run.train_seconds:.1f} s, tested on {run.test_posts:,}"
    )
    print(f"{'model':<28}{'accuracy':>10}{'macro-F1':>10}{'AUROC':>8}")
    for name, figures in PAPER.items():
        print(f"{'paper ' + name:<28}{figures.accuracy:>10.3f}{figures.macro_f1:>10.3f}{figures.auroc:>8.3f}")
    m = run.measures
    print(f"{'Bastion built-in (TF-IDF+LR)':<28}{m.accuracy:>10.3f}{m.macro_f1:>10.3f}{m.auroc:>8.3f}")
    print(
        f"scoring: {run.test_posts / run.score_seconds:,.0f} posts/s on one core "
        f"({run.classifier.feature_count:,} features)"
    )
    if m.macro_f1 < FLOOR:
        print(f"FAIL: macro-F1 {m.macro_f1:.3f} is under the paper's BiRNN ({FLOOR})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
