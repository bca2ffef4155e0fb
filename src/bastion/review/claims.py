"""Claiming and leasing jobs: one atomic statement hands a job to exactly one reviewer.

The claim is `UPDATE jobs ... WHERE pk = (SELECT ... ORDER BY claim_rank DESC LIMIT 1)`, with
`FOR UPDATE SKIP LOCKED` on PostgreSQL so concurrent claimers pass over each other's rows instead of
waiting; on SQLite the write lock taken at BEGIN serialises claimers. A lease that runs out makes the
job claimable again, so a reviewer who vanishes loses nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    Text,
    and_,
    any_,
    bindparam,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, aliased

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.auth.users import principal_of
from bastion.clock import as_utc, utc_midnight
from bastion.domain.access import Permission
from bastion.domain.events import EventEntity, EventKind, NewEvent
from bastion.domain.review import JobKind
from bastion.domain.subjects import SubjectType
from bastion.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from bastion.review.access import is_vendor_only, may_work, require_queue_access
from bastion.review.config import DEFAULT_CAP, ReviewConfig
from bastion.review.config_store import current_review_config
from bastion.review.jobs import OPEN_STATES, JobStatus, open_job, requeue
from bastion.store.database import execute_prepared
from bastion.store.events import append_events
from bastion.store.schema import Actor, ContentItem, Decision, Event, Job, JobExclusion, JobReport, User
from bastion.store.upsert import insert_ignoring_duplicates, table_of

CLAIMABLE = text("jobs.status IN ('open', 'claimed')")


def claim_next_job(session: Session, queue_name: str, reviewer: Principal, *, now: datetime) -> Job | None:
    """Lease the most urgent job this reviewer may take from the queue, or None when there is none.

    The claim records itself: a `job.claimed` event, and an audit row (the claim shows the reviewer
    the subject's content, an access). On PostgreSQL the lease, the event and the audit row are one
    statement, a single round trip.
    """
    row = _claim(session, queue_name, reviewer, now, whole=True)
    if row is None:
        return None
    job: Job = row[0]
    return job


def claim_next_job_pk(session: Session, queue_name: str, reviewer: Principal, *, now: datetime) -> int | None:
    """`claim_next_job` for a caller that needs only the job's key (the console, which shows the job on
    its own page next): the same claim, without reading the job's row back into an object."""
    row = _claim(session, queue_name, reviewer, now, whole=False)
    return None if row is None else int(row[0])


def _claim(session: Session, queue_name: str, reviewer: Principal, now: datetime, *, whole: bool) -> Any:
    """The claim's result row: (Job, ...) when `whole`, else (job pk, ...); None when there is no job."""
    config = current_review_config(session).config
    queue = config.queue(queue_name)
    require_queue_access(queue, reviewer)
    me = reviewer.user_pk
    assert me is not None  # require_queue_access refuses principals without a user
    postgresql = session.get_bind().dialect.name == "postgresql"
    statement = _claim_statement(
        postgresql,
        bool(reviewer.languages),
        tuple(sorted(config.daily_exposure_caps.items())),
        whole,
    )
    params: dict[str, Any] = {
        "queue_name": queue.name,
        "me": me,
        "now": now,
        "until": now + timedelta(minutes=config.lease_minutes),
        "day_start": utc_midnight(now),
    }
    if reviewer.languages:
        params["languages"] = list(reviewer.languages)
    if postgresql:
        params["principal"] = reviewer.name[: audit_log.PRINCIPAL_CHARS]
    # An ORM statement (a Job read back) goes through the session; a Core one straight to the driver.
    row = session.execute(statement, params).first() if whole else execute_prepared(session, statement, params)
    if row is None or postgresql:
        return row
    job_pk, subject_type, external_id = (row[0].pk, row[0].subject_type, row[1]) if whole else row
    append_events(
        session,
        [NewEvent(EventKind.JOB_CLAIMED, EventEntity.JOB, job_pk, now, reviewer.name, {"queue": queue.name})],
        recorded_at=now,
    )
    audit_log.record(
        session,
        principal=reviewer.name,
        action=CLAIM_AUDIT_ACTION,
        target=f"job:{job_pk}",
        at=now,
        details={"subject": f"{subject_type}:{external_id}", "queue": queue.name},
    )
    return row


CLAIM_AUDIT_ACTION = "job.claim"


