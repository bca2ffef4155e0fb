"""A small simulated platform for the metrics, built once per test session: two days of the default
simulation (seed 1) with the reference rules live and the simulated reviewers at work, one action
restored without appeal, exported to Parquet, and the same rows copied into a PostgreSQL store."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from bastion.clock import FrozenClock
from bastion.detect.reference import install_reference
from bastion.insight.export import export_store
from bastion.review.enforcement import restore_without_appeal
from bastion.setup import initialise
from bastion.simulate import SimulationSpec, World
from bastion.store.database import Database
from bastion.store.schema import Base, EnforcementAction
from tests.conftest import _postgres_template
from tests.support.postgres import PostgresServer

SIMULATED_DAYS = 2


@dataclass(frozen=True)
class SimulatedStore:
    sqlite: Path  # the store's file
    parquet: Path  # its `bastion export parquet`
    spec: SimulationSpec


@pytest.fixture(scope="session")
def simulated_store(tmp_path_factory: pytest.TempPathFactory) -> SimulatedStore:
    from bastion.simulate.reviewing import write_and_review

    folder = tmp_path_factory.mktemp("simulated-metrics")
    path = folder / "store.db"
    database = Database(f"sqlite:///{path}")
    spec = SimulationSpec(seed=1, days=SIMULATED_DAYS)
    initialise(database, FrozenClock(spec.start))
    with database.transaction() as session:
        install_reference(session, principal="system", now=spec.start)
    write_and_review(database, World(spec))
    end = spec.start + timedelta(days=spec.days)
    with database.transaction() as session:
        # The simulation never restores without an appeal: one such restore, so the metric counts something.
        first = session.scalars(
            select(EnforcementAction.pk)
            .where(EnforcementAction.reason == "decision", EnforcementAction.reversed_at.is_(None))
            .order_by(EnforcementAction.pk)
        ).first()
        assert first is not None
        restore_without_appeal(session, first, note="taken in error", now=end - timedelta(hours=1), principal="admin")
    export_store(database, folder / "export", fmt="parquet", now=end, principal="admin")
    database.dispose()
    return SimulatedStore(path, folder / "export", spec)


@pytest.fixture(scope="session")
def simulated_postgres(
    simulated_store: SimulatedStore, postgres_server: PostgresServer, template_stores: dict[str, Any]
) -> Iterator[Database]:
    """The simulated store's rows, table by table, in a PostgreSQL store."""
    name = f"metrics_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    postgres_server.create_database(name, template=_postgres_template(template_stores, postgres_server))
    target = Database(postgres_server.url(name))
    source = Database(f"sqlite:///{simulated_store.sqlite}")
    with source.engine.connect() as reading, target.engine.begin() as writing:
        writing.execute(text("SET session_replication_role = replica"))  # rows as they are: no triggers, no checks
        for table in reversed(Base.metadata.sorted_tables):
            writing.execute(table.delete())
        for table in Base.metadata.sorted_tables:
            rows = [dict(row) for row in reading.execute(select(table)).mappings()]
            if rows:
                writing.execute(table.insert(), rows)
    source.dispose()
    yield target
    target.dispose()
    postgres_server.drop_database(name)


@pytest.fixture(scope="session")
def spark(simulated_store: SimulatedStore) -> Iterator[Any]:
    """One local Spark session for the whole test session (starting one takes seconds). The suite's
    environment has the [spark] extra and Java (scripts/test.sh): missing either fails, never skips."""
    assert shutil.which("java") or os.environ.get("JAVA_HOME"), "Spark needs Java: run scripts/ensure-java.sh"
    from bastion.insight.metrics import spark_session

    session = spark_session(cores=2)
    yield session
    session.stop()
