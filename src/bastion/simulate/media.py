"""Images of the simulated platform, known only by their PDQ hash (256 bits as 64 hex digits).

Near-duplicate images are hashes a few bits apart, well inside PDQ's usual match distance of 31.
"""

from __future__ import annotations

import random

PDQ_BITS = 256
MEDIA_HOST = "https://media.sim.bastion.example"


def random_pdq(rng: random.Random) -> str:
    """A fresh, unrelated image hash."""
    return f"{rng.getrandbits(PDQ_BITS):064x}"


def near_duplicate(rng: random.Random, base: str, max_bits: int) -> str:
    """`base` with between 0 and `max_bits` bits flipped: a re-encode, crop or filter of one image."""
    value = int(base, 16)
    for position in rng.sample(range(PDQ_BITS), rng.randint(0, max_bits)):
        value ^= 1 << position
    return f"{value:064x}"


def media_url(content_id: str, kind: str) -> str:
    """Where a content item's image or video lives."""
    suffix = "mp4" if kind == "video" else "jpg"
    return f"{MEDIA_HOST}/{content_id}.{suffix}"
