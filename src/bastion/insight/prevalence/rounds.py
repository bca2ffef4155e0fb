"""Prevalence rounds: sample a period's views, open their labelling jobs, follow them, estimate.

The service of the prevalence program; the design and the estimator it runs are pure (`design.py`,
`estimate.py`). A round's sampled items are labelled in a queue of kind `prevalence`: a labeller
decides violating or not, and which policy, as in any review, but the decision is never enforced
(`review/decisions.py`), and the job shows no classifier score (its confidence input is 0 and it names
no policy), which would bias the labeller.

A round is `labelling` until every job is decided; whoever next reads it (its status, the list, the
estimate) then records it `done`, in that read's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.clock import as_utc
from bastion.domain.events import NewEvent
from bastion.domain.insight import PrevalenceRoundStatus
from bastion.domain.policy import covers
from bastion.domain.review import JobKind, JobStatus
from bastion.domain.subjects import SubjectType
from bastion.errors import Conflict, FieldError, InvalidInput, NotFound
from bastion.insight.prevalence.design import Allocation, Stratum, draw_round, plan_strata
from bastion.policy.service import current_policies
from bastion.review.config import QueueSpec
from bastion.review.config_store import current_review_config
from bastion.review.jobs import NewJob, create_job
from bastion.review.priority import PriorityInputs
from bastion.store.events import append_events
from bastion.store.schema import ContentItem, Decision, Job, ModelScore, ModelVersion, View
from bastion.store.schema.insight import PrevalenceRound, PrevalenceSample

DEFAULT_QUEUE = "prevalence"
MAX_SIZE = 20_000
PRINCIPAL = "prevalence"  # who opens the labelling jobs, in the event log


def period_of(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """The period from the first day's midnight (UTC) to the end of the last day: both days included."""
    return (
        datetime.combine(first_day, time.min, tzinfo=UTC),
        datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=UTC),
    )


@dataclass(frozen=True)
class RoundView:
    """A round as listed: its period, design and labelling progress."""

    name: str
    period_start: datetime
    period_end: datetime
    size: int
    policy: str | None
    allocation: str
    queue: str
    status: str
    items: int  # distinct items sampled: one labelling job each
    labelled: int  # of their jobs, those decided
    strata: list[dict[str, object]]
    created_at: datetime
    created_by: str

    @property
    def last_day(self) -> date:
        """The period's last day, included."""
        return (self.period_end - timedelta(microseconds=1)).date()


