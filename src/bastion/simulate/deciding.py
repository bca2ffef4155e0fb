"""How a simulated reviewer decides: pure and seeded, no database, no clock.

A reviewer is right with their planted accuracy for the item's true policy (for an item that breaks
no rule, for the policy it was reported under). A wrong answer is a plausible one: a false positive
under the reported policy, a miss, or a look-alike policy. Shifts, handle times and the action taken
under a policy are drawn here too, so the review floor only has to run them through the services.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from datetime import datetime, timedelta

from bastion.domain.policy import harm_type
from bastion.policy.service import PolicyRecord
from bastion.review.decisions import NO_ACTION, NO_VIOLATION, Choice
from bastion.simulate.policies import FAMILIES, policy_id
from bastion.simulate.records import ContentTruth
from bastion.simulate.threats import THREAT_POLICY
from bastion.simulate.workforce import HandleTime, Shift, SimulatedReviewer

SIMULATED_POLICIES: tuple[str, ...] = tuple(policy_id(harm) for harm in FAMILIES)
# Mistakes on violating items: this share says "no violation", the rest name a look-alike policy.
MISS_SHARE = 0.5
CONFUSED_WITH: dict[str, str] = {
    "hate_speech": "harassment_and_bullying",
    "harassment_and_bullying": "hate_speech",
    "spam": "scams_and_fraud",
    "scams_and_fraud": "spam",
    "regulated_goods": "scams_and_fraud",
    "harmful_misinformation": "spam",
}
# Other actions than `remove`, tried in order with these chances when the policy allows them.
ALTERNATIVE_ACTIONS: dict[str, tuple[tuple[str, float], ...]] = {
    "harmful_misinformation": (("label", 0.6),),
    "adult_nudity_and_sexual_activity": (("age_restrict", 0.3),),
    "suicide_and_self_harm": (("label", 0.2),),
}
STRIKE_SHARE = 0.1
# Share of truly violating items a reviewer escalates instead of deciding, by the policy's severity.
ESCALATION_SHARE: dict[int, float] = {3: 0.02, 4: 0.10}
HANDLE_SECONDS = (5.0, 1_800.0)
_VIOLATION_RATIONALES = (
    "matches the policy guidance",
    "clear attack on the person targeted",
    "the text and the report agree",
    "repeated pattern from this account",
)
_NO_VIOLATION_RATIONALES = (
    "allowed speech: rude but no attack",
    "the report looks mistaken",
    "counter-speech, not a violation",
    "nothing in the content breaks a rule",
)
Label = ContentTruth | str | None


def label_policy(label: Label) -> str | None:
    """The violated policy a hidden label names (None: the item breaks no rule)."""
    return label.policy if isinstance(label, ContentTruth) else label


def justified_by(policy: str | None, truth: str | None) -> bool:
    """Whether an action under `policy` was right for an item whose true policy is `truth`."""
    return policy is not None and truth is not None and harm_type(policy) == harm_type(truth)


def planted_accuracy(reviewer: SimulatedReviewer, truth: str | None, hint: str | None) -> float:
    """The chance this reviewer gets a job right: their accuracy for the true policy or, on an item that
    breaks no rule, for the policy it was reported under (the average of their policies without one)."""
    return reviewer.accuracy_for(truth or hint or "")


def shift_bounds(shift: Shift, moment: datetime) -> tuple[datetime, datetime]:
    """The shift under way at `moment`, or else the next one. Shifts start on weekdays (UTC)."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    while True:
        start = day + timedelta(hours=shift.start_hour)
        end = start + timedelta(hours=shift.hours)
        if start.weekday() < 5 and moment < end:
            return start, end
        day += timedelta(days=1)


def escalates(rng: random.Random, truth: PolicyRecord | None) -> bool:
    """Whether a reviewer sends a truly violating item to the escalation queue instead of deciding it: a
    credible threat always (drawing nothing, so the other items' draws stay as they were)."""
    if truth is not None and truth.policy.id == THREAT_POLICY:
        return True
    return truth is not None and rng.random() < ESCALATION_SHARE.get(truth.policy.severity, 0.0)


def handle_seconds(rng: random.Random, handle: HandleTime) -> float:
    """A handle time drawn from the reviewer's log-normal distribution."""
    seconds = handle.median_seconds * math.exp(handle.spread * rng.gauss(0.0, 1.0))
    return min(HANDLE_SECONDS[1], max(HANDLE_SECONDS[0], seconds))


def action_for(rng: random.Random, record: PolicyRecord) -> str:
    """The action a reviewer takes under a policy: mostly `remove`, sometimes what the policy suggests."""
    allowed = {action.value for action in record.policy.allowed_actions}
    for action, share in ALTERNATIVE_ACTIONS.get(harm_type(record.policy.id), ()):
        if action in allowed and rng.random() < share:
            return action
    if "strike" in allowed and rng.random() < STRIKE_SHARE:
        return "strike"
    return "remove" if "remove" in allowed else sorted(allowed - {"escalate"})[0]


def review_choice(
    rng: random.Random,
    reviewer: SimulatedReviewer,
    truth: str | None,
    hint: str | None,
    policies: Mapping[str, PolicyRecord],
    *,
    rationale: bool,
) -> tuple[Choice, bool]:
    """What a simulated reviewer decides on a job, and whether it is right.

    Right with their planted accuracy: the true policy, or "none". Wrong otherwise: a false positive
    (the reported policy) on an item that breaks no rule; a miss or a look-alike policy on one that does.
    """
    correct = rng.random() < planted_accuracy(reviewer, truth, hint)
    chosen: str | None
    if correct:
        chosen = truth
    elif truth is None:
        chosen = harm_type(hint) if hint and harm_type(hint) in policies else rng.choice(SIMULATED_POLICIES)
    elif rng.random() < MISS_SHARE:
        chosen = None
    else:
        others = [p for p in SIMULATED_POLICIES if p != harm_type(truth)]
        chosen = CONFUSED_WITH.get(harm_type(truth)) or rng.choice(others)
    if chosen is None:
        why = f"no violation: {rng.choice(_NO_VIOLATION_RATIONALES)}" if rationale else ""
        return Choice(NO_VIOLATION, NO_ACTION, why), correct
    why = f"{chosen}: {rng.choice(_VIOLATION_RATIONALES)}" if rationale else ""
    return Choice(chosen, action_for(rng, policies[chosen]), why), correct