@lru_cache(maxsize=64)
def _claim_statement(postgresql: bool, by_language: bool, caps: tuple[tuple[str, int], ...], whole: bool) -> Any:
    """The claim as one statement, built once per shape and reused (claims are the hottest path).

    `UPDATE jobs SET <lease> WHERE pk = (<the most urgent job this reviewer may take>) RETURNING jobs,
    <the subject's external id>`, where the reviewer may take a job in the queue that is open or whose
    lease ran out, not assigned to someone else, never excluded for them, in one of their languages,
    and of a harm type whose daily exposure cap they have not reached. On PostgreSQL the pick takes
    `FOR UPDATE SKIP LOCKED`, and the claim's event and audit row are inserted by the same statement
    (data-modifying CTEs), so a claim is one round trip. `whole`: return the job's row as a Job;
    otherwise its pk (and on SQLite what the claim's audit row needs).
    """
    me: Any = bindparam("me")
    now: Any = bindparam("now", type_=Job.claimed_at.type)
    languages: Any = None
    if by_language:
        # PostgreSQL: one array parameter, so that the statement's text is the same for any number of
        # languages and stays prepared.
        languages = (
            bindparam("languages", type_=ARRAY(String)) if postgresql else bindparam("languages", expanding=True)
        )
    candidate = (
        select(Job.pk)
        .where(Job.queue == bindparam("queue_name"), *_open_to(me, now, languages, as_array=postgresql))
        .order_by(Job.claim_rank.desc(), Job.pk)
        # Written in, not bound: PostgreSQL plans a prepared statement once (a generic plan) only
        # when that plan looks as good as one made for the values; with `LIMIT $1` it expects 200
        # rows and joins the whole table, so it would plan every claim afresh.
        .limit(literal_column("1", Integer))
    )
    if caps:
        candidate = candidate.where(or_(Job.harm_type.is_(None), Job.harm_type.not_in(_capped_harm_types(dict(caps)))))
    external_id = case(
        (
            Job.subject_type == audit_log.sql_text(SubjectType.CONTENT.value),
            select(ContentItem.external_id).where(ContentItem.pk == Job.subject_pk).scalar_subquery(),
        ),
        else_=select(Actor.external_id).where(Actor.pk == Job.subject_pk).scalar_subquery(),
    )
    jobs = table_of(Job)
    lease = {
        "status": JobStatus.CLAIMED.value,
        "lease_owner": me,
        "claimed_at": now,
        "lease_expires_at": bindparam("until", type_=Job.lease_expires_at.type),
    }
    if not postgresql:
        claim = update(jobs).where(jobs.c.pk == candidate.scalar_subquery()).values(**lease)
        if not whole:
            return claim.returning(jobs.c.pk, jobs.c.subject_type, external_id.label("external_id"))
        claim = claim.returning(*jobs.c, external_id.label("external_id"))
        # A Core statement read into ORM objects: the ORM's own UPDATE path would re-derive (and re-key
        # for the compiled cache) this statement on every call.
        return (
            select(Job, literal_column("external_id", String))
            .from_statement(claim)
            .execution_options(populate_existing=True)
        )
    picked = candidate.with_for_update(skip_locked=True).cte("picked")
    returned = jobs.c if whole else (jobs.c.pk, jobs.c.subject_type)
    claimed = (
        update(jobs)
        .where(jobs.c.pk == picked.c.pk)
        .values(**lease)
        .returning(*returned, external_id.label("external_id"))
        .cte("claimed")
    )
    principal: Any = bindparam("principal", type_=String)
    queue: Any = bindparam("queue_name", type_=String)
    event = insert(table_of(Event)).from_select(
        ["kind", "subject_type", "subject_pk", "occurred_at", "recorded_at", "principal", "data"],
        select(
            audit_log.sql_text(EventKind.JOB_CLAIMED.value),
            audit_log.sql_text(EventEntity.JOB.value),
            claimed.c.pk,
            now,
            now,
            principal,
            func.jsonb_build_object(audit_log.sql_text("queue"), queue),
        ),
    )
    audit = audit_log.append_unsealed_from(
        claimed,
        at=now,
        principal=principal,
        action=CLAIM_AUDIT_ACTION,
        target=audit_log.sql_text("job:").concat(cast(claimed.c.pk, Text)),
        details={
            "subject": claimed.c.subject_type.concat(audit_log.sql_text(":")).concat(claimed.c.external_id),
            "queue": queue,
        },
    )
    recorded = (event.cte("claim_event"), audit.cte("claim_audit"))
    if not whole:
        return select(claimed.c.pk).add_cte(*recorded)
    return (
        select(aliased(Job, claimed), claimed.c.external_id)
        .add_cte(*recorded)
        .execution_options(populate_existing=True)
    )


