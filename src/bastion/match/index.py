"""The hash index: every stored 256-bit hash within a Hamming radius of a query, exactly.

The contract the hash banks rely on (keys are the store's entry keys, hashes are rows of 32 bytes):
- `add(keys, hashes)` and `remove(keys)` change the index in place, without a full rebuild;
- `search(queries, radius)` returns, per query, every (key, distance) within `radius`, nearest first,
  with no approximation: a hash within the radius is never missed;
- `save(path)` / `HashIndex.load(path)` persist it beside the store.

How it finds them: multi-index hashing. The 256 bits are cut into m chunks of w bits (11 chunks of
23-24 bits at 10M hashes, about 16 of 16 bits at 100k; the layout is chosen from the number of hashes
by a cost model). By the pigeonhole principle, a hash within radius r of the query differs from it in
chunk i by at most t_i bits for some i, whenever sum(t_i + 1) >= r + 1 — so with r = 31 and 11 chunks,
ten chunks are probed with up to 2 bits flipped and one with up to 1. Each chunk has a direct-address
table (a counting sort of the hashes by that chunk's value), so a probe is two array reads and the
hashes it names are then checked at full length: candidates are verified, never trusted. When the
probes for a radius would cost more than a scan (a large radius), that part is scanned instead, so
any radius up to 256 stays exact.

Changes without a rebuild: new hashes go to a small tail that is scanned; a full tail becomes a part
of its own, and parts of similar size merge (a log-structured merge), so an add costs amortised
O(log n) hash moves. A removed key is a tombstone until its part is compacted. Everything runs in
NumPy, vectorised over a batch of queries and all of its probes at once.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from itertools import combinations
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bastion.errors import FieldError, InvalidInput
from bastion.match.pdq import HASH_BITS, HASH_BYTES

Hashes = NDArray[np.uint8]  # shape (n, 32)
Found = list[list[tuple[int, int]]]

WORDS = HASH_BYTES // 8
TAIL_LIMIT = 4096  # hashes scanned as they are before they become a part of their own
MERGE_RATIO = 4  # a part merges into the one before it once it is at least 1/4 of its size
MAX_CHUNK_BITS = 24  # direct-address tables of 2^24 entries (64 MB) at most
TABLE_BUDGET = 16  # table entries per stored hash, at most (the chunk layout keeps to it)
MAX_FLIPS = 3  # probes with more flipped bits per chunk are left to a scan
PROBE_BATCH = 1 << 14  # probes per step of a batch search: temporary arrays that stay in cache
FORMAT = 2


@dataclass(frozen=True)
class Layout:
    """How the 256 bits are cut into chunks: `widths[i]` bits starting at bit `offsets[i]`."""

    widths: tuple[int, ...]

    @property
    def offsets(self) -> tuple[int, ...]:
        return tuple(int(x) for x in np.cumsum((0, *self.widths[:-1])))

    @cached_property
    def _windows(self) -> tuple[NDArray[np.int64], NDArray[np.uint32], NDArray[np.uint32]]:
        first = np.asarray(self.offsets, dtype=np.int64) // 8
        skip = np.asarray(self.offsets, dtype=np.int64) % 8
        widths = np.asarray(self.widths, dtype=np.int64)
        reads = first[:, None] + np.arange(4)  # each chunk's 4 bytes (the hash padded by 3)
        return reads, (32 - skip - widths).astype(np.uint32), ((1 << widths) - 1).astype(np.uint32)

    def values(self, rows: Hashes) -> NDArray[np.uint32]:
        """Every chunk's value of each row, shape (rows, chunks): four bytes read big-endian, shifted."""
        reads, shifts, masks = self._windows
        padded = np.zeros((rows.shape[0], HASH_BYTES + 3), dtype=np.uint8)
        padded[:, :HASH_BYTES] = rows
        windows = np.ascontiguousarray(padded[:, reads]).view(">u4")[..., 0].astype(np.uint32)
        return (windows >> shifts) & masks

    @classmethod
    def of(cls, chunks: int) -> Layout:
        if not 1 <= chunks <= HASH_BITS or math.ceil(HASH_BITS / chunks) > MAX_CHUNK_BITS:
            raise InvalidInput(
                f"chunks: must be from {math.ceil(HASH_BITS / MAX_CHUNK_BITS)} to {HASH_BITS}",
                [FieldError("chunks", f"must be from {math.ceil(HASH_BITS / MAX_CHUNK_BITS)} to {HASH_BITS}")],
            )
        base, wider = divmod(HASH_BITS, chunks)
        return cls(tuple(base + 1 if i < wider else base for i in range(chunks)))

    def flips(self, radius: int) -> tuple[int, ...]:
        """Bits to flip per chunk so that every hash within `radius` is probed (-1: chunk not probed).

        If each chunk i differed by more than t_i bits, the whole hash would differ by at least
        sum(t_i + 1) bits; so sum(t_i + 1) = radius + 1 finds everything. The narrower chunks take
        the extra flips: they have fewer values to probe.
        """
        per_chunk, extra = divmod(radius + 1, len(self.widths))
        by_width = sorted(range(len(self.widths)), key=lambda i: self.widths[i])
        flips = [per_chunk - 1] * len(self.widths)
        for i in by_width[:extra]:
            flips[i] += 1
        return tuple(flips)

    def cost(self, size: int, radius: int) -> float:
        """Expected table reads plus candidates checked per query, for hashes spread evenly."""
        total = 0.0
        for width, flips in zip(self.widths, self.flips(radius), strict=True):
            probes = sum(math.comb(width, k) for k in range(flips + 1))
            total += probes * (1 + size / 2**width)
        return total


