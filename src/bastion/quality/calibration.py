"""Calibration exercises: a set of items that every reviewer of a group decides, then compared and discussed.

A QA lead creates an exercise: a name, a group (a queue's reviewers, a vendor's, or named users) and
items (content by external id, or a sample of a queue's recently decided items). Every member answers
every item with a policy (or "none"). While the exercise is open a member sees only their own answers,
so that nobody anchors on the others; those who run exercises (quality.manage) see the comparison as it
fills. Once closed, everyone in it sees per item the distribution of answers and the group's agreement
(Krippendorff's alpha from the `krippendorff` package, Fleiss' kappa from statsmodels, on the answers),
and the discussion recorded as notes per item and for the whole exercise.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.auth.users import principal_of
from bastion.domain.access import Permission
from bastion.domain.quality import ExerciseStatus
from bastion.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from bastion.policy.service import current_policies
from bastion.review.access import may_work
from bastion.review.config_store import current_review_config
from bastion.store.schema import ContentItem, Decision, Job, User
from bastion.store.schema.calibration import CalibrationAnswer, CalibrationExercise, CalibrationItem, CalibrationNote

NO_VIOLATION = "none"
MAX_ITEMS = 200
RECENT_DECIDED = 500  # a queue's sample is drawn from its newest decided items, this many at most
TEXT_CHARS = 2_000


@dataclass(frozen=True)
class Group:
    """Who takes part: `kind` queue, vendor or users; `names` the queue, the vendor, or the users."""

    kind: str
    names: tuple[str, ...]

    @property
    def stored(self) -> str:
        return f"{self.kind}:{','.join(self.names)}"

    @classmethod
    def parse(cls, text: str) -> Group:
        """`queue:NAME`, `vendor:NAME` or `users:a,b,c`."""
        kind, _, rest = text.partition(":")
        names = tuple(n.strip() for n in rest.split(",") if n.strip())
        if kind not in {"queue", "vendor", "users"} or not names or (kind != "users" and len(names) != 1):
            raise InvalidInput(
                "the group is not valid",
                [FieldError("group", f"{text!r}: write queue:NAME, vendor:NAME or users:NAME,NAME")],
            )
        return cls(kind, names)


@dataclass(frozen=True)
class Answer:
    reviewer: str
    label: str
    rationale: str
    answered_at: datetime


@dataclass(frozen=True)
class Note:
    author: str
    text: str
    written_at: datetime


@dataclass(frozen=True)
class ExerciseItem:
    position: int
    content_id: str
    text: str | None
    mine: str | None  # the viewer's own answer
    answers: tuple[Answer, ...]  # everyone's, when the viewer may compare; else empty
    distribution: dict[str, int]  # label: how many answered it (when the viewer may compare)
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class Agreement:
    """The group's agreement on the answers (None with fewer than two answers on any item)."""

    krippendorff_alpha: float | None
    fleiss_kappa: float | None
    percent_agreement: float | None
    items: int
    answers: int


@dataclass(frozen=True)
class ExerciseSummary:
    id: int
    name: str
    group: str
    status: ExerciseStatus
    created_at: datetime
    created_by: str
    closed_at: datetime | None
    items: int
    reviewers: tuple[str, ...]
    answered: int  # reviewers who answered every item


@dataclass(frozen=True)
class ExerciseView:
    exercise: ExerciseSummary
    comparable: bool  # the viewer sees everyone's answers (closed, or they run exercises)
    may_answer: bool
    choices: tuple[str, ...]
    items: tuple[ExerciseItem, ...]
    agreement: Agreement | None
    notes: tuple[Note, ...]


