"""Simulated appeals: actioned accounts contest a share of actions, and reviewers re-decide them.

The simulated truth knows whether an action was justified, so it can make wrongly actioned people
appeal more often, as they do. The appeal goes through `bastion.review.appeals.file_appeal`, the
service the API uses; the reviewer who re-decides it draws on their planted accuracy like any other.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from bastion.errors import Conflict
from bastion.review.appeals import AppealRequest, file_appeal
from bastion.review.decisions import Choice
from bastion.simulate.writer import PRINCIPAL
from bastion.store.database import Database

# Share of actions the affected account appeals: most people accept a fair removal, many contest a wrong one.
APPEAL_SHARE_JUSTIFIED = 0.15
APPEAL_SHARE_UNJUSTIFIED = 0.60
# How long after the action the appeal comes in: log-normal, a median of six hours.
APPEAL_DELAY_MEDIAN_HOURS = 6.0
APPEAL_DELAY_SPREAD = 1.0
MIN_APPEAL_DELAY = timedelta(minutes=10)

APPEAL_TEXTS: tuple[str, ...] = (
    "I did not break any rule.",
    "This was a joke between friends, nobody was attacked.",
    "You removed the wrong post.",
    "I was quoting this to criticise it.",
    "Please look again: this is news reporting.",
    "People who disagree with me keep reporting my posts.",
    "It is a normal listing, I sell this legally.",
    "Nothing in this post is false, here are my sources.",
)
_UPHOLD_RATIONALES: tuple[str, ...] = (
    "original decision stands: the content matches the policy",
    "upheld: the appeal gives no new context",
    "upheld: clear violation on second look",
)
_OVERTURN_RATIONALES: tuple[str, ...] = (
    "overturned: the content does not violate the policy",
    "overturned: quoting or counter-speech, not an attack",
    "overturned: the original reviewer misread the context",
)


def appeal_chance(justified: bool) -> float:
    """The chance the affected account appeals an action, knowing whether it was justified."""
    return APPEAL_SHARE_JUSTIFIED if justified else APPEAL_SHARE_UNJUSTIFIED


def appeal_delay(rng: random.Random) -> timedelta:
    """How long after an action its appeal is filed."""
    hours = APPEAL_DELAY_MEDIAN_HOURS * math.exp(APPEAL_DELAY_SPREAD * rng.gauss(0.0, 1.0))
    return max(MIN_APPEAL_DELAY, timedelta(hours=hours))


def appeal_id(action_pk: int) -> str:
    """The platform's id for the appeal of an action: one appeal per action, so filing twice is a no-op."""
    return f"sim-appeal-{action_pk}"


def file_simulated_appeal(database: Database, rng: random.Random, action_pk: int, *, now: datetime) -> bool:
    """File the appeal of one action through the appeals service, as the platform's API call would.

    Returns False when the action can no longer be appealed (it was reversed in the meantime).
    """
    request = AppealRequest(appeal_id(action_pk), action_pk, rng.choice(APPEAL_TEXTS), now)
    try:
        with database.transaction() as session:
            _, created = file_appeal(session, request, now=now, principal=PRINCIPAL)
    except Conflict:
        return False
    return created


def appeal_choice(rng: random.Random, accuracy: float, justified: bool, policy: str | None) -> tuple[Choice, bool]:
    """A reviewer's verdict on an appeal and whether it is right: with `accuracy`, uphold a justified
    action and overturn an unjustified one; otherwise the reverse."""
    correct = rng.random() < accuracy
    uphold = justified == correct
    rationale = rng.choice(_UPHOLD_RATIONALES if uphold else _OVERTURN_RATIONALES)
    return Choice(policy or "none", "uphold" if uphold else "overturn", rationale), correct
