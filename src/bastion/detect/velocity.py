"""Velocity: how many items an entity (an actor, an IP address, a device, a link) posted over a sliding
window ending at an item, that item included.

Counts are kept in per-minute buckets by **event time** (the minute an item says it was posted, in UTC),
so a window of W minutes ending at an item posted in minute M adds up the buckets M-W+1 … M: the
window `10m` covers the item's own minute and the nine before it. Buckets make a counter cheap to keep
and to share between workers; the price is that a window's far edge moves a minute at a time.

What an item counts:
- every item already recorded whose minute falls in its window, whenever it was recorded (an item that
  arrives late is counted by the items observed after it, never retroactively by those already answered);
- the items **before it in its batch** (the order the caller passes them), and itself. Items after it in
  the batch are not counted even when posted earlier: a batch gives the same answers as the same items
  observed one at a time, in that order.
- An item posted later than another (a later minute) is never in the other's window.

An entity value counts once per item (a link written twice in a post is one post with that link); empty
values are no value. For `url`, the counter is the busiest of the item's links; an item without a value
for an entity reads 0 for it.

Two implementations answer alike (a property test holds them to it on both backends):
- `MemoryVelocity`: in this process, for backtests over history replayed in time order and benchmarks.
  It keeps each entity's buckets for `retention` minutes (two days by default) behind the newest minute
  it saw for that entity, so it is exact for items up to a day later than the newest of their entity.
- `StoreVelocity`: the `velocity_counts` table in the caller's transaction, shared by every worker: one
  upsert for a batch's buckets (`count = count + excluded.count`: concurrent workers add, never
  overwrite), in key order so that two workers lock the same rows in the same order; then one statement
  per entity type in which the database sums each window for every (value, minute) of the batch, so a
  busy value's thousand buckets never leave the database.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.orm import Session

from bastion.clock import as_utc
from bastion.detect.fields import VELOCITY_ENTITIES, VELOCITY_WINDOWS, velocity_counter
from bastion.store.schema import VelocityCount

WINDOWS: tuple[int, ...] = tuple(VELOCITY_WINDOWS.values())  # minutes, in the order of VELOCITY_WINDOWS
LONGEST = max(WINDOWS)
COUNTERS: dict[str, tuple[str, ...]] = {
    entity: tuple(velocity_counter(entity, window) for window in VELOCITY_WINDOWS) for entity in VELOCITY_ENTITIES
}
_ENTITIES = frozenset(VELOCITY_ENTITIES)
_NONE = (0,) * len(WINDOWS)
_ONE = (1,) * len(WINDOWS)
_REACH = tuple(window - 1 for window in WINDOWS)  # a window ending in minute M starts in minute M - reach
_NAMES = tuple(name for names in COUNTERS.values() for name in names)


@dataclass(frozen=True, slots=True)
class Observation:
    """One posted item: when (event time) and its entity values by entity, e.g. {"actor": ["a_1"],
    "ip": ["203.0.113.9"], "device": [], "url": ["https://x.example/a", "https://y.example/"]}."""

    at: datetime
    keys: Mapping[str, Sequence[str]]

    def __post_init__(self) -> None:
        unknown = set(self.keys) - _ENTITIES
        if unknown:
            raise ValueError(f"velocity counts only {', '.join(VELOCITY_ENTITIES)}; not {', '.join(sorted(unknown))}")


class VelocityCounter(Protocol):
    def observe(self, observations: Sequence[Observation]) -> list[dict[str, int]]:
        """Count every observation into its minute and return, per observation in order, every counter
        (`velocity_counter(entity, window)`) over the window ending at its minute."""
        ...


def minute_of(moment: datetime) -> int:
    """Whole minutes since 1970-01-01 UTC (a naive time is taken to be UTC)."""
    return int((moment if moment.tzinfo is not None else as_utc(moment)).timestamp()) // 60


def entity_key(value: str) -> str:
    """How the store keys a value: its SHA-256, hex (a value is never stored in the counters)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _values(values: Sequence[str]) -> Sequence[str]:
    """The distinct non-empty values, in order; the common single value costs no set."""
    if len(values) == 1:
        return values if values[0] else ()
    return list(dict.fromkeys(value for value in values if value))


# --- in this process --------------------------------------------------------------------------------


