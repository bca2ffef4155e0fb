"""Idempotent ingestion of actors, content, reports, views and decisions made elsewhere: the one path
every writer uses.

The API, the batch importer and the simulator all come through `ingest`, so they validate, resolve
references, deduplicate and log events the same way. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from json.encoder import encode_basestring_ascii as _json_string
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.domain.events import EventKind, NewEvent
from bastion.domain.happened import ContentIngested, ReportFiled
from bastion.domain.subjects import IngestKind, ItemStatus, SubjectType
from bastion.errors import FieldError
from bastion.ingest.decisions import store_decisions
from bastion.ingest.language import detect_language
from bastion.ingest.outcome import IngestResult, ItemOutcome
from bastion.ingest.payloads import ActorPayload, ContentPayload, DecisionPayload, ReportPayload, ViewPayload
from bastion.ingest.validation import field_errors, json_path
from bastion.plugins import announce, plugin_manager
from bastion.policy.service import current_policies
from bastion.store.bulk import driver_converter, make_room_for_bulk_writes
from bastion.store.database import Database
from bastion.store.events import append_event_rows, append_events
from bastion.store.schema import Actor, Base, ContentItem, Report, View
from bastion.store.upsert import existing_keys, insert_new, insert_new_rows, table_of

MAX_BATCH = 1_000
PAYLOADS: dict[IngestKind, type[BaseModel]] = {
    IngestKind.ACTORS: ActorPayload,
    IngestKind.CONTENT: ContentPayload,
    IngestKind.REPORTS: ReportPayload,
    IngestKind.VIEWS: ViewPayload,
    IngestKind.DECISIONS: DecisionPayload,
}


def items_path(index: int) -> str:
    return f"items[{index}]"


@dataclass(frozen=True)
class ValidItem:
    """An item that passed validation (of any kind but content: see `ValidatedBatch.content`)."""

    index: int
    payload: Any


# A valid content item as the store takes it: the values of `content_items` in `CONTENT_COLUMNS`
# order, but the actor's id where its key goes and nothing yet for when it was received. Plain values
# only, so a chunk of them crosses to another process cheaply (see `bastion.ingest.batch`).
ContentFields = tuple[
    str,
    str,
    str,
    str | None,
    str | None,
    str | None,
    str | None,
    bool,
    str | None,
    str | None,
    datetime,
    int,
    int | None,
]
CONTENT_COLUMNS = (
    "external_id",
    "actor_pk",
    "type",
    "text",
    "media_url",
    "media_pdq",
    "language",
    "language_detected",
    "country",
    "surface",
    "created_at",
    "views",
    "media_quality",
    "received_at",
)


def content_fields(payload: ContentPayload, language: str | None, language_detected: bool) -> ContentFields:
    """A validated content payload's values for the store (pure)."""
    media = payload.media
    return (
        payload.id,
        payload.actor_id,
        payload.type.value,
        payload.text,
        media.url if media else None,
        media.pdq.lower() if media and media.pdq else None,
        payload.language if payload.language is not None else language,
        language_detected,
        payload.country,
        payload.surface,
        payload.created_at,
        payload.views or 0,
        media.quality if media else None,
    )


@dataclass(frozen=True)
class ValidatedBatch:
    """A batch checked on its own, before the store is asked anything: the valid items and the errors.

    Validation needs no database, so a batch importer can validate the next chunk while the store
    writes this one. Content items come as `content` (index, fields) pairs, not payloads: that is all
    the store needs of them, and it is cheap to hand from one process to another.
    """

    kind: IngestKind
    valid: list[ValidItem]
    errors: dict[int, ItemOutcome]
    item_path: Callable[[int], str] = items_path
    content: list[tuple[int, ContentFields]] = field(default_factory=list)
    # What the store writes for each of `content`, when worked out ahead (`prepared_for_store`): the
    # store's dialect, and each item's creation time as that dialect's driver takes it and its
    # `content.created` event's data. Otherwise the store works them out itself.
    stored: tuple[str, list[Any], list[str]] | None = None


def prepared_for_store(batch: ValidatedBatch, dialect: str) -> ValidatedBatch:
    """`batch` with what the store would work out for each content item done here (pure).

    A batch importer does it in its validating process, so the process that stores is spared it.
    """
    if batch.kind is not IngestKind.CONTENT:
        return batch
    moment = driver_converter(dialect, _CONTENT_TABLE, "created_at")
    times = [moment(fields[10]) for _, fields in batch.content]
    data = [_content_created(fields[0], fields[2], fields[9]) for _, fields in batch.content]
    return replace(batch, stored=(dialect, times, data))


@dataclass
class _Accepted:
    index: int
    payload: Any
    row: dict[str, Any]


