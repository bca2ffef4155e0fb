"""Golden sets: content items with a known answer (a policy, or no violation) and its rationale, served
inside normal queues (`golden_serving`), scored against that answer, never enforced.

Items come from content ids with an answer (one at a time, or a JSONL/CSV file: every bad row reported
with its line number, nothing written unless all rows are good), or are promoted from a decided job
whose decision a QA re-review or an upheld appeal confirmed. Every change is audited here, by the service.
A set's `share` is its serving rate: golden jobs per real job opened in the queue (see `golden_serving`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.domain.review import AppealStatus
from bastion.errors import Conflict, FieldError, InvalidInput, NotFound
from bastion.ingest.readers import format_of, read_records
from bastion.policy.service import current_policies
from bastion.review.config_store import current_review_config
from bastion.store.schema import Appeal, ContentItem, Decision, EnforcementAction, Job, QaSample, User
from bastion.store.schema.golden import GoldenItem, GoldenSet

NO_VIOLATION = "none"
DEFAULT_SHARE = 0.02  # one golden job per fifty real ones
MAX_RATIONALE = 5_000
SET_NAME_LENGTH = 64
MAX_PER_DAY = 10_000


@dataclass(frozen=True)
class GoldenEntry:
    """One item to add: a content id, its answer (a policy id or "none"), why, and the queue to serve it in."""

    content_id: str
    answer: str
    rationale: str
    queue: str
    line: int | None = None  # where it was read, for errors


@dataclass(frozen=True)
class GoldenItemView:
    content_id: str
    queue: str
    answer: str  # a policy id, or "none"
    rationale: str
    created_at: datetime
    created_by: str
    retired_at: datetime | None


@dataclass(frozen=True)
class GoldenScore:
    """Golden decisions of one reviewer (or of everyone) against the answers, with a Wilson interval."""

    reviewer: str
    decided: int
    correct: int
    accuracy: float | None
    accuracy_low: float | None
    accuracy_high: float | None


@dataclass(frozen=True)
class GoldenSetSummary:
    name: str
    share: float
    per_day: int
    items: int  # live (not retired)
    retired: int
    served: int  # golden jobs ever opened
    open: int  # golden jobs waiting or in hand
    score: GoldenScore


@dataclass(frozen=True)
class GoldenSetDetail:
    summary: GoldenSetSummary
    items: list[GoldenItemView]
    reviewers: list[GoldenScore]


def define_set(
    session: Session, name: str, *, share: float | None, per_day: int | None = None, now: datetime, principal: str
) -> GoldenSet:
    """The set named `name`, created if new (at `DEFAULT_SHARE` and no daily golden jobs unless given);
    `share` and `per_day` change its serving rate. Audited when created or changed."""
    errors = []
    if not name or len(name) > SET_NAME_LENGTH or not name.replace("_", "").replace("-", "").isalnum():
        errors.append(FieldError("set", "a set name has 1 to 64 letters, digits, - and _"))
    if share is not None and not 0.0 <= share <= 1.0:
        errors.append(FieldError("share", f"a share of the queue's inflow is between 0 and 1, not {share:g}"))
    if per_day is not None and not 0 <= per_day <= MAX_PER_DAY:
        errors.append(FieldError("per_day", f"golden jobs a day per queue are 0 to {MAX_PER_DAY:,}, not {per_day}"))
    if errors:
        raise InvalidInput("the golden set is not valid", errors)
    found = session.scalar(select(GoldenSet).where(GoldenSet.name == name))
    if found is not None and share in (None, found.share) and per_day in (None, found.per_day):
        return found
    if found is None:
        found = GoldenSet(
            name=name,
            share=DEFAULT_SHARE if share is None else share,
            per_day=per_day or 0,
            created_at=now,
            created_by=principal,
        )
        session.add(found)
    else:
        found.share = float(share) if share is not None else found.share
        found.per_day = per_day if per_day is not None else found.per_day
    session.flush()
    audit_log.record(
        session,
        principal=principal,
        action="golden.set",
        target=f"golden_set:{name}",
        at=now,
        details={"share": found.share, "per_day": found.per_day},
    )
    return found


def add_items(
    session: Session,
    set_name: str,
    entries: Sequence[GoldenEntry],
    *,
    share: float | None = None,
    per_day: int | None = None,
    now: datetime,
    principal: str,
) -> list[GoldenItem]:
    """Add items to a set (created if new). Every entry is checked first: one bad entry and nothing is written,
    and the error names each bad field (with its line, when read from a file)."""
    golden_set = define_set(session, set_name, share=share, per_day=per_day, now=now, principal=principal)
    policies = current_policies(session)
    queues = current_review_config(session).config.by_name
    ids = {e.content_id for e in entries}
    found_content = session.execute(
        select(ContentItem.external_id, ContentItem.pk).where(ContentItem.external_id.in_(ids))
    )
    content = {external_id: pk for external_id, pk in found_content}
    existing = set(session.scalars(select(GoldenItem.content_pk).where(GoldenItem.golden_set == golden_set.name)))
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = "" if entry.line is not None or len(entries) == 1 else f"items[{index}]."
        if entry.content_id not in content:
            errors.append(FieldError(f"{where}content_id", f"unknown content id {entry.content_id!r}", entry.line))
        elif entry.content_id in seen or content[entry.content_id] in existing:
            errors.append(
                FieldError(f"{where}content_id", f"{entry.content_id!r} is already in set {set_name}", entry.line)
            )
        seen.add(entry.content_id)
        if entry.answer != NO_VIOLATION and entry.answer not in policies:
            message = f'unknown policy {entry.answer!r}; use a policy id or "none"'
            errors.append(FieldError(f"{where}answer", message, entry.line))
        if entry.queue not in queues:
            known = ", ".join(sorted(queues))
            errors.append(FieldError(f"{where}queue", f"unknown queue {entry.queue!r}; queues: {known}", entry.line))
        if not entry.rationale.strip():
            errors.append(FieldError(f"{where}rationale", "say why this is the right answer", entry.line))
        elif len(entry.rationale) > MAX_RATIONALE:
            errors.append(FieldError(f"{where}rationale", f"at most {MAX_RATIONALE:,} characters", entry.line))
    if not entries:
        errors.append(FieldError("items", "no items to add"))
    if errors:
        raise InvalidInput(f"no golden item was added to {set_name}", errors)
    items = [
        GoldenItem(
            golden_set=golden_set.name,
            queue=entry.queue,
            content_pk=content[entry.content_id],
            policy_id=None if entry.answer == NO_VIOLATION else entry.answer,
            rationale=entry.rationale.strip(),
            created_at=now,
            created_by=principal,
        )
        for entry in entries
    ]
    session.add_all(items)
    session.flush()
    for item, entry in zip(items, entries, strict=True):
        audit_log.record(
            session,
            principal=principal,
            action="golden.add",
            target=f"golden_item:{item.pk}",
            at=now,
            details={"set": set_name, "content": entry.content_id, "answer": entry.answer, "queue": entry.queue},
        )
    return items


def read_items_file(path: Path, *, queue: str | None = None) -> list[GoldenEntry]:
    """Golden entries from a JSONL, CSV or Parquet file (read as every import reads: `ingest.readers`), each
    with its line number. Rows: content_id, answer, rationale, queue (the `queue` argument fills a missing one)."""
    rows: list[tuple[int, object]] = []
    errors: list[FieldError] = []
    for record in read_records(path, format_of(path)):
        if record.error is not None:
            errors.append(record.error)
        else:
            rows.append((record.line, record.value))
    entries: list[GoldenEntry] = []
    for number, row in rows:
        if not isinstance(row, dict):
            errors.append(FieldError("", "a row is an object with content_id, answer, rationale and queue", number))
            continue
        fields = {key: row.get(key) for key in ("content_id", "answer", "rationale", "queue")}
        fields["queue"] = fields["queue"] or queue
        missing = [key for key, value in fields.items() if key != "rationale" and not value]
        for key in missing:
            errors.append(FieldError(key, "missing", number))
        bad = [key for key, value in fields.items() if value is not None and not isinstance(value, str)]
        for key in bad:
            errors.append(FieldError(key, "must be text", number))
        if not missing and not bad:
            entries.append(
                GoldenEntry(
                    str(fields["content_id"]),
                    str(fields["answer"]),
                    str(fields["rationale"] or ""),
                    str(fields["queue"]),
                    number,
                )
            )
    if errors:
        raise InvalidInput(f"{path.name} has bad rows; nothing was added", errors)
    return entries


def promote(
    session: Session, set_name: str, decision_pk: int, *, rationale: str, now: datetime, principal: str
) -> GoldenItem:
    """Make a golden item of a decided job whose decision was confirmed: a blind QA re-review gave the same
    answer, or an appeal against its action was upheld. The decision's answer becomes the item's."""
    decision = session.get(Decision, decision_pk)
    if decision is None or decision.withdrawn_at is not None or not decision.final:
        raise NotFound(f"no final decision {decision_pk}")
    job = session.get_one(Job, decision.job_pk)
    if job.subject_type != "content":
        raise InvalidInput(
            "only decisions on content can become golden items", [FieldError("decision", "about an account")]
        )
    if job.golden_pk is not None or job.kind not in ("review", "escalation"):
        raise InvalidInput("the decision is not on a review job", [FieldError("decision", f"a {job.kind} job")])
    if not _confirmed(session, decision):
        raise Conflict(
            f"decision {decision_pk} was never confirmed: neither a QA re-review agreeing with it nor an upheld appeal"
        )
    content = session.get_one(ContentItem, job.subject_pk)
    queue = job.queue
    why = rationale.strip() or decision.rationale or f"confirmed decision {decision_pk}"
    entry = GoldenEntry(content.external_id, decision.policy_id or NO_VIOLATION, why, queue)
    (item,) = add_items(session, set_name, [entry], now=now, principal=principal)
    return item


def _confirmed(session: Session, decision: Decision) -> bool:
    qa_answer = session.execute(
        select(Decision.policy_id)
        .join(QaSample, QaSample.job_pk == Decision.job_pk)
        .where(QaSample.decision_pk == decision.pk, Decision.final.is_(True), Decision.withdrawn_at.is_(None))
    ).first()
    if qa_answer is not None:
        return bool(qa_answer[0] == decision.policy_id)
    upheld = session.scalar(
        select(func.count())
        .select_from(Appeal)
        .join(EnforcementAction, EnforcementAction.pk == Appeal.action_pk)
        .where(EnforcementAction.decision_pk == decision.pk, Appeal.status == AppealStatus.UPHELD.value)
    )
    return bool(upheld)


def retire(session: Session, set_name: str, content_id: str, *, now: datetime, principal: str) -> GoldenItem:
    """Stop serving an item (its past golden decisions keep their score). Audited."""
    item = session.scalar(
        select(GoldenItem)
        .join(ContentItem, ContentItem.pk == GoldenItem.content_pk)
        .where(GoldenItem.golden_set == set_name, ContentItem.external_id == content_id)
    )
    if item is None:
        raise NotFound(f"no item {content_id!r} in golden set {set_name!r}")
    if item.retired_at is not None:
        raise Conflict(f"{content_id!r} was already retired from {set_name}")
    item.retired_at = now
    audit_log.record(
        session,
        principal=principal,
        action="golden.retire",
        target=f"golden_item:{item.pk}",
        at=now,
        details={"set": set_name, "content": content_id},
    )
    return item


def golden_sets(session: Session) -> list[GoldenSetSummary]:
    """Every set with its items, its jobs and its score over all reviewers."""
    sets = list(session.scalars(select(GoldenSet).order_by(GoldenSet.name)))
    scores = _scores(session, None)
    return [_summary(session, s, scores.get(s.name, {})) for s in sets]


def golden_set(session: Session, name: str) -> GoldenSetDetail:
    """One set: its items with their answers, and each reviewer's golden decisions against them."""
    found = session.scalar(select(GoldenSet).where(GoldenSet.name == name))
    if found is None:
        raise NotFound(f"no golden set {name!r}")
    scores = _scores(session, name).get(name, {})
    rows = session.execute(
        select(GoldenItem, ContentItem.external_id)
        .join(ContentItem, ContentItem.pk == GoldenItem.content_pk)
        .where(GoldenItem.golden_set == name)
        .order_by(GoldenItem.retired_at.is_not(None), GoldenItem.pk)
    )
    items = [
        GoldenItemView(
            external_id,
            item.queue,
            item.policy_id or NO_VIOLATION,
            item.rationale,
            item.created_at,
            item.created_by,
            item.retired_at,
        )
        for item, external_id in rows
    ]
    reviewers = [score(reviewer, *counts) for reviewer, counts in sorted(scores.items()) if reviewer]
    return GoldenSetDetail(_summary(session, found, scores), items, reviewers)


