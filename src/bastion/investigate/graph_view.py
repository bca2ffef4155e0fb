"""The entity graph as a principal may see it: access checked, private values masked, the view recorded.

Viewing needs `investigate.read`, and a vendor reviewer never sees it (as with cases). Entities whose
values come from a private field (the review configuration's `private_fields`, e.g. `ip` or `email`) keep
their place in the graph, so its shape still shows, but their value and node id become a stable digest for
anyone without `investigate.manage`. Every view is recorded in the audit log as `graph.viewed`, with the
subject as its target, by this function, whichever interface shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.errors import FieldError, InvalidInput, NotFound
from bastion.investigate.cases import require_case_access
from bastion.investigate.entities import ENTITY_KINDS, Entity, EntityKind, masked, masked_kinds
from bastion.investigate.entity_graph import MAX_HOPS, MAX_NODES, GraphLimits, actor_key, expand
from bastion.investigate.entity_reader import StoreLinks, actor_exists


@dataclass(frozen=True)
class GraphNodeView:
    id: str  # `actor:<id>` or `<kind>:<value>` (a masked value: `<kind>:masked-<digest>`)
    kind: str
    value: str
    hop: int
    carriers: int | None
    hub: bool
    masked: bool


@dataclass(frozen=True)
class GraphEdgeView:
    source: str
    target: str
    kind: str
    first_at: datetime | None
    last_at: datetime | None


@dataclass(frozen=True)
class EntityGraphView:
    subject: str
    hops: int
    kinds: list[str]
    since: datetime | None
    until: datetime | None
    max_nodes: int
    hub_size: int
    truncated: bool
    nodes: list[GraphNodeView]
    edges: list[GraphEdgeView]


def parse_subject(text: str) -> str:
    """The actor id of `actor:<id>`; anything else is refused, naming the field."""
    kind, colon, ident = text.strip().partition(":")
    if not colon or kind != "actor" or not ident.strip():
        raise InvalidInput("bad subject", [FieldError("subject", "must be actor:<platform id>")])
    if len(ident) > 256:
        raise InvalidInput("bad subject", [FieldError("subject", "the id is longer than 256 characters")])
    return ident.strip()


def parse_kinds(text: str | None) -> frozenset[EntityKind]:
    """Entity kinds from a comma-separated list (`ip,device`); empty or None means every kind."""
    if text is None or not text.strip():
        return frozenset(ENTITY_KINDS)
    names = [part.strip() for part in text.split(",") if part.strip()]
    known = {kind.value: kind for kind in ENTITY_KINDS}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InvalidInput(
            "unknown entity type",
            [FieldError("types", f"unknown type {', '.join(unknown)}; known: {', '.join(sorted(known))}")],
        )
    return frozenset(known[name] for name in names)


def graph_limits(
    *,
    hops: int = 2,
    kinds: frozenset[EntityKind] = frozenset(ENTITY_KINDS),
    since: datetime | None = None,
    until: datetime | None = None,
    max_nodes: int = 200,
    hub_size: int = 25,
) -> GraphLimits:
    """Checked limits; every bad one is named."""
    problems: list[FieldError] = []
    if not 1 <= hops <= MAX_HOPS:
        problems.append(FieldError("hops", f"must be 1 to {MAX_HOPS}"))
    if not 2 <= max_nodes <= MAX_NODES:
        problems.append(FieldError("max_nodes", f"must be 2 to {MAX_NODES}"))
    if hub_size < 1:
        problems.append(FieldError("hub_size", "must be 1 or more"))
    if since is not None and until is not None and since >= until:
        problems.append(FieldError("until", "must be after since"))
    if problems:
        raise InvalidInput("bad graph limits", problems)
    return GraphLimits(hops, max_nodes, hub_size, kinds, since, until)


def entity_graph_view(
    session: Session, principal: Principal, actor_id: str, limits: GraphLimits, *, now: datetime
) -> EntityGraphView:
    """The entity graph around an actor, as the principal may see it; recorded as `graph.viewed`."""
    require_case_access(principal, Permission.INVESTIGATE_READ)
    if not actor_exists(session, actor_id):
        raise NotFound(f"no actor {actor_id}")
    graph = expand(StoreLinks(session), actor_id, limits)
    hidden: frozenset[EntityKind] = frozenset()
    if not principal.can(Permission.INVESTIGATE_MANAGE):
        from bastion.review.config_store import current_review_config

        hidden = masked_kinds(current_review_config(session).config.private_fields)
    ids: dict[str, str] = {}
    nodes: list[GraphNodeView] = []
    for node in graph.nodes.values():
        value, hide = node.value, node.kind in hidden
        if hide:
            value = masked(Entity(node.kind, node.value)).value
        ids[node.id] = f"{node.kind.value}:{value}"
        nodes.append(GraphNodeView(ids[node.id], node.kind.value, value, node.hop, node.carriers, node.hub, hide))
    edges = [
        GraphEdgeView(ids[e.source], ids[e.target], e.kind.value, e.first_at, e.last_at)
        for e in sorted(graph.edges.values(), key=lambda e: (e.source, e.target))
    ]
    audit_log.record(
        session,
        principal=principal.name,
        action="graph.viewed",
        target=actor_key(actor_id),
        at=now,
        details={
            "hops": limits.hops,
            "types": sorted(k.value for k in limits.kinds),
            "since": None if limits.since is None else limits.since.isoformat(),
            "until": None if limits.until is None else limits.until.isoformat(),
            "nodes": len(nodes),
            "edges": len(edges),
        },
    )
    return EntityGraphView(
        subject=graph.subject,
        hops=limits.hops,
        kinds=sorted(k.value for k in limits.kinds),
        since=limits.since,
        until=limits.until,
        max_nodes=limits.max_nodes,
        hub_size=limits.hub_size,
        truncated=graph.truncated,
        nodes=sorted(nodes, key=lambda n: (n.hop, n.kind, n.value)),
        edges=edges,
    )
