"""Near-duplicate texts: MinHash signatures of folded word shingles, and the clusters they form.

Pure: no store. `signatures` turns a batch of texts into MinHash signatures (datasketch's MinHash, 64
permutations); `ClusterIndex` holds an LSH over them (banded as datasketch's MinHashLSH bands for the
threshold) and places each new item in the cluster of its most similar indexed member, or in a cluster of
its own.

Why these choices (measured on the default simulation, see docs/near-duplicates.md):
- **Shingles are single folded words.** Coordinated posts keep a message's skeleton and change a few
  slots (a city, a brand, an emoji, a suffix); word pairs or character 5-grams are cut by every change,
  single words only where the change is. Folding (`bastion.detect.normalise.fold`) makes look-alike
  letters, case and leetspeak meet.
- **Short texts are not compared.** Under `MIN_SHINGLES` distinct words a text says too little: two
  "thank you so much" posts are the same words without being a campaign. Such an item is its own cluster.
- **Bounded work per item.** Only a cluster's first `EXEMPLARS` members are indexed: a new member of a
  big cluster is compared with a few dozen of them, not with every member; the others are stored (and
  counted) but never candidates.
- **Nearest first.** LSH candidates are ranked by the estimated Jaccard similarity of their signatures,
  and the item joins the best one's cluster when it is at least `threshold`.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

import numpy as np
from datasketch import MinHash, MinHashLSH  # type: ignore[import-untyped]
from datasketch.hashfunc import sha1_hash32  # type: ignore[import-untyped]
from numpy.typing import NDArray

from bastion.detect.normalise import fold

PERMUTATIONS = 64
SEED = 1  # the permutations' seed: stored signatures are only comparable with the same one
SCHEME = "affine32"  # datasketch's 32-bit permutations: a signature is 64 uint32, 256 bytes
THRESHOLD = 0.5
MIN_SHINGLES = 5
EXEMPLARS = 8
GROWTH_WINDOW_SECONDS = 3_600

_WORD = re.compile(r"\w+")
WORD_HASHES_KEPT = 500_000
_WORD_HASHES: dict[bytes, int] = {}
_A, _B = (np.asarray(p, dtype=np.uint32) for p in MinHash(num_perm=PERMUTATIONS, seed=SEED, scheme=SCHEME).permutations)

Signature = NDArray[np.uint32]


def shingles(text: str) -> list[bytes]:
    """The distinct folded words of a text (empty when there are fewer than `MIN_SHINGLES`)."""
    words = set(_WORD.findall(fold(text))) if text else set()
    if len(words) < MIN_SHINGLES:
        return []
    return [word.encode() for word in words]


def signature(text: str) -> Signature | None:
    """The MinHash signature of a text, or None when it is too short to compare."""
    return signatures([text])[0]


def signatures(texts: Iterable[str]) -> list[Signature | None]:
    """The signatures of a batch of texts at once: equal, value for value, to datasketch's
    `MinHash.update_batch` over each text's shingles (a test holds them equal), computed in one NumPy pass
    over every shingle of the batch instead of one MinHash object per text."""
    shingled = [shingles(text) for text in texts]
    if len(_WORD_HASHES) > WORD_HASHES_KEPT:
        _WORD_HASHES.clear()
    hashed = [_WORD_HASHES.get(word) or _word_hash(word) for words in shingled for word in words]
    if not hashed:
        return [None] * len(shingled)
    values = _mix(np.asarray(hashed, dtype=np.uint32))[:, None] * _A + _B  # wraps modulo 2**32, as datasketch's
    starts = np.cumsum([0, *(len(words) for words in shingled[:-1])])
    minima = np.minimum.reduceat(values, starts[[bool(words) for words in shingled]], axis=0)
    found: list[Signature | None] = []
    rows = iter(minima)
    for words in shingled:
        found.append(next(rows) if words else None)
    return found


def _word_hash(word: bytes) -> int:
    # Words repeat from post to post: each is hashed (SHA-1, as datasketch does) once per process.
    value: int = sha1_hash32(word)
    _WORD_HASHES[word] = value
    return value


def _mix(values: NDArray[np.uint32]) -> NDArray[np.uint32]:
    """MurmurHash3's 32-bit finalizer, which datasketch applies to each shingle's hash before permuting."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def similarity(a: Signature, b: Signature) -> float:
    """The estimated Jaccard similarity of two signatures: the share of permutations whose minimum agrees."""
    return float(np.count_nonzero(a == b)) / PERMUTATIONS


def to_bytes(value: Signature) -> bytes:
    return value.astype("<u4").tobytes()


def from_bytes(data: bytes) -> Signature:
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)