def create_exercise(
    session: Session,
    *,
    name: str,
    group: str,
    content_ids: Sequence[str] = (),
    sample_queue: str | None = None,
    sample_size: int = 20,
    rng: random.Random,
    now: datetime,
    by: str,
) -> int:
    """A new open exercise; its items are the given content ids, else a sample of `sample_queue`'s recently
    decided items. Raises InvalidInput naming each bad field."""
    errors: list[FieldError] = []
    if not name.strip() or len(name) > 128:
        errors.append(FieldError("name", "give a name of 1 to 128 characters"))
    try:
        parsed = Group.parse(group)
    except InvalidInput as bad:
        errors.extend(bad.errors)
        parsed = None
    if bool(content_ids) == bool(sample_queue):
        errors.append(FieldError("items", "give content ids or a queue to sample, one of the two"))
    pks: list[int] = []
    if content_ids:
        pks, unknown = _content_pks(session, content_ids)
        errors.extend(FieldError(f"items[{i}]", f"no content item {cid!r}") for i, cid in unknown)
    elif sample_queue:
        if not 1 <= sample_size <= MAX_ITEMS:
            errors.append(FieldError("sample_size", f"between 1 and {MAX_ITEMS}"))
        pks = _recent_decided(session, sample_queue)
        if not pks:
            errors.append(FieldError("sample_queue", f"the queue {sample_queue!r} has no decided content item"))
        pks = rng.sample(pks, min(sample_size, len(pks))) if pks else []
    if len(pks) > MAX_ITEMS:
        errors.append(FieldError("items", f"at most {MAX_ITEMS} items"))
    if parsed is not None and not errors and not _members(session, parsed):
        errors.append(FieldError("group", f"{group!r} has no reviewer who can take part"))
    if errors or parsed is None:
        raise InvalidInput("the calibration exercise is not valid", errors)
    exercise = CalibrationExercise(
        name=name.strip(), group=parsed.stored, status=ExerciseStatus.OPEN.value, created_at=now, created_by=by
    )
    session.add(exercise)
    session.flush()
    session.add_all(CalibrationItem(exercise_pk=exercise.pk, content_pk=pk, position=i + 1) for i, pk in enumerate(pks))
    audit_log.record(
        session,
        principal=by,
        action="calibration.create",
        target=f"calibration:{exercise.pk}",
        at=now,
        details={"name": exercise.name, "group": exercise.group, "items": len(pks)},
    )
    return exercise.pk


def list_exercises(session: Session, viewer: Principal) -> list[ExerciseSummary]:
    """Every exercise for those who read quality; the exercises one is a member of, for a reviewer."""
    if not (viewer.can(Permission.QUALITY_READ) or viewer.can(Permission.REVIEW_WORK)):
        raise Forbidden("calibration exercises are for reviewers and quality readers")
    exercises = session.scalars(select(CalibrationExercise).order_by(CalibrationExercise.pk.desc())).all()
    summaries = [_summary(session, e) for e in exercises]
    if viewer.can(Permission.QUALITY_READ):
        return summaries
    return [s for s in summaries if _is_member(viewer, s)]


def exercise_view(session: Session, exercise_id: int, viewer: Principal) -> ExerciseView:
    exercise = _exercise(session, exercise_id)
    summary = _summary(session, exercise)
    member = _is_member(viewer, summary)
    if not member and not viewer.can(Permission.QUALITY_READ):
        raise Forbidden("only the exercise's reviewers and quality readers see it")
    closed = summary.status is ExerciseStatus.CLOSED
    comparable = closed or viewer.can(Permission.QUALITY_MANAGE)
    items = session.scalars(
        select(CalibrationItem).where(CalibrationItem.exercise_pk == exercise.pk).order_by(CalibrationItem.position)
    ).all()
    content = {
        pk: (external_id, text)
        for pk, external_id, text in session.execute(
            select(ContentItem.pk, ContentItem.external_id, ContentItem.text).where(
                ContentItem.pk.in_([i.content_pk for i in items])
            )
        )
    }
    answers = _answers(session, [i.pk for i in items])
    notes = _notes(session, exercise.pk)
    views = []
    for item in items:
        given = answers.get(item.pk, [])
        external_id, text = content[item.content_pk]
        views.append(
            ExerciseItem(
                position=item.position,
                content_id=external_id,
                text=text[:TEXT_CHARS] if text else text,
                mine=next((a.label for a in given if a.reviewer == viewer.display_name), None),
                answers=tuple(given) if comparable else (),
                distribution=dict(Counter(a.label for a in given).most_common()) if comparable else {},
                notes=tuple(notes.get(item.pk, ())),
            )
        )
    agreement = answer_agreement([[a.label for a in answers.get(i.pk, [])] for i in items]) if comparable else None
    return ExerciseView(
        exercise=summary,
        comparable=comparable,
        may_answer=member and not closed,
        choices=_choices(session),
        items=tuple(views),
        agreement=agreement,
        notes=tuple(notes.get(None, ())),
    )


