"""Finding coordinated networks in the store, for investigators: read, detect, and the JSON every interface
prints.

Reading networks names accounts and what ties them (devices, IPs): it needs `investigate.read`, which only
investigators and admins hold. The caller opens the transaction; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.investigate.network_reader import read_traits
from bastion.investigate.networks import DetectionSettings, Network, detect_networks


@dataclass(frozen=True)
class NetworkReport:
    """The networks found, and what they were looked for in."""

    since: datetime | None
    actors: int
    posts: int
    networks: list[Network]


def find_networks(
    session: Session, principal: Principal, *, since: datetime | None = None, settings: DetectionSettings | None = None
) -> NetworkReport:
    """The coordinated networks among the actors (those active since `since`, when given), best first."""
    principal.require(Permission.INVESTIGATE_READ)
    settings = settings or DetectionSettings()
    actors, posts = read_traits(session, since=since, max_authors=settings.max_carriers)
    return NetworkReport(since, len(actors), len(posts), detect_networks(actors, posts, settings))


def network_json(network: Network) -> dict[str, Any]:
    """One network as `bastion investigate networks --format json` prints it."""
    evidence = network.evidence
    ages = evidence.age_days_at_first_post
    return {
        "id": network.id,
        "members": list(network.members),
        "shared": [
            {"attribute": s.attribute, "value": s.value, "kind": s.kind.value, "members": s.members, "actors": s.actors}
            for s in network.shared
        ],
        "score": network.score,
        "evidence": {
            "surprise": evidence.surprise,
            "ties": evidence.ties,
            "density": evidence.density,
            "accounts_created": {
                "first": evidence.created_first.isoformat(),
                "last": evidence.created_last.isoformat(),
                "together": evidence.created_together,
            },
            "age_days_at_first_post": None if ages is None else {"min": ages[0], "median": ages[1], "max": ages[2]},
            "bursts": [
                {"start": b.start.isoformat(), "end": b.end.isoformat(), "members": b.members, "posts": b.posts}
                for b in evidence.bursts
            ],
            "burst_count": evidence.burst_count,
        },
    }


def report_json(report: NetworkReport) -> dict[str, Any]:
    """The whole report: `{"networks": [...]}` plus what was searched."""
    return {
        "since": None if report.since is None else report.since.isoformat(),
        "actors": report.actors,
        "posts": report.posts,
        "networks": [network_json(n) for n in report.networks],
    }
