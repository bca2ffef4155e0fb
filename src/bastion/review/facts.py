"""What the review process needs to know about a subject to route and rank its job."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion.domain.subjects import SubjectType
from bastion.store.schema import Actor, ContentItem


@dataclass(frozen=True)
class SubjectFacts:
    subject_type: SubjectType
    subject_pk: int
    actor_pk: int
    language: str | None
    country: str | None
    surface: str | None
    views: int
    followers: int


def _followers(actor: Actor) -> int:
    value = (actor.attributes or {}).get("followers", 0)
    return int(value) if isinstance(value, int | float) else 0


def subject_facts(session: Session, subject_type: SubjectType, subject_pks: set[int]) -> dict[int, SubjectFacts]:
    if not subject_pks:
        return {}
    found: dict[int, SubjectFacts] = {}
    if subject_type is SubjectType.CONTENT:
        rows = session.execute(
            select(ContentItem, Actor)
            .join(Actor, Actor.pk == ContentItem.actor_pk)
            .where(ContentItem.pk.in_(subject_pks))
        )
        for content, actor in rows:
            found[content.pk] = SubjectFacts(
                SubjectType.CONTENT,
                content.pk,
                actor.pk,
                content.language or actor.language,
                content.country or actor.country,
                content.surface,
                content.views,
                _followers(actor),
            )
    else:
        for actor in session.scalars(select(Actor).where(Actor.pk.in_(subject_pks))):
            found[actor.pk] = SubjectFacts(
                SubjectType.ACTOR, actor.pk, actor.pk, actor.language, actor.country, "profile", 0, _followers(actor)
            )
    return found