def start_round(
    session: Session,
    *,
    period_start: datetime,
    period_end: datetime,
    size: int,
    policy: str | None = None,
    allocation: Allocation = Allocation.NEYMAN,
    queue: str = DEFAULT_QUEUE,
    seed: int,
    principal: str,
    now: datetime,
) -> RoundView:
    """Sample `size` views of [period_start, period_end) by classifier score and open their labelling jobs.

    Recorded in the audit log as `prevalence.start`."""
    loaded = current_review_config(session)
    spec = loaded.config.by_name.get(queue)
    spec = _check_request(session, period_start, period_end, size, policy, queue, spec)
    busy = session.scalar(
        select(PrevalenceRound.name).where(
            PrevalenceRound.queue == queue, PrevalenceRound.status == PrevalenceRoundStatus.LABELLING.value
        )
    )
    if busy is not None and _refresh(session, _get(session, busy)).status == PrevalenceRoundStatus.LABELLING:
        raise Conflict(f"round {busy!r} is still labelling in the {queue} queue: finish it before starting another")
    frame = _views_of(session, period_start, period_end, policy)
    view_pks, content_pks, weights, scores, model = frame
    strata = plan_strata(scores, weights, size, allocation=allocation)
    drawn = draw_round(np.random.default_rng(seed), scores, weights, strata)
    last_day = (as_utc(period_end) - timedelta(microseconds=1)).date()
    name = _free_name(session, f"{period_start:%Y-%m-%d}-to-{last_day:%Y-%m-%d}")
    row = PrevalenceRound(
        name=name,
        period_start=period_start,
        period_end=period_end,
        size=size,
        design={
            "model": model,
            "policy": policy,
            "allocation": allocation.value,
            "seed": seed,
            "strata": [s.document() for s in strata],
        },
        queue=queue,
        status=PrevalenceRoundStatus.LABELLING.value,
        created_at=now,
        created_by=principal,
    )
    session.add(row)
    session.flush()
    events: list[NewEvent] = []
    drawn_items = {int(content_pks[i]) for indices in drawn.values() for i in indices.tolist()}
    contents = {c.pk: c for c in session.scalars(select(ContentItem).where(ContentItem.pk.in_(drawn_items)))}
    for stratum in strata:
        weight_per_draw = stratum.impressions / stratum.sample
        by_item: dict[int, list[int]] = defaultdict(list)
        for index in drawn[stratum.name].tolist():
            by_item[int(content_pks[index])].append(int(view_pks[index]))
        for content_pk, views in by_item.items():
            content = contents[content_pk]
            new = NewJob(
                JobKind.PREVALENCE,
                SubjectType.CONTENT,
                content_pk,
                None,  # no policy named: the labeller decides which, unprompted
                PriorityInputs(severity=1, confidence=0.0, views=0, followers=0, weighted_reports=0.0),
                language=content.language,
                country=content.country,
                surface=content.surface,
            )
            job = create_job(
                session, spec, new, config_version=loaded.version, now=now, principal=PRINCIPAL, events=events
            )
            session.add(
                PrevalenceSample(
                    round_pk=row.pk,
                    view_pk=views[0],
                    content_pk=content_pk,
                    stratum=stratum.name,
                    weight=weight_per_draw * len(views),
                    draws=len(views),
                    job_pk=job.pk,
                )
            )
    session.flush()
    append_events(session, events, recorded_at=now)
    audit_log.record(
        session,
        principal=principal,
        action="prevalence.start",
        target=f"prevalence_round:{name}",
        at=now,
        details={"size": size, "policy": policy, "allocation": allocation.value, "jobs": len(events)},
    )
    return _view(session, row)


def list_rounds(session: Session) -> list[RoundView]:
    """Every round, newest first."""
    rows = session.scalars(
        select(PrevalenceRound).order_by(PrevalenceRound.created_at.desc(), PrevalenceRound.pk.desc())
    )
    return [_view(session, _refresh(session, row)) for row in rows]


def round_status(session: Session, name: str) -> RoundView:
    return _view(session, _refresh(session, _get(session, name)))


@dataclass(frozen=True)
class LabelledSample:
    """A sampled item as labelled: its stratum, how often it was drawn, the policy decided (None: none)."""

    stratum: str
    draws: int
    policy: str | None


def labelled_samples(session: Session, name: str) -> tuple[PrevalenceRound, list[LabelledSample]]:
    """The round and its samples with their final decisions; refused while any is undecided."""
    row = _refresh(session, _get(session, name))
    view = _view(session, row)
    if row.status != PrevalenceRoundStatus.DONE:
        raise Conflict(f"round {name!r} is still labelling: {view.labelled} of {view.items} items labelled")
    final = (
        select(PrevalenceSample.stratum, PrevalenceSample.draws, Decision.policy_id)
        .join(Decision, (Decision.job_pk == PrevalenceSample.job_pk) & Decision.final & Decision.withdrawn_at.is_(None))
        .where(PrevalenceSample.round_pk == row.pk)
    )
    return row, [LabelledSample(s, int(d), p) for s, d, p in session.execute(final)]