def validate_batch(
    kind: IngestKind, items: Sequence[object], item_path: Callable[[int], str] = items_path
) -> ValidatedBatch:
    """Validate every item's fields and find the language of content sent without one (no I/O).

    An item that is already the kind's payload model is taken as validated.
    """
    model = PAYLOADS[kind]
    errors: dict[int, ItemOutcome] = {}
    valid: list[ValidItem] = []
    content: list[tuple[int, ContentFields]] = []
    for index, raw in enumerate(items):
        if isinstance(raw, model):  # validated already, from its JSON text (see `bastion.ingest.batch`)
            payload: Any = raw
        elif not isinstance(raw, Mapping):
            error = FieldError(item_path(index), "must be a JSON object")
            errors[index] = ItemOutcome(index, None, ItemStatus.ERROR, (error,))
            continue
        else:
            try:
                payload = model.model_validate(raw)
            except ValidationError as exc:
                ident = raw.get("content_id" if kind is IngestKind.DECISIONS else "id")
                errors[index] = ItemOutcome(
                    index,
                    str(ident) if ident is not None else None,
                    ItemStatus.ERROR,
                    tuple(field_errors(exc, item_path(index))),
                )
                continue
        if kind is IngestKind.CONTENT:
            language = detect_language(payload.text) if payload.language is None and payload.text else None
            content.append((index, content_fields(payload, language, language is not None)))
        else:
            valid.append(ValidItem(index, payload))
    return ValidatedBatch(kind, valid, errors, item_path, content)


def ingest(
    session: Session,
    kind: IngestKind,
    items: Sequence[object],
    *,
    principal: str,
    now: datetime,
    policy_ids: frozenset[str] = frozenset(),
    item_path: Callable[[int], str] = items_path,
) -> IngestResult:
    """Validate and store a batch; each item is created, a duplicate (its id is known), or an error."""
    batch = validate_batch(kind, items, item_path)
    return store_batch(session, batch, principal=principal, now=now, policy_ids=policy_ids)


def store_batch(
    session: Session,
    batch: ValidatedBatch,
    *,
    principal: str,
    now: datetime,
    policy_ids: frozenset[str] = frozenset(),
) -> IngestResult:
    """Store a validated batch in the caller's transaction: resolve references, skip known ids, log events."""
    kind = batch.kind
    if kind is IngestKind.CONTENT:
        return _store_content(session, batch, principal=principal, now=now)
    if kind is IngestKind.DECISIONS:
        valid = [(item.index, item.payload) for item in batch.valid]
        return store_decisions(session, valid, batch.errors, batch.item_path, principal=principal, now=now)
    outcomes = dict(batch.errors)
    accepted = _resolve(session, batch, outcomes, policy_ids, now)
    fresh: list[_Accepted] = []
    seen: set[str] = set()
    for item in accepted:
        if item.payload.id in seen:
            outcomes[item.index] = ItemOutcome(item.index, item.payload.id, ItemStatus.DUPLICATE)
        else:
            seen.add(item.payload.id)
            fresh.append(item)

    created = insert_new(session, _MODELS[kind], [item.row for item in fresh])
    events = []
    for item in fresh:
        pk = created.get(item.payload.id)
        status = ItemStatus.CREATED if pk is not None else ItemStatus.DUPLICATE
        outcomes[item.index] = ItemOutcome(item.index, item.payload.id, status)
        if pk is not None:
            event = _event_for(kind, item, pk, principal)
            if event is not None:
                events.append(event)
    append_events(session, events, recorded_at=now)
    _announce(session, kind, fresh, created, principal, now)
    if kind is IngestKind.REPORTS and created:
        plugin_manager().hook.reports_stored(
            session=session, report_pks=sorted(created.values()), now=now, principal=principal
        )
    return IngestResult(kind, tuple(outcomes[i] for i in sorted(outcomes)))


