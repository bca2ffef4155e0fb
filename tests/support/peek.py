"""Reading the store from a test while another process writes it."""

from __future__ import annotations

from sqlalchemy import create_engine, func, select


def peek_count(url: str, model: type) -> int:
    """How many rows `model`'s table holds, read without Bastion's transactions, which on SQLite take the
    write lock when they begin: a test polling with them waits behind every batch the other process
    writes, and may not get in before that process ends."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        engine.dispose()
