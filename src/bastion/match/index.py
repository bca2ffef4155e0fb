"""The hash index: every stored 256-bit hash within a Hamming radius of a query, exactly.

The contract the hash banks rely on (keys are the store's entry keys, hashes are rows of 32 bytes):
- `add(keys, hashes)` and `remove(keys)` change the index in place, without a full rebuild;
- `search(queries, radius)` returns, per query, every (key, distance) within `radius`, nearest first,
  with no approximation: a hash within the radius is never missed;
- `save(path)` / `HashIndex.load(path)` persist it beside the store.

This first version scans every hash (a NumPy brute force); the multi-index version replaces the inside
and keeps the contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bastion.match.pdq import HASH_BYTES

Hashes = NDArray[np.uint8]  # shape (n, 32)


class HashIndex:
    def __init__(self) -> None:
        self._keys = np.empty(0, dtype=np.int64)
        self._words = np.empty((0, HASH_BYTES // 8), dtype=np.uint64)

    def __len__(self) -> int:
        return int(self._keys.size)

    def add(self, keys: Sequence[int] | NDArray[np.int64], hashes: Hashes) -> None:
        """Add hashes under these keys (a key already present is replaced)."""
        key_array = np.asarray(keys, dtype=np.int64)
        self.remove(key_array)
        self._keys = np.concatenate([self._keys, key_array])
        self._words = np.concatenate([self._words, _words(hashes)])

    def remove(self, keys: Sequence[int] | NDArray[np.int64]) -> None:
        keep = ~np.isin(self._keys, np.asarray(keys, dtype=np.int64))
        self._keys, self._words = self._keys[keep], self._words[keep]

    def search(self, queries: Hashes, radius: int) -> list[list[tuple[int, int]]]:
        found: list[list[tuple[int, int]]] = []
        for query in _words(queries):
            distances = np.bitwise_count(self._words ^ query).sum(axis=1)
            near = np.flatnonzero(distances <= radius)
            order = near[np.argsort(distances[near], kind="stable")]
            found.append([(int(self._keys[i]), int(distances[i])) for i in order])
        return found

    def save(self, path: Path) -> None:
        with path.open("wb") as file:
            np.savez(file, keys=self._keys, words=self._words)

    @classmethod
    def load(cls, path: Path) -> HashIndex:
        index = cls()
        with np.load(path) as saved:
            index._keys, index._words = saved["keys"], saved["words"]
        return index


def _words(hashes: Hashes) -> NDArray[np.uint64]:
    rows = np.ascontiguousarray(np.asarray(hashes, dtype=np.uint8).reshape(-1, HASH_BYTES))
    return rows.view(np.uint64)


def from_hex(hex_hashes: Sequence[str]) -> Hashes:
    """Rows of 32 bytes from hashes written as 64 hex digits."""
    return np.frombuffer(bytes.fromhex("".join(hex_hashes)), dtype=np.uint8).reshape(-1, HASH_BYTES)
