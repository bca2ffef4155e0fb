"""QA sampling plans, pure: the draw, the reasons and their priority, the preview, the validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bastion.domain.quality import SampleReason
from bastion.errors import InvalidInput
from bastion.quality.sampling import DecisionFacts, QaPlanSpec, Target, draw, parse_plan, preview, sample_reason

QUEUES = {"general": "review", "qa": "qa", "appeals": "appeal"}
POLICIES = ("hate_speech", "hate_speech.slurs", "spam")
DAY = datetime(2026, 11, 1, 12, tzinfo=UTC)


def _facts(pk: int, **kw: object) -> DecisionFacts:
    base: dict[str, object] = {
        "decision_pk": pk,
        "decided_at": DAY,
        "label": "none",
        "reviewer": "rita",
        "vendor": None,
        "severity": 1,
        "confidence": None,
        "reviewer_decisions_before": 500,
    }
    return DecisionFacts(**(base | kw))  # type: ignore[arg-type]


def test_the_draw_is_uniform_enough_and_the_same_on_every_run() -> None:
    draws = [draw("general", pk) for pk in range(20_000)]
    assert draws == [draw("general", pk) for pk in range(20_000)]
    assert all(0 <= u < 1 for u in draws)
    assert abs(sum(u < 0.1 for u in draws) / len(draws) - 0.1) < 0.01
    assert draw("general", 7) != draw("other", 7)  # keyed by the plan's queue


@given(st.floats(0, 1), st.floats(0, 1), st.integers(1, 10**9))
def test_a_decision_is_sampled_at_the_largest_rate_that_applies(base: float, stratum: float, pk: int) -> None:
    plan = QaPlanSpec("general", "qa", base, {"vendor": {"acme": stratum}})
    facts = _facts(pk, vendor="acme")
    reason = sample_reason(plan, facts)
    assert (reason is not None) == (draw("general", pk) < max(base, stratum))
    if reason is not None:  # the stratum outranks the base rate whenever its rate covers the draw
        assert reason == (SampleReason.STRATUM if draw("general", pk) < stratum else SampleReason.RANDOM)


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        ({"overturned": True, "severity": 4, "confidence": 0.1}, SampleReason.OVERTURNED),
        ({"severity": 4, "confidence": 0.1, "reviewer_decisions_before": 0}, SampleReason.HIGH_SEVERITY),
        ({"severity": 3, "confidence": 0.1, "reviewer_decisions_before": 0}, SampleReason.LOW_CONFIDENCE),
        ({"confidence": 0.9, "reviewer_decisions_before": 49}, SampleReason.NEW_REVIEWER),
        ({"confidence": 0.9, "reviewer_decisions_before": 50, "label": "hate_speech.slurs"}, SampleReason.STRATUM),
        ({"reviewer": "newbie", "label": "spam"}, SampleReason.STRATUM),
        ({"label": "spam"}, None),
        ({"confidence": None, "severity": 3}, None),  # a job opened by reports has no detection confidence
    ],
)
def test_the_highest_priority_reason_that_applies_is_recorded(facts: dict[str, object], reason: str | None) -> None:
    plan = QaPlanSpec(
        "general",
        "qa",
        0.0,
        {"policy_family": {"hate_speech": 1.0}, "reviewer": {"newbie": 1.0}},
        {
            "overturned": Target(1.0),
            "high_severity": Target(1.0, 4),
            "low_confidence": Target(1.0, 0.5),
            "new_reviewer": Target(1.0, 50),
        },
    )
    assert sample_reason(plan, _facts(1, **facts)) == reason


def test_an_inactive_plan_samples_nothing() -> None:
    assert sample_reason(QaPlanSpec("general", "qa", 1.0, active=False), _facts(1)) is None


def test_the_preview_counts_per_day_and_by_reason_with_quiet_days_included() -> None:
    plan = QaPlanSpec("general", "qa", 0.0, {"decision": {"spam": 1.0}}, {"high_severity": Target(1.0, 4)})
    decisions = [
        _facts(1, label="spam"),
        _facts(2, label="spam", severity=4),
        _facts(3),
        _facts(4, label="spam", decided_at=DAY + timedelta(days=1)),
    ]
    days = [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    result = preview(plan, decisions, days)
    assert [(d.day, d.decisions, d.sampled) for d in result.days] == [(days[0], 3, 2), (days[1], 1, 1), (days[2], 0, 0)]
    assert result.days[0].by_reason == {"high_severity": 1, "stratum": 1}
    assert (result.decisions, result.sampled, result.per_day) == (4, 3, 1.0)
    assert result.by_reason["stratum"] == 2 and result.by_reason["random"] == 0


def test_a_valid_plan_is_read_whole() -> None:
    plan = parse_plan(
        {
            "queue": "general",
            "qa_queue": "qa",
            "rate": 0.05,
            "strata": {"decision": {"none": 0.1, "spam": 0.2}, "policy_family": {"hate_speech": 0.3}},
            "targets": {"low_confidence": {"below": 0.6, "rate": 0.5}, "overturned": {"rate": 1}},
        },
        queues=QUEUES,
        policies=POLICIES,
    )
    assert plan.targets == {"low_confidence": Target(0.5, 0.6), "overturned": Target(1.0)}
    assert plan.targets_document() == {"low_confidence": {"rate": 0.5, "below": 0.6}, "overturned": {"rate": 1.0}}
    assert plan.strata_document()["policy_family"] == {"hate_speech": 0.3}


@pytest.mark.parametrize(
    ("document", "path", "message"),
    [
        ({"queue": "nope"}, "queue", "no queue named 'nope' in the review configuration"),
        ({"qa_queue": "appeals"}, "qa_queue", "'appeals' is a queue of kind appeal, not a QA queue (kind: qa)"),
        ({"rate": True}, "rate", "a rate is a number from 0 to 1, got True"),
        ({"strata": {"reviewer": {"rita": 2}}}, "strata.reviewer.rita", "a rate is a number from 0 to 1, got 2"),
        ({"strata": {"policy_family": {"fraud": 0.1}}}, "strata.policy_family.fraud", "no policy family 'fraud': "),
        ({"targets": {"high_severity": {"at_least": 5, "rate": 1}}}, "targets.high_severity.at_least", "1 to 4"),
        ({"targets": {"overturned": {"rate": 1, "below": 0.1}}}, "targets.overturned.below", "is not a field of"),
        ({"extra": 1}, "extra", "is not a field of a QA plan"),
        ({"active": "yes"}, "active", "is true or false, got 'yes'"),
    ],
)
def test_each_problem_names_its_field(document: dict[str, object], path: str, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_plan({"queue": "general", "qa_queue": "qa", "rate": 0.1} | document, queues=QUEUES, policies=POLICIES)
    [problem] = raised.value.errors
    assert problem.path == path and message in problem.message
