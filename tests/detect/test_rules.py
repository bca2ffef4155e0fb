"""The rule model: durations, effects' documents, digests that follow meaning, not typing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.detect.rules import (
    Effect,
    RuleSet,
    digest_of,
    format_duration,
    make_rule,
    parse_duration,
    rule_from_document,
)
from bastion.domain.detect import EffectKind, EntityType, RuleMode

ENQUEUE = Effect(EffectKind.ENQUEUE, queue="scams-spam", policy="spam", confidence=0.8)
ACT = Effect(EffectKind.ACT, action="remove", policy="spam.commercial_spam")
LABEL = Effect(EffectKind.LABEL, entity=EntityType.ACTOR, label="suspected-spammer", expires_in=timedelta(days=7))
ESCALATE = Effect(EffectKind.ESCALATE, policy="violence_and_incitement.credible_threats", reason="threat")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("7d", timedelta(days=7)),
        ("none", None),
        ("3650d", timedelta(days=3650)),
    ],
)
def test_durations_read(text: str, expected: timedelta | None) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "7", "0d", "-1d", "7 d", "7D", "1w", "1.5h", "never", "3651d", "d"])
def test_bad_durations_say_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match=r"30m, 12h or 7d|at most 3650d"):
        parse_duration(text)


@given(st.integers(min_value=1, max_value=3650 * 24 * 60))
def test_a_duration_written_canonically_reads_back(minutes: int) -> None:
    value = timedelta(minutes=minutes)
    assert parse_duration(format_duration(value)) == value


def test_the_canonical_duration_uses_the_largest_unit() -> None:
    assert format_duration(timedelta(hours=24)) == "1d"
    assert format_duration(timedelta(minutes=90)) == "90m"
    assert format_duration(None) == "none"


def test_effects_are_written_as_the_file_writes_them() -> None:
    assert ENQUEUE.document() == {"enqueue": {"queue": "scams-spam", "policy": "spam", "priority": 0.8}}
    assert ACT.document() == {"act": {"action": "remove", "policy": "spam.commercial_spam"}}
    assert LABEL.document() == {"label": {"entity": "actor", "label": "suspected-spammer", "expires_in": "7d"}}
    assert ESCALATE.document() == {
        "escalate": {"policy": "violence_and_incitement.credible_threats", "reason": "threat"}
    }
    never = Effect(EffectKind.LABEL, entity=EntityType.IP, label="proxy")
    assert never.document() == {"label": {"entity": "ip", "label": "proxy", "expires_in": "none"}}


def test_a_rule_reads_back_from_its_document_with_the_same_digest() -> None:
    rule = make_rule(
        "burst",
        when="signals.velocity.actor_posts_1h > 20",
        then=(ENQUEUE, ACT, LABEL, ESCALATE),
        mode=RuleMode.LIVE,
        policy="spam.commercial_spam",
        description="Bursts",
        owner="spam-team",
    )
    again = rule_from_document(rule.document())
    assert again == rule
    assert rule.digest == digest_of(rule.document())
    assert len(rule.digest) == 64


def test_the_digest_changes_with_every_part_of_the_rule() -> None:
    base = make_rule("r", when="true", then=(ENQUEUE,), mode=RuleMode.SHADOW, policy="spam", owner="o")
    variants = [
        make_rule("r2", when="true", then=(ENQUEUE,), mode=RuleMode.SHADOW, policy="spam", owner="o"),
        make_rule("r", when="false", then=(ENQUEUE,), mode=RuleMode.SHADOW, policy="spam", owner="o"),
        make_rule("r", when="true", then=(ACT,), mode=RuleMode.SHADOW, policy="spam", owner="o"),
        make_rule("r", when="true", then=(ENQUEUE,), mode=RuleMode.LIVE, policy="spam", owner="o"),
        make_rule("r", when="true", then=(ENQUEUE,), mode=RuleMode.SHADOW, policy=None, owner="o"),
        make_rule("r", when="true", then=(ENQUEUE,), mode=RuleMode.SHADOW, policy="spam", owner="p"),
        make_rule("r", when="true", then=(ENQUEUE,), mode=RuleMode.SHADOW, policy="spam", owner="o", description="d"),
    ]
    assert len({base.digest, *(v.digest for v in variants)}) == len(variants) + 1


def test_an_effect_without_a_policy_takes_the_rules() -> None:
    document = {
        "name": "r",
        "mode": "live",
        "policy": "spam",
        "when": "true",
        "then": [{"enqueue": {"queue": "general"}}, {"act": {"action": "remove"}}, {"escalate": {}}],
    }
    rule = rule_from_document(document)
    assert [effect.policy for effect in rule.then] == ["spam", "spam", "spam"]


def test_the_confidence_is_the_highest_enqueue_priority() -> None:
    low = Effect(EffectKind.ENQUEUE, queue="general", confidence=0.3)
    assert make_rule("r", when="true", then=(low, ENQUEUE, ACT)).confidence == 0.8
    assert make_rule("r", when="true", then=(ACT, LABEL)).confidence is None
    unset = Effect(EffectKind.ENQUEUE, queue="general")
    assert make_rule("r", when="true", then=(unset,)).confidence is None


def test_a_rule_set_finds_its_rules_by_name() -> None:
    one, two = make_rule("one", when="true"), make_rule("two", when="false")
    assert RuleSet((one, two), "rules.yaml").by_name() == {"one": one, "two": two}
