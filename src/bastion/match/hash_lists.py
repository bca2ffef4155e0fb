"""Reading lists of PDQ hashes to put in a bank, in the formats they come in.

- `hex`: one hash a line, 64 hexadecimal digits; blank lines and lines starting with `#` are skipped.
- `csv`: a header naming a `pdq` (or `hash`) column and, optionally, a `label` column; other columns
  are ignored.
- `threatexchange`: what python-threatexchange's `threatexchange dataset --print-signals --csv` writes
  (`collab,signal_type,signal_str,category,tags`): rows of signal type `pdq` are read, their label is
  the category and tags; rows of other signal types (video MD5s, text) are counted as skipped.
- `pdq-hasher`: what the PDQ reference hasher (`pdq-photo-hasher`) prints, `hash,quality,filename` a
  line; the file name becomes the label, and hashes under the quality floor are refused.

`auto` picks one of these from the first line that is not blank or a comment. Every bad row is
reported with its line number; the caller writes nothing when there is one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from bastion.errors import FieldError, InvalidInput
from bastion.match.pdq import HEX_DIGITS, MINIMUM_QUALITY, to_bytes

MAX_LABEL_CHARS = 256
COMMENT = "#"


class ListFormat(StrEnum):
    AUTO = "auto"
    HEX = "hex"
    CSV = "csv"
    THREATEXCHANGE = "threatexchange"
    PDQ_HASHER = "pdq-hasher"


@dataclass(frozen=True)
class ListedHash:
    """One hash of a list: where it was (its line), its 32 bytes, its label."""

    line: int
    hash: bytes
    label: str = ""


@dataclass(frozen=True)
class HashList:
    """A list read whole: the hashes in order, and how many rows of another signal type were skipped."""

    format: ListFormat
    hashes: tuple[ListedHash, ...]
    skipped: int = 0


def read_hash_list(text: str, list_format: ListFormat | str = ListFormat.AUTO) -> HashList:
    """Every hash of `text` in `list_format`; `InvalidInput` naming each bad line when there is one."""
    try:
        chosen = ListFormat(list_format)
    except ValueError:
        formats = ", ".join(ListFormat)
        raise InvalidInput(
            "unknown hash list format",
            [FieldError("format", f"must be one of {formats}; got {str(list_format)[:40]!r}")],
        ) from None
    if chosen is ListFormat.AUTO:
        chosen = guess_format(text)
    readers = {
        ListFormat.HEX: _hex_lines,
        ListFormat.CSV: _csv_rows,
        ListFormat.THREATEXCHANGE: _threatexchange_rows,
        ListFormat.PDQ_HASHER: _hasher_lines,
    }
    hashes, skipped, errors = readers[chosen](text)
    if errors:
        noun = "line" if len(errors) == 1 else "lines"
        raise InvalidInput(
            f"{len(errors)} {noun} of the {chosen} hash list cannot be read; nothing was imported", errors
        )
    return HashList(chosen, tuple(hashes), skipped)


def guess_format(text: str) -> ListFormat:
    """The format the first meaningful line says the list is in."""
    for line in text.splitlines():
        first = line.strip()
        if not first or first.startswith(COMMENT):
            continue
        cells = [cell.strip().lower() for cell in first.split(",")]
        if "signal_str" in cells and "signal_type" in cells:
            return ListFormat.THREATEXCHANGE
        if "pdq" in cells or "hash" in cells:
            return ListFormat.CSV
        if len(cells) == 3 and len(cells[0]) == HEX_DIGITS:
            return ListFormat.PDQ_HASHER
        return ListFormat.HEX
    return ListFormat.HEX


_Read = tuple[list[ListedHash], int, list[FieldError]]


def _hex_lines(text: str) -> _Read:
    hashes: list[ListedHash] = []
    errors: list[FieldError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.strip()
        if not entry or entry.startswith(COMMENT):
            continue
        _add(hashes, errors, number, entry, "", "hash")
    return hashes, 0, errors


def _hasher_lines(text: str) -> _Read:
    hashes: list[ListedHash] = []
    errors: list[FieldError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.strip()
        if not entry or entry.startswith(COMMENT):
            continue
        cells = entry.split(",", 2)
        if len(cells) != 3:
            errors.append(FieldError("", "must be hash,quality,filename", number))
            continue
        hex_hash, quality_text, filename = (cell.strip() for cell in cells)
        try:
            quality = int(quality_text)
        except ValueError:
            errors.append(FieldError("quality", f"must be a whole number 0-100; got {quality_text[:20]!r}", number))
            continue
        if quality < MINIMUM_QUALITY:
            reason = f"is {quality}: a hash under {MINIMUM_QUALITY} says too little about its image to match on"
            errors.append(FieldError("quality", reason, number))
            continue
        _add(hashes, errors, number, hex_hash, filename, "hash")
    return hashes, 0, errors


def _csv_rows(text: str) -> _Read:
    hashes: list[ListedHash] = []
    errors: list[FieldError] = []
    rows = _csv_reader(text)
    header = next(rows, None)
    if header is None:
        return hashes, 0, errors
    number, names = header
    columns = [name.strip().lower() for name in names]
    hash_column = next((columns.index(name) for name in ("pdq", "hash") if name in columns), None)
    if hash_column is None:
        return hashes, 0, [FieldError("header", "names no pdq (or hash) column", number)]
    label_column = columns.index("label") if "label" in columns else None
    for number, cells in rows:
        if hash_column >= len(cells):
            errors.append(FieldError(columns[hash_column], "is missing", number))
            continue
        label = cells[label_column].strip() if label_column is not None and label_column < len(cells) else ""
        _add(hashes, errors, number, cells[hash_column], label, columns[hash_column])
    return hashes, 0, errors


def _threatexchange_rows(text: str) -> _Read:
    hashes: list[ListedHash] = []
    errors: list[FieldError] = []
    rows = _csv_reader(text)
    header = next(rows, None)
    if header is None:
        return hashes, 0, errors
    number, names = header
    columns = [name.strip().lower() for name in names]
    missing = [name for name in ("signal_type", "signal_str") if name not in columns]
    if missing:
        return hashes, 0, [FieldError("header", f"names no {' or '.join(missing)} column", number)]
    where = {name: columns.index(name) for name in ("signal_type", "signal_str", "category", "tags") if name in columns}
    skipped = 0
    for number, cells in rows:
        cell = {name: cells[at].strip() if at < len(cells) else "" for name, at in where.items()}
        if cell["signal_type"].lower() != "pdq":
            skipped += 1
            continue
        label = " ".join(part for part in (cell.get("category", ""), cell.get("tags", "")) if part)
        _add(hashes, errors, number, cell["signal_str"], label, "signal_str")
    return hashes, skipped, errors


def _csv_reader(text: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank, non-comment rows with the line each starts on."""
    reader = csv.reader(io.StringIO(text))
    start = 1
    for row in reader:
        line, start = start, reader.line_num + 1
        if not row or not any(cell.strip() for cell in row) or row[0].lstrip().startswith(COMMENT):
            continue
        yield line, row


def _add(hashes: list[ListedHash], errors: list[FieldError], line: int, hex_hash: str, label: str, field: str) -> None:
    try:
        raw = to_bytes(hex_hash)
    except InvalidInput as error:
        errors.extend(FieldError(field, e.message, line) for e in error.errors)
        return
    if len(label) > MAX_LABEL_CHARS:
        errors.append(FieldError("label", f"is {len(label):,} characters long; at most {MAX_LABEL_CHARS}", line))
        return
    hashes.append(ListedHash(line, raw, label))
