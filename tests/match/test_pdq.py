"""PDQ hashing against upstream's reference vectors, dihedral matching, quality, and bad input."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from PIL import Image

from bastion.errors import InvalidInput
from bastion.match.pdq import (
    DEFAULT_THRESHOLD,
    DIHEDRAL_NAMES,
    MINIMUM_QUALITY,
    dihedral_hashes,
    distance,
    hash_image,
    to_bytes,
    to_hex,
)

DATA = Path(__file__).parent / "data" / "pdq"
VECTORS = list(csv.DictReader((DATA / "vectors.csv").open(encoding="utf-8")))
# Pillow's transposes, each the image as one of PDQ's seven other dihedral variants
TRANSPOSES = list(Image.Transpose)


def test_the_vectors_are_all_there() -> None:
    assert len(VECTORS) == 36
    assert sum(1 for v in VECTORS if v["upstream_tolerance"] == "0") == 3
    assert all((DATA / v["image"]).is_file() for v in VECTORS)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['image']}@{v['expected_from'].split('/')[0]}")
def test_hash_matches_upstream(vector: dict[str, str]) -> None:
    """Tolerance 0: bit-exact. The others (JPEGs, whose decoders differ) within upstream's tolerance."""
    computed = hash_image(DATA / vector["image"])
    tolerance = int(vector["upstream_tolerance"])
    assert distance(computed.hex, vector["expected_hash"]) <= tolerance
    if tolerance == 0:
        assert computed.hex == vector["expected_hash"]
    # and exactly what this pdqhash with this Pillow computed when the vectors were made
    assert (computed.hex, computed.quality) == (vector["pdqhash_028_pillow_hash"], int(vector["pdqhash_028_quality"]))


def test_bytes_and_path_hash_alike() -> None:
    path = DATA / "images" / "LA.png"
    assert hash_image(path.read_bytes()) == hash_image(path)


def test_quality_under_the_minimum_is_flagged() -> None:
    by_image = {v["image"]: int(v["pdqhash_028_quality"]) for v in VECTORS}
    for image, quality in by_image.items():
        assert hash_image(DATA / image).usable is (quality >= MINIMUM_QUALITY), image
    assert not hash_image(DATA / "images" / "I16.png").usable  # quality 36
    flat = io.BytesIO()
    Image.new("RGB", (64, 64), (90, 90, 90)).save(flat, "PNG")
    assert hash_image(flat.getvalue()).quality < MINIMUM_QUALITY


IMAGES = sorted({v["image"] for v in VECTORS})


@pytest.mark.parametrize("image", IMAGES)
def test_rotated_and_flipped_copies_match_with_dihedral_variants(image: str) -> None:
    """Every turned or mirrored copy (Pillow, in the test) matches its original's variants: a lossless
    copy exactly, a copy saved again as JPEG within the threshold."""
    original = DATA / image
    variants = dihedral_hashes(original)
    assert variants[0] == hash_image(original)
    assert len(variants) == len(DIHEDRAL_NAMES) == len(TRANSPOSES) + 1
    for transpose in TRANSPOSES:
        with Image.open(original) as opened:
            turned = opened.convert("RGB").transpose(transpose)
        # BMP: lossless and quick to write; the bridge again as JPEG, as a re-upload would be
        forms = [("BMP", 0)] + ([("JPEG", DEFAULT_THRESHOLD)] if "bridge-1" in image else [])
        for form, within in forms:
            saved = io.BytesIO()
            turned.save(saved, form, quality=90)
            turned_hash = hash_image(saved.getvalue())
            if not turned_hash.usable:
                continue  # too featureless to match on either way
            nearest = min(distance(turned_hash.hex, v.hex) for v in variants)
            assert nearest <= within, (image, transpose.name, form, nearest)


def test_without_variants_a_turned_photo_is_a_stranger() -> None:
    original = DATA / "images" / "dih__bridge-1-original.jpg"
    straight = hash_image(original).hex
    for transpose in TRANSPOSES:
        turned = io.BytesIO()
        with Image.open(original) as opened:
            opened.convert("RGB").transpose(transpose).save(turned, "BMP")
        assert distance(hash_image(turned.getvalue()).hex, straight) > DEFAULT_THRESHOLD, transpose.name


def test_upstream_dihedral_images_match_their_variant() -> None:
    """Upstream's bridge, rotated and flipped before it was saved: each is nearest its own variant."""
    variants = [h.hex for h in dihedral_hashes(DATA / "images" / "dih__bridge-1-original.jpg")]
    for n, path in enumerate(sorted((DATA / "images").glob("dih__bridge-*.jpg"))):
        found = hash_image(path).hex
        distances = [distance(found, v) for v in variants]
        assert distances[n] <= DEFAULT_THRESHOLD and distances[n] == min(distances), path.name


def test_hex_round_trip() -> None:
    one = hash_image(DATA / "images" / "LA.png")
    assert to_bytes(one.hex).hex() == one.hex
    assert to_bytes(one.hex.upper() + "\n").hex() == one.hex
    bits = [int(b) for b in bin(int(one.hex, 16))[2:].zfill(256)]
    assert to_hex(bits) == one.hex  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "must be 64 hexadecimal digits, got 3 characters"),
        ("z" * 64, "must be hexadecimal digits (0-9, a-f)"),
    ],
)
def test_bad_hex_names_the_field(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        to_bytes(text)
    assert [(e.path, e.message) for e in raised.value.errors] == [("pdq", reason)]


def test_bad_files_name_the_field(tmp_path: Path) -> None:
    not_image = tmp_path / "notes.png"
    not_image.write_text("hello", encoding="utf-8")
    truncated = tmp_path / "cut.png"
    truncated.write_bytes((DATA / "images" / "LA.png").read_bytes()[:2000])
    cases = [
        (tmp_path / "missing.jpg", "no such file"),
        (not_image, "not an image Bastion can read"),
        (truncated, "not an image Bastion can read"),
        (b"\x89PNG\r\n", "not an image Bastion can read"),
        (tmp_path, "is a folder, not an image file"),
    ]
    for source, reason in cases:
        with pytest.raises(InvalidInput) as raised:
            hash_image(source)
        assert [e.path for e in raised.value.errors] == ["image"], source
        assert raised.value.errors[0].message.startswith(reason), source
        with pytest.raises(InvalidInput):
            dihedral_hashes(source)
