"""Failed attempts in the store, so that every worker process sees the same counts.

`refuse_if_throttled` reads the recent failures of each key and raises `TooManyAttempts` when one
of them has used up its limit; `count_failure` adds one failure to each key; `forget_failures`
clears a key (a successful login clears its account). The arithmetic is `bastion.auth.throttle`.

Two attempts racing through the check at the same moment can both be let in, so under concurrency a
key may get a few more attempts than its limit, never more than the number of attempts in flight.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from bastion.auth.throttle import (
    LONGEST_WINDOW,
    ThrottleKey,
    retry_after_seconds,
    wait_before_next_attempt,
    wait_in_words,
)
from bastion.errors import TooManyAttempts
from bastion.store.schema import AuthFailure
from bastion.store.upsert import table_of


def refuse_if_throttled(session: Session, keys: Sequence[ThrottleKey], *, now: datetime) -> None:
    """Raise `TooManyAttempts` with the longest wait any of `keys` needs; nothing is written."""
    longest = max((_wait(session, key, now) for key in keys), default=None)
    if longest is not None and longest.total_seconds() > 0:
        seconds = retry_after_seconds(longest)
        raise TooManyAttempts(f"too many failed attempts; try again in {wait_in_words(seconds)}", seconds)


def count_failure(session: Session, keys: Sequence[ThrottleKey], *, now: datetime) -> None:
    """One failed attempt against each key; failures older than every window are dropped."""
    session.execute(delete(AuthFailure).where(AuthFailure.at <= now - LONGEST_WINDOW))
    session.execute(
        insert(AuthFailure), [{"scope": key.scope.value, "key_hash": key.digest, "at": now} for key in keys]
    )


def forget_failures(session: Session, key: ThrottleKey) -> None:
    session.execute(delete(AuthFailure).where(AuthFailure.key_hash == key.digest))


def _wait(session: Session, key: ThrottleKey, now: datetime) -> timedelta:
    limit = key.limit
    times = session.execute(
        _RECENT, {"key_hash": key.digest, "since": now - limit.window, "newest": limit.failures}
    ).scalars()
    return wait_before_next_attempt(times, limit, now)


# Built once: this runs on every login and every request made with an API key.
_failures = table_of(AuthFailure)
_RECENT = (
    select(_failures.c.at)
    .where(_failures.c.key_hash == bindparam("key_hash"), _failures.c.at > bindparam("since"))
    .order_by(_failures.c.at.desc())
    .limit(bindparam("newest"))
)
