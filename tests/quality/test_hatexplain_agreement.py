"""Acceptance: HateXplain's 19,229 posts and their 57,687 annotations, imported as content and as
decisions through `bastion import`, give the agreement the libraries compute on the same labels.

HateXplain (Mathew et al., 2021; MIT and CC BY 4.0, see src/bastion/data/hatexplain) has three
annotators per post. Krippendorff's alpha on the posts that have a majority label is 0.5058 (the
paper's 0.46 includes the undecided posts, which are not in this file). The imports and the checks
of the ratings take about 8 s on SQLite on a 2-vCPU machine.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from krippendorff import alpha as krippendorff_alpha
from statsmodels.stats.inter_rater import fleiss_kappa

import bastion
from bastion.quality.ratings import load_ratings
from bastion.store.database import Database
from tests.cli.conftest import Bastion, run_bastion  # noqa: F401 - the fixture, for `bastion import`

POSTS = Path(bastion.__file__).parent / "data" / "hatexplain" / "posts.jsonl.gz"
AUTHOR = "hatexplain-authors"  # the dataset does not say who wrote a post: one actor stands for them all
LABELS = ("hatespeech", "normal", "offensive")


def _posts() -> list[dict[str, Any]]:
    with gzip.open(POSTS, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def posts() -> list[dict[str, Any]]:
    return _posts()


def _counts(posts: list[dict[str, Any]]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Items x labels: how many annotators gave each post each label."""
    return np.array([[Counter(label for _, label in post["annotations"])[label] for label in LABELS] for post in posts])


def test_the_report_agrees_with_the_libraries_on_hatexplain(
    run_bastion: Bastion,  # noqa: F811 - the fixture imported above
    sqlite_database: Database,
    posts: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    assert len(posts) == 19_229
    url = sqlite_database.url
    actors = _write(tmp_path / "actors.jsonl", [{"id": AUTHOR, "created_at": "2021-01-01T00:00:00Z"}])
    content = _write(
        tmp_path / "content.jsonl",
        [
            {
                "id": post["id"],
                "actor_id": AUTHOR,
                "type": "post",
                "text": post["text"],
                "language": "en",
                "created_at": "2021-01-01T00:00:00Z",
            }
            for post in posts
        ],
    )
    decisions = _write(
        tmp_path / "decisions.jsonl",
        [
            {"content_id": post["id"], "reviewer_id": f"hatexplain-{annotator}", "label": label}
            for post in posts
            for annotator, label in post["annotations"]
        ],
    )
    ran = run_bastion("import", str(actors), "--kind", "actors", url=url)
    assert ran.code == 0, ran.err
    ran = run_bastion("import", str(content), "--kind", "content", "--no-detect", url=url)
    assert ran.code == 0 and "19,229 created" in ran.out, ran.out + ran.err
    ran = run_bastion("import", str(decisions), "--kind", "decisions", url=url)
    assert ran.code == 0 and "57,687 created" in ran.out and "0 rejected" in ran.out, ran.out + ran.err

    # The figures, straight from the libraries on the file's labels.
    counts = _counts(posts)
    expected_alpha = krippendorff_alpha(value_counts=counts, level_of_measurement="nominal")
    assert expected_alpha == pytest.approx(0.5058, abs=5e-5)
    expected_kappa = float(fleiss_kappa(counts, method="fleiss"))
    expected_agreement = float(((counts * (counts - 1)).sum(axis=1) / (3 * 2)).mean())

    # The ratings relation holds every annotation, each on its post, by its annotator.
    ratings = load_ratings(sqlite_database)
    assert ratings.num_rows == 57_687
    assert set(ratings.column("source").to_pylist()) == {"import"}
    by_item: dict[int, Counter[str]] = {}
    for item, label in zip(ratings.column("item").to_pylist(), ratings.column("label").to_pylist(), strict=True):
        by_item.setdefault(item, Counter())[label] += 1
    assert len(by_item) == 19_229
    assert sorted(sorted(c.values()) for c in by_item.values()) == sorted(
        sorted(Counter(label for _, label in post["annotations"]).values()) for post in posts
    )
    assert len(set(ratings.column("rater").to_pylist())) == len({a for p in posts for a, _ in p["annotations"]})

    ran = run_bastion("quality", "report", "--format", "json", url=url)
    assert ran.code == 0, ran.err
    agreement = json.loads(ran.out)["agreement"]
    assert agreement["krippendorff_alpha"] == pytest.approx(expected_alpha, abs=0.005)
    assert agreement["fleiss_kappa"] == pytest.approx(expected_kappa, abs=1e-9)
    assert agreement["percent_agreement"] == pytest.approx(expected_agreement, abs=1e-9)
    assert (agreement["items"], agreement["ratings"]) == (19_229, 57_687)
