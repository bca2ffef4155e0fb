"""The decision hot path's SQL: the statements `decisions.py` runs, each compiled once at import.

A decision takes its job by one guarded update (`TAKE_JOB`: leased to this reviewer, the lease not
run out), which closes the job at once when the decision stands whatever it says (one review
required, or the tiebreak's round), and returns what deciding needs of it (`TakenJob`). On
PostgreSQL, `TAKE_AND_DECIDE` is that update as a CTE with, when the job closes on its first round,
the decision, its event and its audit row in the same statement; `DECIDE` writes the three of any
other round at once. The statements are built here, not per call, so that the hot path spends
nothing on compiling them (`store.database.execute_prepared` also prepares them on PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    true,
    update,
)

from bastion import audit_log
from bastion.domain.events import EventKind
from bastion.domain.review import JobKind
from bastion.review.jobs import JobStatus
from bastion.store.schema import AuditPending, Decision, Event, Job
from bastion.store.upsert import table_of

DECISION_AUDIT_ACTION = "job.decide"
TIEBREAK_ROUND = 3
_decisions, _jobs, _events = table_of(Decision), table_of(Job), table_of(Event)
DECISION_COLUMNS = tuple(c.key for c in _decisions.c if c.key != "pk")
INSERT_DECISION = insert(_decisions).values({c: bindparam(c) for c in DECISION_COLUMNS}).returning(_decisions.c.pk)
_LEASE_ENDS = {"lease_owner": None, "lease_expires_at": None, "reviews_done": _jobs.c.reviews_done + 1}
REOPEN_JOB = (
    update(_jobs)
    .where(_jobs.c.pk == bindparam("job_pk"))
    .values(status=JobStatus.OPEN.value, claimed_at=None, reviews_required=bindparam("required"), **_LEASE_ENDS)
)
CLOSE_JOB = (
    update(_jobs)
    .where(_jobs.c.pk == bindparam("job_pk"))
    .values(status=JobStatus.DECIDED.value, decided_at=bindparam("now"), **_LEASE_ENDS)
)


@dataclass(frozen=True)
class TakenJob:
    """What deciding needs of the job taken, as the guarded update left it."""

    pk: int
    queue: str
    kind: str
    subject_type: str
    subject_pk: int
    status: str
    policy_hint: str | None
    harm_type: str | None
    reviews_required: int
    reviews_done: int
    claimed_at: datetime | None
    golden_pk: int | None

    @property
    def measures_quality(self) -> bool:
        """A QA re-review, a golden job or a prevalence label: its decision measures, never enforced."""
        return JobKind(self.kind).measures or self.golden_pk is not None


def _take_job_statement() -> Any:
    """`UPDATE jobs ... WHERE pk = :job_pk AND <leased to :me, not run out> RETURNING <a TakenJob>`."""
    now = bindparam("now", type_=Job.decided_at.type)
    stands = or_(_jobs.c.reviews_required <= 1, _jobs.c.reviews_done + 1 >= TIEBREAK_ROUND)
    closes = and_(_jobs.c.reviews_done + 1 >= _jobs.c.reviews_required, stands)

    def when_closed(value: Any, otherwise: Any) -> Any:
        return case((closes, value), else_=otherwise)

    take = (
        update(_jobs)
        .where(
            _jobs.c.pk == bindparam("job_pk"),
            _jobs.c.status == JobStatus.CLAIMED.value,
            _jobs.c.lease_owner == bindparam("me"),
            or_(_jobs.c.lease_expires_at.is_(None), _jobs.c.lease_expires_at > now),
        )
        .values(
            status=when_closed(JobStatus.DECIDED.value, _jobs.c.status),
            decided_at=when_closed(now, _jobs.c.decided_at),
            reviews_done=when_closed(_jobs.c.reviews_done + 1, _jobs.c.reviews_done),
            lease_owner=when_closed(None, _jobs.c.lease_owner),
            lease_expires_at=when_closed(None, _jobs.c.lease_expires_at),
        )
        .returning(*(_jobs.c[field.name] for field in fields(TakenJob)))
    )
    return take


def _decide_statement() -> Any:
    """PostgreSQL: the decision, its event and its audit row in one statement, returning the decision's pk."""
    decision = (
        insert(_decisions).values({c: bindparam(c) for c in DECISION_COLUMNS}).returning(_decisions.c.pk).cte("made")
    )
    now = bindparam("decided_at", type_=Decision.decided_at.type)
    event = insert(_events).values(
        kind=bindparam("event_kind"),
        subject_type=bindparam("event_subject_type"),
        subject_pk=bindparam("event_subject_pk"),
        occurred_at=now,
        recorded_at=now,
        principal=bindparam("event_principal"),
        data=bindparam("event_data", type_=Event.data.type),
    )
    audit = audit_log.append_unsealed(_AUDIT_VALUES)
    return select(decision.c.pk).add_cte(event.cte("made_event"), audit.cte("made_audit"))


