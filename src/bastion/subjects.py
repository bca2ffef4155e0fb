"""Subject views: a content item or an actor with its reports and its history, as people see it.

Opening a subject's content is recorded in the audit log, whoever opens it and however.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.domain.subjects import SubjectType
from bastion.errors import NotFound
from bastion.store.events import subject_history
from bastion.store.schema import Actor, ContentItem, Event, Report

MAX_LISTED = 200


@dataclass(frozen=True)
class ContentView:
    content: ContentItem
    actor: Actor
    reports: list[Report]
    history: list[Event]


@dataclass(frozen=True)
class ActorView:
    actor: Actor
    content_count: int
    recent_content: list[ContentItem]
    reports: list[Report]
    history: list[Event]


def view_content(session: Session, external_id: str, *, principal: Principal, now: datetime) -> ContentView:
    content = session.scalar(select(ContentItem).where(ContentItem.external_id == external_id))
    if content is None:
        raise NotFound(f"no content with id {external_id!r}")
    actor = session.get_one(Actor, content.actor_pk)
    reports = list(
        session.scalars(
            select(Report).where(Report.content_pk == content.pk).order_by(Report.created_at.desc()).limit(MAX_LISTED)
        )
    )
    audit_log.record(session, principal=principal.name, action="subject.view", target=f"content:{external_id}", at=now)
    return ContentView(content, actor, reports, subject_history(session, SubjectType.CONTENT, content.pk))


def view_actor(session: Session, external_id: str, *, principal: Principal, now: datetime) -> ActorView:
    actor = session.scalar(select(Actor).where(Actor.external_id == external_id))
    if actor is None:
        raise NotFound(f"no actor with id {external_id!r}")
    count = session.scalar(select(func.count()).select_from(ContentItem).where(ContentItem.actor_pk == actor.pk))
    recent = list(
        session.scalars(
            select(ContentItem)
            .where(ContentItem.actor_pk == actor.pk)
            .order_by(ContentItem.created_at.desc())
            .limit(50)
        )
    )
    reports = list(
        session.scalars(
            select(Report).where(Report.actor_pk == actor.pk).order_by(Report.created_at.desc()).limit(MAX_LISTED)
        )
    )
    audit_log.record(session, principal=principal.name, action="subject.view", target=f"actor:{external_id}", at=now)
    return ActorView(actor, int(count or 0), recent, reports, subject_history(session, SubjectType.ACTOR, actor.pk))


def content_json(view: ContentView) -> dict[str, Any]:
    c = view.content
    return {
        "id": c.external_id,
        "actor_id": view.actor.external_id,
        "type": c.type,
        "text": c.text,
        "media": {"url": c.media_url, "pdq": c.media_pdq} if (c.media_url or c.media_pdq) else None,
        "language": c.language,
        "language_detected": c.language_detected,
        "country": c.country,
        "surface": c.surface,
        "created_at": c.created_at,
        "views": c.views,
        "reports": [report_json(r) for r in view.reports],
        "history": [event_json(e) for e in view.history],
    }


def actor_json(view: ActorView) -> dict[str, Any]:
    a = view.actor
    return {
        "id": a.external_id,
        "created_at": a.created_at,
        "country": a.country,
        "language": a.language,
        "attributes": a.attributes,
        "content_count": view.content_count,
        "recent_content": [
            {"id": c.external_id, "type": c.type, "created_at": c.created_at} for c in view.recent_content
        ],
        "reports": [report_json(r) for r in view.reports],
        "history": [event_json(e) for e in view.history],
    }


def report_json(report: Report) -> dict[str, Any]:
    return {
        "id": report.external_id,
        "reporter_id": report.reporter_id,
        "reason": report.reason,
        "policy_id": report.policy_id,
        "text": report.text,
        "created_at": report.created_at,
    }


def event_json(event: Event) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "occurred_at": event.occurred_at,
        "recorded_at": event.recorded_at,
        "principal": event.principal,
        "data": event.data,
    }
