"""Reading what network detection needs from the store: every actor's record and its clustered or
illustrated posts, in streamed queries (the same on SQLite and PostgreSQL).

Only posts that can tie their author to someone are read: those in a near-duplicate cluster of two or more
items, and those with an image hash. A cluster with more authors than `max_authors` (a popular template, a
meme caption) ties nobody (see `DetectionSettings.max_carriers`): its posts are read without it, and
dropped unless they carry an image. On a medium platform that is most clustered posts. Rows are streamed
in chunks, so 60,000 actors and a million content items never sit in memory as ORM objects. The caller
opens the transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bastion.clock import as_utc
from bastion.investigate.traits import ActorTraits, Post
from bastion.store.schema import Actor, ContentItem, NearDuplicateCluster, NearDuplicateMember

CHUNK = 5_000
# The record's attributes that name a device, an IP or a link; each holds one string or a list of them.
DEVICE_FIELDS = ("device_id", "device_ids")
IP_FIELDS = ("ip", "ips")
URL_FIELDS = ("url", "urls")


def read_traits(
    session: Session, *, since: datetime | None = None, max_authors: int | None = None
) -> tuple[list[ActorTraits], list[Post]]:
    """The actors and posts to look for networks in. With `since`: the posts from then on, and the actors
    who posted any of them or whose account was created since. With `max_authors`: clusters with more
    authors than that are left out."""
    crowded = set() if max_authors is None else _crowded_clusters(session, since, max_authors)
    posts_by_pk: list[tuple[int, datetime, str | None, str | None]] = []
    for pk, at, cluster, pdq in _posts(session, since):
        if cluster is not None and cluster in crowded:
            if pdq is None:
                continue
            cluster = None
        posts_by_pk.append((pk, at, None if cluster is None else str(cluster), pdq))
    wanted: set[int] | None = None
    if since is not None:
        wanted = {pk for pk, _, _, _ in posts_by_pk}
        wanted.update(session.scalars(select(Actor.pk).where(Actor.created_at >= since)))
        wanted.update(session.scalars(select(ContentItem.actor_pk).where(ContentItem.created_at >= since).distinct()))
    actors: list[ActorTraits] = []
    id_of: dict[int, str] = {}
    query = select(Actor.pk, Actor.external_id, Actor.created_at, Actor.attributes).order_by(Actor.pk)
    for pk, external_id, created_at, attributes in session.execute(query.execution_options(yield_per=CHUNK)):
        if wanted is not None and pk not in wanted:
            continue
        id_of[pk] = external_id
        actors.append(actor_traits(external_id, as_utc(created_at), attributes))
    posts = [Post(id_of[pk], as_utc(at), cluster, pdq) for pk, at, cluster, pdq in posts_by_pk if pk in id_of]
    return actors, posts


def actor_traits(actor_id: str, created_at: datetime, attributes: Any) -> ActorTraits:
    """An actor's traits from its stored record; anything that is not a string (or a list of them) is
    ignored."""
    record = attributes if isinstance(attributes, dict) else {}
    return ActorTraits(
        actor_id,
        created_at,
        devices=attribute_strings(record, DEVICE_FIELDS),
        ips=attribute_strings(record, IP_FIELDS),
        urls=attribute_strings(record, URL_FIELDS),
    )


def attribute_strings(record: dict[str, Any], fields: tuple[str, ...]) -> tuple[str, ...]:
    found: list[str] = []
    for name in fields:
        value = record.get(name)
        items = value if isinstance(value, list) else [value]
        found.extend(item.strip() for item in items if isinstance(item, str) and item.strip())
    return tuple(dict.fromkeys(found))


def _crowded_clusters(session: Session, since: datetime | None, max_authors: int) -> set[int]:
    """The clusters whose posts (since `since`) have more than `max_authors` distinct authors."""
    authors = func.count(ContentItem.actor_pk.distinct())
    query = (
        select(NearDuplicateMember.cluster_pk)
        .join(ContentItem, ContentItem.pk == NearDuplicateMember.content_pk)
        .join(NearDuplicateCluster, NearDuplicateCluster.pk == NearDuplicateMember.cluster_pk)
        .group_by(NearDuplicateMember.cluster_pk)
        .having(authors > max_authors)
    )
    if since is not None:
        query = query.where(ContentItem.created_at >= since)
    return set(session.scalars(query))


def _posts(session: Session, since: datetime | None) -> Iterator[tuple[int, datetime, int | None, str | None]]:
    query = (
        select(ContentItem.actor_pk, ContentItem.created_at, NearDuplicateCluster.pk, ContentItem.media_pdq)
        .outerjoin(NearDuplicateMember, NearDuplicateMember.content_pk == ContentItem.pk)
        .outerjoin(NearDuplicateCluster, NearDuplicateCluster.pk == NearDuplicateMember.cluster_pk)
        .where(or_(NearDuplicateCluster.pk.is_not(None), ContentItem.media_pdq.is_not(None)))
    )
    if since is not None:
        query = query.where(ContentItem.created_at >= since)
    for actor_pk, created_at, cluster, pdq in session.execute(query.execution_options(yield_per=CHUNK)):
        yield actor_pk, as_utc(created_at), cluster, pdq
