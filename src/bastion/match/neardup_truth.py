"""How well clusters find the simulator's planted networks: purity and recall against the truth file.

Pure. The truth file names each network's member accounts, and those accounts post nothing but the
network's near-duplicates, so a network's posts are its members' content items.

- **Purity**: of the members of the clusters that hold network posts (clusters of two or more), the share
  that belong to the cluster's main network. Benign posts and other networks' posts pulled into such a
  cluster count against it.
- **Recall**: of the networks' posts, the share that sit in a cluster whose main network is their own,
  with at least one other post of it. A post left alone, or lost in another cluster, is missed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bastion.errors import FieldError, InvalidInput


@dataclass(frozen=True)
class NetworkCheck:
    """One planted network: its posts, how many were found grouped, and in how many clusters."""

    network: str
    posts: int
    found: int
    clusters: int

    @property
    def recall(self) -> float:
        return self.found / self.posts if self.posts else 0.0


@dataclass(frozen=True)
class TruthCheck:
    """Purity and recall of the clusters against the planted networks."""

    networks: tuple[NetworkCheck, ...]
    clusters_with_network_posts: int
    members_of_those_clusters: int
    main_network_members: int

    @property
    def purity(self) -> float:
        return self.main_network_members / self.members_of_those_clusters if self.members_of_those_clusters else 0.0

    @property
    def recall(self) -> float:
        posts = sum(n.posts for n in self.networks)
        return sum(n.found for n in self.networks) / posts if posts else 0.0


def network_members(truth: Mapping[str, Any]) -> dict[str, str]:
    """Actor id -> network id, from a truth file's `networks`; a clear error for anything else."""
    networks = truth.get("networks")
    if not isinstance(networks, list):
        raise InvalidInput("not a simulator truth file", [FieldError("networks", "a list of networks is missing")])
    members: dict[str, str] = {}
    for position, network in enumerate(networks):
        if not isinstance(network, dict) or not isinstance(network.get("id"), str):
            raise InvalidInput("not a simulator truth file", [FieldError(f"networks[{position}].id", "missing")])
        for actor in network.get("members", []):
            members[str(actor)] = network["id"]
    return members


def check_clusters(
    clusters: Iterable[Sequence[int]], network_of: Mapping[int, str], all_posts: Mapping[str, int]
) -> TruthCheck:
    """Score clusters (each a list of content keys, two or more) against the network of each network post
    (`network_of`: content key -> network id) and each network's number of posts (`all_posts`)."""
    found: Counter[str] = Counter()
    spread: Counter[str] = Counter()
    with_posts = members = main = 0
    for cluster in clusters:
        counts = Counter(network_of[pk] for pk in cluster if pk in network_of)
        if not counts:
            continue
        with_posts += 1
        members += len(cluster)
        network, count = counts.most_common(1)[0]
        main += count
        for other in counts:
            spread[other] += 1
        if count >= 2:
            found[network] += count
    rows = tuple(
        NetworkCheck(network, posts, found[network], spread[network]) for network, posts in sorted(all_posts.items())
    )
    return TruthCheck(rows, with_posts, members, main)
