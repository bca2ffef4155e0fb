"""Planting the ground truth: harm spikes, emerging terms, and the plan that ties all truths together."""

from __future__ import annotations

import random
from dataclasses import dataclass

from bastion.simulate.actors import ActorOverride, Population
from bastion.simulate.corpus import Corpus
from bastion.simulate.geography import COUNTRIES, COUNTRY_INDEX, ENGLISH_SWITCH, Country
from bastion.simulate.media import random_pdq
from bastion.simulate.networks import (
    AbusiveReporting,
    BenignCluster,
    Network,
    plan_abusive_reporting,
    plan_benign_clusters,
    plan_networks,
)
from bastion.simulate.policies import FAMILIES, HARMS, Harm, policy_id
from bastion.simulate.spec import SimulationSpec
from bastion.simulate.timeline import DAY, HOUR, hourly_volume

# Segments big enough for a spike to show even at small scale: (harm family, country, language).
SPIKE_SEGMENTS: tuple[tuple[Harm, str, str], ...] = (
    (Harm.HATE, "US", "en"),
    (Harm.SPAM, "BR", "pt"),
    (Harm.HARASSMENT, "US", "en"),
    (Harm.SPAM, "IN", "hi"),
    (Harm.SPAM, "ID", "id"),
    (Harm.HATE, "GB", "en"),
)
MIN_SPIKE_SECONDS = 3 * HOUR
MAX_SPIKE_SECONDS = 4 * DAY
# A real harm event is dozens of posts at least, whatever the platform's size: a spike adds at least
# this many violating posts to its segment (more when its factor asks for more).
MIN_SPIKE_ITEMS = 40
# (harm family, language) of the emerging coded words.
TERM_SEGMENTS: tuple[tuple[Harm, str], ...] = ((Harm.HATE, "en"), (Harm.HATE, "es"))
# A coded word that catches on is used by dozens of posts at least: besides the segment's own violating
# posts that take it up, this many violating posts carrying it are planted over its rise.
TERM_POSTS = 100
# Posts of a planted event (a spike's, a coded word's) are shared while the event lasts: each reaches this
# multiple of a typical post's audience on the platform (`views.typical_audience`). An event is many posts
# that each travel a little further than usual, not a few that go viral: tied to a typical post, its views
# stay in proportion to the platform's, and a small platform's prevalence is not swamped by a few dozen
# planted posts (a fixed 10x of each author's heavy-tailed reach made hate speech 34 % of a small
# platform's views).
EVENT_REACH = 1.5
# Those posts aim at people who report them (the group a coded word insults, the target of a harassment
# wave, the users a spam wave floods): a viewer of one reports it this many times as often as a viewer of
# an ordinary violating post does (about one in 50 for hate speech, one in 15 for harassment). Reach alone
# would hide a small platform's events from review: at a typical audience, 100 posts of a Spanish coded
# word drew three reports, and no rule reads Spanish. More would make most reported items violating
# (40x: two thirds of them), which no platform sees.
EVENT_REPORTING = 10.0
_ONSETS = ("b", "d", "g", "k", "v", "z", "tr", "gr", "sk", "pl", "br", "dr")
_NUCLEI = ("a", "e", "i", "o", "u", "ai", "oo")
_CODAS = ("", "n", "k", "x", "sh", "rk", "nd")
MEME_FAMILIES = 40
ADULT_FAMILIES = 20


@dataclass(frozen=True)
class Spike:
    """A window in which `items` violating posts of one harm family are added to one segment.

    `expected` is the segment's own violating posts of that family expected in the window; `factor`, the
    planned multiple of it: (expected + items) / expected. `items` is (factor - 1) x expected, and at
    least `MIN_SPIKE_ITEMS`."""

    harm: Harm
    country: str
    language: str
    start: int
    end: int
    factor: float
    items: int
    expected: float


@dataclass(frozen=True)
class EmergingTerm:
    """A new coded word that violating posts of one harm and language start using at `first_seen`."""

    term: str
    harm: Harm
    language: str
    first_seen: int
    # Seconds over which the share of such posts carrying the term grows to its plateau.
    ramp: int
    # Violating posts carrying the term planted from `first_seen` on (besides the segment's own).
    posts: int = TERM_POSTS


@dataclass(frozen=True)
class Plan:
    """Every planted truth of one simulation, fixed before the first record is written."""

    spikes: tuple[Spike, ...]
    terms: tuple[EmergingTerm, ...]
    networks: tuple[Network, ...]
    benign_clusters: tuple[BenignCluster, ...]
    abusive: AbusiveReporting
    # Per (country index, harm family): how much more or less common the harm is there than the base rate.
    bias: dict[tuple[int, Harm], float]
    meme_hashes: tuple[str, ...]
    adult_hashes: tuple[str, ...]

    def overrides(self) -> dict[int, ActorOverride]:
        """Attributes the planted truths impose on actors' records, by actor index."""
        found: dict[int, ActorOverride] = {}
        for cluster in self.benign_clusters:
            for member in cluster.members:
                found[member] = cluster.override()
        for network in self.networks:
            for position, member in enumerate(network.members):
                found[member] = network.override_for(position)
        return found


