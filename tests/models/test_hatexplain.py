"""The built-in classifier on HateXplain's official test split, trained on its train split only, must
do at least as well as the paper's BiRNN (macro-F1 0.575), with its default settings.
`bench/classifier_hatexplain.py` prints the figures beside the paper's (docs/performance.md)."""

from __future__ import annotations

from bastion.models.hatexplain import CLASSES, FLOOR, load_split, run_hatexplain


def test_the_official_splits_are_the_papers() -> None:
    train, test = load_split("train"), load_split("test")
    assert (len(train), len(test)) == (15_383, 1_924)
    assert {p.label for p in test} == set(CLASSES)


def test_the_built_in_classifier_beats_the_papers_birnn_on_the_test_split() -> None:
    run = run_hatexplain()
    assert run.measures.count == 1_924
    assert run.measures.macro_f1 >= FLOOR, run.measures
    assert run.measures.auroc > 0.767  # the BiRNN's AUROC
