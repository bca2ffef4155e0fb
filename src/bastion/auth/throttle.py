"""Throttling guesses: how long an account or address must wait after too many failed attempts.

A sliding window over the times of recent failures: at most `limit.failures` in any `limit.window`.
When the window holds that many, the next attempt waits until the oldest of them leaves it. A
sliding window rather than a fixed one, so that a guesser cannot spend two windows' worth in the
seconds around a boundary; a log of failure times rather than a token bucket, so that concurrent
failures from several worker processes are plain inserts that never contend for one counter row.

This module is pure: the times come from the store (`bastion.auth.failures`), `now` from the clock.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Scope(StrEnum):
    """What a failure counts against."""

    LOGIN_ACCOUNT = "login.account"  # the name typed into the login form, whether or not it exists
    LOGIN_ADDRESS = "login.address"  # the client address of a login attempt
    API_KEY_ADDRESS = "apikey.address"  # the client address of a request with an unknown or revoked key


@dataclass(frozen=True)
class Limit:
    """At most `failures` failed attempts in any `window`."""

    failures: int
    window: timedelta

    def __post_init__(self) -> None:
        if self.failures < 1 or self.window <= timedelta(0):
            raise ValueError("a throttle limit needs at least one failure and a positive window")


# An account gets few guesses (a person mistypes a handful of times); an address more, since
# several people may share one (an office, a vendor's site behind one gateway). API keys are 256-bit
# random, so guessing one is hopeless anyway: the key limit mainly stops a misconfigured or hostile
# client from hammering the store.
LIMITS: dict[Scope, Limit] = {
    Scope.LOGIN_ACCOUNT: Limit(failures=10, window=timedelta(minutes=15)),
    Scope.LOGIN_ADDRESS: Limit(failures=50, window=timedelta(minutes=15)),
    Scope.API_KEY_ADDRESS: Limit(failures=100, window=timedelta(minutes=15)),
}
LONGEST_WINDOW = max(limit.window for limit in LIMITS.values())


@dataclass(frozen=True)
class ThrottleKey:
    """One thing failures count against: a scope and the account name or address."""

    scope: Scope
    value: str

    @property
    def digest(self) -> str:
        """What the store keeps: a typed account name may be someone's password."""
        return hashlib.sha256(f"{self.scope.value}\x00{self.value}".encode()).hexdigest()

    @property
    def limit(self) -> Limit:
        return LIMITS[self.scope]


def wait_before_next_attempt(failures: Iterable[datetime], limit: Limit, now: datetime) -> timedelta:
    """How long until one more attempt may be made: zero when the window ending now holds fewer than
    `limit.failures` failures, else until the oldest of the newest `limit.failures` leaves it.

    Failures stamped after `now` (another worker's clock a little ahead) count too.
    """
    recent = sorted(at for at in failures if at > now - limit.window)
    if len(recent) < limit.failures:
        return timedelta(0)
    return recent[-limit.failures] + limit.window - now


def wait_in_words(seconds: int) -> str:
    """`Retry-After` for people: seconds up to a minute and a half, whole minutes beyond."""
    if seconds < 90:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    return f"{round(seconds / 60)} minutes"


def retry_after_seconds(wait: timedelta) -> int:
    """The `Retry-After` value: whole seconds, rounded up, so a client that waits that long gets in."""
    return max(1, math.ceil(wait.total_seconds()))