def plan_truths(spec: SimulationSpec, rng: random.Random, population: Population, corpus: Corpus) -> Plan:
    """Decide every planted truth of the run. Adds the networks' accounts to `population`."""
    profile = spec.profile
    seconds = spec.seconds
    clusters = plan_benign_clusters(rng, population, profile.campus_members, profile.newsroom_members)
    taken = {m for c in clusters for m in c.members}
    reasons = (policy_id(Harm.HATE), policy_id(Harm.HARASSMENT), policy_id(Harm.SPAM), "this account is fake")
    abusive = plan_abusive_reporting(rng, population, profile.abusive_reporters, taken, reasons, seconds)
    networks = plan_networks(
        rng, population, profile.networks, profile.network_members, profile.network_bursts, seconds
    )
    bias = {(country, harm): round(rng.uniform(0.7, 1.4), 3) for country in range(len(COUNTRIES)) for harm in FAMILIES}
    # Spike segments keep the base rate, so that the factor is the only change in them.
    for harm, country, _ in SPIKE_SEGMENTS:
        bias[(COUNTRY_INDEX[country], harm)] = 1.0
    return Plan(
        spikes=plan_spikes(rng, profile.spikes, spec),
        terms=plan_terms(rng, corpus, seconds),
        networks=networks,
        benign_clusters=clusters,
        abusive=abusive,
        bias=bias,
        meme_hashes=tuple(random_pdq(rng) for _ in range(MEME_FAMILIES)),
        adult_hashes=tuple(random_pdq(rng) for _ in range(ADULT_FAMILIES)),
    )


def plan_spikes(rng: random.Random, count: int, spec: SimulationSpec) -> tuple[Spike, ...]:
    """`count` spikes in distinct segments, each lasting hours to days, adding 2 to 9 times the segment's
    expected violating posts of the harm in the window, and at least `MIN_SPIKE_ITEMS`."""
    seconds = spec.seconds
    volume = hourly_volume(spec.start, spec.days * 24, spec.profile.content_items)
    spikes: list[Spike] = []
    for harm, country, language in rng.sample(SPIKE_SEGMENTS, count):
        length = int(min(MAX_SPIKE_SECONDS, max(MIN_SPIKE_SECONDS, rng.uniform(0.08, 0.18) * seconds)))
        length = min(length, seconds // 2)
        earliest, latest = int(seconds * 0.1), int(seconds * 0.9) - length
        start = rng.randint(earliest, max(earliest, latest))
        end = start + length
        index = COUNTRY_INDEX[country]
        posts = sum(volume[index][start // HOUR : -(-end // HOUR)])
        expected = posts * language_share(COUNTRIES[index], language) * HARMS[harm].rate
        factor = rng.uniform(3.0, 10.0)
        items = max(MIN_SPIKE_ITEMS, round((factor - 1.0) * expected))
        factor = (expected + items) / expected if expected > 0 else float(items)
        spikes.append(Spike(harm, country, language, start, end, round(factor, 1), items, round(expected, 2)))
    return tuple(sorted(spikes, key=lambda s: s.start))


def language_share(country: Country, language: str) -> float:
    """The expected share of a country's posts written in `language` (non-English speakers sometimes
    write English)."""
    share = 0.0
    for spoken, part in country.languages:
        native = part if spoken == "en" else part * (1 - ENGLISH_SWITCH)
        share += native if spoken == language else 0.0
        share += part - native if language == "en" else 0.0
    return share


def plan_terms(rng: random.Random, corpus: Corpus, seconds: int) -> tuple[EmergingTerm, ...]:
    """One new coded word per term segment, first seen between 35 % and 55 % into the run."""
    known = corpus.vocabulary()
    terms: list[EmergingTerm] = []
    for harm, language in TERM_SEGMENTS:
        word = _new_word(rng)
        while any(word in k for k in known) or any(word == t.term for t in terms):
            word = _new_word(rng)
        first_seen = int(rng.uniform(0.35, 0.55) * seconds)
        terms.append(EmergingTerm(word, harm, language, first_seen, max(HOUR, (seconds - first_seen) // 3)))
    return tuple(terms)


def _new_word(rng: random.Random) -> str:
    syllables = 3
    parts = [rng.choice(_ONSETS) + rng.choice(_NUCLEI) for _ in range(syllables)]
    return "".join(parts) + rng.choice(_CODAS)
