"""The jobs behind a number: the jobs a `JobSelection` holds, page by page, most urgent first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from bastion.errors import FieldError, InvalidInput
from bastion.review.config import ReviewConfig
from bastion.review.workload.selection import (
    AGE_BUCKETS,
    SLA_STATE_LABELS,
    JobSelection,
    eligible_languages,
    job_conditions,
)
from bastion.store.schema import Job, User

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class ListedJob:
    pk: int
    queue: str
    kind: str
    status: str
    policy: str | None
    language: str | None
    created_at: datetime
    sla_due_at: datetime
    overdue: bool  # not yet decided and past the deadline, or decided after it
    decided_at: datetime | None
    holder: str | None  # who holds the lease or has it on hold


@dataclass(frozen=True)
class JobPage:
    selection: JobSelection
    total: int  # jobs in the whole selection
    page: int  # from 1
    page_size: int
    jobs: list[ListedJob]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def list_jobs(
    session: Session,
    config: ReviewConfig,
    selection: JobSelection,
    *,
    now: datetime,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> JobPage:
    """One page of the selection's jobs: nearest deadline first (the order a supervisor acts in)."""
    errors = []
    if page < 1:
        errors.append(FieldError("page", "must be 1 or more"))
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        errors.append(FieldError("page_size", f"must be from 1 to {MAX_PAGE_SIZE}"))
    if errors:
        raise InvalidInput("the page asked for is not valid", errors)
    coverage = eligible_languages(session, config) if selection.unreachable else None
    conditions = job_conditions(selection, config=config, now=now, coverage=coverage)
    total = int(session.scalar(select(func.count()).select_from(Job).where(*conditions)) or 0)
    holder = aliased(User)
    rows = session.execute(
        select(Job, holder.name)
        .outerjoin(holder, holder.pk == Job.lease_owner)
        .where(*conditions)
        .order_by(Job.sla_due_at, Job.pk)
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    jobs = [
        ListedJob(
            pk=job.pk,
            queue=job.queue,
            kind=job.kind,
            status=job.status,
            policy=job.policy_hint,
            language=job.language,
            created_at=job.created_at,
            sla_due_at=job.sla_due_at,
            overdue=(job.decided_at or now) > job.sla_due_at,
            decided_at=job.decided_at,
            holder=name if job.status in ("claimed", "held") else None,
        )
        for job, name in rows
    ]
    return JobPage(selection, total, page, page_size, jobs)


def page_from(params: Mapping[str, str | None]) -> tuple[int, int]:
    """(page, page size) from query parameters, with errors in Bastion's words."""
    found, errors = [], []
    for name, default in (("page", 1), ("page_size", PAGE_SIZE)):
        raw = (params.get(name) or "").strip()
        if not raw:
            found.append(default)
        elif not raw.isdigit():
            errors.append(FieldError(name, "must be a whole number"))
        else:
            found.append(int(raw))
    if errors:
        raise InvalidInput("the page asked for is not valid", errors)
    return found[0], found[1]


_NAMES = {
    "queue": "queue",
    "status": "status",
    "policy": "policy",
    "language": "language",
    "vendor": "vendor",
    "overdue": "overdue",
    "sla": "SLA",
    "age": "age",
    "created_from": "opened from",
    "created_to": "opened before",
    "decided_from": "decided from",
    "decided_to": "decided before",
    "in_sla": "decided in SLA",
    "decision_from": "decision from",
    "decision_to": "decision before",
    "reviewer": "reviewer",
    "harm_type": "harm type",
    "unreachable": "no eligible reviewer",
    "with_golden": "golden jobs too",
}


def described(selection: JobSelection) -> list[tuple[str, str, JobSelection]]:
    """(what, value, the selection without it) of each field set: the page's removable filter chips."""
    chips = []
    for name, value in selection.query().items():
        shown = (
            {"1": "yes", "0": "no"}.get(value, value)
            if name in ("overdue", "unreachable", "in_sla", "with_golden")
            else value
        )
        if name == "age":
            shown = next(b.label for b in AGE_BUCKETS if b.key == value)
        elif name == "sla":
            shown = SLA_STATE_LABELS[value]
        elif name.endswith(("_from", "_to")):
            shown = value.replace("T", " ").removesuffix("Z").removesuffix(":00") + " UTC"
        default: Any = False if name in ("overdue", "unreachable", "with_golden") else None
        chips.append((_NAMES[name], shown, selection.narrowed(**{name: default})))
    return chips
