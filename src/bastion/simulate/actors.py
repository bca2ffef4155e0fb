"""The accounts of the simulated platform, kept compact so that large runs stay small in memory.

Only what later draws need is stored per actor (country, language, followers, creation time); the
rest of an actor's record (device, IP, links) is drawn when the record is written, with overrides
from the planted truths (shared devices of a network, the one IP of a campus).

The contact attributes (email, phone, payment fingerprint) are drawn from each actor's own generator,
seeded from its id and creation time, never from the run's shared generators: adding them changed no
other draw, so every figure the simulator produced before stays the same.
"""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bastion.simulate.geography import COUNTRIES, LANGUAGE_INDEX, LANGUAGES
from bastion.simulate.randomness import WeightedChoice
from bastion.simulate.records import Payload
from bastion.simulate.timeline import DAY

ACTOR_PREFIX = "a"
LINK_SITES = ("https://linktr.example/", "https://blog.example/", "https://shop.example/", "https://video.example/@")
VERIFIED_FOLLOWERS = 100_000
# Where ordinary accounts have their email: a few big providers, so an email domain alone ties nobody.
EMAIL_PROVIDERS = ("mail.example", "inbox.example", "post.example", "webmail.example", "fastmail.example")
PAYMENT_SHARE = 0.3  # ordinary accounts with a payment method on file


def actor_id(index: int) -> str:
    """The platform id of actor number `index`."""
    return f"{ACTOR_PREFIX}{index:07d}"


@dataclass(frozen=True)
class ActorOverride:
    """Attributes a planted truth imposes on an actor's record."""

    device_id: str | None = None
    ip: str | None = None
    urls: tuple[str, ...] | None = None
    email_domain: str | None = None
    payment_fingerprint: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class Population:
    """Every actor: the regular population first (ids 0..regular-1), then planted accounts."""

    def __init__(self, rng: random.Random, regular: int) -> None:
        self.regular = regular
        self.country = array("B")
        self.language = array("B")
        self.followers = array("q")
        self.created = array("q")  # seconds from the start of the run; negative = before it
        activity = array("d")
        shares = [(i, c.share) for i, c in enumerate(COUNTRIES)]
        for _ in range(regular):
            country = _pick_index(rng, shares)
            language = _pick_index(rng, [(LANGUAGE_INDEX[code], s) for code, s in COUNTRIES[country].languages])
            followers = int(rng.lognormvariate(4.3, 1.7))
            if rng.random() < 0.003:
                followers *= rng.randint(50, 500)
            self._append(country, language, followers, -_account_age_seconds(rng))
            activity.append(rng.lognormvariate(0.0, 1.1))
        self.activity = activity
        members: list[list[int]] = [[] for _ in COUNTRIES]
        for index in range(regular):
            members[self.country[index]].append(index)
        self.members = [array("q", m) for m in members]
        self._posters = [WeightedChoice(m, [activity[i] for i in m]) if m else None for m in self.members]

    def _append(self, country: int, language: int, followers: int, created: int) -> int:
        self.country.append(country)
        self.language.append(language)
        self.followers.append(followers)
        self.created.append(created)
        return len(self.country) - 1

    def add_planted(self, country: int, language: int, followers: int, created: int) -> int:
        """Add an account a planted truth needs (e.g. a network member); returns its index."""
        return self._append(country, language, followers, created)

    def __len__(self) -> int:
        return len(self.country)

    def pick_poster(self, rng: random.Random, country: int) -> int:
        """A regular actor of `country`, the more active ones more often."""
        posters = self._posters[country]
        if posters is None:
            return rng.randrange(self.regular)
        return posters.draw(rng)

    def pick_anyone(self, rng: random.Random, country: int | None = None) -> int:
        """A regular actor chosen uniformly, within `country` if given (and it has any)."""
        if country is not None and self.members[country]:
            members = self.members[country]
            return members[rng.randrange(len(members))]
        return rng.randrange(self.regular)

    def language_code(self, index: int) -> str:
        """The language an actor writes in."""
        return LANGUAGES[self.language[index]]

    def payload(
        self, rng: random.Random, index: int, at: int, created_iso: str, override: ActorOverride | None
    ) -> Payload:
        """The actor's record, as sent when the simulation reaches second `at`."""
        followers = self.followers[index]
        ident = actor_id(index)
        urls: list[str] = []
        if rng.random() < 0.25:
            urls.append(LINK_SITES[rng.randrange(len(LINK_SITES))] + ident)
        attributes: dict[str, Any] = {
            "followers": followers,
            "following": int(rng.lognormvariate(5.0, 1.0)),
            "account_age_days": max(0, (at - self.created[index]) // DAY),
            "device_id": f"dev-{rng.getrandbits(64):016x}",
            "ip": random_ip(rng),
            "urls": urls,
            "verified": followers >= VERIFIED_FOLLOWERS,
        }
        if override is not None:
            if override.device_id is not None:
                attributes["device_id"] = override.device_id
            if override.ip is not None:
                attributes["ip"] = override.ip
            if override.urls is not None:
                attributes["urls"] = list(override.urls)
            attributes.update(override.extra)
        attributes.update(_contact(ident, self.created[index], override))
        return {
            "id": ident,
            "created_at": created_iso,
            "country": COUNTRIES[self.country[index]].code,
            "language": LANGUAGES[self.language[index]],
            "attributes": attributes,
        }


def _contact(ident: str, created: int, override: ActorOverride | None) -> dict[str, str]:
    """The actor's email, phone and (for some) payment fingerprint, from its own generator."""
    own = random.Random(f"contact/{ident}/{created}")
    domain = EMAIL_PROVIDERS[own.randrange(len(EMAIL_PROVIDERS))]
    found = {"phone": f"+{own.randint(20, 99)} {own.randrange(10**8, 10**9)}"}
    payment = f"pay-{own.getrandbits(48):012x}" if own.random() < PAYMENT_SHARE else None
    if override is not None:
        domain = override.email_domain or domain
        payment = override.payment_fingerprint or payment
    found["email"] = f"user{own.getrandbits(32):08x}@{domain}"
    if payment is not None:
        found["payment_fingerprint"] = payment
    return found


def random_ip(rng: random.Random) -> str:
    """A public-looking IPv4 address."""
    first = rng.choice((23, 31, 41, 45, 62, 77, 81, 89, 102, 110, 139, 154, 177, 181, 186, 187, 189, 197, 200, 201))
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randint(1, 254)}"


def _account_age_seconds(rng: random.Random) -> int:
    # A few brand-new accounts; the rest log-normal around two years, none older than the platform.
    recent = rng.random() < 0.03
    days = rng.uniform(0, 30) if recent else min(5_000.0, math.exp(rng.gauss(math.log(700), 0.9)))
    return int(days * DAY) + rng.randrange(DAY)


def _pick_index(rng: random.Random, options: list[tuple[int, float]]) -> int:
    point = rng.random() * sum(w for _, w in options)
    for index, weight in options:
        point -= weight
        if point < 0:
            return index
    return options[-1][0]
