"""Expanding an actor into its entity graph, N hops out, within limits.

Pure: the links come from a `LinkSource` (the store reader, or a test's own), so the rules can be read and
tested without a database. The graph is bipartite, actors on one side and entities on the other, and a hop
is one edge: 1 hop shows the subject's entities, 2 hops the other actors carrying them, 3 hops those
actors' entities. Three limits keep it readable and cheap:

- `hops` is at most 3; further out, nearly everything is connected to nearly everything.
- `max_nodes`: expansion stops when the graph holds that many nodes, and says it was truncated.
- **Hubs**: an entity carried by more than `hub_size` actors (a campus NAT address, a link hub, a meme) is
  shown as one node with its count but not expanded through. It says little about any one pair of
  actors (network detection weighs such a value 1/(n − 1)), and its carriers would drown the rest.

Entity kinds and a time window filter what is followed. Record entities (an actor's device, IP…) carry
no time; content entities (an image hash, a text cluster) are dated by their posts, and only posts in
the window count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bastion.investigate.entities import ENTITY_KINDS, Entity, EntityKind, Link

MAX_HOPS = 3
DEFAULT_MAX_NODES = 200
MAX_NODES = 2_000
DEFAULT_HUB_SIZE = 25


@dataclass(frozen=True)
class GraphLimits:
    """What to follow, and how far."""

    hops: int = 2
    max_nodes: int = DEFAULT_MAX_NODES
    hub_size: int = DEFAULT_HUB_SIZE
    kinds: frozenset[EntityKind] = frozenset(ENTITY_KINDS)
    since: datetime | None = None
    until: datetime | None = None


class LinkSource(Protocol):
    """Where the links come from."""

    def links_of(self, actor_ids: Iterable[str], limits: GraphLimits) -> Iterable[Link]:
        """The links of these actors to entities of the wanted kinds (content ones within the window)."""
        ...

    def carriers_of(self, entities: Iterable[Entity], limits: GraphLimits) -> Mapping[Entity, frozenset[str]]:
        """Every actor carrying each entity (content ones within the window)."""
        ...


@dataclass
class Node:
    id: str
    kind: EntityKind
    value: str
    hop: int  # edges from the subject
    carriers: int | None = None  # for an entity: how many actors carry it (in the window), when known
    hub: bool = False  # carried by more than hub_size actors: shown, not expanded through


@dataclass(frozen=True)
class Edge:
    source: str  # an actor node's id
    target: str  # an entity node's id
    kind: EntityKind  # the entity's kind
    first_at: datetime | None = None  # for content entities: the actor's first and last post carrying it
    last_at: datetime | None = None


@dataclass
class EntityGraph:
    subject: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[tuple[str, str], Edge] = field(default_factory=dict)
    truncated: bool = False  # max_nodes was reached before every hop was followed


def actor_key(actor_id: str) -> str:
    return f"actor:{actor_id}"


def expand(source: LinkSource, actor_id: str, limits: GraphLimits) -> EntityGraph:
    """The entity graph around `actor_id`, built hop by hop, breadth first, within `limits`."""
    graph = EntityGraph(actor_key(actor_id))
    graph.nodes[graph.subject] = Node(graph.subject, EntityKind.ACTOR, actor_id, 0)
    actors: list[str] = [actor_id]
    entities: list[Entity] = []
    for hop in range(1, min(limits.hops, MAX_HOPS) + 1):
        if hop % 2 == 1:
            entities = _entities_of(source, graph, actors, hop, limits)
            if not entities:
                break
        else:
            actors = _carriers_of(source, graph, entities, hop, limits)
            if not actors:
                break
        if graph.truncated:
            break
    _complete(source, graph, limits)
    return graph


def _complete(source: LinkSource, graph: EntityGraph, limits: GraphLimits) -> None:
    """Count the carriers of the entities not expanded (the last hop's), mark the hubs among them, and draw
    their edges to actors already in the graph; no new node is added."""
    pending = [
        Entity(n.kind, n.value) for n in graph.nodes.values() if n.kind is not EntityKind.ACTOR and n.carriers is None
    ]
    if not pending:
        return
    carriers = source.carriers_of(pending, limits)
    for entity in pending:
        node = graph.nodes[entity.key]
        holders = carriers.get(entity, frozenset())
        node.carriers = len(holders)
        node.hub = len(holders) > limits.hub_size
        if node.hub:
            continue
        for actor_id in holders:
            key = actor_key(actor_id)
            if key in graph.nodes:
                graph.edges.setdefault((key, entity.key), Edge(key, entity.key, entity.kind))


def _room(graph: EntityGraph, limits: GraphLimits) -> bool:
    if len(graph.nodes) >= limits.max_nodes:
        graph.truncated = True
        return False
    return True


def _entities_of(
    source: LinkSource, graph: EntityGraph, actors: list[str], hop: int, limits: GraphLimits
) -> list[Entity]:
    """Add the entities of `actors`; return the new ones (to expand next)."""
    times: dict[tuple[str, str], tuple[datetime | None, datetime | None]] = {}
    found: dict[tuple[str, str], Entity] = {}
    for link in source.links_of(actors, limits):
        if link.entity.kind not in limits.kinds:
            continue
        pair = (actor_key(link.actor_id), link.entity.key)
        found[pair] = link.entity
        if link.at is not None:
            first, last = times.get(pair, (None, None))
            times[pair] = (
                link.at if first is None or link.at < first else first,
                link.at if last is None or link.at > last else last,
            )
    fresh: list[Entity] = []
    for (actor, key), entity in sorted(found.items(), key=lambda item: item[0]):
        if key not in graph.nodes:
            if not _room(graph, limits):
                break
            graph.nodes[key] = Node(key, entity.kind, entity.value, hop)
            fresh.append(entity)
        first, last = times.get((actor, key), (None, None))
        graph.edges[(actor, key)] = Edge(actor, key, entity.kind, first, last)
    return fresh


def _carriers_of(
    source: LinkSource, graph: EntityGraph, entities: list[Entity], hop: int, limits: GraphLimits
) -> list[str]:
    """Mark hubs, add the carriers of the other entities; return the new actors (to expand next)."""
    carriers = source.carriers_of(entities, limits)
    fresh: list[str] = []
    for entity in sorted(entities):
        node = graph.nodes[entity.key]
        holders = carriers.get(entity, frozenset())
        node.carriers = len(holders)
        if len(holders) > limits.hub_size:
            node.hub = True
            continue
        for actor_id in sorted(holders):
            key = actor_key(actor_id)
            if key not in graph.nodes:
                if not _room(graph, limits):
                    return fresh
                graph.nodes[key] = Node(key, EntityKind.ACTOR, actor_id, hop)
                fresh.append(actor_id)
            graph.edges.setdefault((key, entity.key), Edge(key, entity.key, entity.kind))
    return fresh
