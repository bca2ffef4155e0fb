"""The views of a simulated run as arrays, each with its item's true policy and a classifier's score.

The classifier is Bastion's built-in one, trained on the texts of the run's first week (labelled by
the simulator's truth: violating anything or not) and scoring every item; the period measured is the
second week, whose items it never saw. The frame's own prevalence is checked against the truth file's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from bastion.models.text_classifier import train_text_classifier
from bastion.simulate import RecordKind, SimulationSpec, World

VIOLATING = "violating"


@dataclass(frozen=True)
class SimulatedViews:
    """The period's views: weight, the item's score and true policy; and the truth file's prevalence."""

    weights: npt.NDArray[np.float64]
    scores: npt.NDArray[np.float64]
    policies: list[str | None]  # each view's item's true policy (None: benign)
    true_prevalence: dict[str, float]  # per policy over the period, from the truth file
    period: tuple[str, str]

    def violating(self, policy: str) -> npt.NDArray[np.bool_]:
        """Which views are of an item violating `policy` or a policy below it."""
        prefix = policy + "."
        return np.array([p is not None and (p == policy or p.startswith(prefix)) for p in self.policies])


def simulated_views(seed: int, *, days: int = 14, train_days: int = 7) -> SimulatedViews:
    world = World(SimulationSpec(seed=seed, scale="small", days=days))  # type: ignore[arg-type]
    texts: dict[str, str] = {}
    truth: dict[str, str | None] = {}
    created: dict[str, str] = {}
    views: list[tuple[str, str, int]] = []
    for record in world.labelled_records():
        payload = record.payload
        if record.kind is RecordKind.CONTENT:
            assert record.truth is not None
            texts[payload["id"]] = payload.get("text") or ""
            truth[payload["id"]] = record.truth.policy
            created[payload["id"]] = payload["created_at"]
        elif record.kind is RecordKind.VIEWS:
            views.append((payload["content_id"], payload["viewed_at"], int(payload["weight"])))
    file = world.truth()
    start = datetime.fromisoformat(file["start"])
    split = (start + timedelta(days=train_days)).isoformat().replace("+00:00", "Z")
    end = (start + timedelta(days=days)).isoformat().replace("+00:00", "Z")
    trained_on = [cid for cid, at in created.items() if at < split and texts[cid]]
    model = train_text_classifier(
        [texts[c] for c in trained_on], [VIOLATING if truth[c] else "none" for c in trained_on], seed=seed
    )
    ids = sorted(texts)
    scored = dict(zip(ids, model.probability_of(VIOLATING, [texts[c] for c in ids]), strict=True))
    period = [(cid, w) for cid, at, w in views if split <= at < end]
    days_in = [d for d in file["view_weight"] if d >= split[:10]]
    total = sum(file["view_weight"][d] for d in days_in)
    true_prevalence = {
        pid: sum(file["prevalence"][pid][d] * file["view_weight"][d] for d in days_in) / total
        for pid in file["policies"]
    }
    return SimulatedViews(
        weights=np.array([w for _, w in period], dtype=np.float64),
        scores=np.array([scored[cid] if texts[cid] else np.nan for cid, _ in period], dtype=np.float64),
        policies=[truth[cid] for cid, _ in period],
        true_prevalence=true_prevalence,
        period=(split, end),
    )
