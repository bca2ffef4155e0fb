"""Models in detection, on a real store: live scores reach rules and job priority, shadow scores are
stored but never reach a rule, every score is stored once in the batch's transaction."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bastion.auth.principal import SYSTEM
from bastion.clock import FrozenClock
from bastion.detect.pipeline import load_items
from bastion.detect.rule_store import load_rule_text
from bastion.detect.service import detect_for_worker
from bastion.detect.signals import SignalScope
from bastion.detect.worker import DetectionWorker
from bastion.domain.models import ModelKind, ModelMode
from bastion.domain.subjects import IngestKind
from bastion.ingest.service import ingest
from bastion.models.signals import model_signals
from bastion.models.text_classifier import FeatureSpec, Settings, train_text_classifier
from bastion.models.versions import add_version, set_mode
from bastion.store.database import Database
from bastion.store.schema import AuditRecord, ContentItem, DetectionVerdict, Job, ModelScore, RuleHit
from tests.conftest import START

SCAMS = ["send money now to claim prize", "wire cash fee to claim your prize", "claim prize send fee now"] * 4
FINE = ["lovely walk in the park today", "the park was lovely at dawn", "a walk with friends today"] * 4
TINY = Settings(features=(FeatureSpec("word", (1, 1), min_df=1, max_features=1_000),))

RULES = """
rules:
  - name: model-scam
    mode: live
    policy: scams_and_fraud.phishing
    when: 'signals.model.scam_live.available && signals.model.scam_live.score >= 0.5'
    then:
      - enqueue: {queue: scams-spam, priority: 0.1}
  - name: shadow-model-read
    mode: live
    policy: scams_and_fraud.phishing
    when: 'signals.model.scam_shadow.available'
    then:
      - enqueue: {queue: scams-spam}
"""


def _prepare(database: Database, clock: FrozenClock) -> None:
    classifier = train_text_classifier(
        SCAMS + FINE, ["violating"] * len(SCAMS) + ["not_violating"] * len(FINE), settings=TINY
    )
    with database.transaction() as session:
        for name, mode in (("scam_live", ModelMode.LIVE), ("scam_shadow", ModelMode.SHADOW)):
            add_version(
                session, name=name, kind=ModelKind.SKLEARN, policy_id="scams_and_fraud", mode=mode,
                config={"threshold": 0.5}, card={}, principal=SYSTEM.name, now=clock(),
                artefact=classifier.to_bytes(),
            )  # fmt: skip
        load_rule_text(session, RULES, source="rules.yaml", principal=SYSTEM.name, now=clock())
        ingest(
            session, IngestKind.ACTORS, [{"id": "a1", "created_at": (START - timedelta(days=1)).isoformat()}],
            principal=SYSTEM.name, now=clock(),
        )  # fmt: skip
        ingest(
            session,
            IngestKind.CONTENT,
            [
                {"id": "c1", "actor_id": "a1", "type": "post", "text": "claim prize: send money fee now",
                 "created_at": clock().isoformat()},
                {"id": "c2", "actor_id": "a1", "type": "post", "text": "a lovely walk in the park",
                 "created_at": clock().isoformat()},
            ],
            principal=SYSTEM.name,
            now=clock(),
        )  # fmt: skip


def test_live_scores_drive_rules_and_priority_shadow_scores_are_only_stored(
    database: Database, clock: FrozenClock
) -> None:
    _prepare(database, clock)
    worker = DetectionWorker(database, detect_for_worker, clock, batch=10)
    assert worker.run_once() == 2
    with database.transaction() as session:
        scores = {(s.model_version_pk, s.content_pk): s for s in session.scalars(select(ModelScore))}
        assert len(scores) == 4  # both models scored both items, shadow included
        hits = session.scalars(select(RuleHit)).all()
        assert [h.rule_name for h in hits] == ["model-scam"]  # the shadow model is unavailable to rules
        job = session.get_one(Job, hits[0].job_pk)
        live_score = next(
            s.score for s in scores.values() if s.content_pk == hits[0].content_pk and s.verdict == "violating"
        )
        assert live_score > 0.5
        # The job's priority input is the model's score, above the rule's 0.1.
        assert job.priority_terms["confidence_input"] == live_score
        verdict = session.get_one(DetectionVerdict, hits[0].content_pk)
        assert verdict.signals["model"]["scam_live"]["available"] is True
        assert verdict.signals["model"]["scam_shadow"] == {"score": 0.0, "verdict": "", "available": False}


def test_a_mode_change_rebuilds_the_detector_and_is_audited(database: Database, clock: FrozenClock) -> None:
    _prepare(database, clock)
    with database.transaction() as session:
        set_mode(session, "scam_shadow", ModelMode.LIVE, principal="analyst", now=clock())
    worker = DetectionWorker(database, detect_for_worker, clock, batch=10)
    assert worker.run_once() == 2
    with database.transaction() as session:
        assert sorted(h.rule_name for h in session.scalars(select(RuleHit))) == [
            "model-scam",
            "shadow-model-read",
            "shadow-model-read",
        ]
        actions = [r.action for r in session.scalars(select(AuditRecord).where(AuditRecord.action.like("model.%")))]
        assert actions == ["model.add", "model.add", "model.mode"]


def test_an_item_scored_again_keeps_its_first_score(database: Database, clock: FrozenClock) -> None:
    _prepare(database, clock)
    with database.transaction() as session:
        items = load_items(session, list(session.scalars(select(ContentItem.pk).order_by(ContentItem.pk))))
        first = clock()
        model_signals(session)[0].compute(items, SignalScope(session, first))
    clock.advance(timedelta(hours=1))
    with database.transaction() as session:  # detection run twice over the same items: no error, no new row
        model_signals(session)[0].compute(items, SignalScope(session, clock()))
    with database.transaction() as session:
        stored = session.scalars(select(ModelScore)).all()
        assert len(stored) == 4
        assert {s.scored_at for s in stored} == {first}
