"""The packaged HateXplain copy, the script that builds it, and how its labels become policies."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from importlib import resources
from pathlib import Path

from bastion.simulate.build_corpus import main, majority_label
from bastion.simulate.corpus import load_hatexplain
from bastion.simulate.policies import Harm, harm_of_hatexplain

DATA = resources.files("bastion").joinpath("data", "hatexplain")


def test_packaged_copy_has_every_post_with_the_papers_counts() -> None:
    posts = load_hatexplain()
    assert len(posts) == 19_229
    assert Counter(p.label for p in posts) == {"normal": 7_814, "hatespeech": 5_935, "offensive": 5_480}
    assert len({p.id for p in posts}) == len(posts)
    assert all(len(p.annotations) == 3 for p in posts)
    assert len({a for p in posts for a, _ in p.annotations}) == 253


def test_packaged_copy_is_small_and_attributed() -> None:
    assert DATA.joinpath("posts.jsonl.gz").read_bytes().__len__() < 2_000_000
    attribution = DATA.joinpath("ATTRIBUTION.txt").read_text(encoding="utf-8")
    assert "Mathew" in attribution and "2012.10289" in attribution and "CC BY 4.0" in attribution
    assert "MIT License" in DATA.joinpath("LICENSE-code-MIT").read_text(encoding="utf-8")
    assert "CC BY 4.0" in DATA.joinpath("LICENSE-data.md").read_text(encoding="utf-8")


def test_majority_rule() -> None:
    assert majority_label(["hatespeech", "offensive", "offensive"]) == "offensive"
    assert majority_label(["normal", "normal", "normal"]) == "normal"
    assert majority_label(["hatespeech", "offensive", "normal"]) == "undecided"


def test_offensive_is_mostly_allowed_speech() -> None:
    offensive = [p for p in load_hatexplain() if p.label == "offensive"]
    harassment = [p for p in offensive if p.harm is Harm.HARASSMENT]
    assert 0 < len(harassment) < 0.3 * len(offensive)
    assert all(p.harm is None for p in load_hatexplain() if p.label == "normal")
    assert all(p.harm in (Harm.HATE, Harm.DEHUMANIZATION) for p in load_hatexplain() if p.label == "hatespeech")


def test_hatexplain_label_mapping() -> None:
    unanimous = [(1, "offensive"), (2, "offensive"), (3, "offensive")]
    assert harm_of_hatexplain("hatespeech", "they are vermin", unanimous) is Harm.DEHUMANIZATION
    assert harm_of_hatexplain("hatespeech", "i hate them all", unanimous) is Harm.HATE
    assert harm_of_hatexplain("offensive", "<user> you absolute idiot", unanimous) is Harm.HARASSMENT
    assert harm_of_hatexplain("offensive", "this weather is shit", unanimous) is None
    split = [(1, "offensive"), (2, "offensive"), (3, "normal")]
    assert harm_of_hatexplain("offensive", "<user> you absolute idiot", split) is None
    assert harm_of_hatexplain("undecided", "whatever", unanimous) is None


def _write_release(folder: Path) -> None:
    folder.mkdir()
    (folder / "hatexplain_train.csv").write_text(
        "text,majority_label,severity,labels,annotator_ids,targets\n"
        'some post,2,High,"0, 2, 2","203, 204, 233","Islam, None"\n'
        'a nice post,1,Medium,"1, 1, 0","1, 2, 3",None\n',
        encoding="utf-8",
    )
    row = {
        "id": "123_twitter",
        "annotators": {
            "label": [0, 0, 1],
            "annotator_id": [4, 5, 6],
            "target": [["Women"], ["Women", "Other"], ["None"]],
        },
        "rationales": [],
        "post_tokens": ["hello", "<user>"],
    }
    (folder / "hatexplain_validation.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    (folder / "hatexplain_test.jsonl").write_text("", encoding="utf-8")


def test_build_script_writes_a_deterministic_compact_file(tmp_path: Path) -> None:
    _write_release(tmp_path / "release")
    first, second = tmp_path / "one.jsonl.gz", tmp_path / "two.jsonl.gz"
    assert main([str(tmp_path / "release"), str(first)]) == 0
    assert main([str(tmp_path / "release"), str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    rows = [json.loads(line) for line in gzip.decompress(first.read_bytes()).decode().splitlines()]
    assert rows == [
        {
            "id": "train-00001",
            "split": "train",
            "text": "some post",
            "label": "offensive",
            "targets": ["Islam"],
            "annotations": [[203, "hatespeech"], [204, "offensive"], [233, "offensive"]],
        },
        {
            "id": "train-00002",
            "split": "train",
            "text": "a nice post",
            "label": "normal",
            "targets": [],
            "annotations": [[1, "normal"], [2, "normal"], [3, "hatespeech"]],
        },
        {
            "id": "123_twitter",
            "split": "validation",
            "text": "hello <user>",
            "label": "hatespeech",
            "targets": ["Women", "Other"],
            "annotations": [[4, "hatespeech"], [5, "hatespeech"], [6, "normal"]],
        },
    ]


def test_build_script_explains_itself_without_arguments() -> None:
    assert main([]) == 2
