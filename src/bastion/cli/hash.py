"""`bastion hash IMAGE`: an image's PDQ hash and quality, as text or JSON; with --dihedral, its eight
rotations and flips."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from bastion.cli.console import console
from bastion.errors import InvalidInput
from bastion.match.pdq import DIHEDRAL_NAMES, MINIMUM_QUALITY, PdqHash, dihedral_hashes, hash_image


class HashFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def hash_command(
    image: Path = typer.Argument(
        ..., metavar="IMAGE", help="An image file (PNG, JPEG, GIF, WebP, ...).", show_default=False
    ),
    output: HashFormat = typer.Option(
        HashFormat.TEXT, "--format", metavar="[text|json]", help="text (the default) for people; json for scripts."
    ),
    dihedral: bool = typer.Option(False, "--dihedral", help="Also the hashes of its rotations and flips."),
) -> None:
    """Print the PDQ hash of an image and its quality (under 50: too featureless to match on)."""
    try:
        hashes = dihedral_hashes(image) if dihedral else [hash_image(image)]
    except InvalidInput as error:
        reasons = "; ".join(e.message for e in error.errors) or error.message
        raise InvalidInput(f"{image}: {reasons}") from error
    if output is HashFormat.JSON:
        if dihedral:
            text = json.dumps([{"variant": v, **_json(h)} for v, h in zip(DIHEDRAL_NAMES, hashes, strict=True)])
        else:
            text = json.dumps(_json(hashes[0]))
        console.print(text, markup=False, highlight=False, soft_wrap=True)
        return
    for variant, one in zip(DIHEDRAL_NAMES, hashes, strict=False):
        label = f"{variant:<13}" if dihedral else ""
        note = "" if one.usable else f" (under {MINIMUM_QUALITY}: too featureless to match on)"
        console.print(f"{label}{one.hex}  quality {one.quality}{note}", markup=False, highlight=False, soft_wrap=True)


def _json(one: PdqHash) -> dict[str, str | int]:
    return {"pdq": one.hex, "quality": one.quality}
