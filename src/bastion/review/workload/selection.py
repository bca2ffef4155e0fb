"""A job selection: the filter that says which jobs a number counts, and lists them.

Every number of the supervisor view is a count over a `JobSelection`, and links to the jobs listing
with exactly that selection in its address. Counting and listing build their WHERE clause with the
same `job_conditions`, so the listing holds as many jobs as the number said (a test checks it).

A selection never takes in golden jobs (tests of reviewers, not work: the metrics leave them out too)
unless `with_golden` says so: the team's exposure and who is active count every decision.

Selections travel as query parameters (`?queue=general&status=backlog&overdue=1`). `selection_from`
reads them with errors in Bastion's words, one per bad field, for the page and its JSON twin alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import Session

from bastion.auth.users import principal_of
from bastion.clock import as_utc
from bastion.domain.access import Permission
from bastion.errors import FieldError, InvalidInput
from bastion.insight.metrics.definitions import AGE_BUCKETS as METRIC_AGE_BUCKETS
from bastion.insight.metrics.definitions import DEFAULT_SLA_HOURS, DUE_SOON_SHARE
from bastion.insight.metrics.definitions import SLA_STATES as METRIC_SLA_STATES
from bastion.review.access import may_work
from bastion.review.config import ReviewConfig
from bastion.review.jobs import OPEN_STATES, JobStatus
from bastion.store.schema import Decision, Job, User

STATUSES: dict[str, tuple[str, ...]] = {
    "backlog": OPEN_STATES,  # waiting, in review or held: the work not yet done
    "open": (JobStatus.OPEN.value,),
    "claimed": (JobStatus.CLAIMED.value,),
    "held": (JobStatus.HELD.value,),
    "decided": (JobStatus.DECIDED.value,),
    "cancelled": (JobStatus.CANCELLED.value,),
}


@dataclass(frozen=True)
class Bucket:
    key: str  # in addresses
    label: str  # on the page and in JSON
    upper: timedelta | None  # age below which a job falls in this bucket (and not an earlier one)


# The metrics layer's age buckets and SLA states (one definition), with the page's labels.
_AGE_LABELS = {"1h": "<1 h", "24h": "<24 h", "48h": "<48 h", "older": "older"}
AGE_BUCKETS = tuple(
    Bucket(key, _AGE_LABELS[key], timedelta(hours=hours) if hours is not None else None)
    for key, hours in METRIC_AGE_BUCKETS
)
BUCKET_LABELS = tuple(b.label for b in AGE_BUCKETS)

# Where a waiting job stands against its SLA deadline. "Due soon": less than a quarter of its queue's
# SLA left. Overdue is overdue whatever the job's age, so colours follow these, not the age buckets.
SLA_STATES = METRIC_SLA_STATES
SLA_STATE_LABELS = {"on_track": "on track", "due_soon": "due soon", "overdue": "overdue"}


@dataclass(frozen=True)
class JobSelection:
    """Which jobs: every field set narrows the selection; unset fields (None, False) do not.

    Ranges include their start and exclude their end (`created_from` <= created_at < `created_to`).
    `decided_from`/`decided_to` bound when the job was decided. `decision_from`/`decision_to`,
    `reviewer` and `harm_type` select jobs with a decision (any round) made in that range, by that
    reviewer, of that harm type. `vendor` keeps the queues that vendor works, and of decided jobs
    those whose final decision (or, with a decision range, whose decision) was by that vendor's people.
    """

    queue: str | None = None
    status: str | None = None  # a key of STATUSES
    policy: str | None = None  # a policy id; its children are included
    language: str | None = None
    vendor: str | None = None
    overdue: bool = False  # past the SLA deadline now (waiting jobs only make sense here)
    sla: str | None = None  # one of SLA_STATES
    age: str | None = None  # a Bucket.key
    created_from: datetime | None = None
    created_to: datetime | None = None
    decided_from: datetime | None = None
    decided_to: datetime | None = None
    in_sla: bool | None = None  # decided by the deadline (True) or after it (False)
    decision_from: datetime | None = None
    decision_to: datetime | None = None
    reviewer: str | None = None
    harm_type: str | None = None
    unreachable: bool = False  # open, and no eligible reviewer speaks its language
    with_golden: bool = False  # golden jobs too (exposure: every decision counts against the caps)

    def narrowed(self, **changes: Any) -> JobSelection:
        return replace(self, **changes)

    def query(self) -> dict[str, str]:
        """The selection as query parameters, in a stable order; unset fields are left out."""
        params: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value is False:
                continue
            if isinstance(value, bool):
                params[f.name] = "1" if value else "0"
            elif isinstance(value, datetime):
                params[f.name] = as_utc(value).isoformat().replace("+00:00", "Z")
            else:
                params[f.name] = str(value)
        if self.in_sla is False:
            params["in_sla"] = "0"
        return params

    @property
    def link(self) -> str:
        """The jobs listing page of exactly these jobs."""
        query = urlencode(self.query())
        return f"/review/supervisor/jobs?{query}" if query else "/review/supervisor/jobs"


_TEXT_LIMITS = {"queue": 64, "policy": 128, "language": 16, "vendor": 128, "reviewer": 128, "harm_type": 64}
_FLAGS = ("overdue", "unreachable", "with_golden")
_MOMENTS = ("created_from", "created_to", "decided_from", "decided_to", "decision_from", "decision_to")


def selection_from(params: Mapping[str, str | None]) -> JobSelection:
    """Read a selection from query parameters; InvalidInput names every bad field and why."""
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name, limit in _TEXT_LIMITS.items():
        text = (params.get(name) or "").strip()
        if len(text) > limit:
            errors.append(FieldError(name, f"at most {limit} characters"))
        elif text:
            values[name] = text
    status = (params.get("status") or "").strip()
    if status and status not in STATUSES:
        errors.append(FieldError("status", f"must be one of {', '.join(STATUSES)}"))
    elif status:
        values["status"] = status
    sla = (params.get("sla") or "").strip()
    if sla and sla not in SLA_STATES:
        errors.append(FieldError("sla", f"must be one of {', '.join(SLA_STATES)}"))
    elif sla:
        values["sla"] = sla
    age = (params.get("age") or "").strip()
    if age and age not in {b.key for b in AGE_BUCKETS}:
        errors.append(FieldError("age", f"must be one of {', '.join(b.key for b in AGE_BUCKETS)}"))
    elif age:
        values["age"] = age
    for name in (*_FLAGS, "in_sla"):
        raw = (params.get(name) or "").strip().lower()
        if raw in ("", "all"):
            continue
        if raw not in ("1", "0", "true", "false"):
            errors.append(FieldError(name, "must be 1 (yes) or 0 (no)"))
            continue
        flag = raw in ("1", "true")
        if name == "in_sla":
            values[name] = flag
        elif flag:
            values[name] = True
    for name in _MOMENTS:
        raw = (params.get(name) or "").strip()
        if not raw:
            continue
        try:
            values[name] = as_utc(datetime.fromisoformat(raw.replace("Z", "+00:00")))
        except ValueError:
            errors.append(FieldError(name, "must be a date or time such as 2026-11-02 or 2026-11-02T09:00:00Z"))
    if errors:
        raise InvalidInput("the job selection is not valid", errors)
    return JobSelection(**values)


# --- the WHERE clause ------------------------------------------------------------------------------


def policy_condition(policy: str) -> ColumnElement[bool]:
    """The job's policy is `policy` or one of its children (`hate_speech` takes in `hate_speech.slurs`)."""
    return or_(Job.policy_hint == policy, Job.policy_hint.startswith(f"{policy}.", autoescape=True))


