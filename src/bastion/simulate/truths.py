"""Planting the ground truth: harm spikes, emerging terms, and the plan that ties all truths together."""

from __future__ import annotations

import random
from dataclasses import dataclass

from bastion.simulate.actors import ActorOverride, Population
from bastion.simulate.corpus import Corpus
from bastion.simulate.geography import COUNTRIES, COUNTRY_INDEX
from bastion.simulate.media import random_pdq
from bastion.simulate.networks import (
    AbusiveReporting,
    BenignCluster,
    Network,
    plan_abusive_reporting,
    plan_benign_clusters,
    plan_networks,
)
from bastion.simulate.policies import FAMILIES, Harm, policy_id
from bastion.simulate.spec import SimulationSpec
from bastion.simulate.timeline import DAY, HOUR

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
# (harm family, language) of the emerging coded words.
TERM_SEGMENTS: tuple[tuple[Harm, str], ...] = ((Harm.HATE, "en"), (Harm.HATE, "es"))
_ONSETS = ("b", "d", "g", "k", "v", "z", "tr", "gr", "sk", "pl", "br", "dr")
_NUCLEI = ("a", "e", "i", "o", "u", "ai", "oo")
_CODAS = ("", "n", "k", "x", "sh", "rk", "nd")
MEME_FAMILIES = 40
ADULT_FAMILIES = 20


@dataclass(frozen=True)
class Spike:
    """A window in which one segment's violating rate for one harm family is multiplied by `factor`."""

    harm: Harm
    country: str
    language: str
    start: int
    end: int
    factor: float


@dataclass(frozen=True)
class EmergingTerm:
    """A new coded word that violating posts of one harm and language start using at `first_seen`."""

    term: str
    harm: Harm
    language: str
    first_seen: int
    # Seconds over which the share of such posts carrying the term grows to its plateau.
    ramp: int


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
        spikes=plan_spikes(rng, profile.spikes, seconds),
        terms=plan_terms(rng, corpus, seconds),
        networks=networks,
        benign_clusters=clusters,
        abusive=abusive,
        bias=bias,
        meme_hashes=tuple(random_pdq(rng) for _ in range(MEME_FAMILIES)),
        adult_hashes=tuple(random_pdq(rng) for _ in range(ADULT_FAMILIES)),
    )


def plan_spikes(rng: random.Random, count: int, seconds: int) -> tuple[Spike, ...]:
    """`count` spikes in distinct segments, each lasting hours to days, with a factor of 3 to 10."""
    spikes: list[Spike] = []
    for harm, country, language in rng.sample(SPIKE_SEGMENTS, count):
        length = int(min(MAX_SPIKE_SECONDS, max(MIN_SPIKE_SECONDS, rng.uniform(0.08, 0.18) * seconds)))
        length = min(length, seconds // 2)
        earliest, latest = int(seconds * 0.1), int(seconds * 0.9) - length
        start = rng.randint(earliest, max(earliest, latest))
        spikes.append(Spike(harm, country, language, start, start + length, round(rng.uniform(3.0, 10.0), 1)))
    return tuple(sorted(spikes, key=lambda s: s.start))


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