def answer_items(
    session: Session,
    exercise_id: int,
    reviewer: Principal,
    answers: dict[int, str],
    *,
    rationale: str = "",
    now: datetime,
) -> int:
    """Record (or change) the reviewer's answers, by item position; returns how many were written."""
    exercise = _exercise(session, exercise_id)
    if exercise.status != ExerciseStatus.OPEN.value:
        raise Conflict("the exercise is closed: answers are no longer taken")
    summary = _summary(session, exercise)
    if not _is_member(reviewer, summary) or reviewer.user_pk is None:
        raise Forbidden("only the exercise's reviewers answer it")
    items = {
        i.position: i
        for i in session.scalars(select(CalibrationItem).where(CalibrationItem.exercise_pk == exercise.pk))
    }
    choices = set(_choices(session))
    errors = [FieldError(f"answers.{p}", f"no item {p} in this exercise") for p in answers if p not in items]
    errors += [
        FieldError(f"answers.{p}", f"{label!r} is not a policy id nor {NO_VIOLATION!r}")
        for p, label in answers.items()
        if label not in choices
    ]
    if not answers:
        errors.append(FieldError("answers", "answer at least one item"))
    if errors:
        raise InvalidInput("the answers are not valid", errors)
    for position, label in answers.items():
        item = items[position]
        existing = session.scalars(
            select(CalibrationAnswer).where(
                CalibrationAnswer.item_pk == item.pk, CalibrationAnswer.user_pk == reviewer.user_pk
            )
        ).one_or_none()
        if existing is None:
            session.add(
                CalibrationAnswer(
                    item_pk=item.pk, user_pk=reviewer.user_pk, label=label, rationale=rationale[:2000], answered_at=now
                )
            )
        else:
            existing.label, existing.rationale, existing.answered_at = label, rationale[:2000], now
    audit_log.record(
        session,
        principal=reviewer.name,
        action="calibration.answer",
        target=f"calibration:{exercise.pk}",
        at=now,
        details={"items": sorted(answers)},
    )
    return len(answers)


def add_note(
    session: Session, exercise_id: int, text: str, *, position: int | None = None, now: datetime, by: str
) -> None:
    """Record the discussion: a note on one item (by position) or on the whole exercise."""
    exercise = _exercise(session, exercise_id)
    if not text.strip() or len(text) > 10_000:
        raise InvalidInput("the note is not valid", [FieldError("text", "write 1 to 10,000 characters")])
    item_pk = None
    if position is not None:
        item_pk = session.scalars(
            select(CalibrationItem.pk).where(
                CalibrationItem.exercise_pk == exercise.pk, CalibrationItem.position == position
            )
        ).one_or_none()
        if item_pk is None:
            raise InvalidInput("the note is not valid", [FieldError("position", f"no item {position}")])
    session.add(CalibrationNote(exercise_pk=exercise.pk, item_pk=item_pk, author=by, text=text.strip(), written_at=now))
    audit_log.record(
        session,
        principal=by,
        action="calibration.note",
        target=f"calibration:{exercise.pk}",
        at=now,
        details={"position": position},
    )


def close_exercise(session: Session, exercise_id: int, *, now: datetime, by: str) -> None:
    exercise = _exercise(session, exercise_id)
    if exercise.status == ExerciseStatus.CLOSED.value:
        raise Conflict("the exercise is already closed")
    exercise.status, exercise.closed_at = ExerciseStatus.CLOSED.value, now
    audit_log.record(session, principal=by, action="calibration.close", target=f"calibration:{exercise.pk}", at=now)


def answer_agreement(labels_per_item: Sequence[Sequence[str]]) -> Agreement:
    """Agreement of the answers, as the quality report measures it (`statistics.agreement`: alpha from
    krippendorff, Fleiss' kappa from statsmodels, the share of agreeing pairs), over the items answered
    at least twice."""
    import numpy as np

    from bastion.quality import statistics  # scikit-learn and statsmodels: slow to import, only when compared

    categories = sorted({label for labels in labels_per_item for label in labels})
    index = {label: i for i, label in enumerate(categories)}
    counts = np.zeros((len(labels_per_item), len(categories)), dtype=np.int64)
    for row, labels in enumerate(labels_per_item):
        for label in labels:
            counts[row, index[label]] += 1
    found = statistics.agreement(counts, np.ones(len(labels_per_item), dtype=np.int64))
    if not found.items:
        return Agreement(None, None, None, 0, 0)
    return Agreement(found.krippendorff_alpha, found.fleiss_kappa, found.percent_agreement, found.items, found.ratings)


def members(session: Session, group: str) -> list[str]:
    """The names of the group's reviewers, now."""
    return _members(session, Group.parse(group))