def _store_content(session: Session, batch: ValidatedBatch, *, principal: str, now: datetime) -> IngestResult:
    """`store_batch` for content, the hot path of every import: plain tuples from end to end.

    Each item's actor must be stored; an id seen earlier in the batch or already stored is a duplicate.
    Rows go to the driver as built here (`converted`): the only values the store converts are times,
    and an item's time is converted once for its row and its event.
    """
    outcomes = dict(batch.errors)
    if len(batch.content) > MAX_BATCH:  # a chunk of a file, not an API batch
        make_room_for_bulk_writes(session)
    actor_refs = existing_keys(session, Actor, [fields[1] for _, fields in batch.content])
    dialect = session.get_bind().dialect.name
    if batch.stored is None or batch.stored[0] != dialect:
        batch = prepared_for_store(batch, dialect)
    assert batch.stored is not None
    _, times, data = batch.stored
    received = driver_converter(dialect, _CONTENT_TABLE, "received_at")(now)
    fresh: list[tuple[int, ContentFields, str]] = []
    rows: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    for (index, fields), created_at, event_data in zip(batch.content, times, data, strict=True):
        ident = fields[0]
        actor_pk = actor_refs.get(fields[1])
        if actor_pk is None:
            path = json_path(batch.item_path(index), ["actor_id"])
            error = FieldError(path, _UnknownReference("actor_id", "actor").message)
            outcomes[index] = ItemOutcome(index, ident, ItemStatus.ERROR, (error,))
        elif ident in seen:
            outcomes[index] = ItemOutcome(index, ident, ItemStatus.DUPLICATE)
        else:
            seen.add(ident)
            fresh.append((index, fields, event_data))
            rows.append((ident, actor_pk, *fields[2:10], created_at, fields[11], fields[12], received))

    created = insert_new_rows(session, ContentItem, CONTENT_COLUMNS, rows, converted=True)
    events = []
    kind, subject = str(EventKind.CONTENT_CREATED), str(SubjectType.CONTENT)
    for (index, fields, event_data), row in zip(fresh, rows, strict=True):
        ident = fields[0]
        pk = created.get(ident)
        if pk is None:
            outcomes[index] = ItemOutcome(index, ident, ItemStatus.DUPLICATE)
            continue
        outcomes[index] = ItemOutcome(index, ident, ItemStatus.CREATED)
        events.append((kind, subject, pk, row[10], received, principal, event_data))
    append_event_rows(session, events, converted=True)
    if fresh:
        stored = tuple(fields[0] for _, fields, _ in fresh if fields[0] in created)
        announce(session, ContentIngested(stored, unchanged=len(fresh) - len(stored), principal=principal, at=now))
    if created:
        plugin_manager().hook.content_stored(
            session=session, content_pks=sorted(created.values()), now=now, principal=principal
        )
    return IngestResult(IngestKind.CONTENT, tuple(outcomes[i] for i in sorted(outcomes)))


_CONTENT_TABLE = table_of(ContentItem)
_EVENT_TAILS: dict[tuple[str, str | None], str] = {}  # by (type, surface); a platform has a few of each
_EVENT_TAILS_KEPT = 1_000


def _content_created(ident: str, content_type: str, surface: str | None) -> str:
    """A `content.created` event's data, {"id", "type", "surface"}, as the JSON text `json.dumps` writes.

    Written here, not by `json.dumps`, as this runs for every item of every import: a third of the cost.
    The text after the id is the same for every item of a type and surface, so it is written once.
    """
    tail = _EVENT_TAILS.get((content_type, surface))
    if tail is None:
        where = "null" if surface is None else _json_string(surface)
        tail = f', "type": {_json_string(content_type)}, "surface": {where}}}'
        if len(_EVENT_TAILS) < _EVENT_TAILS_KEPT:
            _EVENT_TAILS[(content_type, surface)] = tail
    return '{"id": ' + _json_string(ident) + tail


def _announce(
    session: Session,
    kind: IngestKind,
    fresh: Sequence[_Accepted],
    created: Mapping[str, int],
    principal: str,
    now: datetime,
) -> None:
    """Tell the after-commit hooks what this batch stored: reports one by one (content: `_store_content`)."""
    if kind is IngestKind.REPORTS:
        for item in fresh:
            if item.payload.id in created:
                target = item.payload.target
                subject_type, subject_id = (
                    (SubjectType.CONTENT, target.content_id)
                    if target.content_id
                    else (SubjectType.ACTOR, target.actor_id)
                )
                fact = ReportFiled(
                    item.payload.id, subject_type.value, subject_id, item.row["policy_id"], principal, now
                )
                announce(session, fact)


_MODELS: dict[IngestKind, type[Base]] = {
    IngestKind.ACTORS: Actor,
    IngestKind.CONTENT: ContentItem,
    IngestKind.REPORTS: Report,
    IngestKind.VIEWS: View,
}


def _resolve(
    session: Session,
    batch: ValidatedBatch,
    outcomes: dict[int, ItemOutcome],
    policy_ids: frozenset[str],
    now: datetime,
) -> list[_Accepted]:
    """Look up the subjects items refer to and build their rows; unknown references become errors."""
    kind, valid = batch.kind, batch.valid
    actor_refs: dict[str, int] = {}
    content_refs: dict[str, int] = {}
    if kind is IngestKind.REPORTS:
        targets = [v.payload.target for v in valid]
        actor_refs = existing_keys(session, Actor, [t.actor_id for t in targets if t.actor_id])
        content_refs = existing_keys(session, ContentItem, [t.content_id for t in targets if t.content_id])
    elif kind is IngestKind.VIEWS:
        content_refs = existing_keys(session, ContentItem, [v.payload.content_id for v in valid])

    accepted = []
    for item in valid:
        try:
            row = _row(kind, item, actor_refs, content_refs, policy_ids, now)
        except _UnknownReference as missing:
            error = FieldError(json_path(batch.item_path(item.index), missing.field.split(".")), missing.message)
            outcomes[item.index] = ItemOutcome(item.index, item.payload.id, ItemStatus.ERROR, (error,))
            continue
        accepted.append(_Accepted(item.index, item.payload, row))
    return accepted