def _open_to(me: Any, now: Any, languages: Any, *, as_array: bool = False) -> list[Any]:
    """What makes a job of a queue one this reviewer may take: open, or its lease ran out; not assigned
    to someone else; never excluded for them; in one of their languages (`languages` None: any; a
    list, or with `as_array` one array parameter)."""
    conditions = [
        # Literal, not bound: the partial index ix_jobs_claimable has this very predicate, and a
        # planner can only match it (SQLite always, PostgreSQL in generic plans) against constants.
        CLAIMABLE,
        or_(Job.status == audit_log.sql_text(JobStatus.OPEN.value), Job.lease_expires_at < now),
        or_(Job.assigned_to.is_(None), Job.assigned_to == me),
        ~exists().where(JobExclusion.job_pk == Job.pk, JobExclusion.user_pk == me),
    ]
    if languages is not None:
        in_languages = Job.language == any_(languages) if as_array else Job.language.in_(languages)
        conditions.append(or_(Job.language.is_(None), in_languages))
    return conditions


def likely_next_job(
    session: Session, queue_name: str, reviewer: Principal, *, now: datetime, besides: int
) -> Job | None:
    """The job this reviewer would most likely claim next from the queue, other than `besides`.

    A read, not a claim (for prefetching its media): another reviewer may take it first. It applies
    the claim's order and conditions except the daily exposure caps, so rarely it guesses wrong.
    """
    languages = list(reviewer.languages) if reviewer.languages else None
    return session.scalars(
        select(Job)
        .where(Job.queue == queue_name, Job.pk != besides, *_open_to(reviewer.user_pk, now, languages))
        .order_by(Job.claim_rank.desc(), Job.pk)
        .limit(1)
    ).first()


def claimable_counts(session: Session, reviewer: Principal, queues: list[str], *, now: datetime) -> dict[str, int]:
    """{queue: jobs this reviewer could claim there now}: the claim's own conditions, exposure caps included.

    A count, not a promise: another reviewer may claim some first.
    """
    if reviewer.user_pk is None or not queues:
        return {}
    config = current_review_config(session).config
    languages = list(reviewer.languages) if reviewer.languages else None
    query = select(Job.queue, func.count()).where(Job.queue.in_(queues), *_open_to(reviewer.user_pk, now, languages))
    caps = config.daily_exposure_caps
    if caps:
        query = query.where(or_(Job.harm_type.is_(None), Job.harm_type.not_in(_capped_harm_types(dict(caps)))))
    params = {"me": reviewer.user_pk, "day_start": utc_midnight(now)}
    return {str(queue): int(n) for queue, n in session.execute(query.group_by(Job.queue), params)}


def jobs_in_hand(session: Session, reviewer: Principal, *, now: datetime) -> list[Job]:
    """Jobs this reviewer holds: leased and not run out (to resume), or parked with them."""
    return list(
        session.scalars(
            select(Job)
            .where(
                Job.lease_owner == reviewer.user_pk,
                or_(
                    and_(Job.status == JobStatus.CLAIMED.value, Job.lease_expires_at > now),
                    Job.status == JobStatus.HELD.value,
                ),
            )
            .order_by(Job.pk)
        )
    )


def _capped_harm_types(caps: dict[str, int]) -> Any:
    """Harm types whose daily exposure cap the reviewer (`:me`) has reached since `:day_start` (UTC).

    Jobs without a harm type are never capped: counting them would only grow with the day's work.
    """
    own = {harm_type: n for harm_type, n in caps.items() if harm_type != DEFAULT_CAP}
    cap: Any = literal(caps.get(DEFAULT_CAP))
    if own:
        cap = case(own, value=Decision.harm_type, else_=caps.get(DEFAULT_CAP))
    exposure = _exposure(bindparam("me"), bindparam("day_start"), Decision.harm_type)
    return exposure.having(func.count() >= cap)


def _exposure(user_pk: Any, day_start: Any, *columns: Any) -> Any:
    """A reviewer's harm-typed decisions since `day_start` by harm type, from the index ix_decisions_exposure."""
    return (
        select(*columns)
        .where(
            Decision.reviewer_pk == user_pk,
            Decision.decided_at >= day_start,
            Decision.harm_type.is_not(None),
            Decision.withdrawn_at.is_(None),  # taken back: see review/undo.py
        )
        .group_by(Decision.harm_type)
    )


def exposure_today(
    session: Session, config: ReviewConfig, user_pk: int, now: datetime
) -> dict[str, tuple[int, int | None]]:
    """{harm type: (decisions today, daily cap)} for the console's exposure counter."""
    rows = session.execute(_exposure(user_pk, utc_midnight(now), Decision.harm_type, func.count()))
    return {str(h): (int(n), config.daily_cap(str(h))) for h, n in rows}


