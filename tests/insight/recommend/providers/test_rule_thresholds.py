"""A rule whose hits review keeps finding not violating: raise its threshold, loaded beside it in shadow."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from bastion.auth.principal import SYSTEM
from bastion.auth.users import principal_of
from bastion.clock import FrozenClock
from bastion.detect.rule_store import load_rule_text, rules_in_force
from bastion.detect.service import detect_for_worker
from bastion.detect.worker import DetectionWorker
from bastion.domain.access import Role
from bastion.domain.subjects import IngestKind
from bastion.ingest.service import ingest
from bastion.insight.recommend.model import ActionKind, RecommendationKind
from bastion.insight.recommend.providers import Window
from bastion.insight.recommend.providers.rule_thresholds import rule_candidates, stricter
from bastion.insight.recommend.service import act, recommendations
from bastion.review.claims import claim_next_job
from bastion.review.decisions import Choice, decide
from bastion.store.database import Database
from bastion.store.schema import AuditRecord, User
from tests.conftest import make_user

RULE = """
rules:
  - name: many-links
    description: Posts with links
    owner: spam-team
    mode: live
    policy: spam
    when: 'size(content.urls) >= 1'
    then:
      - enqueue: {queue: general, priority: 0.5}
"""


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("signals.velocity.url_posts_1h >= 5", ("signals.velocity.url_posts_1h >= 7", "5", "7")),
        ("signals.model.spam.score > 0.8", ("signals.model.spam.score > 0.9", "0.8", "0.9")),
        ("size(content.urls) >= 1", ("size(content.urls) >= 2", "1", "2")),
        ('"x" in signals.labels.actor', None),
    ],
)
def test_a_stricter_threshold(when: str, expected: tuple[str, str, str] | None) -> None:
    assert stricter(when) == expected


def _decided_hits(database: Database, clock: FrozenClock, violating: int, not_violating: int) -> None:
    posted = clock() - timedelta(days=1)
    with database.transaction() as session:
        load_rule_text(session, RULE, source="test", principal=SYSTEM.name, now=posted)
        ingest(session, IngestKind.ACTORS, [{"id": "a1", "created_at": posted.isoformat()}], principal="t", now=posted)
        posts = [
            {
                "id": f"p{i}",
                "actor_id": "a1",
                "type": "post",
                "language": "en",
                "text": f"look at https://shop{i}.example/deal",
                "created_at": posted.isoformat(),
            }
            for i in range(violating + not_violating)
        ]
        ingest(session, IngestKind.CONTENT, posts, principal="t", now=posted)
    DetectionWorker(database, detect_for_worker, FrozenClock(posted)).run_once()
    make_user(database, clock, "rita", Role.REVIEWER, languages=("en",))
    with database.transaction() as session:
        rita = principal_of(session.scalars(select(User).where(User.name == "rita")).one(), via="session")
    for n in range(violating + not_violating):
        with database.transaction() as session:
            job = claim_next_job(session, "general", rita, now=posted)
            assert job is not None
            choice = Choice("spam", "remove") if n < violating else Choice("none", "none")
            decide(session, job.pk, rita, choice, now=posted + timedelta(minutes=1))


def test_a_rule_below_the_precision_floor_is_proposed_stricter_and_acted_on_in_shadow(
    database: Database, clock: FrozenClock
) -> None:
    _decided_hits(database, clock, violating=2, not_violating=18)
    (found,) = rule_candidates(database, Window(clock() - timedelta(days=14), clock()))
    assert found.kind is RecommendationKind.RULE_THRESHOLD
    assert found.title == "Raise the threshold of rule many-links from 1 to 2"
    assert found.evidence.figures["precision"] == 0.1
    assert found.impact == pytest.approx(18 / 2)  # 18 not-violating hits over two weeks
    assert found.action is not None and found.action.kind is ActionKind.SHADOW_RULE
    ranked = recommendations(database, now=clock())
    key = next(r.key for r in ranked if r.kind is RecommendationKind.RULE_THRESHOLD)
    done = act(database, key, principal="user:ana", now=clock(), rng=random.Random(1))
    assert done.acted is not None and done.acted.result["rule"] == "many-links-raised"
    with database.transaction() as session:
        rules = {r.name: r for r in rules_in_force(session)}
        assert str(rules["many-links"].mode) == "live" and rules["many-links"].version == 1
        assert str(rules["many-links-raised"].mode) == "shadow"
        assert rules["many-links-raised"].when == "size(content.urls) >= 2"
        actions = set(session.scalars(select(AuditRecord.action)).all())
        assert {"rules.load", "recommendation.act"} <= actions


def test_a_precise_rule_is_left_alone(database: Database, clock: FrozenClock) -> None:
    _decided_hits(database, clock, violating=15, not_violating=3)
    assert rule_candidates(database, Window(clock() - timedelta(days=14), clock())) == []