def _take_and_decide_statement() -> Any:
    """`TAKE_JOB` as a CTE and, when `:decide_now` and the job closed on its first round (not an appeal),
    the decision, its event and its audit row; returns a TakenJob's columns, then the decision's pk and
    seconds spent (NULL when no decision was written)."""
    taken = _take_job_statement().cte("taken")
    now = bindparam("now", type_=Decision.decided_at.type)
    claimed_for = cast(func.extract("epoch", now - taken.c.claimed_at), Float)
    seconds = func.greatest(
        literal(0.0, Float), func.coalesce(bindparam("seconds_spent", type_=Float), claimed_for, 0.0)
    )
    first_and_closing = and_(
        bindparam("decide_now", type_=Boolean),
        taken.c.status == audit_log.sql_text(JobStatus.DECIDED.value),
        taken.c.reviews_done == 1,
        taken.c.kind != audit_log.sql_text("appeal"),
    )
    decision = select(
        taken.c.pk,
        bindparam("me", type_=Decision.reviewer_pk.type),
        literal_column("1", Integer),
        bindparam("policy_id", type_=String),
        bindparam("policy_version", type_=Integer),
        func.coalesce(bindparam("harm_type", type_=String), taken.c.harm_type),
        bindparam("action", type_=String),
        bindparam("rationale", type_=Text),
        seconds,
        now,
        true(),
    ).where(first_and_closing)
    columns = [
        "job_pk", "reviewer_pk", "round", "policy_id", "policy_version", "harm_type",
        "action", "rationale", "seconds_spent", "decided_at", "final",
    ]  # fmt: skip
    made = (
        insert(_decisions)
        .from_select(columns, decision)
        .returning(_decisions.c.pk, _decisions.c.seconds_spent, _decisions.c.job_pk)
        .cte("made")
    )
    # The event's data and the audit row are built here from the values bound for the decision, as
    # `decisions._record_decision` and `decisions._audit_details` build them in Python for any other round.
    policy, action = bindparam("policy_id", type_=String), bindparam("action", type_=String)
    first = literal_column("1", Integer)
    data = func.jsonb_build_object(
        *(audit_log.sql_text("job"), made.c.job_pk, audit_log.sql_text("policy"), policy),
        *(audit_log.sql_text("action"), action, audit_log.sql_text("round"), first),
        *(
            audit_log.sql_text("rationale"),
            func.left(bindparam("rationale", type_=Text), literal_column("500", Integer)),
        ),
    )
    event = insert(_events).from_select(
        ["kind", "subject_type", "subject_pk", "occurred_at", "recorded_at", "principal", "data"],
        select(
            audit_log.sql_text(EventKind.DECISION_MADE.value),
            taken.c.subject_type,
            taken.c.subject_pk,
            now,
            now,
            bindparam("event_principal", type_=String),
            data,
        ).select_from(made.join(taken, true())),
    )
    audit = audit_log.append_unsealed_from(
        made,
        at=now,
        principal=bindparam("audit_principal", type_=String),
        action=DECISION_AUDIT_ACTION,
        target=audit_log.sql_text("job:").concat(cast(made.c.job_pk, Text)),
        details={"policy": policy, "action": action, "round": first},
    )
    return (
        select(*(taken.c[field.name] for field in fields(TakenJob)), made.c.pk, made.c.seconds_spent)
        .select_from(taken.outerjoin(made, true()))
        .add_cte(event.cte("made_event"), audit.cte("made_audit"))
    )


# The audit row's values, bound as `audit_<column>` from `audit_log.staged_row`.
_AUDIT_VALUES = {c.key: bindparam(f"audit_{c.key}", type_=c.type) for c in table_of(AuditPending).c if c.key != "pk"}
TAKE_JOB = _take_job_statement()
DECIDE = _decide_statement()
TAKE_AND_DECIDE = _take_and_decide_statement()
TAKEN_FIELDS = len(fields(TakenJob))
