"""Storing decisions made elsewhere (`bastion import FILE --kind decisions`), for quality analysis.

Each row names a content item by the platform's id (it must be stored already), the reviewer who
decided it and the label given. A reviewer is recorded once as a rater: linked to the Bastion user of
that name (and that user's vendor) when there is one, otherwise an external rater, a name that can
never log in. Imported decisions are never enforced: they only feed the quality report.

Importing the same file again adds nothing. A decision with a time is known by (item, rater, time).
A decision without one is taken as the rater's one decision on the item: stored with the import's
time when the rater has no imported decision on the item yet, a duplicate otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion.clock import as_utc
from bastion.domain.events import EventKind, NewEvent
from bastion.domain.subjects import IngestKind, ItemStatus, SubjectType
from bastion.errors import FieldError
from bastion.ingest.outcome import IngestResult, ItemOutcome
from bastion.ingest.payloads import DecisionPayload
from bastion.ingest.validation import json_path
from bastion.store.events import append_events
from bastion.store.schema import ContentItem, ImportedDecision, Rater, User
from bastion.store.upsert import existing_keys, insert_ignoring_duplicates

LOOKUP_SLICE = 1_000  # keys per IN (...) list: well under either store's limit on a statement's parameters
UNKNOWN_CONTENT = "no content with this id; import the content first"


@dataclass(frozen=True)
class _Row:
    index: int
    payload: DecisionPayload
    content_pk: int
    rater_pk: int
    decided_at: datetime


def store_decisions(
    session: Session,
    items: Sequence[tuple[int, DecisionPayload]],
    errors: dict[int, ItemOutcome],
    item_path: Callable[[int], str],
    *,
    principal: str,
    now: datetime,
) -> IngestResult:
    """Store validated decisions in the caller's transaction: resolve items and raters, skip known ones."""
    outcomes = dict(errors)
    content_refs = existing_keys(session, ContentItem, [payload.content_id for _, payload in items])
    known: list[tuple[int, DecisionPayload, int]] = []
    for index, payload in items:
        content_pk = content_refs.get(payload.content_id)
        if content_pk is None:
            error = FieldError(json_path(item_path(index), ["content_id"]), UNKNOWN_CONTENT)
            outcomes[index] = ItemOutcome(index, payload.content_id, ItemStatus.ERROR, (error,))
        else:
            known.append((index, payload, content_pk))

    raters = rater_keys(session, {payload.reviewer_id for _, payload, _ in known}, now)
    stored_timed, stored_pairs = _stored(session, {content_pk for _, _, content_pk in known})
    fresh: list[_Row] = []
    for index, payload, content_pk in known:
        rater_pk = raters[payload.reviewer_id]
        if payload.decided_at is None:
            fresh_one = (content_pk, rater_pk) not in stored_pairs
            decided_at = now
        else:
            decided_at = payload.decided_at
            fresh_one = (content_pk, rater_pk, decided_at) not in stored_timed
        if fresh_one:
            # What this batch stores counts as stored for the rows after it: a repeated row is a duplicate.
            stored_pairs.add((content_pk, rater_pk))
            stored_timed.add((content_pk, rater_pk, decided_at))
            fresh.append(_Row(index, payload, content_pk, rater_pk, decided_at))
            outcomes[index] = ItemOutcome(index, payload.content_id, ItemStatus.CREATED)
        else:
            outcomes[index] = ItemOutcome(index, payload.content_id, ItemStatus.DUPLICATE)

    if fresh:
        dialect = session.get_bind().dialect.name
        session.execute(
            insert_ignoring_duplicates(dialect, ImportedDecision),
            [
                {
                    "content_pk": row.content_pk,
                    "rater_pk": row.rater_pk,
                    "label": row.payload.label,
                    "queue": row.payload.queue,
                    "decided_at": row.decided_at,
                    "imported_at": now,
                }
                for row in fresh
            ],
        )
        append_events(session, [_event(row, principal) for row in fresh], recorded_at=now)
    return IngestResult(IngestKind.DECISIONS, tuple(outcomes[i] for i in sorted(outcomes)))


def rater_keys(session: Session, names: Iterable[str], now: datetime) -> dict[str, int]:
    """{name: rater pk} for these reviewer names, recording the ones not seen before.

    A new name that is a Bastion user's is linked to that user and takes the user's vendor; any
    other is an external rater.
    """
    wanted = sorted(set(names))
    found: dict[str, int] = {}
    found.update(_raters_named(session, wanted))
    missing = [name for name in wanted if name not in found]
    if missing:
        users: dict[str, tuple[int, str | None]] = {}
        for part in _slices(missing):
            rows = session.execute(select(User.name, User.pk, User.vendor).where(User.name.in_(part)))
            users.update((name, (pk, vendor)) for name, pk, vendor in rows)
        dialect = session.get_bind().dialect.name
        session.execute(
            insert_ignoring_duplicates(dialect, Rater),
            [
                {
                    "name": name,
                    "user_pk": users[name][0] if name in users else None,
                    "vendor": users[name][1] if name in users else None,
                    "created_at": now,
                }
                for name in missing
            ],
        )
        found.update(_raters_named(session, missing))
    return found


def _raters_named(session: Session, names: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in _slices(names):
        found.update(
            {name: pk for name, pk in session.execute(select(Rater.name, Rater.pk).where(Rater.name.in_(part)))}
        )
    return found


def _stored(session: Session, content_pks: set[int]) -> tuple[set[tuple[int, int, datetime]], set[tuple[int, int]]]:
    """The imported decisions already stored on these items: as (item, rater, time), and as (item, rater)."""
    timed: set[tuple[int, int, datetime]] = set()
    for part in _slices(sorted(content_pks)):
        query = select(ImportedDecision.content_pk, ImportedDecision.rater_pk, ImportedDecision.decided_at).where(
            ImportedDecision.content_pk.in_(part)
        )
        timed.update((content_pk, rater_pk, as_utc(at)) for content_pk, rater_pk, at in session.execute(query))
    return timed, {(content_pk, rater_pk) for content_pk, rater_pk, _ in timed}


def _slices(keys: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(keys), LOOKUP_SLICE):
        yield keys[start : start + LOOKUP_SLICE]


def _event(row: _Row, principal: str) -> NewEvent:
    payload = row.payload
    return NewEvent(
        EventKind.DECISION_IMPORTED,
        SubjectType.CONTENT,
        row.content_pk,
        row.decided_at,
        principal,
        {
            "content_id": payload.content_id,
            "rater": payload.reviewer_id,
            "label": payload.label,
            "queue": payload.queue,
        },
    )
