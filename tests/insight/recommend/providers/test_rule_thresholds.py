"""A rule whose hits review keeps finding not violating: raise its threshold, loaded beside it in shadow."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from bastion.clock import FrozenClock
from bastion.detect.rule_store import rules_in_force
from bastion.insight.recommend.model import ActionKind, RecommendationKind
from bastion.insight.recommend.providers import Window
from bastion.insight.recommend.providers.rule_thresholds import rule_candidates, stricter
from bastion.insight.recommend.service import act, recommendations
from bastion.store.database import Database
from bastion.store.schema import AuditRecord
from tests.insight.recommend.decided import decided_posts

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
    texts = [f"look at https://shop{i}.example/deal" for i in range(violating + not_violating)]
    decided_posts(database, clock, rules=RULE, texts=texts, violating=violating, posted=clock() - timedelta(days=1))


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
