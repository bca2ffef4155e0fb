"""Training the built-in classifier from reviewers' decisions in a real store; its card and its refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bastion.clock import FrozenClock
from bastion.errors import InvalidInput
from bastion.models.signals import CLASSIFIERS, model_in_force
from bastion.models.text_classifier import FeatureSpec, Settings
from bastion.models.training import train_classifier, training_examples
from bastion.store.database import Database
from bastion.store.schema import AuditRecord
from tests.models.decided import decided_store

TINY = Settings(features=(FeatureSpec("word", (1, 2), min_df=1, max_features=2_000),))


def test_a_classifier_trained_from_decisions_has_a_card_and_scores_like_them(
    database: Database, clock: FrozenClock
) -> None:
    truth = decided_store(database, clock)
    assert sum(truth.values()) == 15 and len(truth) == 30
    with database.transaction() as session:
        examples = training_examples(session, "spam")
        assert len(examples) == 30 and sum(e.violating for e in examples) == 15
        assert training_examples(session, "hate_speech") == [e for e in examples if not e.violating]
        row = train_classifier(session, "spam", principal="analyst", now=clock(), settings=TINY)
        assert (row.name, row.version, row.kind, row.mode) == ("spam", 1, "sklearn", "shadow")
        card = row.card
        assert card["data"]["violating"] == 15 and card["data"]["not_violating"] == 15
        assert card["data"]["split"] == {"fit": 18, "threshold": 6, "held_out": 6}
        assert card["held_out"]["count"] == 6 and card["held_out"]["f1"] == 1.0  # the two kinds are easy apart
        assert 0 < card["threshold"] < 1 and card["known_gaps"]
        classifier = CLASSIFIERS.get(session, model_in_force(row))
        scores = classifier.probability_of("violating", ["buy cheap followers", "soup with my cat"])
        assert scores[0] > card["threshold"] > scores[1]
        again = train_classifier(session, "spam", principal="analyst", now=clock(), settings=TINY)
        assert again.version == 2 and row.retired_at == clock()
    with database.transaction() as session:
        audit = session.scalars(select(AuditRecord.target).where(AuditRecord.action == "model.add")).all()
        assert audit == ["model:spam@1", "model:spam@2"]


def test_training_refuses_too_few_decisions_and_an_unknown_policy(database: Database, clock: FrozenClock) -> None:
    decided_store(database, clock, per_class=6)
    with database.transaction() as session:
        with pytest.raises(InvalidInput) as refused:
            train_classifier(session, "spam", principal="analyst", now=clock(), settings=TINY)
        assert "spam has 6 items decided violating and 6 decided not violating" in str(refused.value)
        with pytest.raises(InvalidInput, match="no live policy 'no_such'"):
            train_classifier(session, "no_such", principal="analyst", now=clock())
        with pytest.raises(InvalidInput, match="must be 1 to 64 lower-case"):
            train_classifier(session, "spam", name="Bad Name", principal="analyst", now=clock())
