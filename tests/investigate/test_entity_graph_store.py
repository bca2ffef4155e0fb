"""The entity graph read from the store (SQLite and PostgreSQL), and on the simulator's planted networks: a
planted member's 2-hop graph reaches its ring-mates through shared devices and the shared card, and the
campus's one IP is a hub, shown and not expanded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bastion.investigate.entities import EntityKind
from bastion.investigate.entity_graph import GraphLimits, expand
from bastion.investigate.entity_reader import StoreLinks
from bastion.simulate.networks import CAMPUS_EMAIL_DOMAIN
from bastion.store.database import Database
from bastion.store.schema import Actor, ContentItem, NearDuplicateCluster, NearDuplicateMember
from tests.support.simulated import simulated_copy

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _store(database: Database) -> None:
    """r1..r3 share a device or a card; r1 is behind a campus IP with 8 others; r2 and r4 posted into one
    near-duplicate cluster (on two days), r2 and r5 the same image (in lower case, as ingestion stores it);
    r6 posted a text alone."""
    with database.transaction() as session:
        records = {
            "r1": {"device_id": "dev-a", "ip": "128.1.2.3", "payment_fingerprint": "pay-1"},
            "r2": {"device_id": "dev-a", "email": "x@Ring.example"},
            "r3": {"device_ids": ["dev-b"], "payment_fingerprint": "pay-1", "email": "y@ring.example"},
            "r4": {},
            "r5": {"phone": "+1 555 0100"},
            "r6": {},
        } | {f"s{n}": {"ip": "128.1.2.3"} for n in range(8)}
        pk: dict[str, int] = {}
        for name, attributes in records.items():
            actor = Actor(external_id=name, created_at=T0, attributes=attributes, received_at=T0)
            session.add(actor)
            session.flush()
            pk[name] = actor.pk

        def post(ident: str, author: str, at: datetime, pdq: str | None = None) -> int:
            item = ContentItem(
                external_id=ident, actor_pk=pk[author], type="post", text="t", media_pdq=pdq,
                created_at=at, received_at=at,
            )  # fmt: skip
            session.add(item)
            session.flush()
            return item.pk

        first = post("c1", "r2", T0)
        second = post("c2", "r4", T0 + timedelta(days=1))
        alone = post("c3", "r6", T0)
        post("c4", "r2", T0, pdq="ab" * 32)
        post("c5", "r5", T0 + timedelta(days=1), pdq="ab" * 32)
        session.add(NearDuplicateCluster(pk=first, first_seen=T0, last_seen=T0 + timedelta(days=1), size=2, peak_1h=1))
        session.flush()
        for item, at in ((first, T0), (second, T0 + timedelta(days=1))):
            session.add(NearDuplicateMember(content_pk=item, cluster_pk=first, similarity=1.0, joined_at=at))
        session.add(NearDuplicateMember(content_pk=alone, cluster_pk=alone, similarity=1.0, joined_at=T0))


def test_expansion_from_the_store(database: Database) -> None:
    _store(database)
    with database.transaction() as session:
        links = StoreLinks(session)
        graph = expand(links, "r2", GraphLimits(hops=2, hub_size=5))
        assert {n.value for n in graph.nodes.values() if n.kind is EntityKind.ACTOR} == {"r1", "r2", "r3", "r4", "r5"}
        assert graph.nodes["email_domain:ring.example"].carriers == 2
        cluster = next(n for n in graph.nodes.values() if n.kind is EntityKind.TEXT_CLUSTER)
        assert cluster.carriers == 2 and not any(n.value == "r6" for n in graph.nodes.values())  # alone: no cluster
        assert graph.nodes["image:" + "ab" * 32].carriers == 2
        three = expand(links, "r2", GraphLimits(hops=3, hub_size=5))
        assert three.nodes["ip:128.1.2.3"].hub and three.nodes["ip:128.1.2.3"].carriers == 9
        assert not any(n.value.startswith("s") for n in three.nodes.values() if n.kind is EntityKind.ACTOR)
        assert links.actor_scans == 1  # the actors' records were read once for both expansions' hops
        window = expand(
            StoreLinks(session), "r2", GraphLimits(hops=2, since=T0, until=T0 + timedelta(hours=12))
        )  # the second day's posts are outside
        assert {n.value for n in window.nodes.values() if n.kind is EntityKind.ACTOR} == {"r1", "r2", "r3"}
        kinds = frozenset({EntityKind.TEXT_CLUSTER})
        only = expand(StoreLinks(session), "r2", GraphLimits(hops=2, kinds=kinds))
        assert {n.value for n in only.nodes.values() if n.kind is EntityKind.ACTOR} == {"r2", "r4"}


def test_planted_networks_and_the_campus_in_the_simulation(simulated_cache: Path, tmp_path: Path) -> None:
    truth = simulated_copy(simulated_cache, 1, tmp_path / "simulated.db")
    database = Database(f"sqlite:///{tmp_path / 'simulated.db'}")
    campus = next(c for c in truth["benign_clusters"] if c["kind"] == "campus")
    try:
        with database.transaction() as session:
            for planted in truth["networks"]:
                members = set(planted["members"])
                query = select(Actor.external_id, Actor.attributes).where(Actor.external_id.in_(members))
                records = {member: attributes for member, attributes in session.execute(query)}
                paying = [r["payment_fingerprint"] for r in records.values() if "payment_fingerprint" in r]
                card = max(set(paying), key=paying.count)
                sharing = {m for m, r in records.items() if r.get("payment_fingerprint") == card}
                assert len(sharing) >= 0.6 * len(members), planted["id"]  # two in three pay with one card
                subject = sorted(sharing)[0]
                kinds = frozenset({EntityKind.DEVICE, EntityKind.PAYMENT})
                graph = expand(StoreLinks(session), subject, GraphLimits(hops=2, kinds=kinds, max_nodes=500))
                reached = {n.value for n in graph.nodes.values() if n.kind is EntityKind.ACTOR}
                assert sharing <= reached, planted["id"]
                assert reached <= members, planted["id"]  # a device or the card ties nobody outside the ring
                assert graph.nodes[f"payment:{card}"].carriers == len(sharing)
            student = campus["members"][0]
            graph = expand(StoreLinks(session), student, GraphLimits(hops=2))
            ip = next(n for n in graph.nodes.values() if n.kind is EntityKind.IP)
            assert ip.hub and ip.carriers is not None and ip.carriers >= len(campus["members"])
            email = graph.nodes[f"email_domain:{CAMPUS_EMAIL_DOMAIN}"]
            assert email.hub  # the university's email domain: shared by the whole campus, a hub too
            assert [edge for edge in graph.edges if edge[1] == ip.id] == [(f"actor:{student}", ip.id)]
            # Busy students meet in small near-duplicate clusters (a popular text); by their records alone,
            # nothing but the hubs ties them, so the student's record graph is the student alone.
            records = frozenset({EntityKind.IP, EntityKind.EMAIL_DOMAIN, EntityKind.DEVICE, EntityKind.PAYMENT})
            alone = expand(StoreLinks(session), student, GraphLimits(hops=2, kinds=records))
            assert [n.value for n in alone.nodes.values() if n.kind is EntityKind.ACTOR] == [student]
    finally:
        database.dispose()
