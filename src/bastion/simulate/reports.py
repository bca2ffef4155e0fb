"""User reports: mostly noise, some signal, and a few people abusing the report button.

An impression of an item turns into a report with a small chance that depends on what the item
really is; benign items are so much more numerous that most reported items break no rule.
"""

from __future__ import annotations

import random

from bastion.simulate.policies import (
    BENIGN_REPORT_PER_VIEW,
    FAMILIES,
    FREE_TEXT_REASONS,
    HARMS,
    OFFENSIVE_REPORT_PER_VIEW,
    Harm,
    family_of,
    policy_id,
)

MAX_REPORTS_PER_ITEM = 60
# Share of reports naming the account rather than the item.
ACTOR_TARGET_SHARE = 0.04
# A harassing direct message is reported by its recipient far more often than a public post.
MESSAGE_VICTIM_REPORT = 0.35
REPORT_COMMENTS: tuple[str, ...] = (
    "please take this down",
    "this is clearly a bot",
    "they have been doing this for days",
    "why is this allowed?",
    "report and block",
    "my kids saw this",
    "fake fake fake",
)
_FAMILY_IDS = tuple(policy_id(h) for h in FAMILIES)


def expected_reports(harm: Harm | None, impressions: int, content_type: str, offensive: bool) -> float:
    """Mean number of reports an item gets from its audience."""
    if harm is None:
        per_view = OFFENSIVE_REPORT_PER_VIEW if offensive else BENIGN_REPORT_PER_VIEW
        return impressions * per_view
    family = family_of(harm)
    mean = impressions * HARMS[family].report_per_view
    if content_type == "message" and family in (Harm.HARASSMENT, Harm.SCAMS, Harm.HATE):
        mean += MESSAGE_VICTIM_REPORT
    return mean


def report_reason(rng: random.Random, harm: Harm | None) -> str:
    """What a reporter picks: the right policy, a wrong one, or their own words."""
    draw = rng.random()
    if harm is not None and draw < 0.55:
        return policy_id(family_of(harm))
    if draw < 0.75:
        return _FAMILY_IDS[rng.randrange(len(_FAMILY_IDS))]
    return FREE_TEXT_REASONS[rng.randrange(len(FREE_TEXT_REASONS))]


def report_comment(rng: random.Random) -> str | None:
    """The optional text a reporter adds (a quarter of them do)."""
    if rng.random() < 0.25:
        return REPORT_COMMENTS[rng.randrange(len(REPORT_COMMENTS))]
    return None
