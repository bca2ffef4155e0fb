"""The team's exposure today: decisions per harm type since midnight UTC against the daily caps.

Reviewers' daily caps (`daily_exposure_caps`) protect each person; this metric lets a supervisor see
who is close to theirs and how much of each harm the team has looked at, for wellness, not speed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion.clock import utc_midnight
from bastion.review.config import ReviewConfig
from bastion.review.workload.selection import JobSelection, decision_conditions, job_conditions
from bastion.store.schema import Decision, Job

NEAR_CAP = 0.8  # a reviewer at this share of a cap or more is "near" it


@dataclass(frozen=True)
class HarmExposure:
    harm_type: str
    cap: int | None  # per reviewer per day; None: no cap
    decisions: int  # the team's decisions of this harm type today
    jobs: int  # the jobs those decisions were on (two rounds of one job are one job)
    reviewers: int  # people who decided one today
    most: int  # the most decisions of one reviewer
    at_cap: int  # reviewers who reached the cap
    near_cap: int  # reviewers at NEAR_CAP of it or more, not yet at it
    selection: JobSelection  # the jobs behind `jobs`


def team_exposure(
    session: Session, config: ReviewConfig, selection: JobSelection, *, now: datetime
) -> list[HarmExposure]:
    """Per harm type, today's decisions by the people (of `selection.vendor`, if set), most exposed first."""
    today = selection.narrowed(decision_from=utc_midnight(now), with_golden=True)
    jobs = job_conditions(selection.narrowed(with_golden=True), config=config, now=now)
    made = [*decision_conditions(today), Decision.harm_type.is_not(None)]
    per_person = session.execute(
        select(Decision.harm_type, Decision.reviewer_pk, func.count())
        .join(Job, Job.pk == Decision.job_pk)
        .where(*jobs, *made)
        .group_by(Decision.harm_type, Decision.reviewer_pk)
    )
    counts: dict[str, list[int]] = defaultdict(list)
    for harm, _, n in per_person:
        counts[str(harm)].append(int(n))
    distinct_jobs = {
        str(harm): int(n)
        for harm, n in session.execute(
            select(Decision.harm_type, func.count(func.distinct(Decision.job_pk)))
            .join(Job, Job.pk == Decision.job_pk)
            .where(*jobs, *made)
            .group_by(Decision.harm_type)
        )
    }
    found = []
    for harm, per_reviewer in counts.items():
        cap = config.daily_cap(harm)
        found.append(
            HarmExposure(
                harm_type=harm,
                cap=cap,
                decisions=sum(per_reviewer),
                jobs=int(distinct_jobs.get(harm, 0)),
                reviewers=len(per_reviewer),
                most=max(per_reviewer),
                at_cap=sum(1 for n in per_reviewer if cap is not None and n >= cap),
                near_cap=sum(1 for n in per_reviewer if cap is not None and NEAR_CAP * cap <= n < cap),
                selection=today.narrowed(harm_type=harm),
            )
        )
    return sorted(found, key=lambda e: (-(e.most / e.cap if e.cap else 0.0), -e.decisions, e.harm_type))
