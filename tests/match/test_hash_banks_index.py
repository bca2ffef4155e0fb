"""The bank index of a process: kept current as banks change, saved beside the store, loaded and caught up
on start, and rebuilt from the store when the saved one cannot be trusted."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bastion.auth.principal import SYSTEM
from bastion.clock import FrozenClock
from bastion.config import settings
from bastion.match.bank_index import BANK_INDEXES, index_path
from bastion.match.hash_banks import create_hash_bank, import_hashes, remove_hashes
from bastion.match.index import HashIndex, from_hex
from bastion.store.database import Database

HASHES = [random.Random(n).randbytes(32).hex() for n in range(6)]


def _found(database: Database, hex_hash: str) -> bool:
    with database.transaction() as session:
        (near,) = BANK_INDEXES.index(session).search(from_hex([hex_hash]), 0)
    return bool(near)


def _forget(database: Database) -> None:
    """As a process that starts afresh."""
    with database.transaction() as session:
        BANK_INDEXES.forget(session)


def _bank(database: Database, clock: FrozenClock, hashes: list[str]) -> None:
    with database.transaction() as session:
        create_hash_bank(session, "known", principal=SYSTEM.name, now=clock())
        import_hashes(session, "known", "\n".join(hashes), principal=SYSTEM.name, now=clock())


def test_the_index_follows_imports_and_removals(database: Database, clock: FrozenClock) -> None:
    _bank(database, clock, HASHES[:3])
    assert [_found(database, h) for h in HASHES[:4]] == [True, True, True, False]
    with database.transaction() as session:
        remove_hashes(session, "known", [HASHES[0]], principal=SYSTEM.name, now=clock())
        import_hashes(session, "known", HASHES[3], principal=SYSTEM.name, now=clock())
    assert [_found(database, h) for h in HASHES[:4]] == [False, True, True, True]
    with database.transaction() as session:
        import_hashes(session, "known", HASHES[0], principal=SYSTEM.name, now=clock())  # banked again
    assert _found(database, HASHES[0])


def test_a_saved_index_is_loaded_and_caught_up_on_start(sqlite_database: Database, clock: FrozenClock) -> None:
    database = sqlite_database
    _bank(database, clock, HASHES[:3])
    assert _found(database, HASHES[0])
    path = index_path(database.url)
    assert path is not None and path.exists() and path.name.endswith(".hash-index.npz")
    assert len(HashIndex.load(path)) == 3
    _forget(database)
    # Changed while no process had the index in memory: the saved one catches up on load.
    with database.transaction() as session:
        remove_hashes(session, "known", [HASHES[1]], principal=SYSTEM.name, now=clock())
        import_hashes(session, "known", HASHES[4], principal=SYSTEM.name, now=clock())
    assert [_found(database, h) for h in HASHES[:5]] == [True, False, True, False, True]
    assert len(HashIndex.load(path)) == 3  # saved again, caught up


@pytest.mark.parametrize("damage", ["unreadable", "emptied", "another store's"])
def test_a_saved_index_that_cannot_be_trusted_is_rebuilt(
    sqlite_database: Database, clock: FrozenClock, damage: str
) -> None:
    database = sqlite_database
    _bank(database, clock, HASHES[:3])
    _found(database, HASHES[0])
    path = index_path(database.url)
    assert path is not None
    _forget(database)
    if damage == "unreadable":
        path.write_bytes(b"not an index")
    elif damage == "emptied":  # the state says current, the file holds nothing
        HashIndex().save(path)
    else:
        state = path.with_suffix(".json")
        state.write_text(state.read_text().replace('"largest_keys": {', '"largest_keys": {"999": 999999, '))
    assert [_found(database, h) for h in HASHES[:4]] == [True, True, True, False]
    assert len(HashIndex.load(path)) == 3


def test_postgresql_saves_only_where_the_setting_says(
    database: Database, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if database.dialect != "postgresql":
        pytest.skip("the SQLite store saves beside its file (above)")
    assert index_path(database.url) is None
    monkeypatch.setenv("BASTION_INDEX_DIR", str(tmp_path))
    settings.cache_clear()
    try:
        _bank(database, clock, HASHES[:2])
        assert _found(database, HASHES[1])
        (saved,) = tmp_path.glob("hash-index-*.npz")
        reloaded = HashIndex.load(saved)
        assert len(reloaded) == 2 and reloaded.search(from_hex([HASHES[1]]), 0)[0][0][1] == 0
    finally:
        settings.cache_clear()
