"""PDQ perceptual hashes of images: 256 bits, compared by Hamming distance (a match is at most 31 bits
apart by convention), with a quality score 0-100 (hashes under 50 are too featureless to match on).

Hashing uses the reference implementation (pdqhash) on the image's RGB pixels as Pillow decodes them.
The dihedral variants are the hashes of the image rotated and flipped, for matching media that was
turned or mirrored before it was uploaded again. They are computed from the turned pixels, not by
pdqhash's shortcut in the DCT domain: PDQ's downsampling grid is not symmetric under a flip, so the
shortcut can be far (up to 92 bits on the reference images) from the hash of the turned image itself,
while a hash of the turned pixels is exactly what a turned upload hashes to. It costs eight hashes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pdqhash  # type: ignore[import-untyped]
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from bastion.errors import FieldError, InvalidInput

HASH_BITS = 256
HASH_BYTES = HASH_BITS // 8
HEX_DIGITS = HASH_BITS // 4
DEFAULT_THRESHOLD = 31  # Hamming distance: the usual match convention
MINIMUM_QUALITY = 50  # below this, a hash says too little about its image to match on
MAX_IMAGE_PIXELS = 64_000_000  # decompression bombs are refused rather than decoded


@dataclass(frozen=True)
class PdqHash:
    """One image's hash, as 64 hexadecimal digits, and its quality."""

    hex: str
    quality: int

    @property
    def usable(self) -> bool:
        return self.quality >= MINIMUM_QUALITY


def hash_image(source: bytes | Path) -> PdqHash:
    """The PDQ hash of an image given as its bytes or a file's path."""
    return _hash(_pixels(source)[0])


def dihedral_hashes(source: bytes | Path) -> list[PdqHash]:
    """The hashes of the image and of its seven rotations and flips, in `DIHEDRAL_NAMES` order."""
    return [_hash(pixels) for pixels in _pixels(source, dihedral=True)]


# pdqhash's order of the variants: the original, turned 90, 180 and 270 degrees anticlockwise, flipped
# about the horizontal axis, about the vertical axis, about the main diagonal and about the other one
DIHEDRAL = (
    None,
    Image.Transpose.ROTATE_90,
    Image.Transpose.ROTATE_180,
    Image.Transpose.ROTATE_270,
    Image.Transpose.FLIP_TOP_BOTTOM,
    Image.Transpose.FLIP_LEFT_RIGHT,
    Image.Transpose.TRANSPOSE,
    Image.Transpose.TRANSVERSE,
)
DIHEDRAL_NAMES = (
    "original",
    "rotate-90",
    "rotate-180",
    "rotate-270",
    "flip-x",
    "flip-y",
    "flip-plus-1",
    "flip-minus-1",
)


def _pixels(source: bytes | Path, *, dihedral: bool = False) -> list[NDArray[np.uint8]]:
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as image:
            rgb = image.convert("RGB")
            turns = DIHEDRAL if dihedral else DIHEDRAL[:1]
            return [np.asarray(rgb if turn is None else rgb.transpose(turn)) for turn in turns]
    except FileNotFoundError as error:
        raise _invalid("image", "no such file") from error
    except Image.DecompressionBombError as error:
        raise _invalid("image", f"more than {MAX_IMAGE_PIXELS:,} pixels: refused") from error
    except IsADirectoryError as error:
        raise _invalid("image", "is a folder, not an image file") from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise _invalid("image", "not an image Bastion can read (PNG, JPEG, GIF, WebP, BMP, TIFF ...)") from error


def _hash(pixels: NDArray[np.uint8]) -> PdqHash:
    bits, quality = pdqhash.compute(pixels)
    return PdqHash(to_hex(bits), int(quality))


def to_hex(bits: NDArray[np.uint8]) -> str:
    """256 bits (0/1 values, most significant first) as 64 hexadecimal digits."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def to_bytes(hex_hash: str) -> bytes:
    """64 hexadecimal digits as 32 bytes; a clear error for anything else."""
    text = hex_hash.strip().lower()
    if len(text) != HEX_DIGITS:
        raise _invalid("pdq", f"must be {HEX_DIGITS} hexadecimal digits, got {len(text)} characters")
    try:
        return bytes.fromhex(text)
    except ValueError as error:
        raise _invalid("pdq", "must be hexadecimal digits (0-9, a-f)") from error


def hashes_as_bytes(hex_hashes: Sequence[str], refusal: str) -> list[bytes]:
    """Every hash as 32 bytes; if any cannot be read, one error (`refusal`) naming each bad one by its
    position (`hashes[3]`)."""
    raw: list[bytes] = []
    errors: list[FieldError] = []
    for position, hex_hash in enumerate(hex_hashes):
        try:
            raw.append(to_bytes(hex_hash))
        except InvalidInput as error:
            errors.extend(FieldError(f"hashes[{position}]", e.message) for e in error.errors)
    if errors:
        raise InvalidInput(refusal, errors)
    return raw


def distance(a: str, b: str) -> int:
    """The Hamming distance between two hashes given as hex."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _invalid(field: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{field}: {reason}", [FieldError(field, reason)])
