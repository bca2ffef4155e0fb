"""`bastion hash IMAGE`: text and JSON, the eight dihedral variants, and one clear line for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bastion.match.pdq import DIHEDRAL_NAMES, dihedral_hashes
from tests.cli.conftest import Bastion

IMAGES = Path(__file__).parents[1] / "match" / "data" / "pdq" / "images"
LA = "accb6d39648035f8125c8ce6ba65007de7b54c67a2d93ef7b8f33b0611306715"  # upstream's bit-exact vector
I16 = "de2ef0e99ecdfc1d248a0eb055f023d1d61e79c3920cbb55d561c02accab1763"
URL = "sqlite:///unused.db"  # the command needs no store


def test_text_and_json(run_bastion: Bastion) -> None:
    text = run_bastion("hash", str(IMAGES / "LA.png"), url=URL)
    assert (text.code, text.out, text.err) == (0, f"{LA}  quality 100\n", "")
    as_json = run_bastion("hash", str(IMAGES / "LA.png"), "--format", "json", url=URL)
    assert json.loads(as_json.out) == {"pdq": LA, "quality": 100}
    low = run_bastion("hash", str(IMAGES / "I16.png"), url=URL)
    assert low.out == f"{I16}  quality 36 (under 50: too featureless to match on)\n"


def test_dihedral_prints_the_eight_variants(run_bastion: Bastion) -> None:
    image = IMAGES / "dih__bridge-1-original.jpg"
    expected = dihedral_hashes(image)
    as_json = json.loads(run_bastion("hash", str(image), "--dihedral", "--format", "json", url=URL).out)
    assert as_json == [
        {"variant": name, "pdq": h.hex, "quality": h.quality} for name, h in zip(DIHEDRAL_NAMES, expected, strict=True)
    ]
    lines = run_bastion("hash", str(image), "--dihedral", url=URL).out.splitlines()
    assert [line.split()[:2] for line in lines] == [[n, h.hex] for n, h in zip(DIHEDRAL_NAMES, expected, strict=True)]


def test_bad_input_is_one_line_and_exit_2(run_bastion: Bastion, tmp_path: Path) -> None:
    text_file = tmp_path / "notes.png"
    text_file.write_text("<script>alert(1)</script>", encoding="utf-8")
    for path, reason in (
        (tmp_path / "missing.png", "no such file"),
        (text_file, "not an image Bastion can read (PNG, JPEG, GIF, WebP, BMP, TIFF ...)"),
        (tmp_path, "is a folder, not an image file"),
    ):
        ran = run_bastion("hash", str(path), url=URL)
        assert (ran.code, ran.out, ran.err) == (2, "", f"error: {path}: {reason}\n")
    wrong_format = run_bastion("hash", str(IMAGES / "LA.png"), "--format", "xml", url=URL)
    assert wrong_format.code == 2 and len(wrong_format.err.splitlines()) == 1


def test_the_installed_command() -> None:
    """The real entry point in a subprocess: the exit code a script sees."""
    ok = subprocess.run(
        [sys.executable, "-m", "bastion", "hash", str(IMAGES / "LA.png"), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (ok.returncode, json.loads(ok.stdout)) == (0, {"pdq": LA, "quality": 100})
    missing = subprocess.run(
        [sys.executable, "-m", "bastion", "hash", "no-such-image.png"], capture_output=True, text=True, check=False
    )
    assert (missing.returncode, missing.stderr) == (2, "error: no-such-image.png: no such file\n")
