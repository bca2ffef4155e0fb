"""A store holding a short simulated platform, and the simulator's own records to check answers against."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bastion.clock import FrozenClock
from bastion.simulate import RecordKind, SimulationSpec, World
from bastion.simulate.spec import Scale
from bastion.simulate.writer import write_platform
from bastion.store.database import Database

SPEC = SimulationSpec(seed=7, scale=Scale.SMALL, days=2)


@dataclass(frozen=True)
class Simulated:
    """What the simulator sent: the counts each view must show."""

    content: int
    actors: int
    reports: int
    views: int
    content_by_country: Counter[str]


def simulated_store(database: Database, clock: FrozenClock) -> Simulated:
    records = list(World(SPEC).records())
    write_platform(database, records, clock=clock)
    kinds = Counter(kind for kind, _ in records)
    countries = Counter(str(p.get("country")) for kind, p in records if kind is RecordKind.CONTENT)
    return Simulated(
        content=kinds[RecordKind.CONTENT],
        actors=kinds[RecordKind.ACTORS],
        reports=kinds[RecordKind.REPORTS],
        views=kinds[RecordKind.VIEWS],
        content_by_country=countries,
    )
