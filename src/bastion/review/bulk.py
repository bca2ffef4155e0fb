"""Bulk decisions: one verdict, taken from a near-duplicate cluster's preview, applied to every member.

A bulk decision is many ordinary decisions, never a shortcut around them: for each member, its open
review job is leased to the person deciding and decided through `review.decisions.decide`, with the
bulk action noted in the rationale, so each member has a decision of its own (its round, its policy
version, its enforcement action, its `decision.made` event and its `job.decide` audit row) and double
review, appeals and the undo window work as for any decision. A member that violates and that nobody
asked about gets a review job opened for it first, so that the verdict is enforced on it too; with no
violation, members without a job are left alone (there is nothing to do to them).

Left out, and counted as skipped with the reason: a member already decided, a job another reviewer holds
or has on hold, a job in a queue the person may not work, and a job they are excluded from (they
reviewed it before). Appeals are never decided in bulk.

The decision applies to the cluster as previewed: the caller passes the size it saw, and a cluster that
has grown since is refused (Conflict), so nobody decides members they were not shown. One transaction
(the caller's) holds the whole: every decision or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.clock import as_utc
from bastion.domain.events import EventEntity, EventKind, NewEvent
from bastion.domain.review import JobKind, JobStatus
from bastion.domain.subjects import SubjectType
from bastion.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from bastion.review.access import may_work
from bastion.review.config import ReviewConfig
from bastion.review.config_store import current_review_config
from bastion.review.decisions import NO_VIOLATION, Choice, decide
from bastion.review.intake import NewWork, open_jobs
from bastion.review.jobs import OPEN_STATES
from bastion.store.events import append_events
from bastion.store.schema import ContentItem, Decision, Job, JobExclusion

MAX_MEMBERS = 5_000
BULK_AUDIT_ACTION = "cluster.decide"


@dataclass(frozen=True)
class SkippedMember:
    content_id: str
    reason: str


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk decision did: the jobs decided (final), those awaiting a second review, the jobs
    opened for members nobody had asked about, and the members left out and why."""

    cluster: int
    members: int
    decided: list[int] = field(default_factory=list)
    awaiting_review: list[int] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)
    skipped: list[SkippedMember] = field(default_factory=list)


def bulk_note(cluster: int, members: int) -> str:
    return f"[bulk decision on near-duplicate cluster {cluster} of {members} items]"


def decide_members(
    session: Session,
    cluster: int,
    member_pks: Sequence[int],
    decider: Principal,
    choice: Choice,
    *,
    expected_members: int,
    now: datetime,
) -> BulkOutcome:
    """Apply `choice` to every member of the cluster (see the module doc)."""
    if decider.user_pk is None:
        raise Forbidden("bulk decisions are made by people: use a user's API key or log in")
    if not choice.rationale.strip():
        raise InvalidInput(
            "a bulk decision needs a rationale", [FieldError("rationale", "say why every member gets this verdict")]
        )
    if not member_pks:
        raise NotFound(f"no near-duplicate cluster {cluster}")
    if len(member_pks) != expected_members:
        raise Conflict(
            f"cluster {cluster} has {len(member_pks)} members, not the {expected_members} previewed; preview it again"
        )
    if len(member_pks) > MAX_MEMBERS:
        raise InvalidInput(
            "cluster too large to decide at once",
            [FieldError("cluster", f"{len(member_pks)} members; at most {MAX_MEMBERS} are decided at once")],
        )
    note = bulk_note(cluster, len(member_pks))
    each = Choice(choice.policy, choice.action, f"{choice.rationale.strip()} {note}", seconds_spent=0.0)
    outcome = BulkOutcome(cluster, len(member_pks))
    external = dict(
        session.execute(select(ContentItem.pk, ContentItem.external_id).where(ContentItem.pk.in_(member_pks))).all()
    )
    jobs = _jobs_of(session, member_pks)
    decided = _decided(session, member_pks)
    config = current_review_config(session).config
    to_open: list[int] = []
    work: list[Job] = []
    for pk in member_pks:
        content_id = str(external[pk])
        member_jobs = jobs.get(pk, [])
        if not member_jobs:
            if pk in decided:
                outcome.skipped.append(SkippedMember(content_id, "already decided"))
            elif choice.policy != NO_VIOLATION:
                to_open.append(pk)
            continue
        for job in member_jobs:
            reason = _why_not(session, job, decider, config, now)
            if reason:
                outcome.skipped.append(SkippedMember(content_id, reason))
            else:
                work.append(job)
    if to_open:
        opened = open_jobs(
            session,
            [NewWork(SubjectType.CONTENT, pk, choice.policy, None, 0.0) for pk in to_open],
            now=now,
            principal=decider.name,
        )
        outcome.opened.extend(opened)
        for pk, job_pk in zip(to_open, opened, strict=True):
            job = session.get_one(Job, job_pk)
            reason = _why_not(session, job, decider, config, now)
            if reason:
                outcome.skipped.append(SkippedMember(str(external[pk]), reason))
            else:
                work.append(job)
    lease = timedelta(minutes=config.lease_minutes)
    for job in work:
        _lease(session, job, decider, cluster, now, lease)
        result = decide(session, job.pk, decider, each, now=now)
        (outcome.decided if result.final else outcome.awaiting_review).append(job.pk)
    audit_log.record(
        session,
        principal=decider.name,
        action=BULK_AUDIT_ACTION,
        target=f"cluster:{cluster}",
        at=now,
        details={
            "policy": choice.policy,
            "action": choice.action,
            "members": len(member_pks),
            "decided": len(outcome.decided),
            "awaiting_review": len(outcome.awaiting_review),
            "opened": len(outcome.opened),
            "skipped": len(outcome.skipped),
        },
    )
    return outcome


