"""Coordinated networks, and the benign clusters that look like them at first glance.

A network is a set of fresh accounts that share devices, IPs and a campaign link, and post
near-duplicate texts (and images) in tight bursts. Its benign look-alikes share one attribute for
an innocent reason (a campus NAT, an employer's website) but nothing else.

Networks and clusters also share contact attributes (an email domain, a payment fingerprint). Those are
drawn from generators of their own, seeded from the network's id and image hash, so the shared draws of
the run, and every figure they make, stay as they were.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from bastion.simulate.actors import ActorOverride, Population, random_ip
from bastion.simulate.geography import COUNTRY_INDEX, LANGUAGE_INDEX
from bastion.simulate.media import random_pdq
from bastion.simulate.policies import Harm
from bastion.simulate.timeline import DAY, HOUR

BURST_SECONDS = 600
CAMPUS_EMAIL_DOMAIN = "students.state-university.example"
NEWSROOM_EMAIL_DOMAIN = "daily-herald.example"


@dataclass(frozen=True)
class Campaign:
    """What a network pushes: its harm, its home, its content type and its near-duplicate messages."""

    kind: str
    harm: Harm
    country: str
    language: str
    content_type: str
    messages: tuple[str, ...]
    domain: str


CAMPAIGNS: tuple[Campaign, ...] = (
    Campaign(
        "crypto_giveaway",
        Harm.SCAMS,
        "NG",
        "en",
        "post",
        (
            "{brand} is giving away {n}00 USDT to the first {n} followers! Claim before midnight {emoji} {url}",
            "Official {brand} airdrop is LIVE: send 0.1 ETH, get 1 ETH back instantly {emoji} {url}",
        ),
        "claim-airdrop.example",
    ),
    Campaign(
        "election_rumour",
        Harm.ELECTION_MISINFORMATION,
        "MX",
        "es",
        "post",
        (
            "URGENTE: las urnas de {city} ya venían llenas, hay video. Compartan antes de que lo borren {url}",
            "Confirmado: cambiaron {n} mil votos en {city} durante la noche. Que no nos callen {url}",
        ),
        "verdad-electoral.example",
    ),
    Campaign(
        "hate_raid",
        Harm.DEHUMANIZATION,
        "US",
        "en",
        "comment",
        (
            "The {group} are vermin and this town is infested with them. Push them out #{tag}",
            "Another day, more {group} rats crawling into {city}. We know what to do #{tag}",
        ),
        "patriot-front-news.example",
    ),
    Campaign(
        "follow_spam",
        Harm.SPAM,
        "ID",
        "id",
        "comment",
        (
            "Promo gila! Diskon {n}0% cuma hari ini, klik {url} {emoji}",
            "Mau followers {n} ribu? Gratis, cek link di bio {url} {emoji}",
        ),
        "promo-kilat.example",
    ),
    Campaign(
        "pill_shop",
        Harm.DRUGS,
        "GB",
        "en",
        "listing",
        (
            "{drug} {n}mg, no prescription, next-day discreet delivery, order at {url}",
            "Cheap {drug} and more, tracked shipping UK wide, {n} pills free with first order {url}",
        ),
        "uk-meds-direct.example",
    ),
)

_VARIATIONS = ("!!", " 🔥", " #ad", " pls share", " 👇", " RT", "")


@dataclass(frozen=True)
class Network:
    """A planted coordinated network and everything about it the truth file records."""

    id: str
    campaign: Campaign
    members: tuple[int, ...]
    devices: tuple[str, ...]
    ips: tuple[str, ...]
    url: str
    bursts: tuple[int, ...]
    image_pdq: str

    @property
    def email_domain(self) -> str:
        """The throwaway email domain every member signed up with."""
        own = random.Random(f"network-email/{self.id}/{self.image_pdq}")
        return f"{own.getrandbits(32):08x}-mail.example"

    @property
    def payment_fingerprint(self) -> str:
        """The one card behind part of the ring (see `pays`)."""
        own = random.Random(f"network-payment/{self.id}/{self.image_pdq}")
        return f"pay-{own.getrandbits(48):012x}"

    def pays(self, position: int) -> bool:
        """Two members in three pay with the shared card; the rest have their own or none."""
        return position % 3 != 2

    def override_for(self, position: int) -> ActorOverride:
        """The shared attributes of the member at `position`."""
        return ActorOverride(
            device_id=self.devices[position % len(self.devices)],
            ip=self.ips[position % len(self.ips)],
            urls=(self.url,),
            email_domain=self.email_domain,
            payment_fingerprint=self.payment_fingerprint if self.pays(position) else None,
        )


@dataclass(frozen=True)
class BenignCluster:
    """Accounts sharing one attribute for an innocent reason, and otherwise independent."""

    id: str
    kind: str
    members: tuple[int, ...]
    attribute: str
    value: str

    def override(self) -> ActorOverride:
        """What every member's record carries: the shared value, and the email domain of the place."""
        if self.attribute == "ip":
            return ActorOverride(ip=self.value, email_domain=CAMPUS_EMAIL_DOMAIN)
        return ActorOverride(urls=(self.value,), email_domain=NEWSROOM_EMAIL_DOMAIN)


