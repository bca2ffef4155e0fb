"""The simulated world: a deterministic, streaming generator of a platform with planted ground truth.

`World(spec).records()` yields `(kind, payload)` records in time order, each payload shaped like
the ingest API's body for that kind. Memory stays bounded whatever the scale: the world keeps its
compact population, the planted truths, the events already scheduled for the coming days (views,
reports) and small counters; never the items it has written.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bastion.errors import Conflict
from bastion.simulate.actors import Population
from bastion.simulate.corpus import Corpus
from bastion.simulate.randomness import substream
from bastion.simulate.records import LabelledRecord, Record
from bastion.simulate.run import Run
from bastion.simulate.spec import SimulationSpec
from bastion.simulate.threats import plant_threats, threats_truth, with_threats
from bastion.simulate.truths import Plan, plan_truths
from bastion.simulate.workforce import SimulatedReviewer, build_qa_team, build_workforce


class World:
    """A simulated platform built from a spec. Build it, then iterate `records()`, then read `truth()`."""

    def __init__(self, spec: SimulationSpec) -> None:
        self.spec = spec
        self.corpus = Corpus()
        self.population = Population(substream(spec.seed, "population"), spec.profile.regular_actors)
        self.plan: Plan = plan_truths(spec, substream(spec.seed, "plan"), self.population, self.corpus)
        self.workforce: tuple[SimulatedReviewer, ...] = build_workforce(
            substream(spec.seed, "workforce"), spec.profile.reviewers
        )
        self.qa_team: tuple[SimulatedReviewer, ...] = build_qa_team(substream(spec.seed, "workforce/qa"))
        self._truth: dict[str, Any] | None = None

    def labelled_records(self) -> Iterator[LabelledRecord]:
        """Every record in time order, content records carrying their hidden truth.

        Each call starts a fresh, identical pass. The truth file is complete once a pass is exhausted.
        """
        run = Run(self.spec, self.corpus, self.population, self.plan)
        threats = plant_threats(self.spec, self.population)
        yield from with_threats(run.generate(), threats, run.clock)
        self._truth = run.truth(self.workforce) | {
            "qa_reviewers": [r.as_truth() for r in self.qa_team],
            "threats": threats_truth(threats, run.clock),
        }

    def records(self) -> Iterator[Record]:
        """Every record in time order as `(kind, payload)`: actors before their content, content
        before its views and reports."""
        for kind, payload, _ in self.labelled_records():
            yield kind, payload

    def truth(self) -> dict[str, Any]:
        """The truth file (JSON-ready). Complete only after `records()` has been exhausted."""
        if self._truth is None:
            raise Conflict("the truth is known only once records() has been iterated to the end")
        return self._truth