def _jobs_of(session: Session, member_pks: Sequence[int]) -> dict[int, list[Job]]:
    """The members' open review and escalation jobs (appeals are never decided in bulk)."""
    found: dict[int, list[Job]] = {}
    for job in session.scalars(
        select(Job)
        .where(
            Job.subject_type == SubjectType.CONTENT.value,
            Job.subject_pk.in_(member_pks),
            Job.status.in_(OPEN_STATES),
            Job.kind != JobKind.APPEAL.value,
            Job.golden_pk.is_(None),  # a golden job is decided by the reviewer it is served to, one at a time
        )
        .order_by(Job.pk)
    ):
        found.setdefault(job.subject_pk, []).append(job)
    return found


def _decided(session: Session, member_pks: Sequence[int]) -> set[int]:
    return set(
        session.scalars(
            select(Job.subject_pk)
            .join(Decision, and_(Decision.job_pk == Job.pk, Decision.final.is_(True), Decision.withdrawn_at.is_(None)))
            .where(Job.subject_type == SubjectType.CONTENT.value, Job.subject_pk.in_(member_pks))
        )
    )


def _why_not(session: Session, job: Job, decider: Principal, config: ReviewConfig, now: datetime) -> str:
    """Why this person cannot decide this job in bulk ("" when they can)."""
    spec = config.by_name.get(job.queue)
    if spec is None or not may_work(spec, decider):
        return f"in the {job.queue} queue, which {decider.display_name} may not work"
    if job.status == JobStatus.HELD:
        return "on hold with a reviewer"
    lease_live = job.lease_expires_at is None or as_utc(job.lease_expires_at) > now
    if job.status == JobStatus.CLAIMED and job.lease_owner != decider.user_pk and lease_live:
        return "being reviewed by someone else"
    if job.assigned_to is not None and job.assigned_to != decider.user_pk:
        return "assigned to another reviewer"
    excluded = session.scalar(
        select(JobExclusion.user_pk).where(JobExclusion.job_pk == job.pk, JobExclusion.user_pk == decider.user_pk)
    )
    if excluded is not None:
        return f"{decider.display_name} reviewed it before"
    return ""


def _lease(session: Session, job: Job, decider: Principal, cluster: int, now: datetime, lease: timedelta) -> None:
    """Lease the job to the person deciding, as a claim would (its event notes the bulk decision)."""
    taken = session.execute(
        update(Job)
        .where(
            Job.pk == job.pk,
            or_(
                Job.status == JobStatus.OPEN.value,
                and_(Job.status == JobStatus.CLAIMED.value, Job.lease_owner == decider.user_pk),
                and_(Job.status == JobStatus.CLAIMED.value, Job.lease_expires_at <= now),
            ),
        )
        .values(
            status=JobStatus.CLAIMED.value, lease_owner=decider.user_pk, claimed_at=now, lease_expires_at=now + lease
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"job {job.pk} changed while the cluster was being decided; try again")
    session.expire(job)
    append_events(
        session,
        [
            NewEvent(
                EventKind.JOB_CLAIMED,
                EventEntity.JOB,
                job.pk,
                now,
                decider.name,
                {"queue": job.queue, "cluster": cluster},
            )
        ],
        recorded_at=now,
    )
