"""Recommendations: gathered from every provider over a window, ranked, and acted on.

`recommendations` runs the providers over the window (the quality report is made once and shared by the
two providers that read it), ranks the candidates (`ranking.py`) and marks those someone acted on
(`recommendation_actions`). `act` carries one out (`actions.py`) in one transaction with its audit row
and its `recommendation_actions` row: all three are written, or none.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.clock import as_utc
from bastion.errors import Conflict, FieldError, InvalidInput, NotFound
from bastion.insight.recommend.actions import carry_out
from bastion.insight.recommend.model import DEFAULT_DAYS, MAX_DAYS, ActedOn, Candidate, Recommendation
from bastion.insight.recommend.providers import Window
from bastion.insight.recommend.providers.calibration import candidates_of
from bastion.insight.recommend.providers.mass_reporting import mass_reporting_candidates
from bastion.insight.recommend.providers.policy_clarity import clarity_candidates
from bastion.insight.recommend.providers.rule_thresholds import rule_candidates
from bastion.insight.recommend.providers.staffing import staffing_candidates
from bastion.insight.recommend.providers.trends import trend_candidates
from bastion.insight.recommend.ranking import rank
from bastion.quality.engine import quality_report
from bastion.store.database import Database
from bastion.store.schema.insight import RecommendationAction


def window_of(now: datetime, days: int = DEFAULT_DAYS) -> Window:
    """The `days` days up to `now`."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput("the window is not valid", [FieldError("days", f"between 1 and {MAX_DAYS}, not {days}")])
    end = as_utc(now)
    return Window(end - timedelta(days=days), end)


def candidates(database: Database, window: Window) -> list[Candidate]:
    """Every provider's candidates over the window."""
    report = quality_report(database, now=window.end, since=window.start)
    found: list[Candidate] = []
    found += staffing_candidates(database, window)
    found += candidates_of(report, window)
    found += clarity_candidates(report, window)
    found += mass_reporting_candidates(database, window)
    found += rule_candidates(database, window)
    found += trend_candidates(database, window)
    return found


def recommendations(database: Database, *, now: datetime, days: int = DEFAULT_DAYS) -> list[Recommendation]:
    """The ranked recommendations of the `days` days up to `now`, each marked if acted on."""
    window = window_of(now, days)
    found = candidates(database, window)
    with database.transaction() as session:
        acted = acted_on(session, [c.key for c in found])
    return rank(found, acted)


def recommendation(database: Database, key: str, *, now: datetime, days: int = DEFAULT_DAYS) -> Recommendation:
    """One recommendation by its key; NotFound when the window's figures do not make it."""
    for found in recommendations(database, now=now, days=days):
        if found.key == key:
            return found
    raise NotFound(f"no recommendation {key[:255]!r} in the last {days} days")


def acted_on(session: Session, keys: Sequence[str]) -> dict[str, ActedOn]:
    """The latest action on each of these keys."""
    rows = session.scalars(
        select(RecommendationAction)
        .where(RecommendationAction.key.in_(list(keys)))
        .order_by(RecommendationAction.acted_at, RecommendationAction.pk)
    ).all()
    return {row.key: ActedOn(row.acted_by, as_utc(row.acted_at).isoformat(), dict(row.result)) for row in rows}


def act(
    database: Database, key: str, *, principal: str, now: datetime, rng: random.Random, days: int = DEFAULT_DAYS
) -> Recommendation:
    """Carry out the recommendation's action, audited and remembered; the recommendation, now acted on.

    Raises NotFound for an unknown key, InvalidInput when it has nothing to carry out, and Conflict when it
    was already acted on."""
    found = recommendation(database, key, now=now, days=days)
    if found.action is None:
        raise InvalidInput(f"the recommendation {key!r} has no action to carry out: it asks a person to look")
    if found.acted is not None:
        raise Conflict(f"the recommendation {key!r} was already acted on by {found.acted.by} at {found.acted.at}")
    with database.transaction() as session:
        if acted_on(session, [key]):
            raise Conflict(f"the recommendation {key!r} was acted on at the same time")
        result = carry_out(session, found, principal=principal, now=now, rng=rng)
        session.add(
            RecommendationAction(
                key=key, kind=found.kind.value, result=result, acted_by=principal[:128], acted_at=as_utc(now)
            )
        )
        audit_log.record(
            session,
            principal=principal,
            action="recommendation.act",
            target=f"recommendation:{key}",
            at=now,
            details={"kind": found.kind.value, "action": found.action.kind.value, "result": result},
        )
    return replace(found, acted=ActedOn(principal[:128], as_utc(now).isoformat(), result))
