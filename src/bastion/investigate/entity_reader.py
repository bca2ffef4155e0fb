"""Reading the entity graph's links from the store, the same on SQLite and PostgreSQL.

- An actor's entities: its record, by its platform id (the unique index), and its posts with an image or
  in a near-duplicate cluster, by `content_items.actor_pk` (indexed).
- A text cluster's carriers: `near_duplicate_members` by `cluster_pk` (indexed), joined to the posts.
- An image's carriers: posts by `media_pdq`. That column has no index, so this one lookup reads the posts
  with an image; it is asked once per expansion, for every image of the hop together.
- A record entity's carriers: attributes are JSON, which neither database indexes the same way, so the
  first such question streams every actor's record once (in chunks, as network detection does) into an
  index of entity to carriers, kept for the rest of the expansion. One expansion therefore reads the
  actors at most once, whatever its hops.

The caller opens the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from bastion.clock import as_utc
from bastion.investigate.entities import CONTENT_KINDS, RECORD_KINDS, Entity, EntityKind, Link, content_entities
from bastion.investigate.entities import record_entities as entities_in_record
from bastion.investigate.entity_graph import GraphLimits
from bastion.investigate.network_reader import CHUNK
from bastion.store.schema import Actor, ContentItem, NearDuplicateCluster, NearDuplicateMember

IN_BATCH = 500  # ids per IN (...) list
T = TypeVar("T")


class StoreLinks:
    """A `LinkSource` over one session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._record_index: dict[Entity, set[str]] | None = None
        self.actor_scans = 0  # how many times every actor's record was read (at most once)

    def links_of(self, actor_ids: Iterable[str], limits: GraphLimits) -> Iterator[Link]:
        ids = sorted(set(actor_ids))
        pk_of: dict[int, str] = {}
        for batch in _batches(ids):
            query = select(Actor.pk, Actor.external_id, Actor.attributes).where(Actor.external_id.in_(batch))
            for pk, external_id, attributes in self.session.execute(query):
                pk_of[pk] = external_id
                if limits.kinds & RECORD_KINDS:
                    for entity in entities_in_record(attributes):
                        if entity.kind in limits.kinds:
                            yield Link(external_id, entity)
        if not limits.kinds & CONTENT_KINDS or not pk_of:
            return
        for batch_pks in _batches(sorted(pk_of)):
            query = (
                select(ContentItem.actor_pk, ContentItem.created_at, ContentItem.media_pdq, NearDuplicateCluster.pk)
                .outerjoin(NearDuplicateMember, NearDuplicateMember.content_pk == ContentItem.pk)
                # every item has a membership row (its own cluster when alone); only real clusters count
                .outerjoin(NearDuplicateCluster, NearDuplicateCluster.pk == NearDuplicateMember.cluster_pk)
                .where(ContentItem.actor_pk.in_(batch_pks))
                .where(ContentItem.media_pdq.is_not(None) | NearDuplicateCluster.pk.is_not(None))
            )
            for actor_pk, created_at, pdq, cluster in self.session.execute(query.where(*_window(limits))):
                for entity in content_entities(media_pdq=pdq, text_cluster=cluster):
                    if entity.kind in limits.kinds:
                        yield Link(pk_of[actor_pk], entity, as_utc(created_at))

    def carriers_of(self, entities: Iterable[Entity], limits: GraphLimits) -> Mapping[Entity, frozenset[str]]:
        wanted = sorted(set(entities))
        found: dict[Entity, set[str]] = defaultdict(set)
        if any(e.kind in RECORD_KINDS for e in wanted):
            index = self._records()
            for entity in wanted:
                if entity.kind in RECORD_KINDS:
                    found[entity] = index.get(entity, set())
        clusters = {int(e.value): e for e in wanted if e.kind is EntityKind.TEXT_CLUSTER and e.value.isdigit()}
        for batch in _batches(sorted(clusters)):
            query = (
                select(NearDuplicateMember.cluster_pk, Actor.external_id)
                .join(ContentItem, ContentItem.pk == NearDuplicateMember.content_pk)
                .join(Actor, Actor.pk == ContentItem.actor_pk)
                .where(NearDuplicateMember.cluster_pk.in_(batch))
                .distinct()
            )
            for cluster, external_id in self.session.execute(query.where(*_window(limits))):
                found[clusters[cluster]].add(external_id)
        images = {e.value: e for e in wanted if e.kind is EntityKind.IMAGE}
        for batch_values in _batches(sorted(images)):
            by_image = (
                select(ContentItem.media_pdq, Actor.external_id)
                .join(Actor, Actor.pk == ContentItem.actor_pk)
                .where(ContentItem.media_pdq.in_(batch_values))
                .distinct()
            )
            for pdq, external_id in self.session.execute(by_image.where(*_window(limits))):
                image = images.get(pdq or "")
                if image is not None:
                    found[image].add(external_id)
        return {entity: frozenset(found.get(entity, ())) for entity in wanted}

    def _records(self) -> dict[Entity, set[str]]:
        if self._record_index is None:
            self.actor_scans += 1
            index: dict[Entity, set[str]] = defaultdict(set)
            query = select(Actor.external_id, Actor.attributes).execution_options(yield_per=CHUNK)
            for external_id, attributes in self.session.execute(query):
                for entity in entities_in_record(attributes):
                    index[entity].add(external_id)
            self._record_index = index
        return self._record_index


def _window(limits: GraphLimits) -> list[ColumnElement[bool]]:
    """The posts within the time window."""
    found: list[ColumnElement[bool]] = []
    if limits.since is not None:
        found.append(ContentItem.created_at >= limits.since)
    if limits.until is not None:
        found.append(ContentItem.created_at < limits.until)
    return found


def _batches(items: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), IN_BATCH):
        yield items[start : start + IN_BATCH]


def actor_exists(session: Session, actor_id: str) -> bool:
    return session.scalar(select(Actor.pk).where(Actor.external_id == actor_id)) is not None
