"""Velocity counters: the definition (a brute-force count), the in-memory counter and the store's agree.

The reference below counts, for each observation, the observations seen so far (this one included)
whose minute falls in its window: the definition of `bastion.detect.velocity`, written the slow way.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from bastion.detect.fields import VELOCITY_ENTITIES, VELOCITY_WINDOWS, velocity_counter
from bastion.detect.velocity import (
    LONGEST,
    MemoryVelocity,
    Observation,
    StoreVelocity,
    entity_key,
    minute_of,
    prune_velocity,
)
from bastion.store.database import Database
from bastion.store.schema import VelocityCount

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def post(moment: datetime, actor: str = "a_1", ip: str | None = None, urls: Sequence[str] = ()) -> Observation:
    return Observation(moment, {"actor": [actor], "ip": [ip] if ip else [], "device": [], "url": list(urls)})


def reference(stream: Sequence[Observation]) -> list[dict[str, int]]:
    answers = []
    for n, observation in enumerate(stream):
        minute = minute_of(observation.at)
        answer = {}
        for entity in VELOCITY_ENTITIES:
            values = {value for value in observation.keys.get(entity, ()) if value}
            for window, size in VELOCITY_WINDOWS.items():
                answer[velocity_counter(entity, window)] = max(
                    (
                        sum(
                            1
                            for earlier in stream[: n + 1]
                            if value in earlier.keys.get(entity, ()) and minute - size < minute_of(earlier.at) <= minute
                        )
                        for value in values
                    ),
                    default=0,
                )
        answers.append(answer)
    return answers


def in_batches(
    counter: MemoryVelocity | StoreVelocity, stream: Sequence[Observation], sizes: Sequence[int]
) -> list[dict[str, int]]:
    answers: list[dict[str, int]] = []
    start = 0
    for size in [*sizes, len(stream)]:
        answers += counter.observe(stream[start : start + size])
        start += size
    return answers


def stream_of(gaps: Sequence[int], lateness: Sequence[int]) -> st.SearchStrategy[list[Observation]]:
    """Items in rough time order: each `gaps` seconds after the one before, then up to `lateness` seconds
    late; several in one minute, links repeated within an item, values missing."""
    return st.lists(
        st.tuples(
            st.sampled_from(gaps),
            st.sampled_from(lateness),
            st.sampled_from(["a_1", "a_2", "a_3"]),
            st.sampled_from(["", "198.51.100.7", "2001:db8::1"]),
            st.lists(st.sampled_from(["https://a.example/", "https://b.example/x", ""]), max_size=3),
            st.sampled_from([(), ("d1",), ("d1", "d2")]),
        ),
        max_size=60,
    ).map(
        lambda rows: [
            Observation(
                T0 + timedelta(seconds=sum(r[0] for r in rows[: n + 1]) - late),
                {"actor": [actor], "ip": [ip], "url": urls, "device": list(devices)},
            )
            for n, (_, late, actor, ip, urls, devices) in enumerate(rows)
        ]
    )


# Over days, around the windows' edges: batches span more than the shortest window, as in a backtest.
streams = stream_of(
    [0, 0, 1, 30, 59, 60, 61, 300, 599, 600, 601, 3_599, 3_600, 3_601, 86_340, 86_400, 86_460],
    [0, 0, 0, 0, 59, 60, 600, 601, 3_600, 6 * 3_600],
)
# Seconds apart: most batches within a few minutes, as a live worker's are (the store then sums the
# buckets every window covers in the database).
dense_streams = stream_of([0, 0, 1, 5, 20, 59, 60, 61], [0, 0, 0, 60, 540, 601])
batch_sizes = st.lists(st.integers(1, 20), max_size=8)


@given(st.one_of(streams, dense_streams), batch_sizes)
@settings(max_examples=200, deadline=None)
def test_memory_counts_as_the_definition_says_in_any_batches(stream: list[Observation], sizes: list[int]) -> None:
    assert in_batches(MemoryVelocity(), stream, sizes) == reference(stream)


@given(stream=st.one_of(streams, dense_streams), sizes=batch_sizes)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_store_gives_the_same_answers_as_memory(
    database: Database, stream: list[Observation], sizes: list[int]
) -> None:
    with database.transaction() as session:
        session.execute(delete(VelocityCount))
    answers: list[dict[str, int]] = []
    start = 0
    for size in [*sizes, len(stream)]:
        with database.transaction() as session:  # a worker's batch: one transaction
            answers += StoreVelocity(session).observe(stream[start : start + size])
        start += size
    assert answers == in_batches(MemoryVelocity(), stream, sizes)


@pytest.mark.parametrize(
    ("batches", "counts_10m"),
    [
        # The second batch spans minutes 5 … 9: every window of it covers minutes 0 … 5 whole (summed by
        # the database); the minute-0 bucket is at the edge of neither and counts once.
        ([[0.0], [5.0, 9.0]], [[1], [2, 3]]),
        # Minute 0 leaves the 10m window of minute 10; the batch's own first item is at its core's end.
        ([[0.0, 1.0], [3.0, 10.0, 10.5]], [[1, 2], [3, 3, 4]]),
        # A batch later by an item: 11 … 2 (late), spanning more than the shortest window: every bucket.
        ([[0.0], [11.0, 2.0, 11.2]], [[1], [1, 2, 3]]),
    ],
)
def test_the_store_at_a_batchs_edges(
    database: Database, batches: list[list[float]], counts_10m: list[list[int]]
) -> None:
    answers = []
    for batch in batches:
        with database.transaction() as session:
            answers.append([a["actor_posts_10m"] for a in StoreVelocity(session).observe([post(at(m)) for m in batch])])
    assert answers == counts_10m


@pytest.mark.parametrize(
    ("minutes", "counts_10m", "counts_1h"),
    [
        # 09:00:30, 09:09:59 and 09:10:00: the window 10m ending in minute 09:10 starts at 09:01.
        ([0.5, 9.99, 10.0], [1, 2, 2], [1, 2, 3]),
        # One a minute for an hour and a bit: 10m holds ten minutes' buckets, 1h sixty.
        ([float(m) for m in range(70)], [min(m + 1, 10) for m in range(70)], [min(m + 1, 60) for m in range(70)]),
        # Same minute: each counts those before it and itself.
        ([5.0, 5.1, 5.9], [1, 2, 3], [1, 2, 3]),
        # A day apart: the 24h window of the second reaches back to 09:01 the day before, not 09:00.
        ([0.0, 24 * 60.0], [1, 1], [1, 1]),
    ],
)
def test_window_edges(minutes: list[float], counts_10m: list[int], counts_1h: list[int]) -> None:
    answers = MemoryVelocity().observe([post(at(m)) for m in minutes])
    assert [a["actor_posts_10m"] for a in answers] == counts_10m
    assert [a["actor_posts_1h"] for a in answers] == counts_1h


def test_the_24h_window_covers_1440_minutes() -> None:
    answers = MemoryVelocity().observe([post(at(0)), post(at(1)), post(at(24 * 60))])
    assert [a["actor_posts_24h"] for a in answers] == [1, 2, 2]


def test_url_is_the_busiest_link_and_a_missing_entity_reads_0() -> None:
    answers = MemoryVelocity().observe(
        [
            post(at(0), urls=["https://busy.example/"]),
            post(at(1), urls=["https://busy.example/"]),
            post(at(2), urls=["https://quiet.example/", "https://busy.example/", "https://busy.example/"]),
            post(at(3), urls=[]),
        ]
    )
    assert [a["url_posts_10m"] for a in answers] == [1, 2, 3, 0]  # a link written twice is one post with it
    assert [a["ip_posts_10m"] for a in answers] == [0, 0, 0, 0]
    assert answers[3]["actor_posts_10m"] == 4


def test_a_batch_counts_by_event_time_and_in_batch_order() -> None:
    late, early = post(at(5)), post(at(1))
    # The item at 09:05 comes first in the batch: it does not count the 09:01 one after it; that one
    # counts only itself (09:05 is later than its window), and a third at 09:06 counts all three.
    answers = MemoryVelocity().observe([late, early, post(at(6))])
    assert [a["actor_posts_10m"] for a in answers] == [1, 1, 3]


def test_an_unknown_entity_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="not content"):
        Observation(T0, {"content": ["p_1"]})


def test_memory_forgets_values_idle_past_retention() -> None:
    counter = MemoryVelocity(retention=LONGEST)
    counter.observe([post(at(0), actor=f"a_{n}") for n in range(100)])
    counter.observe([post(at(LONGEST + 1), actor="a_new"), post(at(2 * LONGEST + 2), actor="a_new")])
    assert counter.observe([post(at(2 * LONGEST + 3), actor="a_1")])[0]["actor_posts_24h"] == 1
    assert counter.remembered() == 2  # a_new and a_1 again; the hundred from day one are gone


def test_the_store_keeps_hashes_and_adds_to_buckets(database: Database) -> None:
    with database.transaction() as session:
        StoreVelocity(session).observe([post(at(0), ip="203.0.113.9"), post(at(0.5), ip="203.0.113.9")])
    with database.transaction() as session:
        rows = session.execute(
            select(
                VelocityCount.entity_type, VelocityCount.entity_key, VelocityCount.minute, VelocityCount.count
            ).order_by(VelocityCount.entity_type)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("actor", entity_key("a_1"), minute_of(T0), 2),
        ("ip", entity_key("203.0.113.9"), minute_of(T0), 2),
    ]
    assert "203.0.113.9" not in str(rows)


def test_concurrent_transactions_adding_to_one_bucket_both_count(database: Database) -> None:
    """The first worker holds its transaction open; the second adds to the same bucket meanwhile (on
    PostgreSQL it waits for the row, on SQLite for the write lock) and sees the first's item once it
    commits. Neither addition is lost."""
    first_added, second_answer = threading.Event(), []

    def second_worker() -> None:
        first_added.wait(10)
        with database.transaction() as session:
            second_answer.extend(StoreVelocity(session).observe([post(at(0.7))]))

    worker = threading.Thread(target=second_worker)
    worker.start()
    with database.transaction() as session:
        first = StoreVelocity(session).observe([post(at(0.2))])
        first_added.set()
        worker.join(0.5)  # give the second time to block on what the first holds
        assert worker.is_alive()
    worker.join(30)
    assert first[0]["actor_posts_10m"] == 1
    assert second_answer[0]["actor_posts_10m"] == 2
    with database.transaction() as session:
        assert session.scalar(select(func.sum(VelocityCount.count)).where(VelocityCount.entity_type == "actor")) == 2


def test_prune_deletes_only_buckets_no_window_can_reach(database: Database) -> None:
    with database.transaction() as session:
        StoreVelocity(session).observe([post(at(0)), post(at(1)), post(at(2)), post(at(LONGEST + 1))])
    with database.transaction() as session:
        # A window ending in minute LONGEST + 1 covers minutes 2 … LONGEST + 1.
        assert prune_velocity(session, before=at(LONGEST + 1)) == 2
        assert prune_velocity(session, before=at(LONGEST + 1)) == 0
        answer = StoreVelocity(session).observe([post(at(LONGEST + 1.5))])
    assert answer[0]["actor_posts_24h"] == 3