def choose_layout(size: int, radius: int = 31) -> Layout:
    """The cheapest layout for this many hashes whose tables keep to the memory budget."""
    best: tuple[float, Layout] | None = None
    for chunks in range(math.ceil(HASH_BITS / MAX_CHUNK_BITS), 33):
        layout = Layout.of(chunks)
        if sum(2**w for w in layout.widths) > max(TABLE_BUDGET * size, 1 << 16) and chunks < 32:
            continue
        cost = layout.cost(size, radius)
        if best is None or cost < best[0]:
            best = (cost, layout)
    assert best is not None
    return best[1]


@cache
def _flip_masks(width: int, flips: int) -> NDArray[np.int64]:
    """Every value of `width` bits with at most `flips` bits set."""
    masks = [sum(1 << b for b in bits) for k in range(flips + 1) for bits in combinations(range(width), k)]
    return np.asarray(masks, dtype=np.int64)


def _chunk_values(rows: Hashes, offset: int, width: int) -> NDArray[np.uint32]:
    """The `width` bits from bit `offset` (most significant first) of each 32-byte row.

    A chunk of at most 24 bits spans at most 4 bytes, so it is read into 32 bits and shifted into place.
    """
    first, skip = divmod(offset, 8)
    count = (skip + width + 7) // 8
    value = rows[:, first].astype(np.uint32)
    for k in range(1, count):
        value <<= np.uint32(8)
        value |= rows[:, first + k]
    value >>= np.uint32(count * 8 - skip - width)
    value &= np.uint32((1 << width) - 1)
    return value


def _distances(words: NDArray[np.uint64], queries: NDArray[np.uint64]) -> NDArray[np.int64]:
    """Hamming distances between rows of 4 words, pairwise by row."""
    counts = np.bitwise_count(words ^ queries)  # uint8 per word, <= 64: four of them fit a uint32
    four: NDArray[np.uint32] = counts.view(np.uint32).ravel()
    pairs = (four & 0x00FF00FF) + ((four >> 8) & 0x00FF00FF)  # two sums of two, <= 128 each
    total: NDArray[np.uint32] = (pairs & 0xFFFF) + (pairs >> 16)
    return total.astype(np.int64)


def _fill_starts(ordered: NDArray[np.uint32], starts: NDArray[np.integer], first: int) -> None:
    """Where each value's run begins in `ordered` (plus `first`), and after the last, the end.

    Counted a block of values at a time: a whole 24-bit chunk's counts would take 128 MB at once.
    """
    values = starts.size - 1
    block = min(values, 1 << 20)
    edges = np.searchsorted(ordered, np.arange(0, values + block, block, dtype=np.int64))
    starts[0] = first
    running = first
    for n, low in enumerate(range(0, values, block)):
        high = min(low + block, values)
        counts = np.bincount(ordered[edges[n] : edges[n + 1]] - np.uint32(low), minlength=high - low)
        np.cumsum(counts, out=counts)
        counts += running
        starts[low + 1 : high + 1] = counts
        running = int(counts[-1])


