"""Staff a queue: language queues whose reviewers cannot keep up with their work, and how many more it takes.

Per language of the review, escalation and appeal jobs created in the window:
- **inflow**: jobs per hour (`λ`), and at the busiest hour of the day (the mean of that hour across days);
- **handle time**: the mean `seconds_spent` of the decisions on those jobs (`h`);
- **capacity**: the hours eligible reviewers were on shift, read from their decisions (a reviewer's day on
  shift runs from their first decision to an hour after their last, at most `LONGEST_SHIFT_HOURS`), each
  reviewer's hours split evenly across the languages they read, as a share of all reviewers' hours;
  **demand** is the language's share of the work (jobs × handle time);
- **SLA attainment**: of its jobs already due, the share decided by the deadline, with a Wilson interval.

A language is under-staffed when its capacity share is under half its demand share (`UNDER_STAFFED`).
Erlang C (`erlang.py`) then sizes the team on duty: the fewest reviewers that start 90 % of the busiest
hour's jobs within `FIRST_LOOK` — checked by running that queue job by job (`queue_simulation.py`) with
the handle times observed in the store. Covering the day takes that many reviewers on each of three
shifts; those already reading the language count against it.

**Impact** (items per week): the SLA breaches a week that staffing would avoid — the week's jobs times the
gap between the target attainment and the attainment observed (none when it is met), plus the jobs a week
that arrive while no eligible reviewer is on shift and so wait for the next shift's first look.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from statistics import mean

from sqlalchemy import select

from bastion.clock import as_utc
from bastion.detect.backtest import wilson
from bastion.domain.access import Role
from bastion.domain.review import JobKind
from bastion.insight.recommend.erlang import reviewers_needed
from bastion.insight.recommend.model import Candidate, Evidence, Point, RecommendationKind
from bastion.insight.recommend.providers import Window
from bastion.insight.recommend.queue_simulation import observed, simulate_queue
from bastion.store.database import Database
from bastion.store.schema import Decision, Job, User

UNDER_STAFFED = 0.5  # capacity share under this times the demand share
TARGET_ATTAINMENT = 0.9
FIRST_LOOK_SECONDS = 3600.0  # the busiest hour's jobs looked at within the hour
SHIFTS_A_DAY = 3
LONGEST_SHIFT_HOURS = 12
_KINDS = (JobKind.REVIEW.value, JobKind.ESCALATION.value, JobKind.APPEAL.value)
_REVIEWING_ROLES = {Role.REVIEWER.value, Role.VENDOR_REVIEWER.value, Role.ADMIN.value}  # not QA: it re-reviews
_Row = tuple[int, datetime, datetime, datetime | None]  # job pk, created, due, decided


def staffing_candidates(database: Database, window: Window) -> list[Candidate]:
    """A candidate per under-staffed language queue."""
    with database.transaction() as session:
        jobs = session.execute(
            select(Job.pk, Job.language, Job.created_at, Job.sla_due_at, Job.decided_at).where(
                Job.kind.in_(_KINDS), Job.created_at >= window.start, Job.created_at < window.end
            )
        ).all()
        decisions = session.execute(
            select(Decision.reviewer_pk, Decision.decided_at, Decision.seconds_spent, Job.language)
            .join(Job, Job.pk == Decision.job_pk)
            .where(Decision.decided_at >= window.start, Decision.decided_at < window.end)
        ).all()
        users = session.execute(select(User.pk, User.languages, User.roles)).all()
    reads = {int(pk): tuple(languages or ()) for pk, languages, roles in users if _REVIEWING_ROLES & set(roles or ())}
    days_of: dict[int, dict[date, list[datetime]]] = defaultdict(lambda: defaultdict(list))
    handle: dict[str, list[float]] = defaultdict(list)
    for reviewer_pk, decided_at, seconds, language in decisions:
        if int(reviewer_pk) in reads:
            moment = as_utc(decided_at)
            days_of[int(reviewer_pk)][moment.date()].append(moment)
        if language and seconds:
            handle[str(language)].append(float(seconds))
    capacity: dict[str, float] = defaultdict(float)
    covered: dict[str, set[datetime]] = defaultdict(set)
    for reviewer_pk, days in days_of.items():
        hours = _on_shift(days)
        languages = reads[reviewer_pk]
        for language in languages:
            capacity[language] += len(hours) / len(languages)
            covered[language] |= hours
    by_language: dict[str, list[_Row]] = defaultdict(list)
    for pk, language, created_at, due_at, decided in jobs:
        if language:
            by_language[str(language)].append(
                (int(pk), as_utc(created_at), as_utc(due_at), as_utc(decided) if decided else None)
            )
    every_handle = [s for values in handle.values() for s in values] or [60.0]
    work = {lang: len(rows) * mean(handle.get(lang) or every_handle) for lang, rows in by_language.items()}
    total_work, total_capacity = sum(work.values()) or 1.0, sum(capacity.values()) or 1.0
    found = []
    for language, rows in sorted(by_language.items()):
        demand_share = work[language] / total_work
        capacity_share = capacity.get(language, 0.0) / total_capacity
        if len(rows) < 10 or capacity_share >= UNDER_STAFFED * demand_share:
            continue
        found.append(
            _candidate(
                language,
                rows,
                handle.get(language) or every_handle,
                covered.get(language, set()),
                capacity.get(language, 0.0),
                demand_share,
                capacity_share,
                window,
            )
        )
    return found


def _on_shift(days: dict[date, list[datetime]]) -> set[datetime]:
    """The clock hours a reviewer was on shift: each day, from the hour of their first decision to the hour
    of their last, both included, at most `LONGEST_SHIFT_HOURS`."""
    hours: set[datetime] = set()
    for moments in days.values():
        first, last = _hour(min(moments)), _hour(max(moments))
        span = min(int((last - first).total_seconds() // 3600) + 1, LONGEST_SHIFT_HOURS)
        hours.update(first + timedelta(hours=n) for n in range(span))
    return hours


def _hour(moment: datetime) -> datetime:
    return as_utc(moment).replace(minute=0, second=0, microsecond=0)


def _candidate(
    language: str,
    rows: list[_Row],
    handle_seconds: list[float],
    covered: set[datetime],
    worked_hours: float,
    demand_share: float,
    capacity_share: float,
    window: Window,
) -> Candidate:
    per_hour = len(rows) / window.hours
    days = max(window.hours / 24.0, 1.0)
    by_hour_of_day: dict[int, int] = defaultdict(int)
    for _, created, _, _ in rows:
        by_hour_of_day[created.hour] += 1
    peak = max(by_hour_of_day.values()) / days
    handle = mean(handle_seconds)
    needed = reviewers_needed(max(peak, per_hour), handle, FIRST_LOOK_SECONDS, TARGET_ATTAINMENT)
    simulated = simulate_queue(
        needed.reviewers,
        max(peak, per_hour),
        observed(handle_seconds),
        FIRST_LOOK_SECONDS,
        rng=random.Random(f"staff:{language}"),
        jobs=20_000,
    )
    on_duty_now = worked_hours / window.hours  # reviewers on shift for this language, on average
    wanted = needed.reviewers * SHIFTS_A_DAY
    more = max(1, math.ceil(wanted - on_duty_now * SHIFTS_A_DAY))
    due = [(pk, deadline, decided) for pk, _, deadline, decided in rows if deadline < window.end]
    on_time = sum(1 for _, deadline, decided in due if decided is not None and decided <= deadline)
    attainment = wilson(on_time, len(due))
    uncovered = sum(1 for _, created, _, _ in rows if _hour(created) not in covered)
    weekly = len(rows) / window.weeks
    late_avoided = weekly * max(0.0, TARGET_ATTAINMENT - (attainment.value if attainment.value is not None else 1.0))
    impact = late_avoided + uncovered / window.weeks
    daily: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for _, deadline, decided in due:
        tally = daily[deadline.date().isoformat()]
        tally[1] += 1
        tally[0] += decided is not None and decided <= deadline
    series = tuple(Point(day, round(ok / n, 3)) for day, (ok, n) in sorted(daily.items()) if n)
    late = [f"job:{pk}" for pk, deadline, decided in due if decided is None or decided > deadline][:5]
    return Candidate(
        kind=RecommendationKind.STAFF_QUEUE,
        subject=f"language:{language}",
        title=f"Staff the {language} queue: {more} more reviewer{'s' if more != 1 else ''} reading {language}",
        impact=impact,
        expected_effect=(
            f"about {impact:.0f} jobs a week looked at in time instead of waiting for the next shift or "
            f"passing their deadline ({uncovered / window.weeks:.0f} a week arrive with nobody on shift)"
        ),
        evidence=Evidence(
            figures={
                "jobs": len(rows),
                "jobs_per_hour": round(per_hour, 3),
                "busiest_hour_jobs": round(peak, 3),
                "handle_seconds": round(handle, 1),
                "demand_share": round(demand_share, 4),
                "capacity_share": round(capacity_share, 4),
                "reviewers_on_shift_now": round(on_duty_now, 2),
                "sla_attainment": round(attainment.value, 4) if attainment.value is not None else "none due",
                "sla_attainment_low": round(attainment.low, 4) if attainment.low is not None else "none due",
                "arrived_with_nobody_on_shift": uncovered,
                "erlang_c_reviewers_on_duty": needed.reviewers,
                "erlang_c_service_level": round(needed.service_level, 4),
                "simulated_service_level": round(simulated.service_level, 4),
                "target_wait_seconds": FIRST_LOOK_SECONDS,
                "reviewers_to_add": more,
            },
            examples=tuple(late),
            series_title="SLA attainment by due day",
            series=series,
        ),
    )