# --- internals -------------------------------------------------------------------------------------


def _is_member(principal: Principal, summary: ExerciseSummary) -> bool:
    return (
        principal.user_pk is not None
        and principal.name.startswith("user:")
        and (principal.display_name in summary.reviewers)
    )


def _exercise(session: Session, exercise_id: int) -> CalibrationExercise:
    exercise = session.get(CalibrationExercise, exercise_id)
    if exercise is None:
        raise NotFound(f"no calibration exercise {exercise_id}")
    return exercise


def _summary(session: Session, exercise: CalibrationExercise) -> ExerciseSummary:
    reviewers = tuple(_members(session, Group.parse(exercise.group)))
    items = session.scalar(
        select(func.count()).select_from(CalibrationItem).where(CalibrationItem.exercise_pk == exercise.pk)
    )
    per_user = session.execute(
        select(User.name, func.count())
        .select_from(CalibrationAnswer)
        .join(CalibrationItem, CalibrationItem.pk == CalibrationAnswer.item_pk)
        .join(User, User.pk == CalibrationAnswer.user_pk)
        .where(CalibrationItem.exercise_pk == exercise.pk)
        .group_by(User.name)
    ).all()
    answered = sum(1 for name, count in per_user if name in reviewers and count == items)
    return ExerciseSummary(
        id=exercise.pk,
        name=exercise.name,
        group=exercise.group,
        status=ExerciseStatus(exercise.status),
        created_at=exercise.created_at,
        created_by=exercise.created_by,
        closed_at=exercise.closed_at,
        items=int(items or 0),
        reviewers=reviewers,
        answered=answered,
    )


def _members(session: Session, group: Group) -> list[str]:
    users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)).all()
    reviewers = [u for u in users if principal_of(u, "session").can(Permission.REVIEW_WORK)]
    if group.kind == "users":
        return [u.name for u in reviewers if u.name in group.names]
    if group.kind == "vendor":
        return [u.name for u in reviewers if u.vendor == group.names[0]]
    config = current_review_config(session).config
    spec = next((q for q in config.queues if q.name == group.names[0]), None)
    if spec is None:
        return []
    return [u.name for u in reviewers if may_work(spec, principal_of(u, "session"))]


def _content_pks(session: Session, content_ids: Sequence[str]) -> tuple[list[int], list[tuple[int, str]]]:
    found = {
        str(external_id): int(pk)
        for external_id, pk in session.execute(
            select(ContentItem.external_id, ContentItem.pk).where(ContentItem.external_id.in_(set(content_ids)))
        )
    }
    pks = list(dict.fromkeys(found[c] for c in content_ids if c in found))
    unknown = [(i, c) for i, c in enumerate(content_ids) if c not in found]
    return pks, unknown


def _recent_decided(session: Session, queue: str) -> list[int]:
    rows = session.execute(
        select(Job.subject_pk, func.max(Decision.pk))
        .join(Decision, Decision.job_pk == Job.pk)
        .where(Job.queue == queue, Job.subject_type == "content", Job.golden_pk.is_(None))
        .group_by(Job.subject_pk)
        .order_by(func.max(Decision.pk).desc())
        .limit(RECENT_DECIDED)
    ).all()
    return sorted(int(pk) for pk, _ in rows)


def _answers(session: Session, item_pks: Sequence[int]) -> dict[int, list[Answer]]:
    rows = session.execute(
        select(CalibrationAnswer, User.name)
        .join(User, User.pk == CalibrationAnswer.user_pk)
        .where(CalibrationAnswer.item_pk.in_(item_pks))
        .order_by(User.name)
    ).all()
    answers: dict[int, list[Answer]] = {}
    for answer, name in rows:
        answers.setdefault(answer.item_pk, []).append(Answer(name, answer.label, answer.rationale, answer.answered_at))
    return answers


def _notes(session: Session, exercise_pk: int) -> dict[int | None, list[Note]]:
    notes: dict[int | None, list[Note]] = {}
    for note in session.scalars(
        select(CalibrationNote).where(CalibrationNote.exercise_pk == exercise_pk).order_by(CalibrationNote.pk)
    ):
        notes.setdefault(note.item_pk, []).append(Note(note.author, note.text, note.written_at))
    return notes


def _choices(session: Session) -> tuple[str, ...]:
    return (*sorted(current_policies(session)), NO_VIOLATION)
