"""The hash banks' index in this process: every active bank entry's hash under its entry key, kept
current as banks change, and persisted next to the store so a restart does not read every hash again.

One index per store (a weak reference on the SQLAlchemy engine, as detectors are cached). Before each
use it catches up with the store: the banks' versions (a small table) say whether anything changed;
entries added since are those with a key above the largest the index has seen, and entries removed
are looked up in the banks that changed only. A saved index is loaded with the state it was saved at
and caught up the same way; one that cannot be read, or that holds entries the store does not (another
store's), is rebuilt from the store.

Where it is saved: beside a SQLite store's file (`<file>.hash-index.npz`), or in the folder named by
`BASTION_INDEX_DIR` (one file per store); nowhere when neither applies (an in-memory SQLite store, or
PostgreSQL without the setting): it is then built from the store when the process first needs it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import structlog
from sqlalchemy import Connection, func, select
from sqlalchemy import Engine as Engine_
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bastion.errors import InvalidInput
from bastion.match.index import HashIndex
from bastion.match.pdq import HASH_BYTES
from bastion.store.schema import HashBankEntry

log = structlog.get_logger(__name__)
READ_CHUNK = 100_000
CHANGED = "hash_banks_changed"  # in a session's info: this transaction changed a bank


def changed_in(session: Session) -> None:
    """Note that this transaction changed a bank: its index must not catch up with what is uncommitted."""
    session.info[CHANGED] = True


@dataclass
class _State:
    index: HashIndex = field(default_factory=HashIndex)
    largest_keys: dict[int, int] = field(default_factory=dict)  # bank key -> its largest entry key seen
    versions: tuple[tuple[int, int], ...] = ()


class BankIndexCache:
    """One index of bank entries per store and process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: weakref.WeakKeyDictionary[Engine_, _State] = weakref.WeakKeyDictionary()

    def index(self, session: Session, *, catch_up: bool = True) -> HashIndex:
        """The index of every active entry of the store `session` reads, caught up with it. A transaction
        that has itself changed a bank passes `catch_up=False` and gets the index as last caught up:
        what it has not committed must not enter an index other transactions use."""
        from bastion.match.hash_banks import bank_versions

        engine = _engine(session)
        versions = bank_versions(session)
        catch_up = catch_up and not session.info.get(CHANGED, False)
        with self._lock:
            state = self._states.get(engine)
            if state is not None and not catch_up:
                return state.index
            if state is None:
                state = _loaded(engine, session, versions)
                self._states[engine] = state
            elif state.versions != versions:
                _catch_up(session, state, versions)
                _save(engine, state)
            return state.index

    def forget(self, session: Session) -> None:
        """Drop this store's index in this process (tests, and a store restored from a backup)."""
        with self._lock:
            self._states.pop(_engine(session), None)


BANK_INDEXES = BankIndexCache()


def _engine(session: Session) -> Engine_:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def _catch_up(session: Session, state: _State, versions: tuple[tuple[int, int], ...]) -> None:
    """Entries added to or removed from the banks whose version changed. An import changes its bank's
    row before it adds entries, so imports into one bank commit one after the other, in the order of
    their entry keys: the entries above a bank's largest key seen are exactly those not seen yet."""
    known = dict(state.versions)
    for bank_pk in (pk for pk, version in versions if known.get(pk) != version):
        largest = state.largest_keys.get(bank_pk, 0)
        removed = [
            int(pk)
            for pk in session.scalars(
                select(HashBankEntry.pk).where(
                    HashBankEntry.bank_pk == bank_pk,
                    HashBankEntry.removed_at.is_not(None),
                    HashBankEntry.pk <= largest,
                )
            )
        ]
        if removed:
            state.index.remove(removed)
        while True:
            rows = session.execute(
                select(HashBankEntry.pk, HashBankEntry.hash, HashBankEntry.removed_at)
                .where(HashBankEntry.bank_pk == bank_pk, HashBankEntry.pk > largest)
                .order_by(HashBankEntry.pk)
                .limit(READ_CHUNK)
            ).all()
            if not rows:
                break
            active = [(pk, h) for pk, h, removed_at in rows if removed_at is None]
            if active:
                keys = np.fromiter((pk for pk, _ in active), dtype=np.int64, count=len(active))
                hashes = np.frombuffer(b"".join(bytes(h) for _, h in active), dtype=np.uint8)
                state.index.add(keys, hashes.reshape(-1, HASH_BYTES))
            largest = int(rows[-1][0])
        state.largest_keys[bank_pk] = largest
    state.versions = versions


def _loaded(engine: Engine_, session: Session, versions: tuple[tuple[int, int], ...]) -> _State:
    """The saved index caught up with the store, or, when there is none or it does not add up (as many
    entries as the store has active), one built from the store."""
    saved = _load(engine, session)
    if saved is not None:
        _catch_up(session, saved, versions)
        active = session.scalar(select(func.count()).where(HashBankEntry.removed_at.is_(None))) or 0
        if len(saved.index) == int(active):
            if saved.versions != versions:
                _save(engine, saved)
            return saved
        log.warning("hash_index_stale", indexed=len(saved.index), active=int(active))
    state = _State()
    _catch_up(session, state, versions)
    _save(engine, state)
    return state


# --- persistence ------------------------------------------------------------------------------------


def index_path(url: str) -> Path | None:
    """Where the index of the store at `url` is saved, or None when it is not saved."""
    from bastion.config import settings

    folder = settings().index_dir
    if folder is not None:
        digest = hashlib.sha256(make_url(url).render_as_string(hide_password=True).encode()).hexdigest()[:16]
        return Path(folder) / f"hash-index-{digest}.npz"
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return Path(parsed.database).with_name(Path(parsed.database).name + ".hash-index.npz")
    return None


def _load(engine: Engine_, session: Session) -> _State | None:
    path = index_path(str(engine.url))
    if path is None or not path.exists():
        return None
    try:
        meta = json.loads(path.with_suffix(".json").read_text())
        largest_keys = {int(bank): int(key) for bank, key in meta["largest_keys"].items()}
        versions = tuple((int(a), int(b)) for a, b in meta["versions"])
        state = _State(HashIndex.load(path), largest_keys, versions)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, InvalidInput) as error:
        log.warning("hash_index_unreadable", path=str(path), error=type(error).__name__)
        return None
    largest = int(session.scalar(select(func.max(HashBankEntry.pk))) or 0)
    if max(state.largest_keys.values(), default=0) > largest:  # saved from another store: not ours
        log.warning("hash_index_not_this_store", path=str(path))
        return None
    return state


def _save(engine: Engine_, state: _State) -> None:
    path = index_path(str(engine.url))
    if path is None:
        return
    meta = {"largest_keys": state.largest_keys, "versions": [list(v) for v in state.versions]}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Processes sharing a store save one at a time, so an index file and its state always agree.
        with path.with_suffix(".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _replace(path, state.index.save)
            _replace(path.with_suffix(".json"), lambda temporary: temporary.write_text(json.dumps(meta)))
    except OSError as error:  # the index still works from memory; the next start rebuilds it
        log.warning("hash_index_not_saved", path=str(path), error=type(error).__name__)


def _replace(path: Path, write: Callable[[Path], object]) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(handle)
    try:
        write(Path(temporary))
        Path(temporary).replace(path)
    finally:
        Path(temporary).unlink(missing_ok=True)
