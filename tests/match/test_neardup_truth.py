"""Purity and recall of clusters against planted networks, on small hand-made cases."""

from __future__ import annotations

import pytest

from bastion.errors import InvalidInput
from bastion.match.neardup_truth import check_clusters, network_members

# Content keys 1-6 are net-a's posts, 7-9 net-b's; 100+ are benign.
NETWORK_OF = {**dict.fromkeys(range(1, 7), "net-a"), **dict.fromkeys(range(7, 10), "net-b")}
POSTS = {"net-a": 6, "net-b": 3}


@pytest.mark.parametrize(
    ("clusters", "purity", "recall", "spread"),
    [
        ([[1, 2, 3, 4, 5, 6], [7, 8, 9]], 1.0, 1.0, [1, 1]),
        ([[1, 2, 3], [4, 5, 6], [7, 8, 9], [100, 101]], 1.0, 1.0, [2, 1]),  # split, but grouped; benign ignored
        ([[1, 2, 3, 4, 5, 6, 100, 101]], 6 / 8, 6 / 9, [1, 0]),  # benign posts pulled in; net-b missed
        ([[1, 2, 3, 7, 8]], 3 / 5, 3 / 9, [1, 1]),  # two networks mixed: the smaller one lost
        ([[1, 100], [7, 101]], 2 / 4, 0.0, [1, 1]),  # a network post with no other of its network is missed
        ([], 0.0, 0.0, [0, 0]),
    ],
)
def test_purity_and_recall(clusters: list[list[int]], purity: float, recall: float, spread: list[int]) -> None:
    check = check_clusters(clusters, NETWORK_OF, POSTS)
    assert check.purity == pytest.approx(purity)
    assert check.recall == pytest.approx(recall)
    assert [n.clusters for n in check.networks] == spread


def test_network_members_come_from_the_truth_file_and_a_bad_one_is_named() -> None:
    truth = {"networks": [{"id": "net-1", "members": ["u1", "u2"]}, {"id": "net-2", "members": ["u3"]}]}
    assert network_members(truth) == {"u1": "net-1", "u2": "net-1", "u3": "net-2"}
    with pytest.raises(InvalidInput) as missing:
        network_members({"seed": 1})
    assert [e.path for e in missing.value.errors] == ["networks"]
    with pytest.raises(InvalidInput) as nameless:
        network_members({"networks": [{"members": []}]})
    assert [e.path for e in nameless.value.errors] == ["networks[0].id"]