def _rows(hashes: Hashes | NDArray[np.uint64], field: str) -> Hashes:
    array = np.asarray(hashes)
    if array.dtype == np.uint64:
        array = array.view(np.uint8)
    if array.dtype != np.uint8 or array.size % HASH_BYTES:
        raise InvalidInput(
            f"{field}: must be rows of {HASH_BYTES} bytes",
            [FieldError(field, f"must be rows of {HASH_BYTES} bytes")],
        )
    return np.ascontiguousarray(array.reshape(-1, HASH_BYTES))


def _words(rows: Hashes) -> NDArray[np.uint64]:
    return np.ascontiguousarray(rows).view(np.uint64).reshape(-1, WORDS)


@dataclass(frozen=True)
class _Probes:
    """The probes of one radius: per probe, its chunk, where the chunk's table starts, the bits to flip."""

    chunks: NDArray[np.int64]
    bases: NDArray[np.int64]
    masks: NDArray[np.int64]


class _Part:
    """An immutable multi-index over some hashes, sorted by key, with tombstones for removed keys."""

    def __init__(self, keys: NDArray[np.int64], words: NDArray[np.uint64], layout: Layout | None = None) -> None:
        """Index these hashes; `keys` must be sorted and unique, and the part owns both arrays."""
        self.keys = keys
        self.words = words
        self.alive = np.ones(self.keys.size, dtype=bool)
        self.dead = 0
        self.layout = layout or choose_layout(self.keys.size)
        rows = self.words.view(np.uint8)
        size = self.keys.size
        widths = self.layout.widths
        position = np.uint32 if size * len(widths) < 2**32 else np.uint64
        self.order: NDArray[np.unsignedinteger] = np.empty(size * len(widths), dtype=position)
        self.starts: NDArray[np.unsignedinteger] = np.empty(sum((1 << w) + 1 for w in widths), dtype=position)
        self.bases: list[int] = []
        self._plans: dict[int, _Probes | None] = {}
        base = 0
        for i, (offset, width) in enumerate(zip(self.layout.offsets, widths, strict=True)):
            values = _chunk_values(rows, offset, width)
            # sorted by the chunk's value (the order within a value does not matter)
            order = self.order[i * size : (i + 1) * size]
            order[:] = np.argsort(values)
            ordered = values[order]
            del values
            _fill_starts(ordered, self.starts[base : base + (1 << width) + 1], i * size)
            del ordered
            self.bases.append(base)
            base += (1 << width) + 1

    def __len__(self) -> int:
        return int(self.keys.size) - self.dead

    def live(self) -> tuple[NDArray[np.int64], NDArray[np.uint64]]:
        return self.keys[self.alive], self.words[self.alive]

    def remove(self, keys: NDArray[np.int64]) -> None:
        at = np.searchsorted(self.keys, keys)
        inside = at < self.keys.size
        at = at[inside][self.keys[at[inside]] == keys[inside]]
        at = at[self.alive[at]]
        self.alive[at] = False
        self.dead += int(at.size)

    def plan(self, radius: int) -> _Probes | None:
        """What to probe for this radius; None when a scan is cheaper."""
        if radius not in self._plans:
            flips = self.layout.flips(radius)
            if max(flips) > MAX_FLIPS or self.layout.cost(self.keys.size, radius) > self.keys.size / 2:
                self._plans[radius] = None
            else:
                chunk_of, masks = [], []
                for i, (width, f) in enumerate(zip(self.layout.widths, flips, strict=True)):
                    if f >= 0:
                        m = _flip_masks(width, f)
                        masks.append(m)
                        chunk_of.append(np.full(m.size, i, dtype=np.int64))
                chunks = np.concatenate(chunk_of)
                bases = np.asarray(self.bases, dtype=np.int64)[chunks]
                self._plans[radius] = _Probes(chunks, bases, np.concatenate(masks))
        return self._plans[radius]

    def search(
        self, rows: Hashes, words: NDArray[np.uint64], radius: int
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """(query, key, distance) of every live hash within the radius, each pair once."""
        plan = self.plan(radius)
        found = _scan(self.words, words, radius) if plan is None else self._probe(rows, words, radius, plan)
        query, at, dist = found
        live = self.alive[at]
        return query[live], self.keys[at[live]], dist[live]

    def _probe(
        self, rows: Hashes, words: NDArray[np.uint64], radius: int, plan: _Probes
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        values = self.layout.values(rows)
        step = max(1, PROBE_BATCH // plan.masks.size)
        parts = []
        for first in range(0, rows.shape[0], step):
            # every probe of every query in this step at once: (queries, probes) table slots
            slots = plan.bases + (values[first : first + step, plan.chunks] ^ plan.masks)
            low = self.starts[slots].astype(np.int64)
            count = self.starts[slots + 1].astype(np.int64) - low
            hits = count.sum(axis=1)
            low, count = low.ravel(), count.ravel()
            nonempty = count > 0
            low, count = low[nonempty], count[nonempty]
            total = int(count.sum())
            if total == 0:
                continue
            ends = np.cumsum(count)
            where = np.arange(total, dtype=np.int64) - np.repeat(ends - count - low, count)
            at = self.order[where].astype(np.int64)
            query = np.repeat(np.arange(first, first + hits.size, dtype=np.int64), hits)
            dist = _distances(np.take(self.words, at, axis=0), np.take(words, query, axis=0))
            near = dist <= radius
            query, at, dist = query[near], at[near], dist[near]
            # a hash near in several chunks is found once per chunk: keep it once
            _, once = np.unique(query * self.keys.size + at, return_index=True)
            parts.append((query[once], at[once], dist[once]))
        return _concatenate(parts)


def _scan(
    stored: NDArray[np.uint64], words: NDArray[np.uint64], radius: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Brute force: every stored hash against every query."""
    parts = []
    for q, query in enumerate(words):
        dist = np.bitwise_count(stored ^ query).sum(axis=1, dtype=np.int64)
        at = np.flatnonzero(dist <= radius)
        parts.append((np.full(at.size, q, dtype=np.int64), at.astype(np.int64), dist[at]))
    return _concatenate(parts)


def _concatenate(
    parts: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    q, a, d = zip(*parts, strict=True)
    return np.concatenate(q), np.concatenate(a), np.concatenate(d)


class HashIndex:
    """Exact Hamming-radius search over 256-bit hashes, changed in place by adds and removes."""

    def __init__(self, *, chunks: int | None = None) -> None:
        self._layout = Layout.of(chunks) if chunks is not None else None
        self._parts: list[_Part] = []
        self._tail_keys = np.empty(0, dtype=np.int64)
        self._tail_words = np.empty((0, WORDS), dtype=np.uint64)

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts) + int(self._tail_keys.size)

    @property
    def layouts(self) -> list[Layout]:
        """The chunk layout of each part, largest part first (for diagnostics and the benchmark)."""
        return [p.layout for p in self._parts]

    def add(self, keys: Sequence[int] | NDArray[np.int64], hashes: Hashes) -> None:
        """Add hashes under these keys (a key already present is replaced; of repeats, the last counts)."""
        key_array = np.asarray(keys, dtype=np.int64).ravel()
        words = _words(_rows(hashes, "hashes"))
        if key_array.size != words.shape[0]:
            raise InvalidInput(
                "keys: one key per hash",
                [FieldError("keys", f"{key_array.size} keys for {words.shape[0]} hashes")],
            )
        if key_array.size == 0:
            return
        key_array, words = _sorted_unique(key_array, words)
        self.remove(key_array)
        if key_array.size >= TAIL_LIMIT:
            self._add_part(_Part(key_array, words, self._layout))
            return
        self._tail_keys = np.concatenate([self._tail_keys, key_array])
        self._tail_words = np.concatenate([self._tail_words, words])
        if self._tail_keys.size >= TAIL_LIMIT:
            tail = _Part(*_sorted_unique(self._tail_keys, self._tail_words), self._layout)
            self._tail_keys = np.empty(0, dtype=np.int64)
            self._tail_words = np.empty((0, WORDS), dtype=np.uint64)
            self._add_part(tail)

    def remove(self, keys: Sequence[int] | NDArray[np.int64]) -> None:
        """Remove the hashes under these keys (keys not present are ignored)."""
        key_array = np.unique(np.asarray(keys, dtype=np.int64))
        if key_array.size == 0:
            return
        for part in self._parts:
            part.remove(key_array)
        keep = ~np.isin(self._tail_keys, key_array)
        self._tail_keys, self._tail_words = self._tail_keys[keep], self._tail_words[keep]
        # a part that is mostly tombstones is rebuilt from what is left
        for i, part in enumerate(self._parts):
            if part.dead and part.dead * 2 >= part.keys.size:
                self._parts[i] = _Part(*part.live(), self._layout)
        self._parts = [p for p in self._parts if len(p)]

    def search(self, queries: Hashes, radius: int) -> Found:
        """Per query, every (key, distance) within `radius` bits, nearest first (then by key)."""
        if not 0 <= radius <= HASH_BITS:
            raise InvalidInput(
                f"radius: must be from 0 to {HASH_BITS}", [FieldError("radius", f"must be from 0 to {HASH_BITS}")]
            )
        rows = _rows(queries, "queries")
        words = _words(rows)
        found = [p.search(rows, words, radius) for p in self._parts]
        found.append(_scan_tail(self._tail_keys, self._tail_words, words, radius))
        query, key, dist = _concatenate(found)
        order = np.lexsort((key, dist, query))
        query, key, dist = query[order], key[order], dist[order]
        bounds = np.searchsorted(query, np.arange(rows.shape[0] + 1))
        pairs = list(zip(key.tolist(), dist.tolist(), strict=True))
        return [pairs[bounds[q] : bounds[q + 1]] for q in range(rows.shape[0])]

    def save(self, path: Path) -> None:
        """Write the live hashes and their keys (40 bytes a hash); `load` rebuilds the tables."""
        keys, words = self._live()
        with path.open("wb") as file:
            np.savez(file, format=np.int64(FORMAT), keys=keys, words=words)

    @classmethod
    def load(cls, path: Path, *, chunks: int | None = None) -> HashIndex:
        """An index saved by `save`; a file that is not one is InvalidInput (rebuild it from the store)."""
        index = cls(chunks=chunks)
        try:
            with np.load(path, allow_pickle=False) as saved:
                keys, words = saved["keys"], saved["words"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            reason = "no such file" if isinstance(error, FileNotFoundError) else "not a hash index Bastion saved"
            raise InvalidInput(f"index file: {reason}", [FieldError("index", reason)]) from error
        if keys.ndim != 1 or words.shape != (keys.size, WORDS):
            reason = "keys and hashes do not line up"
            raise InvalidInput(f"index file: {reason}", [FieldError("index", reason)])
        if keys.size:
            index._add_part(_Part(*_sorted_unique(keys.astype(np.int64), words.astype(np.uint64)), index._layout))
        return index

    def _live(self) -> tuple[NDArray[np.int64], NDArray[np.uint64]]:
        parts = [p.live() for p in self._parts] + [(self._tail_keys, self._tail_words)]
        return np.concatenate([k for k, _ in parts]), np.concatenate([w for _, w in parts])

    def _add_part(self, part: _Part) -> None:
        self._parts.append(part)
        # keep parts in sizes that shrink geometrically: merging costs amortised O(log n) per hash
        while len(self._parts) >= 2 and len(self._parts[-1]) * MERGE_RATIO >= len(self._parts[-2]):
            newer, older = self._parts.pop(), self._parts.pop()
            (k1, w1), (k2, w2) = older.live(), newer.live()
            merged = _sorted_unique(np.concatenate([k1, k2]), np.concatenate([w1, w2]))
            self._parts.append(_Part(*merged, self._layout))


def _sorted_unique(keys: NDArray[np.int64], words: NDArray[np.uint64]) -> tuple[NDArray[np.int64], NDArray[np.uint64]]:
    """New arrays sorted by key; of repeated keys the last counts, as if they were added one by one."""
    if keys.size < 2 or bool(np.all(keys[1:] > keys[:-1])):
        return keys.copy(), words.copy()
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    last = np.ones(ordered.size, dtype=bool)
    last[:-1] = ordered[1:] != ordered[:-1]
    return ordered[last], words[order[last]]


def _scan_tail(
    keys: NDArray[np.int64], stored: NDArray[np.uint64], words: NDArray[np.uint64], radius: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    if keys.size == 0:
        return _concatenate([])
    query, at, dist = _scan(stored, words, radius)
    return query, keys[at], dist


def from_hex(hex_hashes: Sequence[str]) -> Hashes:
    """Rows of 32 bytes from hashes written as 64 hex digits."""
    return np.frombuffer(bytes.fromhex("".join(hex_hashes)), dtype=np.uint8).reshape(-1, HASH_BYTES)
