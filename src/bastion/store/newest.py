"""The newest version of an append-only set (policies, review configurations), looked up sparingly.

Claims, decisions and intake ask for the newest version on every call. Versions are only ever
added, so each process asks the store at most every `ttl` seconds per store; a load in the same
process is seen at once (the loader calls `forget`), a load by another process within `ttl`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from bastion.store.database import store_of

T = TypeVar("T")
NEWEST_TTL_SECONDS = 2.0


class NewestVersion(Generic[T]):
    def __init__(self, ttl: float = NEWEST_TTL_SECONDS) -> None:
        self.ttl = ttl
        self._seen: dict[str, tuple[T, float]] = {}  # store url -> (newest, when looked up)

    def get(self, session: Session, look_up: Callable[[Session], T]) -> T:
        """The newest as last looked up in this store, or `look_up(session)` once that is `ttl` old."""
        store = _store(session)
        known = self._seen.get(store)
        if known is not None and time.monotonic() - known[1] < self.ttl:
            return known[0]
        newest = look_up(session)
        self._seen[store] = (newest, time.monotonic())
        return newest

    def forget(self, session: Session) -> None:
        """Look up again next time: this process just added a version."""
        self._seen.pop(_store(session), None)


def _store(session: Session) -> str:
    return store_of(session)
