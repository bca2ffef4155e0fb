"""The migrations build exactly the schema the code declares, on both backends, and re-run safely."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from bastion.store.database import Database
from bastion.store.migrate import current_revision, head_revision, upgrade
from bastion.store.schema import Base


def test_migrated_schema_matches_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrade_is_idempotent(database: Database) -> None:
    assert current_revision(database) == head_revision(database)
    before, after = upgrade(database)
    assert before == after == head_revision(database)


def test_sqlite_runs_with_wal_and_foreign_keys(sqlite_database: Database) -> None:
    with sqlite_database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
