"""SLA attainment: of the jobs decided in a window, the share decided at or before their `sla_due_at`.

With a vendor in the selection, only jobs whose final decision was by that vendor's people count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bastion.metrics.selection import JobSelection, job_conditions
from bastion.review.config import ReviewConfig
from bastion.store.schema import Job


@dataclass(frozen=True)
class Attainment:
    decided: int
    in_sla: int

    @property
    def share(self) -> float | None:
        """None when nothing was decided: no attainment to speak of, not 0 %."""
        return share(self.in_sla, self.decided)


def decided_selection(selection: JobSelection, start: datetime) -> JobSelection:
    """The jobs of `selection` decided since `start`: what SLA attainment is computed over."""
    return selection.narrowed(status="decided", decided_from=start)


def sla_attainment(
    session: Session, config: ReviewConfig, selection: JobSelection, *, start: datetime, now: datetime
) -> dict[str, Attainment]:
    """{queue: decided in the window, of which by the deadline}."""
    conditions = job_conditions(decided_selection(selection, start), config=config, now=now)
    on_time = func.sum(case((Job.decided_at <= Job.sla_due_at, 1), else_=0))
    rows = session.execute(select(Job.queue, func.count(Job.pk), on_time).where(*conditions).group_by(Job.queue))
    return {str(queue): Attainment(int(n), int(ok or 0)) for queue, n, ok in rows}


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
