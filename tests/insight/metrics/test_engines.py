"""The same metrics give the same answers on every engine: DuckDB over the SQLite store, PostgreSQL,
DuckDB over the Parquet export, and Spark (local mode, Ibis's PySpark backend) over that export."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from bastion.insight.metrics import ENFORCEMENT_REPORT, METRICS, compute, open_parquet, open_spark, open_store
from bastion.store.database import Database
from tests.insight.metrics.conftest import SimulatedStore

pytestmark = [
    pytest.mark.xdist_group("simulated-metrics"),  # one worker builds the simulated store once
    pytest.mark.timeout(900),  # the first test pays for the simulation (two minutes on a busy machine)
]

EVERY_METRIC_WITH_A_GRAIN = [name for name, m in METRICS.items() if m.grains]


def on_sqlite(store: SimulatedStore, *args: Any, **kwargs: Any) -> pd.DataFrame:
    database = Database(f"sqlite:///{store.sqlite}")
    try:
        with open_store(database) as backend:
            assert backend.engine == "duckdb"
            return compute(backend, *args, **kwargs)
    finally:
        database.dispose()


def assert_same(expected: pd.DataFrame, found: pd.DataFrame) -> None:
    # Floating-point sums may be added up in another order on another engine: equal to 1e-9.
    pd.testing.assert_frame_equal(expected, found, check_exact=False, rtol=1e-9, atol=1e-12)


def test_the_simulated_store_has_something_to_count(simulated_store: SimulatedStore) -> None:
    found = on_sqlite(simulated_store, ENFORCEMENT_REPORT)
    row = found.iloc[0]
    assert row.content_actioned > 100
    assert 0.5 < row.proactive_rate < 1  # the reference rules find most of it; users report the rest
    assert row.appealed > 10
    assert row.restored_with_appeal > 0
    assert row.restored_without_appeal == 1
    assert 0 < row.prevalence < row.prevalence_upper < 1


def test_the_enforcement_report_set_is_the_same_on_postgresql(
    simulated_store: SimulatedStore, simulated_postgres: Database
) -> None:
    by_action = [name for name in ENFORCEMENT_REPORT if name != "prevalence"]  # views have no queue or vendor
    for names, by, grain in (
        (ENFORCEMENT_REPORT, (), None),
        (ENFORCEMENT_REPORT, ("policy",), "day"),
        (ENFORCEMENT_REPORT, ("country", "surface"), "week"),
        (by_action, ("queue", "vendor"), "hour"),
    ):
        expected = on_sqlite(simulated_store, names, by=by, grain=grain)
        with open_store(simulated_postgres) as backend:
            assert backend.engine == "postgresql"
            assert_same(expected, compute(backend, names, by=by, grain=grain))


def test_every_metric_is_the_same_on_postgresql_and_on_the_parquet_export(
    simulated_store: SimulatedStore, simulated_postgres: Database
) -> None:
    by = ("policy", "language")
    expected = on_sqlite(simulated_store, EVERY_METRIC_WITH_A_GRAIN, by=["language"], grain="day")
    with open_store(simulated_postgres) as backend:
        assert_same(expected, compute(backend, EVERY_METRIC_WITH_A_GRAIN, by=["language"], grain="day"))
    with open_parquet(simulated_store.parquet) as backend:
        assert_same(expected, compute(backend, EVERY_METRIC_WITH_A_GRAIN, by=["language"], grain="day"))
    now = on_sqlite(simulated_store, ["backlog", "content_actioned"], by=by)
    with open_parquet(simulated_store.parquet) as backend:
        assert_same(now, compute(backend, ["backlog", "content_actioned"], by=by))


def test_the_enforcement_report_set_is_the_same_on_spark(simulated_store: SimulatedStore, spark: Any) -> None:
    expected = on_sqlite(simulated_store, ENFORCEMENT_REPORT, by=["policy"], grain="day")
    with open_spark(simulated_store.parquet, spark) as backend:
        assert backend.engine == "spark"
        found = compute(backend, ENFORCEMENT_REPORT, by=["policy"], grain="day")
    assert_same(expected, found)
    assert found.content_actioned.sum() > 100