class _Series:
    """One entity value's buckets: the minutes holding a count, oldest first, and running totals.

    `totals[k]` is how many items fell in the buckets before `minutes[k]` (those forgotten included),
    so a window's count is `totals[-1] - totals[first minute in it]`: a bisection per window. Most items
    land in the newest minute or a newer one, which touches only the ends of the lists.
    """

    __slots__ = ("minutes", "totals")

    def __init__(self, minute: int) -> None:
        self.minutes = [minute]
        self.totals = [0, 1]

    def add(self, minute: int, retention: int) -> list[int]:
        """Count one item in `minute`; the window counts ending at `minute`, that item included."""
        minutes, totals = self.minutes, self.totals
        newest = minutes[-1]
        if minute == newest:
            totals[-1] += 1
        elif minute > newest:
            minutes.append(minute)
            totals.append(totals[-1] + 1)
            if minutes[0] <= minute - retention:
                forgotten = bisect_right(minutes, minute - retention)
                del minutes[:forgotten]
                del totals[:forgotten]
        else:
            return self._add_late(minute)
        top, size = totals[-1], len(minutes)
        # A window of W minutes holds at most W buckets, and retention keeps up to twice the longest:
        # search only the newest W.
        return [top - totals[bisect_left(minutes, minute - reach, max(0, size - reach - 1))] for reach in _REACH]

    def _add_late(self, minute: int) -> list[int]:
        """An item earlier than the newest: every running total after its bucket moves up by one."""
        minutes, totals = self.minutes, self.totals
        at = bisect_left(minutes, minute)
        if at == len(minutes) or minutes[at] != minute:
            minutes.insert(at, minute)
            totals.insert(at + 1, totals[at])
        totals[at + 1 :] = [total + 1 for total in totals[at + 1 :]]
        top = totals[at + 1]
        return [top - totals[bisect_left(minutes, minute - reach, 0, at)] for reach in _REACH]


class MemoryVelocity:
    """Velocity counters in this process's memory: about 2–3 µs per entity value (see docs/performance.md).

    `retention`: how many minutes of buckets each entity value keeps behind the newest minute seen for it;
    at least the longest window. Values not seen for that long are forgotten altogether.
    """

    def __init__(self, retention: int = 2 * LONGEST) -> None:
        if retention < LONGEST:
            raise ValueError(f"retention must cover the longest window ({LONGEST} minutes)")
        self.retention = retention
        self._series: dict[str, dict[str, _Series]] = {entity: {} for entity in VELOCITY_ENTITIES}
        self._newest = -(2**62)
        self._swept = self._newest

    def observe(self, observations: Sequence[Observation]) -> list[dict[str, int]]:
        answers: list[dict[str, int]] = []
        retention, tables = self.retention, tuple(self._series.items())
        for observation in observations:
            minute = minute_of(observation.at)
            keys = observation.keys
            counts: list[int] = []
            for entity, table in tables:
                values = keys.get(entity)
                if not values:
                    counts += _NONE
                elif len(values) == 1:  # the common case, without a set or a max
                    value = values[0]
                    series = table.get(value) if value else None
                    if series is not None:
                        counts += series.add(minute, retention)
                    elif value:
                        table[value] = _Series(minute)
                        counts += _ONE
                    else:
                        counts += _NONE
                else:
                    counts += self._busiest(table, values, minute)
            answers.append(dict(zip(_NAMES, counts, strict=True)))
            if minute > self._newest:
                self._newest = minute
                if minute - self._swept > retention:
                    self._forget_idle()
        return answers

    def _busiest(self, table: dict[str, _Series], values: Sequence[str], minute: int) -> Sequence[int]:
        """Count the item for each of its distinct values; per window, the largest count."""
        best: Sequence[int] = _NONE
        for value in _values(values):
            series = table.get(value)
            if series is None:
                table[value] = _Series(minute)
                counts: Sequence[int] = _ONE
            else:
                counts = series.add(minute, self.retention)
            best = [max(a, b) for a, b in zip(best, counts, strict=True)]
        return best

    def remembered(self) -> int:
        """How many entity values it holds counters for."""
        return sum(len(table) for table in self._series.values())

    def _forget_idle(self) -> None:
        """Drop the values whose newest bucket is past retention: memory stays bounded on a long replay."""
        horizon = self._newest - self.retention
        for table in self._series.values():
            for value in [value for value, series in table.items() if series.minutes[-1] <= horizon]:
                del table[value]
        self._swept = self._newest


# --- in the store -----------------------------------------------------------------------------------


