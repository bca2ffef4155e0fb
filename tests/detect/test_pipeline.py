"""The detection pipeline on a real store: rules, banks, velocity and labels together, live and shadow,
exactly once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bastion.auth.principal import SYSTEM
from bastion.clock import FrozenClock
from bastion.detect.banks import create_bank, import_entries
from bastion.detect.rule_store import load_rule_text
from bastion.detect.service import detect_for_worker
from bastion.detect.worker import DetectionWorker
from bastion.domain.detect import BankKind
from bastion.domain.subjects import IngestKind
from bastion.ingest.service import ingest
from bastion.store.database import Database
from bastion.store.schema import (
    DetectionQueueItem,
    DetectionVerdict,
    EnforcementAction,
    EntityLabel,
    Job,
    RuleHit,
)
from tests.conftest import START

RULES = """
rules:
  - name: spam-terms-with-link
    owner: spam-team
    mode: live
    policy: spam.commercial_spam
    when: 'signals.keyword.spam_terms.hit && size(content.urls) > 0'
    then:
      - enqueue: {queue: scams-spam, priority: 0.8}
      - label: {entity: actor, label: link-spammer, expires_in: 7d}
  - name: phishing-links
    mode: live
    policy: scams_and_fraud.phishing
    when: 'content.domains.exists(d, d == "gift-claim.example")'
    then:
      - act: {action: remove}
  - name: burst-shadow
    mode: shadow
    policy: spam.fake_engagement
    when: 'signals.velocity.actor_posts_1h >= 3'
    then:
      - enqueue: {queue: scams-spam, priority: 0.5}
"""


def _prepare(database: Database, clock: FrozenClock) -> None:
    with database.transaction() as session:
        create_bank(session, "spam_terms", BankKind.KEYWORD, principal=SYSTEM.name, now=clock())
        import_entries(
            session,
            "spam_terms",
            "free followers\nfollow back\n",
            replace=False,
            principal=SYSTEM.name,
            now=clock(),
            source="test",
        )
        load_rule_text(session, RULES, source="rules.yaml", principal=SYSTEM.name, now=clock())
        ingest(
            session,
            IngestKind.ACTORS,
            [{"id": "a1", "created_at": (START - timedelta(days=1)).isoformat(), "attributes": {"ip": "10.0.0.1"}}],
            principal=SYSTEM.name,
            now=clock(),
        )


def _post(database: Database, clock: FrozenClock, items: list[tuple[str, str]]) -> None:
    with database.transaction() as session:
        ingest(
            session,
            IngestKind.CONTENT,
            [
                {"id": cid, "actor_id": "a1", "type": "post", "text": text, "created_at": clock().isoformat()}
                for cid, text in items
            ],
            principal=SYSTEM.name,
            now=clock(),
        )


def _worker(database: Database, clock: FrozenClock) -> DetectionWorker:
    return DetectionWorker(database, detect_for_worker, clock, batch=2)


def test_live_rules_act_shadow_rules_only_record_and_each_item_is_evaluated_once(
    database: Database, clock: FrozenClock
) -> None:
    _prepare(database, clock)
    _post(
        database,
        clock,
        [
            ("c1", "Get FR3E F0LL0WERS now https://bit.ly/x"),  # spam terms (folded) and a link
            ("c2", "Claim your prize at https://gift-claim.example/r/1"),  # phishing: removed
            ("c3", "just a nice day"),  # third post within the hour: the shadow rule fires
        ],
    )
    worker = _worker(database, clock)
    assert worker.run_once() == 2 and worker.run_once() == 1 and worker.run_once() == 0
    with database.transaction() as session:
        hits = {(h.rule_name, h.content_pk): h for h in session.scalars(select(RuleHit))}
        assert session.scalar(select(func.count()).select_from(DetectionVerdict)) == 3
        assert session.scalar(select(func.count()).select_from(DetectionQueueItem)) == 0
        names = sorted(name for name, _ in hits)
        assert names == ["burst-shadow", "phishing-links", "spam-terms-with-link"]
        spam = next(h for (name, _), h in hits.items() if name == "spam-terms-with-link")
        job = session.get_one(Job, spam.job_pk)
        assert (job.queue, job.rule_id, job.rule_version) == ("scams-spam", "spam-terms-with-link", 1)
        assert job.priority_terms["confidence_input"] == 0.8
        label = session.scalars(select(EntityLabel)).one()
        assert (label.entity_type, label.entity_value, label.label) == ("actor", "a1", "link-spammer")
        assert label.created_by == "rule:spam-terms-with-link@1"
        action = session.scalars(select(EnforcementAction)).one()
        assert (action.action, action.reason, action.created_by) == ("remove", "automated", "rule:phishing-links@1")
        shadow = next(h for (name, _), h in hits.items() if name == "burst-shadow")
        assert shadow.mode == "shadow" and shadow.job_pk is None
        assert shadow.effects == [
            {"enqueue": {"queue": "scams-spam", "policy": "spam.fake_engagement", "priority": 0.5}, "shadow": True}
        ]
        # Only the two live rules made anything: one job, one action.
        assert session.scalar(select(func.count()).select_from(Job)) == 1
        verdict = session.get_one(DetectionVerdict, shadow.content_pk)
        assert verdict.signals["velocity"]["actor_posts_1h"] == 3
    # Nothing queued: running again changes nothing.
    assert worker.run_once() == 0


def test_a_rule_that_fails_on_an_item_is_recorded_and_the_others_still_run(
    database: Database, clock: FrozenClock
) -> None:
    _prepare(database, clock)
    with database.transaction() as session:
        load_rule_text(
            session,
            RULES.replace("mode: shadow", "mode: off")
            + """  - name: reads-a-missing-attribute
    mode: live
    when: 'actor.attributes.verified == true'
    then:
      - enqueue: {queue: general}
""",
            source="rules.yaml",
            principal=SYSTEM.name,
            now=clock(),
        )
    _post(database, clock, [("c1", "free followers at https://x.example/a")])
    _worker(database, clock).run_once()
    with database.transaction() as session:
        verdict = session.scalars(select(DetectionVerdict)).one()
        assert list(verdict.rule_errors) == ["reads-a-missing-attribute"]
        assert verdict.hits == 1


def test_an_escalating_rule_opens_an_escalation_job_with_its_version(database: Database, clock: FrozenClock) -> None:
    _prepare(database, clock)
    with database.transaction() as session:
        load_rule_text(
            session,
            """
rules:
  - name: threat-words
    mode: live
    policy: violence_and_incitement.credible_threats
    when: 'content.text.contains("will hurt")'
    then:
      - escalate: {reason: "a threat against a person"}
""",
            source="rules.yaml",
            principal=SYSTEM.name,
            now=clock(),
        )
    _post(database, clock, [("c1", "I will hurt you tomorrow"), ("c2", "I will help you tomorrow")])
    _worker(database, clock).run_once()
    with database.transaction() as session:
        (hit,) = session.scalars(select(RuleHit))
        job = session.get_one(Job, hit.job_pk)
        assert (job.queue, job.kind, job.rule_id, job.rule_version) == ("escalations", "escalation", "threat-words", 1)
        assert job.policy_hint == "violence_and_incitement.credible_threats"
        assert hit.effects == [
            {
                "escalate": {
                    "policy": "violence_and_incitement.credible_threats",
                    "reason": "a threat against a person",
                },
                "job": job.pk,
                "queue": "escalations",
            }
        ]
