"""Bastion's built-in text classifier: TF-IDF over word and character n-grams, and a logistic regression.

Why this shape: it needs no pretrained weights (nothing can be downloaded), trains in seconds on a few
thousand decisions, and its probabilities are usable as scores without a calibration step. Word
uni- and bigrams catch phrases. Character n-grams inside word boundaries (`WORDS_AND_CHARACTERS`) would
catch misspellings and leetspeak, but cost about ten times as much per item scored for almost no gain
on HateXplain, so the default is words only.

Why Bastion serialises it itself: a pickle runs code when it is loaded, so a model row written by
anyone but Bastion could take over the process. The artefact is NumPy's `.npz` of plain arrays (the
vocabularies, their inverse document frequencies, the coefficients), read back with
`allow_pickle=False`; the features are computed here from those arrays alone, for training and scoring
alike, so what was trained is exactly what scores.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

FORMAT = "bastion-text-classifier/1"
Matrix = Any  # scipy.sparse.csr_matrix (SciPy has no type information)


@dataclass(frozen=True)
class FeatureSpec:
    """One block of n-gram features."""

    analyzer: str  # "word" or "char_wb"
    ngram_range: tuple[int, int]
    min_df: int
    max_features: int


WORDS = FeatureSpec("word", (1, 2), min_df=2, max_features=100_000)
CHARACTERS = FeatureSpec("char_wb", (2, 5), min_df=2, max_features=150_000)
# Words only by default: on HateXplain, adding character n-grams gained 0.004 macro-F1 and cost about ten
# times as much to score (docs/performance.md), and detection scores every item with every live model.
DEFAULT_FEATURES = (WORDS,)
WORDS_AND_CHARACTERS = (WORDS, CHARACTERS)


@dataclass(frozen=True)
class Settings:
    """How a classifier is trained; kept in its artefact and its model card."""

    features: tuple[FeatureSpec, ...] = DEFAULT_FEATURES
    regularisation: float = 2.0  # logistic regression's C: higher fits the training data more closely
    balanced: bool = True  # weigh classes by their inverse frequency, so a rare class still counts
    max_iterations: int = 300

    def document(self) -> dict[str, Any]:
        return {
            "features": [
                {
                    "analyzer": f.analyzer,
                    "ngram_range": list(f.ngram_range),
                    "min_df": f.min_df,
                    "max_features": f.max_features,
                }
                for f in self.features
            ],
            "regularisation": self.regularisation,
            "balanced": self.balanced,
            "max_iterations": self.max_iterations,
        }


class _Block:
    """One fitted block of features: its vocabulary (in column order) and inverse document frequencies."""

    def __init__(self, spec: FeatureSpec, vocabulary: Sequence[str], idf: npt.NDArray[np.float64]) -> None:
        self.spec = spec
        self.vocabulary = list(vocabulary)
        self.idf = idf
        self._counter = CountVectorizer(
            analyzer=spec.analyzer, ngram_range=spec.ngram_range, lowercase=True, vocabulary=self.vocabulary
        )

    @classmethod
    def fit(cls, spec: FeatureSpec, texts: Sequence[str]) -> _Block:
        fitted = TfidfVectorizer(
            analyzer=spec.analyzer,
            ngram_range=spec.ngram_range,
            lowercase=True,
            min_df=spec.min_df,
            max_features=spec.max_features,
            sublinear_tf=True,
        ).fit(texts)
        order = sorted(fitted.vocabulary_.items(), key=lambda term: term[1])
        return cls(spec, [term for term, _ in order], np.asarray(fitted.idf_, dtype=np.float64))

    def transform(self, texts: Sequence[str]) -> Matrix:
        counts = sparse.csr_matrix(self._counter.transform(texts), dtype=np.float64)
        np.log(counts.data, out=counts.data)
        counts.data += 1.0  # sublinear term frequency: 1 + log(count)
        weighted = sparse.csr_matrix(counts.multiply(self.idf[np.newaxis, :]))
        return sparse.csr_matrix(normalize(weighted, norm="l2", copy=False))


class TextClassifier:
    """A trained classifier: `probabilities(texts)` gives one row per text, one column per class."""

    def __init__(
        self,
        blocks: Sequence[_Block],
        classes: Sequence[str],
        coef: npt.NDArray[np.float64],
        intercept: npt.NDArray[np.float64],
        settings: Settings,
    ) -> None:
        self._blocks = list(blocks)
        self.classes = list(classes)
        self._coef = coef
        self._intercept = intercept
        self.settings = settings

    @property
    def feature_count(self) -> int:
        return sum(len(block.vocabulary) for block in self._blocks)

    def features(self, texts: Sequence[str]) -> Matrix:
        return sparse.csr_matrix(sparse.hstack([block.transform(texts) for block in self._blocks], format="csr"))

    def probabilities(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        if not texts:
            return np.zeros((0, len(self.classes)))
        scores = np.asarray(self.features(texts) @ self._coef.T) + self._intercept
        if len(self.classes) == 2:  # one column of log-odds for the second class
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        scores -= scores.max(axis=1, keepdims=True)
        exponentials = np.exp(scores)
        return np.asarray(exponentials / exponentials.sum(axis=1, keepdims=True))

    def probability_of(self, label: str, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        return self.probabilities(texts)[:, self.classes.index(label)]

    def to_bytes(self) -> bytes:
        """The artefact: NumPy arrays only, loadable without running any code."""
        arrays: dict[str, npt.NDArray[Any]] = {
            "meta": np.array(
                json.dumps({"format": FORMAT, "settings": self.settings.document(), "classes": self.classes})
            ),
            "coef": self._coef,
            "intercept": self._intercept,
        }
        for position, block in enumerate(self._blocks):
            arrays[f"vocabulary_{position}"] = np.array(block.vocabulary, dtype=np.str_)
            arrays[f"idf_{position}"] = block.idf
        out = io.BytesIO()
        np.savez_compressed(out, **arrays)  # type: ignore[arg-type]
        return out.getvalue()

    @classmethod
    def from_bytes(cls, artefact: bytes) -> TextClassifier:
        """Read an artefact `to_bytes` wrote. Raises ValueError when it is not one."""
        try:
            with np.load(io.BytesIO(artefact), allow_pickle=False) as stored:
                meta = json.loads(str(stored["meta"]))
                if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                    raise _NotOurs(f"not a {FORMAT} artefact")
                settings = _settings_of(meta["settings"])
                blocks = [
                    _Block(spec, stored[f"vocabulary_{i}"].tolist(), np.asarray(stored[f"idf_{i}"], dtype=np.float64))
                    for i, spec in enumerate(settings.features)
                ]
                coef = np.asarray(stored["coef"], dtype=np.float64)
                intercept = np.asarray(stored["intercept"], dtype=np.float64)
        except _NotOurs:
            raise
        except (OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
            # ValueError includes NumPy refusing pickled data: that is never loaded.
            raise ValueError(f"the classifier's artefact cannot be read: {type(exc).__name__}") from exc
        return cls(blocks, [str(c) for c in meta["classes"]], coef, intercept, settings)


class _NotOurs(ValueError):
    """An artefact of another format."""


def _settings_of(document: dict[str, Any]) -> Settings:
    return Settings(
        features=tuple(
            FeatureSpec(
                f["analyzer"], (int(f["ngram_range"][0]), int(f["ngram_range"][1])), f["min_df"], f["max_features"]
            )
            for f in document["features"]
        ),
        regularisation=float(document["regularisation"]),
        balanced=bool(document["balanced"]),
        max_iterations=int(document["max_iterations"]),
    )


def train_text_classifier(
    texts: Sequence[str], labels: Sequence[str], *, settings: Settings | None = None, seed: int = 0
) -> TextClassifier:
    """Fit the features and the regression on these texts and their labels (two classes or more)."""
    settings = settings or Settings()
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ValueError("training needs examples of at least two classes")
    blocks = [_Block.fit(spec, texts) for spec in settings.features]
    features = sparse.csr_matrix(sparse.hstack([block.transform(texts) for block in blocks], format="csr"))
    regression = LogisticRegression(
        C=settings.regularisation,
        class_weight="balanced" if settings.balanced else None,
        max_iter=settings.max_iterations,
        # liblinear converges quickly for two classes; for more, saga was about twice as fast as lbfgs on
        # these sparse features for the same accuracy (HateXplain).
        solver="liblinear" if len(classes) == 2 else "saga",
        random_state=seed,
    )
    regression.fit(features, np.asarray(labels))
    if [str(c) for c in regression.classes_] != classes:  # pragma: no cover - sklearn sorts its classes
        raise ValueError("the classes came back in an unexpected order")
    return TextClassifier(
        blocks,
        classes,
        np.asarray(regression.coef_, dtype=np.float64),
        np.asarray(regression.intercept_, dtype=np.float64),
        settings,
    )
