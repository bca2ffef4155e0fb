"""The simulator's policy ids are the shipped taxonomy's."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from bastion.simulate.policies import FAMILIES, FAMILY, POLICY_IDS, Harm, policy_lineage


def _taxonomy_ids() -> set[str]:
    text = resources.files("bastion").joinpath("policy", "taxonomy.yaml").read_text(encoding="utf-8")
    found: set[str] = set()

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            found.add(node["id"])
            walk(node.get("children") or [])

    walk(yaml.safe_load(text)["policies"])
    return found


def test_every_policy_id_exists_in_the_taxonomy() -> None:
    missing = set(POLICY_IDS.values()) - _taxonomy_ids()
    assert not missing


def test_sub_harms_are_children_of_their_family() -> None:
    for child, parent in FAMILY.items():
        assert POLICY_IDS[child].startswith(POLICY_IDS[parent] + ".")
    assert set(FAMILIES) | set(FAMILY) == set(Harm)
    assert all("." not in POLICY_IDS[f] for f in FAMILIES)


def test_lineage() -> None:
    assert policy_lineage("hate_speech.dehumanization") == ("hate_speech.dehumanization", "hate_speech")
    assert policy_lineage("spam") == ("spam",)