class _UnknownReference(Exception):
    def __init__(self, field: str, what: str) -> None:
        super().__init__(field)
        self.field = field
        self.message = f"no {what} with this id; send the {what} first"


def _row(
    kind: IngestKind,
    item: ValidItem,
    actor_refs: Mapping[str, int],
    content_refs: Mapping[str, int],
    policy_ids: frozenset[str],
    now: datetime,
) -> dict[str, Any]:
    payload = item.payload
    if kind is IngestKind.ACTORS:
        return {
            "external_id": payload.id,
            "created_at": payload.created_at,
            "country": payload.country,
            "language": payload.language,
            "attributes": payload.attributes,
            "received_at": now,
        }
    if kind is IngestKind.REPORTS:
        target = payload.target
        if target.content_id is not None and target.content_id not in content_refs:
            raise _UnknownReference("target.content_id", "content")
        if target.actor_id is not None and target.actor_id not in actor_refs:
            raise _UnknownReference("target.actor_id", "actor")
        return {
            "external_id": payload.id,
            "content_pk": content_refs.get(target.content_id) if target.content_id else None,
            "actor_pk": actor_refs.get(target.actor_id) if target.actor_id else None,
            "reporter_id": payload.reporter_id,
            "reason": payload.reason,
            "policy_id": payload.reason if payload.reason in policy_ids else None,
            "text": payload.text,
            "created_at": payload.created_at,
            "received_at": now,
        }
    if payload.content_id not in content_refs:
        raise _UnknownReference("content_id", "content")
    return {
        "external_id": payload.id,
        "content_pk": content_refs[payload.content_id],
        "viewer_id": payload.viewer_id,
        "viewed_at": payload.viewed_at,
        "weight": payload.weight,
        "received_at": now,
    }


def _event_for(kind: IngestKind, item: _Accepted, pk: int, principal: str) -> NewEvent | None:
    payload, row = item.payload, item.row
    if kind is IngestKind.ACTORS:
        return NewEvent(EventKind.ACTOR_CREATED, SubjectType.ACTOR, pk, payload.created_at, principal)
    if kind is IngestKind.REPORTS:
        subject_type = SubjectType.CONTENT if row["content_pk"] is not None else SubjectType.ACTOR
        subject_pk = row["content_pk"] if row["content_pk"] is not None else row["actor_pk"]
        return NewEvent(
            EventKind.REPORT_FILED,
            subject_type,
            subject_pk,
            payload.created_at,
            principal,
            {"report_id": payload.id, "reason": payload.reason, "reporter_id": payload.reporter_id},
        )
    return None  # views are their own append-only log


def ingest_batch(
    database: Database,
    kind: IngestKind,
    items: Sequence[object],
    *,
    principal: str,
    now: datetime,
    action: str,
    target: str,
    item_path: Callable[[int], str] = items_path,
    audit_details: Mapping[str, Any] | None = None,
) -> IngestResult:
    """Validate a batch, then store it in one transaction (see `record_batch`).

    The API (`action` "ingest.*") and the simulator come through here, the batch importer through
    `record_batch` with chunks it validated ahead.
    """
    batch = validate_batch(kind, items, item_path)
    return record_batch(
        database, batch, principal=principal, now=now, action=action, target=target, audit_details=audit_details
    )


def record_batch(
    database: Database,
    batch: ValidatedBatch,
    *,
    principal: str,
    now: datetime,
    action: str,
    target: str,
    audit_details: Mapping[str, Any] | None = None,
) -> IngestResult:
    """One validated batch in one transaction, recorded in the audit log when anything was accepted."""
    with database.transaction() as session:
        policy_ids = frozenset(current_policies(session)) if batch.kind is IngestKind.REPORTS else frozenset()
        result = store_batch(session, batch, principal=principal, now=now, policy_ids=policy_ids)
        if result.accepted:
            audit_log.record(
                session,
                principal=principal,
                action=action,
                target=target,
                at=now,
                details={"created": result.created, "duplicates": result.duplicates, "errors": result.errors}
                | dict(audit_details or {}),
            )
    return result