@dataclass(frozen=True)
class Placement:
    """Where an item stands: its cluster (the representative's key), how similar it is to the
    representative, the cluster's size and its members posted in the hour up to the item (both counting
    the members posted up to the item, itself included)."""

    content_pk: int
    cluster: int
    similarity: float
    size: int
    growth_1h: int
    joined: bool = False  # True: this placement added the item (the store must record it)


@dataclass
class _Cluster:
    """A cluster of two or more members: the times they were posted (sorted) and how many are indexed."""

    first_seen: float
    joins: list[tuple[float, int]] = field(default_factory=list)  # (posted, content key), in order
    indexed: int = 0


class ClusterIndex:
    """Every placed item's cluster, an LSH over the indexed members, and each cluster's posting times.

    The LSH bands a signature as datasketch's `MinHashLSH` would for the threshold (its choice of `b`
    bands of `r` values), but keys each band by one 64-bit integer computed with NumPy, not by the
    band's bytes: datasketch's query hashes every band in Python and cost most of a placement (see
    docs/performance.md). A band key that collides only adds a candidate, which the signature
    comparison then judges.
    """

    def __init__(self, threshold: float = THRESHOLD, exemplars: int = EXEMPLARS) -> None:
        self.threshold = threshold
        self.exemplars = exemplars
        self.bands, self.rows = _banding(threshold)
        self._tables: list[dict[int, list[int]]] = [{} for _ in range(self.bands)]
        self._matrix = np.zeros((1024, PERMUTATIONS), dtype=np.uint32)  # the indexed signatures, by row
        self._row: dict[int, int] = {}  # indexed content pk -> its row
        self._keys: list[int] = []  # row -> content pk
        self._posted: dict[int, float] = {}  # indexed content pk -> when posted
        self._cluster_of: dict[int, int] = {}
        self._similarity: dict[int, float] = {}
        self._clusters: dict[int, _Cluster] = {}

    def __len__(self) -> int:
        return len(self._cluster_of)

    def __contains__(self, content_pk: int) -> bool:
        return content_pk in self._cluster_of

    def add(
        self,
        content_pk: int,
        cluster: int,
        value: Signature | None,
        posted: datetime,
        similarity: float,
        keys: list[int] | None = None,
    ) -> None:
        """Record an item placed before (rebuilding from the store, or catching up with another worker);
        `keys` are its band keys when the caller has them already."""
        if content_pk in self._cluster_of:
            return
        at = posted.timestamp()
        self._cluster_of[content_pk] = cluster
        self._similarity[content_pk] = similarity
        if cluster != content_pk:
            group = self._clusters.get(cluster)
            if group is None:
                first_seen = self._posted.get(cluster)
                group = self._clusters[cluster] = _Cluster(
                    at if first_seen is None else first_seen,
                    [(at if first_seen is None else first_seen, cluster)],
                    0 if first_seen is None else 1,
                )
            bisect.insort(group.joins, (at, content_pk))
        if value is not None and self._may_index(cluster):
            self._index(content_pk, cluster, value, at, keys)

    def place(
        self, content_pk: int, value: Signature | None, posted: datetime, keys: list[int] | None = None
    ) -> Placement:
        """Place a new item: into the cluster of its most similar indexed member, or its own. `keys`: its
        band keys when the caller has them already (`band_keys` of a whole batch)."""
        if content_pk in self._cluster_of:
            return self.placement(content_pk, posted)
        if keys is None and value is not None:
            keys = self._band_keys(value)
        member, score = self._nearest(value, keys)
        cluster = content_pk if member is None else self._cluster_of[member]
        if member is None:
            score = 1.0
        elif value is not None:
            row = self._row.get(cluster)
            score = similarity(value, self._matrix[row]) if row is not None else score
        self.add(content_pk, cluster, value, posted, score, keys)
        found = self.placement(content_pk, posted)
        return Placement(found.content_pk, found.cluster, found.similarity, found.size, found.growth_1h, joined=True)

    def preview(
        self, content_pk: int, value: Signature | None, posted: datetime, keys: list[int] | None = None
    ) -> Placement:
        """Where an item would go, changing nothing (a replay must not write)."""
        if content_pk in self._cluster_of:
            return self.placement(content_pk, posted)
        if keys is None and value is not None:
            keys = self._band_keys(value)
        member, score = self._nearest(value, keys)
        if member is None:
            return Placement(content_pk, content_pk, 1.0, 1, 1)
        cluster = self._cluster_of[member]
        size, growth = self._counts(cluster, posted.timestamp(), content_pk)
        return Placement(content_pk, cluster, score, size + 1, growth + 1)

    def placement(self, content_pk: int, posted: datetime) -> Placement:
        """A placed item's cluster, with the size and growth as of its posting time."""
        cluster = self._cluster_of[content_pk]
        size, growth = self._counts(cluster, posted.timestamp(), content_pk)
        return Placement(content_pk, cluster, self._similarity[content_pk], max(size, 1), max(growth, 1))

    def size(self, cluster: int) -> int:
        """How many members the cluster has now."""
        group = self._clusters.get(cluster)
        return 1 if group is None else len(group.joins)

    def first_seen(self, cluster: int) -> datetime:
        """When the cluster's first member was posted (a cluster of two or more)."""
        return datetime.fromtimestamp(self._clusters[cluster].first_seen, UTC)

    def indexed_members(self) -> int:
        """How many items the LSH holds (every cluster's first `exemplars` members)."""
        return len(self._keys)

    def cluster_of(self, content_pk: int) -> int | None:
        return self._cluster_of.get(content_pk)

    def members_by_cluster(self) -> dict[int, list[int]]:
        """Every cluster of two or more members, with its members' keys (for evaluation)."""
        groups: dict[int, list[int]] = {}
        for content_pk, cluster in self._cluster_of.items():
            if cluster in self._clusters:
                groups.setdefault(cluster, []).append(content_pk)
        return groups

    def _counts(self, cluster: int, at: float, content_pk: int) -> tuple[int, int]:
        """Members posted up to (`at`, `content_pk`), and of those, posted in the hour before `at`. Items
        posted at the same moment count in key order, so a replay counts as the live placement did."""
        group = self._clusters.get(cluster)
        if group is None:
            return 1, 1
        upto = bisect.bisect_right(group.joins, (at, content_pk))
        since = bisect.bisect_right(group.joins, (at - GROWTH_WINDOW_SECONDS, math.inf))
        return upto, max(0, upto - since)

    def _nearest(self, value: Signature | None, keys: list[int] | None) -> tuple[int | None, float]:
        if value is None or keys is None or not self._keys:
            return None, 0.0
        # One C call gathers every band's candidates (most items meet the same few exemplars in every band).
        found = set().union(*filter(None, map(dict.get, self._tables, keys)))
        if not found:
            return None, 0.0
        candidates = list(found)
        if len(candidates) == 1:
            best, score = 0, float(np.count_nonzero(self._matrix[self._row[candidates[0]]] == value))
        else:
            scores = (self._matrix[[self._row[key] for key in candidates]] == value).sum(axis=1)
            best = int(scores.argmax())
            score = float(scores[best])
        score /= PERMUTATIONS
        return (candidates[best], score) if score >= self.threshold else (None, 0.0)

    def band_keys(self, values: Sequence[Signature | None]) -> list[list[int] | None]:
        """The band keys of a batch of signatures at once (None for a text too short to compare)."""
        present = [value for value in values if value is not None]
        if not present:
            return [None] * len(values)
        bands = np.stack(present)[:, : self.bands * self.rows].astype(np.uint64).reshape(-1, self.bands, self.rows)
        rows: list[list[int]] = (bands * _BAND_MULTIPLIERS[: self.rows]).sum(axis=2).tolist()  # wraps modulo 2**64
        found = iter(rows)
        return [next(found) if value is not None else None for value in values]

    def _band_keys(self, value: Signature) -> list[int]:
        bands = value[: self.bands * self.rows].astype(np.uint64).reshape(self.bands, self.rows)
        keys: list[int] = (bands * _BAND_MULTIPLIERS[: self.rows]).sum(axis=1).tolist()  # wraps modulo 2**64
        return keys

    def _may_index(self, cluster: int) -> bool:
        group = self._clusters.get(cluster)
        return group is None or group.indexed < self.exemplars

    def _index(self, content_pk: int, cluster: int, value: Signature, at: float, keys: list[int] | None) -> None:
        row = len(self._keys)
        if row == len(self._matrix):
            self._matrix = np.concatenate([self._matrix, np.zeros_like(self._matrix)])
        self._matrix[row] = value
        self._row[content_pk] = row
        self._keys.append(content_pk)
        self._posted[content_pk] = at
        for table, key in zip(self._tables, keys or self._band_keys(value), strict=True):
            table.setdefault(key, []).append(content_pk)
        group = self._clusters.get(cluster)
        if group is not None and cluster != content_pk:
            group.indexed += 1


_BAND_MULTIPLIERS = np.random.default_rng(SEED).integers(1, 2**63, PERMUTATIONS, dtype=np.uint64) * np.uint64(
    2
) + np.uint64(1)


@cache
def _banding(threshold: float) -> tuple[int, int]:
    """The bands and rows datasketch's MinHashLSH chooses for this threshold (false positives and
    negatives weighted alike)."""
    lsh = MinHashLSH(threshold=threshold, num_perm=PERMUTATIONS)
    return int(lsh.b), int(lsh.r)
