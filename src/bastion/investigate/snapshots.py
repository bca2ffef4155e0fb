"""Evidence snapshots: a content item as it stood when it was escalated, kept whatever its author does later.

Taken in the escalation's own transaction (`bastion.review.claims.escalate` calls `snapshot_content`), so an
escalated item is never without one: the text, the media's URL and PDQ hash, and the metadata that places it
(type, author, language, country, surface, times, views). A snapshot is never updated; each escalation adds
one, with the SHA-256 of its canonical JSON, which an evidence package carries and `bastion case verify`
checks again.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion.clock import as_utc
from bastion.domain.events import EventKind, NewEvent
from bastion.domain.subjects import SubjectType
from bastion.store.events import append_events
from bastion.store.schema import Actor, ContentItem, EvidenceSnapshot


def snapshot_content(
    session: Session, content_pk: int, *, job_pk: int | None, principal: str, now: datetime
) -> EvidenceSnapshot:
    """Keep the content item as it is now, in the caller's transaction, with a `content.snapshotted` event."""
    content = session.get_one(ContentItem, content_pk)
    author = session.scalar(select(Actor.external_id).where(Actor.pk == content.actor_pk))
    metadata: dict[str, Any] = {
        "type": content.type,
        "author": author,
        "language": content.language,
        "country": content.country,
        "surface": content.surface,
        "created_at": as_utc(content.created_at).isoformat(),
        "received_at": as_utc(content.received_at).isoformat(),
        "views": content.views,
        "media_quality": content.media_quality,
    }
    snapshot = EvidenceSnapshot(
        content_pk=content.pk,
        job_pk=job_pk,
        content_id=content.external_id,
        text=content.text,
        media_url=content.media_url,
        media_pdq=content.media_pdq,
        metadata_=metadata,
        taken_by=principal,
        taken_at=now,
    )
    snapshot.digest = snapshot_digest(snapshot_document(snapshot))
    session.add(snapshot)
    session.flush()
    append_events(
        session,
        [
            NewEvent(
                EventKind.CONTENT_SNAPSHOTTED,
                SubjectType.CONTENT,
                content.pk,
                now,
                principal,
                {"snapshot": snapshot.pk, "job": job_pk, "digest": snapshot.digest},
            )
        ],
        recorded_at=now,
    )
    return snapshot


def snapshot_document(snapshot: EvidenceSnapshot) -> dict[str, Any]:
    """What a snapshot holds, as JSON: what its digest covers and what an evidence package writes."""
    return {
        "content_id": snapshot.content_id,
        "text": snapshot.text,
        "media_url": snapshot.media_url,
        "media_pdq": snapshot.media_pdq,
        "metadata": snapshot.metadata_,
        "job": snapshot.job_pk,
        "taken_by": snapshot.taken_by,
        "taken_at": as_utc(snapshot.taken_at).isoformat(),
    }


def snapshot_digest(document: dict[str, Any]) -> str:
    """SHA-256 of the document's canonical JSON (sorted keys, no spaces, UTF-8)."""
    body = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def snapshots_of(session: Session, content_pks: list[int]) -> list[EvidenceSnapshot]:
    """Every snapshot of these content items, oldest first."""
    if not content_pks:
        return []
    rows = session.scalars(
        select(EvidenceSnapshot).where(EvidenceSnapshot.content_pk.in_(content_pks)).order_by(EvidenceSnapshot.pk)
    )
    return list(rows)
