"""The hash index against a brute force: exact at every radius, through adds, replacements, removals,
merges, compaction, and a save and load; upstream's haystack and needles; its chunk layouts."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from bastion.errors import InvalidInput
from bastion.match import index as index_module
from bastion.match.index import TAIL_LIMIT, HashIndex, Layout, _chunk_values, choose_layout, from_hex

DATA = Path(__file__).parent / "data" / "pdq"
Found = list[list[tuple[int, int]]]


def brute_force(stored: dict[int, bytes], queries: NDArray[np.uint8], radius: int) -> Found:
    """Every (key, distance) within the radius, nearest first then by key: the contract, spelled out
    bit by bit (no popcount tricks shared with the index)."""
    keys = np.asarray(list(stored), dtype=np.int64)
    bits = np.unpackbits(np.frombuffer(b"".join(stored.values()), dtype=np.uint8).reshape(-1, 32), axis=1)
    found = []
    for query in np.unpackbits(queries, axis=1):
        distances = (bits != query).sum(axis=1) if keys.size else np.empty(0, dtype=np.int64)
        near = sorted((int(d), int(k)) for d, k in zip(distances, keys, strict=True) if d <= radius)
        found.append([(key, d) for d, key in near])
    return found


def near_copies(rng: np.random.Generator, rows: NDArray[np.uint8], distances: NDArray[np.int64]) -> NDArray[np.uint8]:
    """Each row with `distances[i]` of its bits flipped."""
    bits = np.unpackbits(rows, axis=1)
    for i, d in enumerate(distances):
        bits[i, rng.choice(256, int(d), replace=False)] ^= 1
    return np.packbits(bits, axis=1)


def world(seed: int, size: int, queries: int) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """Random hashes, a few clusters of near copies (so that a query finds many), and queries: half
    near a stored hash at distances 0-40, a quarter near a cluster, a quarter random."""
    rng = np.random.default_rng(seed)
    stored = rng.integers(0, 256, size=(size, 32), dtype=np.uint8)
    centres = stored[rng.choice(size, 4, replace=False)]
    cluster = size // 10
    stored[:cluster] = near_copies(rng, centres[rng.integers(0, 4, cluster)], rng.integers(0, 24, cluster))
    half = queries // 2
    asked = rng.integers(0, 256, size=(queries, 32), dtype=np.uint8)
    asked[:half] = near_copies(rng, stored[rng.choice(size, half, replace=size < half)], rng.integers(0, 41, half))
    quarter = queries // 4
    asked[half : half + quarter] = near_copies(rng, centres[rng.integers(0, 4, quarter)], rng.integers(0, 20, quarter))
    return stored, asked


def as_dict(keys: NDArray[np.int64] | range, rows: NDArray[np.uint8]) -> dict[int, bytes]:
    return {int(k): row.tobytes() for k, row in zip(keys, rows, strict=True)}


@pytest.fixture(scope="module")
def big() -> tuple[HashIndex, dict[int, bytes], NDArray[np.uint8]]:
    """5,000 hashes in one multi-indexed part (more than the tail holds)."""
    stored, asked = world(1, 5000, 200)
    index = HashIndex()
    index.add(np.arange(5000) * 7, stored)
    return index, as_dict(range(0, 35000, 7), stored), asked


@pytest.mark.parametrize("radius", [0, 1, 8, 15, 16, 31, 32, 40, 64, 128, 256])
def test_search_is_exact_at_every_radius(
    big: tuple[HashIndex, dict[int, bytes], NDArray[np.uint8]], radius: int
) -> None:
    index, stored, asked = big
    if radius > 64:
        asked = asked[::10]  # a wide radius finds thousands per query: fewer queries, same coverage
    assert index.search(asked, radius) == brute_force(stored, asked, radius)


def test_the_default_radius_probes_and_a_wide_one_scans(
    big: tuple[HashIndex, dict[int, bytes], NDArray[np.uint8]],
) -> None:
    """Both paths are exercised above: the multi-index at 31 (and 40), a scan where it cannot be cheaper."""
    index, _, _ = big
    (part,) = index._parts
    assert part.plan(31) is not None and part.plan(40) is not None
    assert part.plan(128) is None and part.plan(256) is None


def test_single_queries_equal_the_batch(big: tuple[HashIndex, dict[int, bytes], NDArray[np.uint8]]) -> None:
    index, _, asked = big
    batch = index.search(asked, 31)
    assert [index.search(asked[q : q + 1], 31)[0] for q in range(len(asked))] == batch
    assert sum(map(len, batch)) > len(asked) // 2  # the planted and clustered queries do find things


def test_a_query_finds_every_member_of_a_cluster_once() -> None:
    rng = np.random.default_rng(5)
    centre = rng.integers(0, 256, size=(1, 32), dtype=np.uint8)
    distances = np.arange(6000) % 32
    stored = near_copies(rng, np.repeat(centre, 6000, axis=0), distances)
    index = HashIndex()
    index.add(np.arange(6000), stored)
    (found,) = index.search(centre, 31)
    assert sorted(found, key=lambda kd: (kd[1], kd[0])) == found
    assert found == [(int(k), int(distances[k])) for k in np.lexsort((np.arange(6000), distances))]


def test_adds_replacements_and_removals_stay_exact() -> None:
    """Many small adds (through the tail, into parts that merge), keys replaced, keys removed."""
    rng = np.random.default_rng(2)
    stored, asked = world(2, 12_000, 120)
    index = HashIndex()
    model: dict[int, bytes] = {}
    for first in range(0, 12_000, 700):
        keys = np.arange(first, min(first + 700, 12_000))
        index.add(keys, stored[keys])
        model.update(as_dict(keys, stored[keys]))
    assert len(index) == len(model) == 12_000
    assert len(index._parts) <= math.ceil(math.log(12_000 / TAIL_LIMIT, 2)) + 2
    replaced = rng.choice(12_000, 900, replace=False)
    moved = near_copies(rng, asked[rng.integers(0, 60, 900)], rng.integers(0, 30, 900))
    index.add(replaced, moved)
    model.update(as_dict(replaced, moved))
    removed = rng.choice(12_000, 3000, replace=False)
    index.remove(np.concatenate([removed, [10**9]]))  # a key never added is ignored
    for key in removed:
        model.pop(int(key))
    assert len(index) == len(model)
    for radius in (0, 12, 31, 50):
        assert index.search(asked, radius) == brute_force(model, asked, radius)


def test_removing_most_of_a_part_compacts_it() -> None:
    stored, asked = world(3, 8000, 60)
    index = HashIndex()
    index.add(np.arange(8000), stored)
    index.remove(np.arange(0, 8000, 2))
    index.remove(np.arange(1, 6000, 2))
    assert [len(p.keys) for p in index._parts] == [1000]  # rebuilt without its tombstones
    assert index.search(asked, 31) == brute_force(as_dict(range(6001, 8000, 2), stored[6001::2]), asked, 31)
    index.remove(np.arange(8000))
    assert len(index) == 0 and index.search(asked, 256) == [[] for _ in asked]


def test_repeated_keys_in_one_add_keep_the_last() -> None:
    rows = np.zeros((3, 32), dtype=np.uint8)
    rows[1, 0], rows[2, 0] = 1, 3
    index = HashIndex()
    index.add([5, 5, 6], rows)
    assert len(index) == 2
    assert index.search(np.zeros((1, 32), dtype=np.uint8), 2) == [[(5, 1), (6, 2)]]
    assert index.search(rows[1:2], 0) == [[(5, 0)]]


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(0, 9000),
    chunks=st.sampled_from([None, 13, 16, 20, 32]),  # 11-12 chunks: 2^23-entry tables, too big for a test
    radius=st.integers(0, 48),
)
def test_any_layout_any_radius_equals_brute_force(seed: int, size: int, chunks: int | None, radius: int) -> None:
    stored, asked = world(seed, max(size, 10), 40)
    stored = stored[:size]
    index = HashIndex(chunks=chunks)
    index.add(np.arange(size), stored)
    assert index.search(asked, radius) == brute_force(as_dict(range(size), stored), asked, radius)


def test_save_and_load(tmp_path: Path, big: tuple[HashIndex, dict[int, bytes], NDArray[np.uint8]]) -> None:
    _, _, asked = big
    copy = HashIndex()
    stored, _ = world(1, 5000, 10)
    copy.add(np.arange(5000) * 7, stored)
    copy.remove([0, 7, 14])
    copy.add([1, 2], stored[:2])  # in the tail
    path = tmp_path / "bank.index"
    copy.save(path)
    loaded = HashIndex.load(path)
    assert len(loaded) == len(copy) == 4999
    assert loaded.search(asked, 31) == copy.search(asked, 31)
    assert path.stat().st_size < 4999 * 40 + 2048  # 32 bytes of hash and 8 of key each


def test_upstream_haystack_and_needles() -> None:
    haystack = (DATA / "haystack.txt").read_text(encoding="utf-8").split()
    needles = (DATA / "needles.txt").read_text(encoding="utf-8").split()
    index = HashIndex()
    index.add(range(len(haystack)), from_hex(haystack))
    found = index.search(from_hex(needles), 31)
    assert found == brute_force(as_dict(range(len(haystack)), from_hex(haystack)), from_hex(needles), 31)
    assert sum(1 for f in found if f) >= 50


def test_pigeonhole_holds_for_every_layout_and_radius() -> None:
    """sum(t_i + 1) > radius: a hash differing by more than t_i in every chunk is beyond the radius."""
    for chunks in range(11, 33):
        layout = Layout.of(chunks)
        assert sum(layout.widths) == 256 and max(layout.widths) - min(layout.widths) <= 1
        for radius in range(257):
            flips = layout.flips(radius)
            assert sum(f + 1 for f in flips) == radius + 1 and min(flips) >= -1


def test_chunk_values_read_the_same_bits_both_ways() -> None:
    rng = np.random.default_rng(4)
    rows = rng.integers(0, 256, size=(50, 32), dtype=np.uint8)
    bits = np.unpackbits(rows, axis=1)
    for chunks in (11, 13, 16, 23, 32):
        layout = Layout.of(chunks)
        values = layout.values(rows)
        for i, (offset, width) in enumerate(zip(layout.offsets, layout.widths, strict=True)):
            expected = [int("".join(map(str, row[offset : offset + width])), 2) for row in bits]
            assert values[:, i].tolist() == expected == _chunk_values(rows, offset, width).tolist()


def test_layouts_chosen_by_size() -> None:
    assert choose_layout(100_000).widths == (16,) * 16
    assert len(choose_layout(10_000_000).widths) == 11
    widths = choose_layout(1_000_000).widths
    assert 12 <= len(widths) <= 16
    for size in (10, 1000, 10**5, 10**6, 10**7):
        assert (
            sum(2**w for w in choose_layout(size).widths) <= max(index_module.TABLE_BUDGET * size, 2**16)
            or len(choose_layout(size).widths) == 32
        )


def test_bad_input_names_the_field() -> None:
    index = HashIndex()
    with pytest.raises(InvalidInput) as raised:
        index.add([1, 2], np.zeros((1, 32), dtype=np.uint8))
    assert raised.value.errors[0].path == "keys"
    with pytest.raises(InvalidInput) as raised:
        index.add([1], np.zeros((1, 31), dtype=np.uint8))
    assert raised.value.errors[0].path == "hashes"
    with pytest.raises(InvalidInput) as raised:
        index.search(np.zeros((1, 32), dtype=np.uint8), 257)
    assert raised.value.errors[0].path == "radius"
    with pytest.raises(InvalidInput) as raised:
        HashIndex(chunks=4)
    assert raised.value.errors[0].path == "chunks"


def test_a_file_that_is_not_an_index_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.index"
    broken.write_bytes(b"PK\x03\x04 not really")
    mismatched = tmp_path / "mismatched.index"
    with mismatched.open("wb") as file:
        np.savez(file, keys=np.arange(3), words=np.zeros((2, 4), dtype=np.uint64))
    for path, reason in (
        (tmp_path / "missing.index", "no such file"),
        (broken, "not a hash index Bastion saved"),
        (mismatched, "keys and hashes do not line up"),
    ):
        with pytest.raises(InvalidInput) as raised:
            HashIndex.load(path)
        assert [(e.path, e.message) for e in raised.value.errors] == [("index", reason)]