def age_condition(key: str, now: datetime) -> ColumnElement[bool]:
    """Created within this bucket's ages: younger than its bound, and not younger than the bucket before's."""
    conditions: list[ColumnElement[bool]] = []
    lower: timedelta | None = None
    for bucket in AGE_BUCKETS:
        if bucket.key == key:
            if lower is not None:
                conditions.append(Job.created_at <= now - lower)
            if bucket.upper is not None:
                conditions.append(Job.created_at > now - bucket.upper)
            break
        lower = bucket.upper
    return and_(true(), *conditions)


def due_soon_bound(config: ReviewConfig, queue: str, now: datetime) -> datetime:
    spec = config.by_name.get(queue)
    hours = spec.sla_hours if spec is not None else DEFAULT_SLA_HOURS
    return now + timedelta(hours=hours * DUE_SOON_SHARE)


def sla_condition(state: str, config: ReviewConfig, queue_names: list[str], now: datetime) -> ColumnElement[bool]:
    if state == "overdue":
        return Job.sla_due_at < now
    soon = or_(false(), *[and_(Job.queue == q, Job.sla_due_at < due_soon_bound(config, q, now)) for q in queue_names])
    if state == "due_soon":
        return and_(Job.sla_due_at >= now, soon)
    return and_(Job.sla_due_at >= now, ~soon)


def vendor_queues(config: ReviewConfig, vendor: str | None) -> list[str]:
    return [q.name for q in config.queues if vendor is None or vendor in q.vendors]


