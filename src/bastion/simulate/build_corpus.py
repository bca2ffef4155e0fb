"""Build the compact HateXplain copy that the simulator reads at run time.

A one-off, re-runnable script: it reads the HateXplain release (the train CSV and the validation and
test JSONL files) from a folder given on the command line and writes one gzipped JSONL file, one post
a line: ``{"id", "split", "text", "label", "targets", "annotations": [[annotator_id, label], ...]}``.

The label is the majority of the three annotators (at least two of three agree), else ``undecided``.
The gzip header carries no time and no file name, so the same input always gives the same bytes.

    python -m bastion.simulate.build_corpus /path/to/hatexplain [output.jsonl.gz]
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

# HateXplain's label integers, the same in the CSV and the JSONL files.
LABEL_NAMES = {0: "hatespeech", 1: "normal", 2: "offensive"}
UNDECIDED = "undecided"
TRAIN_FILE = "hatexplain_train.csv"
JSONL_FILES = (("validation", "hatexplain_validation.jsonl"), ("test", "hatexplain_test.jsonl"))
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "data" / "hatexplain" / "posts.jsonl.gz"


def majority_label(labels: Sequence[str]) -> str:
    """The label at least two of the three annotators chose, or ``undecided``."""
    (label, votes), *_ = Counter(labels).most_common(1)
    return label if votes * 2 > len(labels) else UNDECIDED


def _targets(raw: Iterable[str]) -> list[str]:
    # Union of the communities any annotator named, in first-seen order, without the "None" marker.
    seen: list[str] = []
    for target in raw:
        name = target.strip()
        if name and name != "None" and name not in seen:
            seen.append(name)
    return seen


def _post(
    post_id: str, split: str, text: str, labels: list[str], annotators: list[int], targets: list[str]
) -> dict[str, Any]:
    return {
        "id": post_id,
        "split": split,
        "text": text,
        "label": majority_label(labels),
        "targets": targets,
        "annotations": [[annotator, label] for annotator, label in zip(annotators, labels, strict=True)],
    }


def read_train(path: Path) -> Iterator[dict[str, Any]]:
    """The train posts of the CSV release; it has no post ids, so they are numbered in file order."""
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=1):
            labels = [LABEL_NAMES[int(x)] for x in row["labels"].split(",")]
            annotators = [int(x) for x in row["annotator_ids"].split(",")]
            yield _post(
                f"train-{number:05d}", "train", row["text"], labels, annotators, _targets(row["targets"].split(","))
            )


def read_jsonl(path: Path, split: str) -> Iterator[dict[str, Any]]:
    """The posts of one JSONL release file (validation or test), which keep HateXplain's post ids."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            raw = json.loads(line)
            votes = raw["annotators"]
            labels = [LABEL_NAMES[int(x)] for x in votes["label"]]
            targets = _targets(name for chosen in votes["target"] for name in chosen)
            text = " ".join(raw["post_tokens"])
            yield _post(str(raw["id"]), split, text, labels, [int(x) for x in votes["annotator_id"]], targets)


def read_release(folder: Path) -> Iterator[dict[str, Any]]:
    """Every post of the release folder, train first, then validation and test."""
    yield from read_train(folder / TRAIN_FILE)
    for split, name in JSONL_FILES:
        yield from read_jsonl(folder / name, split)


def write_compact(posts: Iterable[dict[str, Any]], output: Path) -> Counter[str]:
    """Write the posts as deterministic gzipped JSONL; return the count of posts per label."""
    counts: Counter[str] = Counter()
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as packed:
        for post in posts:
            counts[post["label"]] += 1
            line = json.dumps(post, ensure_ascii=False, separators=(",", ":")) + "\n"
            packed.write(line.encode("utf-8"))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(buffer.getvalue())
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: ``build_corpus SOURCE_FOLDER [OUTPUT]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or len(args) > 2 or args[0] in {"-h", "--help"}:
        print(__doc__)
        return 2
    output = Path(args[1]) if len(args) == 2 else DEFAULT_OUTPUT
    counts = write_compact(read_release(Path(args[0])), output)
    total = sum(counts.values())
    summary = ", ".join(f"{label} {n}" for label, n in sorted(counts.items()))
    print(f"wrote {total} posts ({summary}) to {output}: {output.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
