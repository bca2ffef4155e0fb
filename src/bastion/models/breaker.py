"""A circuit breaker for a model endpoint: after `failures_to_open` consecutive failures it opens and
the endpoint is not called; after `cool_down` it half-opens and lets one call through, which closes it
on success or opens it again on failure.

Why: an endpoint that is down would otherwise cost every detection batch its full timeout, while the
batch holds the store's write lock. Pure: the caller passes the time (detection's `now`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

FAILURES_TO_OPEN = 3
COOL_DOWN = timedelta(seconds=30)


class BreakerState(StrEnum):
    CLOSED = "closed"  # calls go through
    OPEN = "open"  # calls are refused until the cool-down ends
    HALF_OPEN = "half_open"  # one trial call goes through


@dataclass
class CircuitBreaker:
    failures_to_open: int = FAILURES_TO_OPEN
    cool_down: timedelta = COOL_DOWN
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    opened_at: datetime | None = None

    def allows(self, now: datetime) -> bool:
        """Whether a call may be made now (half-opening the breaker once its cool-down has passed)."""
        if self.state is BreakerState.OPEN:
            if self.opened_at is not None and now - self.opened_at >= self.cool_down:
                self.state = BreakerState.HALF_OPEN
                return True
            return False
        return True

    def succeeded(self) -> None:
        self.state = BreakerState.CLOSED
        self.failures = 0
        self.opened_at = None

    def failed(self, now: datetime) -> None:
        self.failures += 1
        if self.state is BreakerState.HALF_OPEN or self.failures >= self.failures_to_open:
            self.state = BreakerState.OPEN
            self.opened_at = now


@dataclass
class Breakers:
    """One breaker per model version, shared by the process's detection batches."""

    failures_to_open: int = FAILURES_TO_OPEN
    cool_down: timedelta = COOL_DOWN
    _by_key: dict[int, CircuitBreaker] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, model_version_pk: int) -> CircuitBreaker:
        with self._lock:
            found = self._by_key.get(model_version_pk)
            if found is None:
                found = self._by_key[model_version_pk] = CircuitBreaker(self.failures_to_open, self.cool_down)
            return found

    def clear(self) -> None:
        with self._lock:
            self._by_key.clear()


BREAKERS = Breakers()
