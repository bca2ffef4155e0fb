"""The supervisor's figures come from the insight metrics layer and say what the old queries said.

`data/supervisor_seed1.json` holds the overview of the simulated store of seed 1, computed by the
SQLAlchemy queries the page used before the layer defined its figures (with golden jobs left out, as
the layer leaves them out: computed on a copy of the store with its golden jobs and their decisions
deleted), for several filters and windows. The layer must give the same numbers. It was captured again
with the old code (the commit before the layer took over) when the simulator's planted events changed.
Golden jobs are most of the simulated review jobs (the simulated QA lead serves many), so a figure
that counted them would not match.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bastion.review.config_store import current_review_config
from bastion.review.supervisor import Overview, OverviewFilters, overview
from bastion.store.database import Database
from bastion.store.schema import GoldenItem, Job
from tests.review.test_supervisor import NOW, Store, _known_world, _queue
from tests.support.simulated import simulated_copy

EXPECTED = Path(__file__).parent / "data" / "supervisor_seed1.json"


def _plain(data: Overview) -> dict[str, Any]:
    body = asdict(data)
    for exposure in body["exposure"]:
        exposure.pop("selection")
    plain: dict[str, Any] = json.loads(json.dumps(body, default=str, sort_keys=True))
    return plain


def test_the_overview_of_a_simulated_store_is_what_the_old_queries_counted(
    simulated_cache: Path, tmp_path: Path
) -> None:
    simulated_copy(simulated_cache, 1, tmp_path / "simulated.db")
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    now = datetime.fromisoformat(expected["now"])
    database = Database(f"sqlite:///{tmp_path / 'simulated.db'}")
    try:
        for case in expected["cases"]:
            with database.transaction() as session:
                config = current_review_config(session).config
                data = overview(
                    session,
                    config,
                    now=now,
                    filters=OverviewFilters(**case["filters"]),
                    window=timedelta(days=case["window_days"]),
                )
            assert _plain(data) == case["overview"], (case["filters"], case["window_days"])
        assert any(c["overview"]["totals"]["decided"] > 100 for c in expected["cases"])  # not an empty world
    finally:
        database.dispose()


def test_golden_jobs_count_in_no_figure(database: Database) -> None:
    store = Store(database)
    _known_world(store)
    before = store.overview()
    golden_waiting = store.job("scams-spam", 3)
    golden_decided = store.decided("scams-spam", age_hours=5, decided_hours_ago=1, by="rita")
    with database.transaction() as session:
        for pk in (golden_waiting, golden_decided):
            job = session.get_one(Job, pk)
            item = GoldenItem(
                golden_set="known", queue=job.queue, content_pk=job.subject_pk, created_at=NOW, created_by="lead"
            )
            session.add(item)
            session.flush()
            job.golden_pk = item.pk  # as quality/golden_serving.py serves it
    after = store.overview()
    assert _queue(after, "scams-spam") == _queue(before, "scams-spam")
    assert after.totals == before.totals and after.reviewers == before.reviewers and after.flow == before.flow


@pytest.mark.parametrize("days", [1, 7])
def test_the_flow_puts_each_job_in_its_period(store_factory: Any, days: int) -> None:
    store: Store = store_factory()
    store.job("general", 0.5)  # opened in the running period
    store.decided("general", age_hours=30, decided_hours_ago=2, by="ben")
    with store.database.transaction() as session:
        data = overview(session, current_review_config(session).config, now=NOW, window=timedelta(days=days))
    assert sum(p.inflow for p in data.flow) == (1 if days == 1 else 2)  # the job opened 30 h ago: in a week only
    assert data.flow[-1].inflow == 1 and data.flow[-1].end is None
    assert sum(p.decided for p in data.flow) == 1


@pytest.fixture
def store_factory(database: Database) -> Any:
    return lambda: Store(database)
