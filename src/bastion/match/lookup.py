"""Looking hashes up in the banks without recording anything: what `POST /api/v1/hash/lookup` and
`bastion hashbanks lookup` answer. A query is a hash, or an image (hashed here, and optionally turned
and mirrored: its dihedral variants, so that a rotated or flipped copy of banked media is found)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from bastion.domain.match import HashBankKind
from bastion.errors import InvalidInput
from bastion.match.bank_index import BANK_INDEXES
from bastion.match.matching import BankInForce, active_entries, banks_in_force
from bastion.match.pdq import HASH_BYTES, PdqHash, dihedral_hashes, hash_image, hashes_as_bytes

MAX_QUERIES = 1_000
# In the order pdqhash computes them.
VARIANTS = (
    "original",
    "rotated 90 degrees",
    "rotated 180 degrees",
    "rotated 270 degrees",
    "flipped left to right",
    "flipped top to bottom",
    "flipped on the main diagonal",
    "flipped on the other diagonal",
)


@dataclass(frozen=True)
class BankHit:
    """One banked hash near the query."""

    bank: str
    kind: HashBankKind
    distance: int
    label: str
    variant: str  # which of the image's variants matched ("original" for a hash)


@dataclass(frozen=True)
class LookupResult:
    """A query's hash (for an image: the original's, with its quality) and every bank hash within its
    bank's threshold, nearest first (one per banked hash: the nearest variant)."""

    pdq: str
    quality: int | None
    matches: tuple[BankHit, ...]


def look_up_hashes(session: Session, hex_hashes: Sequence[str]) -> list[LookupResult]:
    """The enabled banks' hashes near each of these hashes (64 hex digits each)."""
    if len(hex_hashes) > MAX_QUERIES:
        raise InvalidInput(f"{len(hex_hashes):,} hashes: look up at most {MAX_QUERIES:,} at a time")
    raw = hashes_as_bytes(hex_hashes, "some hashes cannot be read")
    return [
        LookupResult(value.hex(), None, tuple(hits))
        for value, hits in zip(raw, _search(session, [[value] for value in raw]), strict=True)
    ]


def look_up_image(session: Session, image: bytes, *, dihedral: bool) -> LookupResult:
    """The enabled banks' hashes near an image's hash (and, with `dihedral`, near its seven rotations and
    flips)."""
    variants: list[PdqHash] = dihedral_hashes(image) if dihedral else [hash_image(image)]
    (hits,) = _search(session, [[bytes.fromhex(v.hex) for v in variants]])
    return LookupResult(variants[0].hex, variants[0].quality, tuple(hits))


def _search(session: Session, queries: Sequence[Sequence[bytes]]) -> list[list[BankHit]]:
    """For each query (a hash and its variants), the nearest variant's distance to each banked hash."""
    banks = {bank.pk: bank for bank in banks_in_force(session) if bank.enabled}
    if not banks or not queries:
        return [[] for _ in queries]
    index = BANK_INDEXES.index(session)
    flat = [value for variants in queries for value in variants]
    rows = np.frombuffer(b"".join(flat), dtype=np.uint8).reshape(-1, HASH_BYTES)
    found = index.search(rows, max(bank.threshold for bank in banks.values())) if len(index) else [[] for _ in flat]
    entries = active_entries(session, {key for near in found for key, _ in near})
    answers: list[list[BankHit]] = []
    position = 0
    for variants in queries:
        best: dict[int, tuple[int, int]] = {}  # entry key -> (distance, variant)
        for variant in range(len(variants)):
            for key, distance in found[position + variant]:
                if key not in best or distance < best[key][0]:
                    best[key] = (distance, variant)
        position += len(variants)
        hits = []
        for key, (distance, variant) in best.items():
            entry = entries.get(key)
            bank = banks.get(entry[0]) if entry else None
            if entry is None or bank is None or distance > bank.threshold:
                continue
            hits.append(_hit(bank, distance, entry[1], variant))
        answers.append(sorted(hits, key=lambda hit: (hit.distance, hit.bank, hit.label)))
    return answers


def _hit(bank: BankInForce, distance: int, label: str, variant: int) -> BankHit:
    return BankHit(bank.name, bank.kind, distance, label, VARIANTS[variant])
