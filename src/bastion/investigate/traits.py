"""What network detection reads about each actor: its attributes and its posts, as plain values.

Pure. The store reader (`network_reader`) and the benchmark (from a simulated world) both build these, so
the detector never knows where they came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit


class TieKind(StrEnum):
    """The kinds of thing two actors can share. A tie is believed only when two kinds corroborate it."""

    DEVICE = "device"  # the same device id
    ADDRESS = "address"  # the same IP, or the same /24 subnet
    LINK = "link"  # the same URL, or the same domain
    CONTENT = "content"  # posts in the same near-duplicate cluster of text, or near-duplicate images


# Each attribute a shared value can come from, and the kind of tie it makes.
ATTRIBUTE_KIND: dict[str, TieKind] = {
    "device_id": TieKind.DEVICE,
    "ip": TieKind.ADDRESS,
    "subnet": TieKind.ADDRESS,
    "url": TieKind.LINK,
    "domain": TieKind.LINK,
    "text_cluster": TieKind.CONTENT,
    "image": TieKind.CONTENT,
}


@dataclass(frozen=True, slots=True)
class ActorTraits:
    """One actor as the detector sees it: its platform id, when its account was made, and what its record
    names (device ids, IPs, URLs)."""

    actor_id: str
    created_at: datetime
    devices: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()

    def values(self) -> list[tuple[str, str]]:
        """Every (attribute, value) this actor's record shares with whoever else carries it: its devices,
        IPs and their /24 subnets, URLs and their domains."""
        found: set[tuple[str, str]] = set()
        for device in self.devices:
            found.add(("device_id", device))
        for ip in self.ips:
            found.add(("ip", ip))
            subnet = subnet_of(ip)
            if subnet is not None:
                found.add(("subnet", subnet))
        for url in self.urls:
            found.add(("url", url))
            domain = domain_of(url)
            if domain is not None:
                found.add(("domain", domain))
        return sorted(found)


@dataclass(frozen=True, slots=True)
class Post:
    """One content item of an actor, as far as coordination goes: when it was posted, the near-duplicate
    cluster of its text (None when it has none), and its image's PDQ hash (None when it has no image)."""

    actor_id: str
    posted_at: datetime
    text_cluster: str | None = None
    image_pdq: str | None = None


def subnet_of(ip: str) -> str | None:
    """The /24 subnet of an IPv4 address (`a.b.c.0/24`); None for anything else (IPv6 is compared whole)."""
    parts = ip.strip().split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        return None
    return ".".join(parts[:3]) + ".0/24"


def domain_of(url: str) -> str | None:
    """The host of a URL, lower case and without `www.`; None when it has none."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host.removeprefix("www.")