def leased_job(session: Session, job_pk: int, reviewer: Principal, now: datetime) -> Job:
    """The job, locked, if this reviewer holds its lease; otherwise a Conflict saying why not."""
    locking = session.get_bind().dialect.name == "postgresql"
    job = session.scalars(_LOCKED_JOB if locking else _JOB, {"job_pk": job_pk}).first()
    if job is None:
        raise NotFound(f"no job {job_pk}")
    if job.status != JobStatus.CLAIMED or job.lease_owner != reviewer.user_pk:
        raise Conflict(f"job {job_pk} is not leased to {reviewer.display_name}")
    if job.lease_expires_at is not None and as_utc(job.lease_expires_at) <= now:
        raise Conflict(f"the lease on job {job_pk} has run out; claim it again")
    return job


_JOB = select(Job).where(Job.pk == bindparam("job_pk"))
_LOCKED_JOB = _JOB.with_for_update()


def heartbeat(session: Session, job_pk: int, reviewer: Principal, *, now: datetime) -> datetime:
    """Extend the lease of a job the reviewer is still working on; returns the new expiry."""
    job = leased_job(session, job_pk, reviewer, now)
    config = current_review_config(session).config
    job.lease_expires_at = now + timedelta(minutes=config.lease_minutes)
    return job.lease_expires_at


def _reopen(job: Job) -> None:
    job.status = JobStatus.OPEN.value
    job.lease_owner = None
    job.lease_expires_at = None
    job.claimed_at = None


def _event(session: Session, job: Job, kind: EventKind, principal: Principal, now: datetime, **data: object) -> None:
    append_events(session, [NewEvent(kind, EventEntity.JOB, job.pk, now, principal.name, dict(data))], recorded_at=now)


def release(session: Session, job_pk: int, reviewer: Principal, *, now: datetime, reason: str = "") -> Job:
    """Give the job back to the queue, untouched."""
    job = session.get(Job, job_pk)
    if job is not None and job.status == JobStatus.HELD and job.lease_owner == reviewer.user_pk:
        job.assigned_to = None
    else:
        job = leased_job(session, job_pk, reviewer, now)
    _reopen(job)
    _event(session, job, EventKind.JOB_RELEASED, reviewer, now, reason=reason[:500])
    return job


def skip(session: Session, job_pk: int, reviewer: Principal, *, now: datetime, reason: str) -> Job:
    """Give the job back and never be offered it again (e.g. a conflict of interest, a language gap)."""
    if not reason.strip():
        raise InvalidInput("a skip needs a reason", [FieldError("reason", "say why you skip this job")])
    job = leased_job(session, job_pk, reviewer, now)
    _reopen(job)
    exclude_reviewer(session, job.pk, reviewer.user_pk)
    _event(session, job, EventKind.JOB_SKIPPED, reviewer, now, reason=reason[:500])
    return job


def hold(session: Session, job_pk: int, reviewer: Principal, *, now: datetime, note: str) -> Job:
    """Park the job with the reviewer (waiting for context); it leaves the queue until released."""
    job = leased_job(session, job_pk, reviewer, now)
    job.status = JobStatus.HELD.value
    job.lease_expires_at = None
    job.assigned_to = reviewer.user_pk
    job.note = note[:2000] or job.note
    _event(session, job, EventKind.JOB_HELD, reviewer, now, note=note[:500])
    return job


def resume(session: Session, job_pk: int, reviewer: Principal, *, now: datetime) -> Job:
    """Take back a job you put on hold, with a fresh lease."""
    job = session.get(Job, job_pk)
    if job is None:
        raise NotFound(f"no job {job_pk}")
    if job.status != JobStatus.HELD or job.assigned_to != reviewer.user_pk:
        raise Conflict(f"job {job_pk} is not on hold with {reviewer.display_name}")
    config = current_review_config(session).config
    job.status = JobStatus.CLAIMED.value
    job.lease_owner = reviewer.user_pk
    job.claimed_at = now
    job.lease_expires_at = now + timedelta(minutes=config.lease_minutes)
    _event(session, job, EventKind.JOB_CLAIMED, reviewer, now, resumed=True)
    return job


