"""Near-duplicate images for network detection: PDQ hashes a few bits apart get one cluster key.

Pure. Hashes are bucketed by each of 8 bands of 32 bits: two hashes within 7 bits of each other agree on at
least one band (pigeonhole), and nearer ones almost always do. Within a bucket each hash is compared with the
bucket's first hash only, and joined to it (union-find) when they are within `max_bits`. That is greedy: a
chain of small edits can drift apart, and two near-duplicates that agree on no band stay apart. For
coordination it is enough, since a network reposts one image with a few bits of re-encoding noise, and it
keeps the work linear in the number of images.
"""

from __future__ import annotations

from collections.abc import Iterable

BANDS = 8
BAND_BITS = 256 // BANDS
DEFAULT_MAX_BITS = 16


def image_clusters(hashes: Iterable[str], max_bits: int = DEFAULT_MAX_BITS) -> dict[str, str]:
    """Each distinct valid hash (64 hex digits) -> its cluster key (the cluster's first hash). A hash that is
    not 64 hex digits is left out."""
    values: list[int] = []
    keys: list[str] = []
    seen: dict[str, int] = {}
    for text in hashes:
        if text in seen:
            continue
        value = _parse(text)
        if value is None:
            continue
        seen[text] = len(values)
        values.append(value)
        keys.append(text)
    parent = list(range(len(values)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    mask = (1 << BAND_BITS) - 1
    for band in range(BANDS):
        first: dict[int, int] = {}
        shift = band * BAND_BITS
        for index, value in enumerate(values):
            piece = (value >> shift) & mask
            leader = first.setdefault(piece, index)
            if leader != index and (values[leader] ^ value).bit_count() <= max_bits:
                a, b = root(leader), root(index)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return {keys[i]: keys[root(i)] for i in range(len(values))}


def _parse(text: str) -> int | None:
    if len(text) != 64:
        return None
    try:
        return int(text, 16)
    except ValueError:
        return None