@dataclass(frozen=True)
class AbusiveReporting:
    """A few accounts that mass-report one target's (benign) content."""

    reporters: tuple[int, ...]
    target: int
    reasons: tuple[str, ...]
    # The campaign runs from `start` to `end` (seconds into the run).
    start: int
    end: int


def plan_networks(
    rng: random.Random, population: Population, count: int, sizes: tuple[int, int], bursts: int, seconds: int
) -> tuple[Network, ...]:
    """Create `count` networks: their accounts (added to `population`), shared attributes and bursts."""
    networks: list[Network] = []
    for number, campaign in enumerate(CAMPAIGNS[:count], start=1):
        size = rng.randint(*sizes)
        times = _burst_times(rng, bursts, seconds)
        founded = times[0] - rng.randint(DAY, 3 * DAY)
        country, language = COUNTRY_INDEX[campaign.country], LANGUAGE_INDEX[campaign.language]
        members = tuple(
            population.add_planted(
                country, language, int(rng.lognormvariate(3.0, 0.8)), founded + rng.randrange(2 * HOUR)
            )
            for _ in range(size)
        )
        subnet = random_ip(rng).rsplit(".", 1)[0]
        networks.append(
            Network(
                id=f"net-{number}",
                campaign=campaign,
                members=members,
                devices=tuple(f"dev-{rng.getrandbits(64):016x}" for _ in range(max(2, size // 4))),
                ips=tuple(f"{subnet}.{rng.randint(2, 250)}" for _ in range(rng.randint(2, 3))),
                url=f"https://{campaign.domain}/{rng.getrandbits(24):06x}",
                bursts=times,
                image_pdq=random_pdq(rng),
            )
        )
    return tuple(networks)


def network_message(rng: random.Random, network: Network, render: Callable[[str], str]) -> str:
    """One near-duplicate of the network's message: same skeleton, a small variation.

    `render` fills the skeleton's slots (city, brand, ...) in the campaign's language.
    """
    messages = network.campaign.messages
    # Most posts use the first skeleton; the variation is in the slots and a suffix.
    skeleton = messages[0] if rng.random() < 0.8 else messages[rng.randrange(len(messages))]
    text = render(skeleton.replace("{url}", network.url))
    return text + _VARIATIONS[rng.randrange(len(_VARIATIONS))]


def plan_benign_clusters(
    rng: random.Random, population: Population, campus_size: int, newsroom_size: int
) -> tuple[BenignCluster, ...]:
    """A campus (many students behind one NAT IP) and a newsroom (staff linking their employer's site)."""
    campus_pool = _active_members(population, COUNTRY_INDEX["US"], campus_size * 3)
    campus = tuple(sorted(rng.sample(campus_pool, min(campus_size, len(campus_pool)))))
    taken = set(campus)
    newsroom_pool = [i for i in _active_members(population, COUNTRY_INDEX["GB"], newsroom_size * 3) if i not in taken]
    newsroom = tuple(sorted(rng.sample(newsroom_pool, min(newsroom_size, len(newsroom_pool)))))
    campus_ip = f"128.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randint(2, 250)}"
    return (
        BenignCluster("campus-1", "campus", campus, "ip", campus_ip),
        BenignCluster("newsroom-1", "newsroom", newsroom, "urls", "https://daily-herald.example/staff"),
    )


def plan_abusive_reporting(
    rng: random.Random,
    population: Population,
    size: int,
    exclude: set[int],
    reasons: tuple[str, ...],
    seconds: int,
) -> AbusiveReporting:
    """A busy Brazilian account whose posts `size` others report, all of them, for days on end."""
    country = COUNTRY_INDEX["BR"]
    target = next(i for i in _active_members(population, country, len(exclude) + 1) if i not in exclude)
    others = [i for i in population.members[country] if i != target and i not in exclude]
    reporters = tuple(sorted(rng.sample(others, size)))
    start = int(seconds * rng.uniform(0.15, 0.35))
    return AbusiveReporting(reporters, target, reasons, start, start + int(seconds * 0.3))


def _active_members(population: Population, country: int, limit: int) -> list[int]:
    """The most active regular actors of a country, most active first."""
    members = list(population.members[country])
    members.sort(key=lambda i: (-population.activity[i], i))
    return members[:limit]


def _burst_times(rng: random.Random, count: int, seconds: int) -> tuple[int, ...]:
    # Bursts spread over the run, at least an hour apart, none in the last tenth (so views can follow).
    slot = int(seconds * 0.85) // count
    start = int(seconds * 0.05)
    return tuple(start + k * slot + rng.randrange(max(1, slot - HOUR)) for k in range(count))