def escalate(session: Session, job_pk: int, reviewer: Principal, *, now: datetime, note: str) -> Job:
    """Send the job to the escalation queue with a note; returns the job now waiting there.

    Refused (Conflict) for a job that measures (`JobKind.measures`: a QA re-review, a prevalence label)
    and for a job already in the escalation queue."""
    if not note.strip():
        raise InvalidInput("an escalation needs a note", [FieldError("note", "say what the escalation is about")])
    job = leased_job(session, job_pk, reviewer, now)
    if JobKind(job.kind).measures:
        raise Conflict(
            f"job {job_pk} is a {job.kind} job: it measures and cannot be escalated; decide it "
            "(the decision is never enforced)"
        )
    config = current_review_config(session).config
    target = config.queue(config.escalation_queue)
    if job.queue == target.name:
        # Else the open job found below would be this one, cancelled and folded into itself.
        raise Conflict(f"job {job_pk} is already in the escalation queue {target.name}; decide it or skip it")
    if job.subject_type == SubjectType.CONTENT:
        # Evidence: the content as it stands now, so that its author's deletion loses nothing.
        from bastion.investigate.snapshots import snapshot_content

        snapshot_content(session, job.subject_pk, job_pk=job.pk, principal=reviewer.name, now=now)
    existing = open_job(session, target.name, job.subject_type, job.subject_pk)
    if existing is not None:
        # The subject is already escalated: fold this job into that one.
        job.status = JobStatus.CANCELLED.value
        job.lease_owner = None
        job.lease_expires_at = None
        session.execute(update(JobReport).where(JobReport.job_pk == job.pk).values(job_pk=existing.pk))
        existing.note = "\n".join(filter(None, [existing.note, note[:2000]]))
        _event(session, job, EventKind.JOB_ESCALATED, reviewer, now, to_job=existing.pk, note=note[:500])
        return existing
    _reopen(job)
    requeue(job, target, now=now)
    job.note = note[:2000]
    _event(session, job, EventKind.JOB_ESCALATED, reviewer, now, to_queue=target.name, note=note[:500])
    return job


def reassign(session: Session, job_pk: int, actor: Principal, *, to_user: str, now: datetime) -> Job:
    """Hand the job to a named reviewer: the lease holder may, and so may a supervisor."""
    job = session.get(Job, job_pk)
    if job is None:
        raise NotFound(f"no job {job_pk}")
    if not actor.can(Permission.REVIEW_SUPERVISE):
        job = leased_job(session, job_pk, actor, now)
    elif job.status not in OPEN_STATES:
        raise Conflict(f"job {job_pk} is {job.status}; only open jobs can be reassigned")
    user = session.scalar(select(User).where(User.name == to_user, User.active.is_(True)))
    if user is None:
        raise InvalidInput("unknown reviewer", [FieldError("reviewer", f"no active user {to_user!r}")])
    config = current_review_config(session).config
    if not may_work(config.queue(job.queue), principal_of(user, via="system")):
        raise InvalidInput(
            "reviewer cannot take this job", [FieldError("reviewer", f"{to_user} may not work {job.queue}")]
        )
    if session.scalar(
        select(JobExclusion.user_pk).where(and_(JobExclusion.job_pk == job.pk, JobExclusion.user_pk == user.pk))
    ):
        raise InvalidInput("reviewer cannot take this job", [FieldError("reviewer", f"{to_user} already reviewed it")])
    _reopen(job)
    job.assigned_to = user.pk
    _event(session, job, EventKind.JOB_REASSIGNED, actor, now, to=to_user)
    return job


def exclude_reviewer(session: Session, job_pk: int, user_pk: int | None) -> None:
    """Never offer this job to this reviewer (they reviewed it, skipped it, or made the decision appealed)."""
    if user_pk is None:
        return
    statement = insert_ignoring_duplicates(session.get_bind().dialect.name, JobExclusion)
    session.execute(statement, {"job_pk": job_pk, "user_pk": user_pk})


def visible_job(session: Session, job_pk: int, reviewer: Principal) -> Job:
    """A job this person may open: in a queue they may work under the current configuration, and
    one they hold or decided, unless they supervise (vendor reviewers never see other vendors' jobs)."""
    job = session.get(Job, job_pk)
    if job is None:
        raise NotFound(f"no job {job_pk}")
    spec = current_review_config(session).config.by_name.get(job.queue)
    supervisor = reviewer.can(Permission.REVIEW_SUPERVISE) and not is_vendor_only(reviewer)
    if spec is None and not supervisor:
        raise Forbidden(f"the {job.queue} queue no longer exists")
    if spec is not None and not (supervisor or may_work(spec, reviewer)):
        raise Forbidden(f"{reviewer.display_name} may not see jobs of the {job.queue} queue")
    if supervisor or reviewer.user_pk in (job.lease_owner, job.assigned_to):
        return job
    decided = session.scalar(
        select(Decision.pk).where(Decision.job_pk == job.pk, Decision.reviewer_pk == reviewer.user_pk).limit(1)
    )
    if decided is None:
        raise Forbidden(f"{reviewer.display_name} may open only jobs they hold or decided")
    return job
