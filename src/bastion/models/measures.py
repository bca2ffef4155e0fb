"""How good a model's verdicts are: pure functions over labels and scores.

The same measures serve a model card (held-out examples at the chosen threshold), a model's agreement
with reviewers (its verdicts against their decisions on the same items) and the HateXplain benchmark.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class BinaryMeasures:
    """Verdicts against the truth on `count` items. A measure that is undefined (no positive verdict, no
    positive item, one class only) is None, never a made-up 0."""

    count: int
    positives: int  # items the truth calls violating
    flagged: int  # items the model called violating
    true_positives: int
    precision: float | None
    recall: float | None
    f1: float | None
    kappa: float | None  # Cohen's kappa: agreement beyond what chance gives
    accuracy: float | None

    def document(self) -> dict[str, Any]:
        return asdict(self)


def binary_measures(truth: Sequence[bool], verdicts: Sequence[bool]) -> BinaryMeasures:
    """Precision, recall, F1, Cohen's kappa and accuracy of `verdicts` against `truth`."""
    if len(truth) != len(verdicts):
        raise ValueError("truth and verdicts differ in length")
    count = len(truth)
    tp = sum(1 for t, v in zip(truth, verdicts, strict=True) if t and v)
    positives = sum(truth)
    flagged = sum(verdicts)
    agree = sum(1 for t, v in zip(truth, verdicts, strict=True) if t == v)
    precision = tp / flagged if flagged else None
    recall = tp / positives if positives else None
    f1 = 2 * tp / (positives + flagged) if positives + flagged else None
    kappa: float | None = None
    if count:
        observed = agree / count
        expected = (positives * flagged + (count - positives) * (count - flagged)) / (count * count)
        kappa = (observed - expected) / (1 - expected) if expected < 1 else None
    return BinaryMeasures(count, positives, flagged, tp, precision, recall, f1, kappa, agree / count if count else None)


def best_threshold(truth: Sequence[bool], scores: Sequence[float]) -> float:
    """The score threshold (a verdict is `score >= threshold`) with the highest F1 on these items; 0.5
    when no item is violating. Ties go to the higher threshold: fewer items flagged for the same F1."""
    if not any(truth):
        return 0.5
    best, chosen = -1.0, 0.5
    for threshold in sorted(set(scores), reverse=True):
        measured = binary_measures(truth, [s >= threshold for s in scores])
        if measured.f1 is not None and measured.f1 > best:
            best, chosen = measured.f1, threshold
    return float(chosen)


@dataclass(frozen=True)
class ClassMeasures:
    """A multi-class classifier on a test set: the figures the HateXplain paper reports."""

    count: int
    accuracy: float
    macro_f1: float
    auroc: float  # one class against the rest, averaged over classes


def class_measures(truth: Sequence[str], probabilities: np.ndarray[Any, Any], classes: Sequence[str]) -> ClassMeasures:
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score  # heavy: only when measuring classes

    predicted = [classes[i] for i in np.asarray(probabilities).argmax(axis=1)]
    return ClassMeasures(
        count=len(truth),
        accuracy=float(accuracy_score(truth, predicted)),
        macro_f1=float(f1_score(truth, predicted, average="macro", labels=list(classes))),
        auroc=float(roc_auc_score(truth, probabilities, multi_class="ovr", average="macro", labels=list(classes))),
    )