def _summary(session: Session, found: GoldenSet, scores: dict[str, tuple[int, int]]) -> GoldenSetSummary:
    live, retired = session.execute(
        select(
            func.count().filter(GoldenItem.retired_at.is_(None)),
            func.count().filter(GoldenItem.retired_at.is_not(None)),
        ).where(GoldenItem.golden_set == found.name)
    ).one()
    served, waiting = session.execute(
        select(func.count(), func.count().filter(Job.status.in_(("open", "claimed", "held"))))
        .select_from(Job)
        .join(GoldenItem, GoldenItem.pk == Job.golden_pk)
        .where(GoldenItem.golden_set == found.name)
    ).one()
    decided = sum(n for n, _ in scores.values())
    correct = sum(c for _, c in scores.values())
    return GoldenSetSummary(
        found.name,
        found.share,
        found.per_day,
        int(live),
        int(retired),
        int(served),
        int(waiting),
        score("", decided, correct),
    )


def _scores(session: Session, name: str | None) -> dict[str, dict[str, tuple[int, int]]]:
    """Per set, per reviewer: (golden decisions, correct ones). Every standing round counts."""
    right = (Decision.policy_id == GoldenItem.policy_id) | (
        Decision.policy_id.is_(None) & GoldenItem.policy_id.is_(None)
    )
    query = (
        select(GoldenItem.golden_set, User.name, func.count(), func.count().filter(right))
        .select_from(Decision)
        .join(Job, Job.pk == Decision.job_pk)
        .join(GoldenItem, GoldenItem.pk == Job.golden_pk)
        .join(User, User.pk == Decision.reviewer_pk)
        .where(Decision.withdrawn_at.is_(None))
        .group_by(GoldenItem.golden_set, User.name)
    )
    if name is not None:
        query = query.where(GoldenItem.golden_set == name)
    found: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for set_name, reviewer, decided, correct in session.execute(query):
        found[set_name][reviewer] = (int(decided), int(correct))
    return found


def score(reviewer: str, decided: int, correct: int, *, alpha: float = 0.05) -> GoldenScore:
    """Accuracy with its Wilson interval (statsmodels); None on no decisions."""
    if decided == 0:
        return GoldenScore(reviewer, 0, 0, None, None, None)
    from bastion.quality.statistics import wilson  # scikit-learn and statsmodels: slow to import, only when scoring

    low, high = wilson(correct, decided, alpha)
    return GoldenScore(reviewer, decided, correct, correct / decided, low, high)
