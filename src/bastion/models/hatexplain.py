"""The built-in classifier on HateXplain (Mathew et al., AAAI 2021), the way the paper measures its
models: trained on the official train split only, tested on the official test split, three classes
(hatespeech, offensive, normal) by the annotators' majority; posts without a majority are left out
(they are not in the corpus Bastion ships: `data/hatexplain/posts.jsonl.gz`, see its ATTRIBUTION.txt).

Accuracy, macro-F1 and AUROC (one class against the rest, averaged) are the paper's columns; its
figures for three of its models are `PAPER` (Table 4, without rationales).
"""

from __future__ import annotations

import gzip
import json
import time
from dataclasses import dataclass
from pathlib import Path

from bastion.models.measures import ClassMeasures, class_measures
from bastion.models.text_classifier import Settings, TextClassifier, train_text_classifier

CORPUS = Path(__file__).resolve().parent.parent / "data" / "hatexplain" / "posts.jsonl.gz"
CLASSES = ("hatespeech", "normal", "offensive")
PAPER: dict[str, ClassMeasures] = {
    "BiRNN": ClassMeasures(1924, 0.595, 0.575, 0.767),
    "CNN-GRU": ClassMeasures(1924, 0.627, 0.606, 0.793),
    "BERT": ClassMeasures(1924, 0.690, 0.674, 0.843),
}
FLOOR = PAPER["BiRNN"].macro_f1  # the built-in classifier must do at least as well as the paper's BiRNN


@dataclass(frozen=True)
class Post:
    text: str
    label: str


def load_split(split: str, corpus: Path = CORPUS) -> list[Post]:
    """The posts of one official split (`train`, `validation` or `test`) with their majority labels."""
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        rows = (json.loads(line) for line in lines)
        return [Post(row["text"], row["label"]) for row in rows if row["split"] == split]


@dataclass(frozen=True)
class HatexplainRun:
    train_posts: int
    test_posts: int
    train_seconds: float
    score_seconds: float  # scoring the whole test split again, once the classifier is loaded and warm
    measures: ClassMeasures
    classifier: TextClassifier


def run_hatexplain(settings: Settings | None = None, *, seed: int = 0) -> HatexplainRun:
    train, test = load_split("train"), load_split("test")
    started = time.perf_counter()
    classifier = train_text_classifier([p.text for p in train], [p.label for p in train], settings=settings, seed=seed)
    trained = time.perf_counter()
    probabilities = classifier.probabilities([p.text for p in test])
    again = time.perf_counter()  # timed on a second pass: detection scores with a loaded, warm classifier
    classifier.probabilities([p.text for p in test])
    scored = time.perf_counter()
    measures = class_measures([p.label for p in test], probabilities, classifier.classes)
    return HatexplainRun(len(train), len(test), trained - started, scored - again, measures, classifier)
