"""The rule engine: compiled once, run per item; a failing or slow rule is recorded and skipped."""

from __future__ import annotations

from dataclasses import dataclass

from bastion.detect.engine import Engine
from bastion.detect.fields import context_fields
from bastion.domain.detect import RuleMode

FIELDS = context_fields(keyword_banks=["spam_terms"])


@dataclass(frozen=True)
class R:
    name: str
    when: str
    mode: RuleMode = RuleMode.LIVE


def test_rules_that_match_are_reported_by_position() -> None:
    engine = Engine(
        [
            R("young", "actor.account_age_days < 2"),
            R("links", 'content.text.contains("http")'),
            R("terms", "signals.keyword.spam_terms.hit"),
        ],
        FIELDS,
    )
    assert engine.leaves == {
        ("actor", "account_age_days"),
        ("content", "text"),
        ("signals", "keyword", "spam_terms", "hit"),
    }
    variables = {"actor__account_age_days": 1.5, "content__text": "plain", "signals__keyword__spam_terms__hit": True}
    outcome = engine.run(variables)
    assert outcome.hits == (0, 2)
    assert outcome.failures == {}


def test_rules_off_are_left_out_and_broken_rules_are_named() -> None:
    engine = Engine(
        [R("off", "true", RuleMode.OFF), R("broken", "1 +* 2"), R("shadowing", "content.urls.exists(content, true)")],
        FIELDS,
    )
    assert engine.rules == []
    assert set(engine.broken) == {"broken", "shadowing"}
    assert "Syntax error" in engine.broken["broken"]


def test_a_rule_that_fails_is_recorded_and_the_others_still_run() -> None:
    engine = Engine(
        [
            R("missing", "actor.attributes.verified == true"),
            R("wrong-type", '"text"'),
            R("fine", "actor.account_age_days > 1"),
        ],
        FIELDS,
    )
    outcome = engine.run({"actor__attributes": {}, "actor__account_age_days": 3.0})
    assert outcome.hits == (2,)
    assert outcome.failures["missing"].startswith("error:")
    assert "not true or false" in outcome.failures["wrong-type"]


def test_a_rule_over_its_time_budget_is_recorded_and_its_answer_discarded() -> None:
    heavy = "[" + ", ".join(["1"] * 2000) + "].map(x, x * 2).filter(y, y > 0).size() > 0"
    engine = Engine([R("slow", heavy), R("fast", "true")], FIELDS, budget_ms=0.001)
    outcome = engine.run({})
    assert outcome.failures["slow"].startswith("timeout:")
    assert 0 not in outcome.hits
