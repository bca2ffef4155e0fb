"""How each rule is doing: its hits over time, how often review agreed, how often its items were actioned
and the actions overturned on appeal, and which rules need a look.

Precision is measured against review (`metrics/outcomes.py`): of a rule's hits that review decided, the
share found violating within the rule's policy family (any policy when the rule names none), with its
Wilson 95 % interval. A rule is flagged when it has had no hit for `QUIET_DAYS`, or when its precision
is below the floor with confidence (the interval's upper end under it); a rule with fewer than
`MIN_DECIDED` decided hits is marked as not yet measurable rather than judged.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from bastion.clock import as_utc
from bastion.detect.backtest import Rate, wilson
from bastion.domain.review import AppealStatus
from bastion.domain.subjects import SubjectType
from bastion.errors import NotFound
from bastion.review.outcomes import review_outcomes, same_family
from bastion.store.schema import (
    Appeal,
    ContentItem,
    DetectionQueueItem,
    DetectionVerdict,
    Document,
    EnforcementAction,
    RuleHit,
)

QUIET_DAYS = 30
PRECISION_FLOOR = 0.5
MIN_DECIDED = 10


@dataclass(frozen=True)
class DailyHits:
    day: date
    hits: int


@dataclass(frozen=True)
class RuleFigures:
    name: str
    version: int
    mode: str
    owner: str
    policy: str | None
    hits: int
    hits_in_window: int
    last_hit: datetime | None
    daily: list[DailyHits]  # hits per day of the window, oldest first (by when the items were posted)
    precision: Rate
    actioned: Rate
    overturned: Rate
    flags: list[str]


def rule_figures(
    session: Session,
    rules: Sequence[Any],
    *,
    now: datetime,
    days: int = QUIET_DAYS,
    floor: float = PRECISION_FLOOR,
) -> list[RuleFigures]:
    """The figures of each rule (a stored rule: name, version, mode, owner, policy), from its hits."""
    names = [rule.name for rule in rules]
    hits: dict[str, list[tuple[int, datetime]]] = defaultdict(list)
    for name, content_pk, occurred_at in session.execute(
        select(RuleHit.rule_name, RuleHit.content_pk, RuleHit.occurred_at).where(RuleHit.rule_name.in_(names))
    ):
        hits[str(name)].append((int(content_pk), as_utc(occurred_at)))
    every_item = {pk for rows in hits.values() for pk, _ in rows}
    outcomes = review_outcomes(session, every_item)
    actioned, appealed, overturned = _actions_and_appeals(session, every_item)
    start = (now - timedelta(days=days)).date()
    return [
        _figures(rule, hits.get(rule.name, []), outcomes, actioned, appealed, overturned, now, start, days, floor)
        for rule in rules
    ]


def _figures(
    rule: Any,
    rows: list[tuple[int, datetime]],
    outcomes: dict[int, Any],
    actioned: set[int],
    appealed: set[int],
    overturned: set[int],
    now: datetime,
    start: date,
    days: int,
    floor: float,
) -> RuleFigures:
    items = {pk for pk, _ in rows}
    decided = [outcomes[pk] for pk in items if pk in outcomes]
    violating = sum(1 for outcome in decided if same_family(outcome.policy_id, rule.policy))
    precision = wilson(violating, len(decided))
    per_day = Counter(moment.date() for _, moment in rows if moment.date() >= start)
    daily = [DailyHits(day, per_day.get(day, 0)) for day in (start + timedelta(days=n) for n in range(days + 1))]
    last = max((moment for _, moment in rows), default=None)
    flags = []
    if last is None or last < now - timedelta(days=days):
        flags.append(f"no hits in {days} days")
    if len(decided) < MIN_DECIDED:
        flags.append(f"too few decided hits to judge precision ({len(decided)} of {MIN_DECIDED})")
    elif precision.high is not None and precision.high < floor:
        flags.append(f"precision below {floor:.0%} (95 % interval up to {precision.high:.0%})")
    item_actioned = items & actioned
    item_appealed = item_actioned & appealed
    return RuleFigures(
        rule.name,
        rule.version,
        str(rule.mode),
        rule.owner,
        rule.policy,
        len(rows),
        sum(per_day.values()),
        last,
        daily,
        precision,
        wilson(len(item_actioned), len(items)),
        wilson(len(item_appealed & overturned), len(item_appealed)),
        flags,
    )


def _actions_and_appeals(session: Session, content_pks: set[int]) -> tuple[set[int], set[int], set[int]]:
    """Of these items: those actioned (an action not cancelled), those whose action was appealed and
    decided, and those whose action was overturned."""
    actioned: set[int] = set()
    appealed: set[int] = set()
    overturned: set[int] = set()
    pks = sorted(content_pks)
    for begin in range(0, len(pks), 5_000):
        chunk = pks[begin : begin + 5_000]
        rows = session.execute(
            select(EnforcementAction.subject_pk, Appeal.status)
            .outerjoin(Appeal, Appeal.action_pk == EnforcementAction.pk)
            .where(
                EnforcementAction.subject_type == SubjectType.CONTENT.value,
                EnforcementAction.subject_pk.in_(chunk),
                EnforcementAction.cancelled_at.is_(None),
                EnforcementAction.reverses_pk.is_(None),
            )
        )
        for subject_pk, status in rows:
            actioned.add(int(subject_pk))
            if status in (AppealStatus.UPHELD.value, AppealStatus.OVERTURNED.value):
                appealed.add(int(subject_pk))
            if status == AppealStatus.OVERTURNED.value:
                overturned.add(int(subject_pk))
    return actioned, appealed, overturned


@dataclass(frozen=True)
class DetectionOverview:
    """The detection page: every rule in force with its figures, and the pipeline's own state."""

    generated_at: datetime
    window_days: int
    precision_floor: float
    waiting: int  # items queued for detection
    evaluated: int  # items evaluated in the window
    failed_rules: int  # items on which at least one rule failed, in the window
    rules: list[RuleFigures]


