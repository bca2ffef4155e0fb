"""A synthetic platform with planted ground truth, for the demo, the tests and the benchmarks.

    world = World(SimulationSpec(seed=7, scale=Scale.SMALL, days=14))
    for kind, payload in world.records():   # time-ordered ingest bodies
        ...
    truth = world.truth()                    # spikes, networks, prevalence, reviewers...

Pure and deterministic: no database, no clock, no global random state.
"""

from bastion.simulate.records import ContentTruth, LabelledRecord, Payload, Record, RecordKind
from bastion.simulate.spec import DEFAULT_START, PROFILES, Scale, ScaleProfile, SimulationSpec
from bastion.simulate.workforce import HandleTime, Shift, SimulatedReviewer
from bastion.simulate.world import World

__all__ = [
    "DEFAULT_START",
    "PROFILES",
    "ContentTruth",
    "HandleTime",
    "LabelledRecord",
    "Payload",
    "Record",
    "RecordKind",
    "Scale",
    "ScaleProfile",
    "Shift",
    "SimulatedReviewer",
    "SimulationSpec",
    "World",
]