class StoreVelocity:
    """Velocity counters in the `velocity_counts` table, in the caller's transaction (`session`)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def observe(self, observations: Sequence[Observation]) -> list[dict[str, int]]:
        if not observations:
            return []
        minutes = [minute_of(observation.at) for observation in observations]
        hashed: dict[str, str] = {}
        # Per observation and entity: the keys of its distinct values.
        keyed: list[dict[str, list[str]]] = []
        added: Counter[tuple[str, str, int]] = Counter()
        for observation, minute in zip(observations, minutes, strict=True):
            mine: dict[str, list[str]] = {}
            for entity in VELOCITY_ENTITIES:
                keys = []
                for value in _values(observation.keys.get(entity, ())):
                    key = hashed.get(value)
                    if key is None:
                        hashed[value] = key = entity_key(value)
                    keys.append(key)
                    added[(entity, key, minute)] += 1
                mine[entity] = keys
            keyed.append(mine)
        if not added:
            return [_zeros() for _ in observations]
        self._add(sorted(added.items()))
        stored: dict[tuple[str, str, int], list[int]] = {}
        for entity in VELOCITY_ENTITIES:
            pairs = sorted({(key, minute) for (kind, key, minute) in added if kind == entity})
            if pairs:
                stored |= {(entity, key, minute): sums for key, minute, sums in self._read(entity, pairs)}
        return _answers(keyed, minutes, stored)

    def _add(self, rows: Sequence[tuple[tuple[str, str, int], int]]) -> None:
        """One upsert adding the batch's counts to their buckets, in key order (the same lock order for
        every worker on PostgreSQL, so two workers adding to the same buckets never deadlock)."""
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            columns = ([t for (t, _, _), _ in rows], [k for (_, k, _), _ in rows], [m for (_, _, m), _ in rows])
            connection.exec_driver_sql(_UPSERT_POSTGRESQL, (*columns, [n for _, n in rows]))
        else:
            connection.exec_driver_sql(_UPSERT_SQLITE, [(t, k, m, n) for (t, k, m), n in rows])

    def _read(self, entity: str, pairs: Sequence[tuple[str, int]]) -> Iterator[tuple[str, int, list[int]]]:
        """For each (key, minute) of the batch, every window's count ending in that minute, summed by the
        database in one statement: a row per pair, not per bucket."""
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            keys, minutes = [key for key, _ in pairs], [minute for _, minute in pairs]
            rows = connection.exec_driver_sql(_WINDOWS_POSTGRESQL, {"entity": entity, "keys": keys, "minutes": minutes})
        else:
            rows = connection.exec_driver_sql(_WINDOWS_SQLITE, {"entity": entity, "pairs": json.dumps(pairs)})
        for key, minute, *sums in rows:
            yield key, int(minute), [int(value) for value in sums]


# Written out whole, per dialect: "count" += excluded "count", so concurrent workers add up.
_UPSERT_SQLITE = """
INSERT INTO velocity_counts (entity_type, entity_key, minute, "count") VALUES (?, ?, ?, ?)
ON CONFLICT (entity_type, entity_key, minute) DO UPDATE SET "count" = velocity_counts."count" + excluded."count"
"""
_UPSERT_POSTGRESQL = """
INSERT INTO velocity_counts (entity_type, entity_key, minute, "count")
SELECT * FROM unnest(%s::varchar[], %s::varchar[], %s::bigint[], %s::integer[])
ON CONFLICT (entity_type, entity_key, minute) DO UPDATE SET "count" = velocity_counts."count" + excluded."count"
"""


def _windows_statement(asked: str, entity: str) -> str:
    """Per (key, minute) asked: the sum of each window's buckets ending in that minute, through the primary
    key's index (a range of at most the longest window's minutes per pair). Built from the windows'
    lengths only; every value is a bound parameter."""
    sums = ", ".join(
        f'SUM(CASE WHEN bucket.minute > asked.minute - {window} THEN bucket."count" ELSE 0 END)' for window in WINDOWS
    )
    return (
        f"SELECT asked.entity_key, asked.minute, {sums} FROM {asked} "  # noqa: S608
        f"JOIN velocity_counts AS bucket ON bucket.entity_type = {entity} AND bucket.entity_key = asked.entity_key "
        f"AND bucket.minute BETWEEN asked.minute - {LONGEST - 1} AND asked.minute "
        "GROUP BY asked.entity_key, asked.minute"
    )


_WINDOWS_SQLITE = _windows_statement(
    "(SELECT json_extract(value, '$[0]') AS entity_key, json_extract(value, '$[1]') AS minute "
    "FROM json_each(:pairs)) AS asked",
    ":entity",
)
_WINDOWS_POSTGRESQL = _windows_statement(
    "unnest(%(keys)s::varchar[], %(minutes)s::bigint[]) AS asked(entity_key, minute)", "%(entity)s"
)


def _zeros() -> dict[str, int]:
    return {name: 0 for names in COUNTERS.values() for name in names}


def _answers(
    keyed: Sequence[Mapping[str, Sequence[str]]],
    minutes: Sequence[int],
    stored: Mapping[tuple[str, str, int], Sequence[int]],
) -> list[dict[str, int]]:
    """Each observation's counters from the windows read after the batch's upsert, which hold the whole
    batch: an observation must not count the ones after it in the batch, so they are taken off again.
    Walking the batch backwards, `later` holds, per key, the minutes of the observations after this one."""
    answers: list[dict[str, int]] = []
    later: dict[tuple[str, str], list[int]] = {}
    for mine, minute in zip(reversed(keyed), reversed(minutes), strict=True):
        answer: dict[str, int] = {}
        for entity, names in COUNTERS.items():
            best = [0] * len(WINDOWS)
            for key in mine[entity]:
                windows = stored[(entity, key, minute)]
                after = later.setdefault((entity, key), [])
                late_high = bisect_right(after, minute)
                for i, reach in enumerate(_REACH):
                    best[i] = max(best[i], windows[i] - (late_high - bisect_left(after, minute - reach)))
            answer.update(zip(names, best, strict=True))
        for entity in VELOCITY_ENTITIES:
            for key in mine[entity]:
                insort(later[(entity, key)], minute)
        answers.append(answer)
    answers.reverse()
    return answers


def prune_velocity(session: Session, before: datetime) -> int:
    """Delete the buckets no window ending at `before` or later can reach; how many were deleted."""
    edge = minute_of(before) - LONGEST
    result = cast(CursorResult[Any], session.execute(delete(VelocityCount).where(VelocityCount.minute <= edge)))
    return result.rowcount
