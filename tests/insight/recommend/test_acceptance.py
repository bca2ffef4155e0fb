"""The planted problems of the simulation are in the top 10 recommendations: on the default simulation
(seed 1, small, 14 days, the reference rules in force, the workforce at work with its QA team) and on two
other seeds.

Each planted problem of the truth file names the provider that should find it: the understaffed queue
(staff a queue), the low-accuracy reviewers (calibrate a reviewer), the abusive reporting (investigate a
mass-reporting campaign), the spikes (investigate a spike) and the emerging terms (add a term). Spikes and
terms come from trend alerts: the module runs the trends scan on the store first, as `bastion trends run`
would. Every one of them must be in the top 10: a miss fails.

Each seed's store is the session's shared simulated store (`tests/support/simulated.py`), copied.
Over HTTP, an analyst acts on a planted reviewer's recommendation: a calibration exercise on the items
they were scored wrong on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bastion.assembly import create_app
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.insight.recommend.model import Recommendation, RecommendationKind
from bastion.insight.recommend.service import recommendations
from bastion.insight.trends.alerts import run_trends
from bastion.store.database import Database
from bastion.store.schema import CalibrationExercise
from tests.conftest import api_key, bearer, make_context
from tests.support.simulated import simulated_copy

pytestmark = [pytest.mark.timeout(1200), pytest.mark.xdist_group("recommend-simulated")]
TOP = 10


class Simulated:
    def __init__(self, database: Database, truth: dict[str, Any], now: datetime) -> None:
        self.database = database
        self.truth = truth
        self.now = now
        self.ranked = recommendations(database, now=now, days=truth["days"])

    def listing(self) -> str:
        return "ranked: " + "; ".join(f"{r.rank} {r.kind.value} {r.subject} ({r.impact})" for r in self.ranked)


@pytest.fixture(scope="module", params=[1, 2, 3], ids=lambda seed: f"seed{seed}")
def simulated(
    request: pytest.FixtureRequest, simulated_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Simulated]:
    path = tmp_path_factory.mktemp("recommend") / f"seed{request.param}.db"
    truth = simulated_copy(simulated_cache, request.param, path)
    database = Database(f"sqlite:///{path}")
    start, now = _at(truth["start"]), _at(truth["end"])
    run_trends(database, now=now, since=start)
    yield Simulated(database, truth, now)
    database.dispose()


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _top(found: Simulated, kind: RecommendationKind) -> dict[str, Recommendation]:
    return {r.subject: r for r in found.ranked[:TOP] if r.kind is kind}


def test_the_understaffed_queue_is_in_the_top_10(simulated: Simulated) -> None:
    planted = {entry["queue"] for entry in simulated.truth["understaffed_queues"]}
    assert planted
    top = _top(simulated, RecommendationKind.STAFF_QUEUE)
    assert planted <= set(top), simulated.listing()
    for queue in planted:
        figures = top[queue].evidence.figures
        # Erlang C's team on duty, checked by running the queue with the handle times observed.
        assert isinstance(figures["erlang_c_service_level"], float) and figures["erlang_c_service_level"] >= 0.9
        assert isinstance(figures["simulated_service_level"], float) and figures["simulated_service_level"] >= 0.85
        assert float(figures["capacity_share"]) < float(figures["demand_share"])
    # No language queue the simulation staffed is called under-staffed.
    every = {r.subject for r in simulated.ranked if r.kind is RecommendationKind.STAFF_QUEUE}
    assert every == planted


def test_the_low_accuracy_reviewers_are_in_the_top_10(simulated: Simulated) -> None:
    planted = {entry["id"] for entry in simulated.truth["low_accuracy_reviewers"]}
    assert len(planted) == 2
    top = _top(simulated, RecommendationKind.CALIBRATE_REVIEWER)
    assert planted <= set(top), simulated.listing()
    for reviewer in planted:
        assert top[reviewer].evidence.examples  # their disagreements, as evidence
        assert top[reviewer].action is not None


def test_the_abusive_reporting_is_in_the_top_10(simulated: Simulated) -> None:
    (planted,) = simulated.truth["abusive_reporting"]
    top = _top(simulated, RecommendationKind.INVESTIGATE_REPORTING)
    assert planted["target"] in top, simulated.listing()
    found = top[planted["target"]]
    assert set(found.evidence.examples) <= set(planted["reporters"])
    assert len(found.evidence.examples) >= 2
    every = {r.subject for r in simulated.ranked if r.kind is RecommendationKind.INVESTIGATE_REPORTING}
    assert every == {planted["target"]}


def test_every_planted_spike_is_in_the_top_10(simulated: Simulated) -> None:
    """One recommendation per spike: its segment, and a window that overlaps the planted one."""
    top = [r for r in simulated.ranked[:TOP] if r.kind is RecommendationKind.INVESTIGATE_SPIKE]
    assert simulated.truth["spikes"]
    for spike in simulated.truth["spikes"]:
        where = [f"{k}={spike[k]}" for k in ("policy", "country", "language")]
        start, end = _at(spike["start"]), _at(spike["end"])
        found = [
            r
            for r in top
            if all(w in r.subject for w in where)
            and _at(str(r.evidence.figures["from"])) < end
            and start < _at(str(r.evidence.figures["until"]))
        ]
        assert found, f"{spike} not in the top {TOP}; {simulated.listing()}"


def test_every_planted_term_is_in_the_top_10(simulated: Simulated) -> None:
    top = {r.subject: r for r in simulated.ranked[:TOP] if r.kind is RecommendationKind.ADD_TERM}
    assert simulated.truth["emerging_terms"]
    for term in simulated.truth["emerging_terms"]:
        subject = f"{term['language']}:{term['term']}"
        assert subject in top, f"{term} not in the top {TOP}; {simulated.listing()}"


def test_an_analyst_acts_on_a_reviewer_over_http(simulated: Simulated) -> None:
    if simulated.truth["seed"] != 1:
        pytest.skip("acting is checked once, on the default simulation")
    clock = FrozenClock(simulated.now)
    reviewer = next(r for r in simulated.ranked if r.kind is RecommendationKind.CALIBRATE_REVIEWER)
    with TestClient(create_app(make_context(simulated.database, clock)), base_url="http://127.0.0.1") as client:
        investigator = bearer(api_key(simulated.database, clock, Role.INVESTIGATOR))
        listed = client.get("/api/v1/recommendations", headers=investigator)
        assert listed.status_code == 200
        body = listed.json()["recommendations"]
        assert [r["key"] for r in body] == [r.key for r in simulated.ranked]
        assert set(body[0]) >= {"rank", "kind", "title", "subject", "evidence", "expected_effect", "key"}
        refused = client.post(f"/api/v1/recommendations/{reviewer.key}/act", headers=investigator)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
        analyst = bearer(api_key(simulated.database, clock, Role.ANALYST))
        done = client.post(f"/api/v1/recommendations/{reviewer.key}/act", headers=analyst)
        assert done.status_code == 200, done.text
        result = done.json()["acted"]["result"]
        assert result["group"] == f"users:{reviewer.subject}"
        again = client.post(f"/api/v1/recommendations/{reviewer.key}/act", headers=analyst)
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "conflict"
        unknown = client.post("/api/v1/recommendations/staff_queue--nowhere/act", headers=analyst)
        assert unknown.status_code == 404
    with simulated.database.transaction() as session:
        exercise = session.get(CalibrationExercise, result["exercise"])
        assert exercise is not None and exercise.group == f"users:{reviewer.subject}"