def detection_overview(
    session: Session, rules: Sequence[Any], *, now: datetime, days: int = QUIET_DAYS, floor: float = PRECISION_FLOOR
) -> DetectionOverview:
    since = now - timedelta(days=days)
    evaluated = session.scalar(
        select(func.count()).select_from(DetectionVerdict).where(DetectionVerdict.evaluated_at >= since)
    )
    failed = session.scalar(
        select(func.count())
        .select_from(DetectionVerdict)
        .where(DetectionVerdict.evaluated_at >= since, DetectionVerdict.rule_errors != literal({}, Document))
    )
    waiting = session.scalar(select(func.count()).select_from(DetectionQueueItem))
    figures = rule_figures(session, rules, now=now, days=days, floor=floor)
    return DetectionOverview(now, days, floor, int(waiting or 0), int(evaluated or 0), int(failed or 0), figures)


@dataclass(frozen=True)
class RulePage:
    """One rule: its figures and every version it had, newest first."""

    figures: RuleFigures
    versions: list[Any]  # stored rules, newest first


def rule_page(session: Session, name: str, *, now: datetime, days: int = QUIET_DAYS) -> RulePage:
    from bastion.detect.rule_store import rule_history

    versions = sorted(rule_history(session, name), key=lambda stored: -stored.version)
    if not versions:
        raise NotFound(f"no rule named {name!r}")
    (figures,) = rule_figures(session, [versions[0]], now=now, days=days)
    return RulePage(figures, versions)


@dataclass(frozen=True)
class HitRow:
    content_id: str
    occurred_at: datetime
    hit_at: datetime
    version: int
    mode: str
    effects: list[dict[str, Any]]
    job_pk: int | None
    outcome: str  # violating, not violating, overturned on appeal, or undecided


def recent_hits(session: Session, name: str, *, limit: int = 100) -> list[HitRow]:
    """The rule's latest hits (by when the items were posted), with what review found."""
    rows = session.execute(
        select(RuleHit, ContentItem.external_id)
        .join(ContentItem, ContentItem.pk == RuleHit.content_pk)
        .where(RuleHit.rule_name == name)
        .order_by(RuleHit.occurred_at.desc(), RuleHit.pk.desc())
        .limit(limit)
    ).all()
    outcomes = review_outcomes(session, {hit.content_pk for hit, _ in rows})
    found = []
    for hit, external_id in rows:
        outcome = outcomes.get(hit.content_pk)
        if outcome is None:
            verdict = "undecided"
        elif outcome.overturned:
            verdict = "overturned on appeal"
        else:
            verdict = "violating" if outcome.violating else "not violating"
        found.append(
            HitRow(
                str(external_id),
                hit.occurred_at,
                hit.hit_at,
                hit.rule_version,
                hit.mode,
                list(hit.effects),
                hit.job_pk,
                verdict,
            )
        )
    return found
