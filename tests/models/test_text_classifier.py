"""The built-in classifier's artefact: plain arrays, read back to the same scores, and nothing else read."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest

from bastion.models.text_classifier import FeatureSpec, Settings, TextClassifier, train_text_classifier

TEXTS = ["buy cheap followers", "cheap likes for sale", "lovely day at the lake", "the lake was calm"] * 3
LABELS = ["violating", "violating", "not_violating", "not_violating"] * 3
SMALL = Settings(
    features=(FeatureSpec("word", (1, 2), min_df=1, max_features=500), FeatureSpec("char_wb", (2, 4), 1, 2_000))
)


def test_an_artefact_reads_back_to_the_same_scores() -> None:
    trained = train_text_classifier(TEXTS, LABELS, settings=SMALL)
    loaded = TextClassifier.from_bytes(trained.to_bytes())
    probe = ["CHEAP f0llowers!!", "a calm lake", ""]
    assert np.array_equal(loaded.probabilities(probe), trained.probabilities(probe))
    assert loaded.classes == ["not_violating", "violating"] and loaded.settings == SMALL
    assert loaded.probability_of("violating", ["cheap followers"])[0] > 0.5


def test_three_classes_give_a_distribution_per_text() -> None:
    trained = train_text_classifier(TEXTS, [*LABELS[:-3], "other", "other", "other"], settings=SMALL)
    probabilities = trained.probabilities(["cheap likes", "the lake"])
    assert probabilities.shape == (2, 3) and np.allclose(probabilities.sum(axis=1), 1.0)


def test_an_artefact_bastion_did_not_write_is_refused_and_never_unpickled() -> None:
    class Boom:
        def __reduce__(self) -> tuple[object, ...]:
            return (pytest.fail, ("a pickle was run",))

    with pytest.raises(ValueError, match="cannot be read"):
        TextClassifier.from_bytes(pickle.dumps(Boom()))
    smuggled = io.BytesIO()
    np.savez(smuggled, meta=np.array([Boom()], dtype=object))
    with pytest.raises(ValueError, match="cannot be read"):
        TextClassifier.from_bytes(smuggled.getvalue())
    other = io.BytesIO()
    np.savez(other, meta=np.array('{"format": "something-else"}'))
    with pytest.raises(ValueError, match="not a bastion-text-classifier/1 artefact"):
        TextClassifier.from_bytes(other.getvalue())


def test_one_class_cannot_be_trained() -> None:
    with pytest.raises(ValueError, match="at least two classes"):
        train_text_classifier(TEXTS, ["violating"] * len(TEXTS), settings=SMALL)