def _check_request(
    session: Session,
    start: datetime,
    end: datetime,
    size: int,
    policy: str | None,
    queue: str,
    spec: QueueSpec | None,
) -> QueueSpec:
    errors: list[FieldError] = []
    if as_utc(end) <= as_utc(start):
        errors.append(FieldError("period_end", f"must be after the period's start ({start:%Y-%m-%d})"))
    if not 1 <= size <= MAX_SIZE:
        errors.append(FieldError("size", f"must be from 1 to {MAX_SIZE:,}, not {size}"))
    if policy is not None and policy not in current_policies(session):
        errors.append(FieldError("policy", f"no live policy {policy!r}"))
    if spec is None:
        errors.append(FieldError("queue", f"no queue {queue!r} in the review configuration in force"))
    elif spec.kind != JobKind.PREVALENCE:
        errors.append(FieldError("queue", f"the {queue} queue is not a prevalence labelling queue ({spec.kind})"))
    if errors or spec is None:
        raise InvalidInput("the prevalence round cannot start", errors)
    return spec


def _views_of(
    session: Session, start: datetime, end: datetime, policy: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The period's views, their items, weights and scores (the highest a model in force, of the policy
    or a family above or below it, gave the item; NaN when none did) and the models read."""
    models = [
        m
        for m in session.scalars(
            select(ModelVersion).where(ModelVersion.retired_at.is_(None), ModelVersion.mode != "off")
        )
        if policy is None or covers(m.policy_id, policy) or covers(policy, m.policy_id)
    ]
    best = (
        select(ModelScore.content_pk, func.max(ModelScore.score).label("score"))
        .where(ModelScore.model_version_pk.in_([m.pk for m in models]))
        .group_by(ModelScore.content_pk)
        .subquery()
    )
    rows = session.execute(
        select(View.pk, View.content_pk, View.weight, best.c.score)
        .outerjoin(best, best.c.content_pk == View.content_pk)
        .where(View.viewed_at >= start, View.viewed_at < end)
        .order_by(View.pk)
    ).all()
    if not rows:
        raise InvalidInput(
            "the prevalence round cannot start",
            [FieldError("period_start", f"no views were seen from {start:%Y-%m-%d} to {end:%Y-%m-%d}")],
        )
    return (
        np.array([r[0] for r in rows], dtype=np.int64),
        np.array([r[1] for r in rows], dtype=np.int64),
        np.array([max(0, r[2]) for r in rows], dtype=np.float64),
        np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=np.float64),
        [f"{m.name} v{m.version}" for m in models],
    )


def _free_name(session: Session, base: str) -> str:
    taken = set(session.scalars(select(PrevalenceRound.name).where(PrevalenceRound.name.startswith(base))))
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def _get(session: Session, name: str) -> PrevalenceRound:
    row = session.scalar(select(PrevalenceRound).where(PrevalenceRound.name == name))
    if row is None:
        raise NotFound(f"no prevalence round {name!r}")
    return row


def _progress(session: Session, round_pk: int) -> tuple[int, int]:
    items, labelled = session.execute(
        select(func.count(), func.count().filter(Job.status == JobStatus.DECIDED.value))
        .select_from(PrevalenceSample)
        .join(Job, Job.pk == PrevalenceSample.job_pk)
        .where(PrevalenceSample.round_pk == round_pk)
    ).one()
    return int(items), int(labelled)


def _refresh(session: Session, row: PrevalenceRound) -> PrevalenceRound:
    if row.status == PrevalenceRoundStatus.LABELLING:
        items, labelled = _progress(session, row.pk)
        if labelled == items:
            row.status = PrevalenceRoundStatus.DONE.value
            session.flush()
    return row


def _view(session: Session, row: PrevalenceRound) -> RoundView:
    items, labelled = _progress(session, row.pk)
    design = row.design or {}
    return RoundView(
        name=row.name,
        period_start=as_utc(row.period_start),
        period_end=as_utc(row.period_end),
        size=row.size,
        policy=design.get("policy"),
        allocation=str(design.get("allocation", "")),
        queue=row.queue,
        status=row.status,
        items=items,
        labelled=labelled,
        strata=list(design.get("strata", [])),
        created_at=as_utc(row.created_at),
        created_by=row.created_by,
    )


def strata_of(row: PrevalenceRound) -> list[Stratum]:
    """The round's strata as designed."""
    return [Stratum(**s) for s in (row.design or {}).get("strata", [])]