def eligible_languages(session: Session, config: ReviewConfig) -> dict[str, frozenset[str] | None]:
    """{queue: languages its eligible reviewers speak}; None when one of them takes any language, and
    an empty set when nobody active may work the queue at all."""
    covered: dict[str, set[str] | None] = {q.name: set() for q in config.queues}
    for user in session.scalars(select(User).where(User.active.is_(True))):
        principal = principal_of(user, via="system")
        if not principal.can(Permission.REVIEW_WORK):
            continue
        for spec in config.queues:
            languages = covered[spec.name]
            if languages is None or not may_work(spec, principal):
                continue
            if principal.languages:
                languages.update(principal.languages)
            else:
                covered[spec.name] = None
    return {q: (None if langs is None else frozenset(langs)) for q, langs in covered.items()}


def unreachable_condition(coverage: Mapping[str, frozenset[str] | None]) -> ColumnElement[bool]:
    """Open jobs no eligible reviewer can claim: nobody may work the queue, or nobody speaks the language."""
    per_queue: list[ColumnElement[bool]] = []
    for queue, languages in coverage.items():
        if languages is None:
            continue
        if not languages:
            per_queue.append(Job.queue == queue)
        else:
            per_queue.append(and_(Job.queue == queue, Job.language.is_not(None), Job.language.not_in(languages)))
    return and_(Job.status == JobStatus.OPEN.value, or_(false(), *per_queue))


def job_conditions(
    selection: JobSelection,
    *,
    config: ReviewConfig,
    now: datetime,
    coverage: Mapping[str, frozenset[str] | None] | None = None,
) -> list[ColumnElement[bool]]:
    """The WHERE clause over `Job` of this selection (`coverage` is needed for `unreachable` only)."""
    s = selection
    queues = vendor_queues(config, s.vendor)
    if s.queue is not None:
        queues = [q for q in queues if q == s.queue]
    # Always the configured queues: the jobs of a queue since removed are counted nowhere, so listed nowhere.
    conditions: list[ColumnElement[bool]] = [Job.queue.in_(queues)]
    if not s.with_golden:
        conditions.append(Job.golden_pk.is_(None))
    if s.status is not None:
        conditions.append(Job.status.in_(STATUSES[s.status]))
    if s.policy:
        conditions.append(policy_condition(s.policy))
    if s.language:
        conditions.append(Job.language == s.language)
    if s.overdue:
        conditions.append(Job.sla_due_at < now)
    if s.sla:
        conditions.append(sla_condition(s.sla, config, queues, now))
    if s.age:
        conditions.append(age_condition(s.age, now))
    if s.created_from is not None:
        conditions.append(Job.created_at >= s.created_from)
    if s.created_to is not None:
        conditions.append(Job.created_at < s.created_to)
    decided_range = s.decided_from is not None or s.decided_to is not None
    if s.decided_from is not None:
        conditions.append(Job.decided_at >= s.decided_from)
    if s.decided_to is not None:
        conditions.append(Job.decided_at < s.decided_to)
    if s.in_sla is not None:
        on_time = Job.decided_at <= Job.sla_due_at
        conditions.append(on_time if s.in_sla else ~on_time)
    if s.vendor and decided_range:
        conditions.append(
            exists().where(
                Decision.job_pk == Job.pk,
                Decision.final.is_(True),
                Decision.reviewer_pk == User.pk,
                User.vendor == s.vendor,
            )
        )
    decision = decision_conditions(s)
    if decision:
        conditions.append(exists().where(Decision.job_pk == Job.pk, *decision))
    if s.unreachable:
        if coverage is None:
            raise ValueError("an unreachable selection needs the queues' language coverage")
        conditions.append(unreachable_condition(coverage))
    return conditions


def decision_conditions(s: JobSelection) -> list[ColumnElement[bool]]:
    """Conditions on `Decision` of a selection by decisions (reviewer, harm type, decision time, vendor).
    A decision taken back within its undo window counts nowhere: the reviewer's new decision stands for it."""
    if s.decision_from is None and s.decision_to is None and s.reviewer is None and s.harm_type is None:
        return []
    conditions: list[ColumnElement[bool]] = [Decision.withdrawn_at.is_(None)]
    if s.decision_from is not None:
        conditions.append(Decision.decided_at >= s.decision_from)
    if s.decision_to is not None:
        conditions.append(Decision.decided_at < s.decision_to)
    if s.harm_type is not None:
        conditions.append(Decision.harm_type == s.harm_type)
    if s.reviewer is not None or s.vendor is not None:
        people = select(User.pk)
        if s.reviewer is not None:
            people = people.where(User.name == s.reviewer)
        if s.vendor is not None:
            people = people.where(User.vendor == s.vendor)
        conditions.append(Decision.reviewer_pk.in_(people.scalar_subquery()))
    return conditions
