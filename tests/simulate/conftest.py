"""One small simulated world per session: generating it takes about a second."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from bastion.simulate import LabelledRecord, RecordKind, SimulationSpec, World

SEED = 7


@dataclass
class Generated:
    """A world and everything one pass over it yielded, indexed for the tests."""

    world: World
    records: list[LabelledRecord]
    truth: dict[str, Any]
    actors: dict[str, dict[str, Any]] = field(default_factory=dict)
    content: dict[str, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, Any] = field(default_factory=dict)
    views: list[dict[str, Any]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for record in self.records:
            payload = record.payload
            if record.kind is RecordKind.ACTORS:
                self.actors[payload["id"]] = payload
            elif record.kind is RecordKind.CONTENT:
                self.content[payload["id"]] = payload
                self.labels[payload["id"]] = record.truth
            elif record.kind is RecordKind.VIEWS:
                self.views.append(payload)
            else:
                self.reports.append(payload)


def generate(spec: SimulationSpec) -> Generated:
    """Run a world to the end and keep everything it yielded."""
    world = World(spec)
    records = list(world.labelled_records())
    return Generated(world, records, world.truth())


@pytest.fixture(scope="session")
def small() -> Generated:
    """The small world every truth test looks into."""
    return generate(SimulationSpec(seed=SEED, scale="small", days=14))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def small_other_seed() -> Generated:
    """A second small world, to check that truths do not hold for one seed only."""
    return generate(SimulationSpec(seed=SEED + 1, scale="small", days=14))  # type: ignore[arg-type]
