"""The entity graph: what one expansion costs on the medium simulation's store, beside a naive reader.

    .venv/bin/python bench/entity_graph.py [--scale medium] [--seed 1] [--store PATH] [--runs 3]

1. **Input** (not timed): the simulator's world written through ingest into a SQLite store (medium: about
   60,000 actors and a million posts; several minutes), or an existing store (`--store`, written by an earlier
   run with the same scale and seed). Near-duplicate clusters are whatever ingest made.
2. **Ours** (`StoreLinks`): each subject expanded 2 and 3 hops: the subject's record by its unique id,
   its posts by `content_items.actor_pk`, text clusters by `near_duplicate_members.cluster_pk`, and the
   actors' records streamed once per expansion into an index of entity to carriers.
3. **Naive**: the same expansion with a reader that answers each hop's questions by reading every actor's
   record and every post with an image or a cluster again (a full scan per hop). Both must give the same
   graph. Prints wall and CPU milliseconds (the median of `--runs`) and the ratio naive / ours.

Subjects: a member of each planted network (one who pays with the ring's card) and a campus student.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from sqlalchemy import select

from bastion.clock import system_clock
from bastion.investigate.entities import Entity, Link, content_entities, record_entities
from bastion.investigate.entity_graph import EntityGraph, GraphLimits, expand
from bastion.investigate.entity_reader import StoreLinks
from bastion.setup import initialise
from bastion.simulate import SimulationSpec, World
from bastion.simulate.actors import actor_id
from bastion.simulate.writer import write_platform
from bastion.store.database import Database
from bastion.store.schema import Actor, ContentItem, NearDuplicateCluster, NearDuplicateMember


class NaiveLinks:
    """Every question answered by reading everything again."""

    def __init__(self, session: object) -> None:
        self.session = session

    def _all(self) -> Iterable[Link]:
        session = self.session
        for external_id, attributes in session.execute(select(Actor.external_id, Actor.attributes)):  # type: ignore[attr-defined]
            for entity in record_entities(attributes):
                yield Link(external_id, entity)
        query = (
            select(Actor.external_id, ContentItem.created_at, ContentItem.media_pdq, NearDuplicateCluster.pk)
            .join(Actor, Actor.pk == ContentItem.actor_pk)
            .outerjoin(NearDuplicateMember, NearDuplicateMember.content_pk == ContentItem.pk)
            .outerjoin(NearDuplicateCluster, NearDuplicateCluster.pk == NearDuplicateMember.cluster_pk)
            .where(ContentItem.media_pdq.is_not(None) | NearDuplicateCluster.pk.is_not(None))
        )
        for external_id, at, pdq, cluster in session.execute(query):  # type: ignore[attr-defined]
            for entity in content_entities(media_pdq=pdq, text_cluster=cluster):
                yield Link(external_id, entity, at)

    def links_of(self, actor_ids: Iterable[str], limits: GraphLimits) -> Iterable[Link]:
        wanted = set(actor_ids)
        return [link for link in self._all() if link.actor_id in wanted and link.entity.kind in limits.kinds]

    def carriers_of(self, entities: Iterable[Entity], limits: GraphLimits) -> Mapping[Entity, frozenset[str]]:
        wanted = set(entities)
        found: dict[Entity, set[str]] = defaultdict(set)
        for link in self._all():
            if link.entity in wanted:
                found[link.entity].add(link.actor_id)
        return {e: frozenset(found.get(e, ())) for e in wanted}


def _timed(run: object) -> tuple[float, float, EntityGraph]:
    wall, cpu = time.perf_counter(), time.process_time()
    graph = run()  # type: ignore[operator]
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, graph


def _shape(graph: EntityGraph) -> tuple[set[str], set[tuple[str, str]]]:
    return set(graph.nodes), set(graph.edges)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--store", type=Path, default=None, help="an existing store of this scale and seed")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    spec = SimulationSpec.parse(seed=args.seed, scale=args.scale, days=args.days)
    world = World(spec)
    store = args.store or Path(tempfile.mkdtemp(prefix="bastion-bench-graph-")) / "store.db"
    database = Database(f"sqlite:///{store}")
    if not store.exists() or store.stat().st_size == 0:
        initialise(database, system_clock)
        started = time.perf_counter()
        written = write_platform(database, world.records(), clock=system_clock)
        print(f"store written: {written.total} records in {time.perf_counter() - started:.0f} s ({store})")
    subjects: list[tuple[str, str]] = []
    with database.transaction() as session:
        for network in world.plan.networks:
            members = [actor_id(m) for m in network.members]
            card = network.payment_fingerprint
            rows = session.execute(select(Actor.external_id, Actor.attributes).where(Actor.external_id.in_(members)))
            payer = sorted(e for e, a in rows if a.get("payment_fingerprint") == card)[0]
            subjects.append((f"{network.id} member", payer))
        campus = next(c for c in world.plan.benign_clusters if c.kind == "campus")
        subjects.append(("campus student", actor_id(campus.members[0])))
        actors = session.scalar(select(Actor.pk).order_by(Actor.pk.desc()).limit(1))
    print(f"store: {store}, {actors} actors; load average {os.getloadavg()[0]:.2f} (1 min)")
    print(f"{'subject':22} {'hops':>4} {'nodes':>6} {'ours ms':>8} {'cpu':>7} {'naive ms':>9} {'cpu':>8} {'ratio':>6}")
    failed = False
    for name, subject in subjects:
        for hops in (2, 3):
            limits = GraphLimits(hops=hops)
            ours_wall, ours_cpu, naive_wall, naive_cpu = [], [], [], []
            for _ in range(args.runs):
                with database.transaction() as session:
                    wall, cpu, ours = _timed(lambda s=session, a=subject, g=limits: expand(StoreLinks(s), a, g))
                ours_wall.append(wall)
                ours_cpu.append(cpu)
            with database.transaction() as session:
                wall, cpu, naive = _timed(lambda s=session, a=subject, g=limits: expand(NaiveLinks(s), a, g))
            naive_wall.append(wall)
            naive_cpu.append(cpu)
            if _shape(ours) != _shape(naive):
                print(f"FAIL {name} {hops} hops: the two readers differ")
                failed = True
            ow, oc = statistics.median(ours_wall), statistics.median(ours_cpu)
            nw, nc = naive_wall[0], naive_cpu[0]
            print(f"{name:22} {hops:4} {len(ours.nodes):6} {ow:8.0f} {oc:7.0f} {nw:9.0f} {nc:8.0f} {nw / ow:6.1f}")
    database.dispose()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
