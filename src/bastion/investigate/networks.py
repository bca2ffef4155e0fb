"""Coordinated networks: clusters of actors tied by what they share, scored by how unusual the sharing is.

Pure: actors and posts in (see `traits`), networks out. Why it is built this way:

- **A shared value weighs 1/(n-1)** when n actors carry it: each value lends each of its carriers one unit
  of evidence, spread over the others. Two accounts on one device are tied by 1; a campus NAT IP that 150
  students share ties each pair of them by 1/149.
- **A tie needs two kinds.** Two actors are linked only when they share values of at least `min_kinds`
  kinds (device, address, link, content; see `TieKind`). Ordinary look-alikes share one thing for one
  innocent reason (the campus's IP, the newsroom's website) and nothing else, so they are never linked,
  however many of them there are. A ring behind such an IP is still found: its members share more.
- **Content ties are co-timed, beyond chance.** Posts in one near-duplicate cluster (text, or an image a
  few bits apart) tie their authors when both posted it within `burst_window` of each other on
  `min_occasions` separate occasions, more often than two accounts posting that often would meet by
  chance (see `co_timed_pairs`): coordination posts in bursts, again and again.
- **Background is ignored.** A value carried by more than `max_carriers` actors (a link hub, a mobile
  carrier's gateway, a meme) ties nobody: its weight is negligible and its pairs would cost n².
- **Clusters** are the connected components of the corroborated graph (networkx), of `min_members` or more.
- **Score.** For each kind, the surprise of its most over-represented value: -log10 of the chance that so
  many of k actors drawn at random would carry it (hypergeometric). Account creation counts as one more
  kind: -log10 of the chance that so many of them were created within `creation_window` of each other.
  The score is the sum over kinds *minus the strongest one*: what corroborates the strongest tie. One
  attribute alone, however rare, scores 0.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import combinations

import networkx as nx

from bastion.errors import FieldError, InvalidInput
from bastion.investigate.images import image_clusters
from bastion.investigate.surprise import binomial_surprise, poisson_surprise, shared_value_surprise
from bastion.investigate.traits import ATTRIBUTE_KIND, ActorTraits, Post, TieKind

KINDS = tuple(TieKind)
# The attributes whose exact values tie two actors. A /24 subnet or a domain is shared by chance far more
# often (a mobile carrier's block, a link hub); they are listed as evidence of a network but tie nobody.
TIE_ATTRIBUTES = frozenset({"device_id", "ip", "url", "text_cluster", "image"})
CONTENT_ATTRIBUTES = frozenset({"text_cluster", "image"})
CREATION = "creation"
MAX_SHARED_LISTED = 25
MAX_BURSTS_LISTED = 20


@dataclass(frozen=True)
class DetectionSettings:
    """The knobs of network detection; the defaults are what `bastion investigate networks` uses."""

    min_kinds: int = 2
    max_carriers: int = 1_000
    burst_window: timedelta = timedelta(minutes=10)
    creation_window: timedelta = timedelta(hours=24)
    min_occasions: int = 2
    min_timing_surprise: float = 3.0
    min_members: int = 3
    min_score: float = 6.0

    def __post_init__(self) -> None:
        errors: list[FieldError] = []
        if not 1 <= self.min_kinds <= len(KINDS):
            errors.append(FieldError("min_kinds", f"must be between 1 and {len(KINDS)}, got {self.min_kinds}"))
        if self.max_carriers < 2:
            errors.append(FieldError("max_carriers", f"must be 2 or more, got {self.max_carriers}"))
        if self.burst_window <= timedelta(0):
            errors.append(FieldError("burst_window", "must be longer than zero"))
        if self.creation_window <= timedelta(0):
            errors.append(FieldError("creation_window", "must be longer than zero"))
        if self.min_occasions < 1:
            errors.append(FieldError("min_occasions", f"must be 1 or more, got {self.min_occasions}"))
        if not self.min_timing_surprise >= 0:
            errors.append(FieldError("min_timing_surprise", f"must be zero or more, got {self.min_timing_surprise}"))
        if self.min_members < 2:
            errors.append(FieldError("min_members", f"must be 2 or more, got {self.min_members}"))
        if not self.min_score >= 0:
            errors.append(FieldError("min_score", f"must be zero or more, got {self.min_score}"))
        if errors:
            raise InvalidInput("invalid network detection settings", errors)


@dataclass(frozen=True)
class SharedValue:
    """A value members of a network share: how many members carry it, and how many actors in all."""

    attribute: str
    value: str
    kind: TieKind
    members: int
    actors: int


@dataclass(frozen=True)
class Burst:
    """Near-duplicate posts of several members within `burst_window` of one another."""

    start: datetime
    end: datetime
    members: int
    posts: int


@dataclass(frozen=True)
class NetworkEvidence:
    """Why a cluster is reported: the surprise of each kind of sharing (and of account creation), the ties
    inside it, when its accounts were made and how old they were when they first posted, and its bursts."""

    surprise: dict[str, float]
    ties: int
    density: float
    created_first: datetime
    created_last: datetime
    created_together: int  # members created within the creation window of one another (its busiest one)
    age_days_at_first_post: tuple[float, float, float] | None  # min, median, max; None without posts
    bursts: tuple[Burst, ...]
    burst_count: int


@dataclass(frozen=True)
class Network:
    """A detected network: a stable id (from its members), its members' platform ids, what they share, its
    score, and the evidence behind the score."""

    id: str
    members: tuple[str, ...]
    shared: tuple[SharedValue, ...]
    score: float
    evidence: NetworkEvidence


@dataclass
class _Index:
    """Actors by position, who carries each value, and each content value's posts."""

    actors: Sequence[ActorTraits]
    carriers: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    values_of: list[list[tuple[str, str]]] = field(default_factory=list)
    posts_of_value: dict[tuple[str, str], list[tuple[float, int]]] = field(default_factory=dict)
    posts_of_actor: dict[int, list[tuple[float, tuple[str, str] | None]]] = field(default_factory=dict)
    creations: list[float] = field(default_factory=list)  # every actor's account creation, sorted


def detect_networks(
    actors: Sequence[ActorTraits], posts: Iterable[Post], settings: DetectionSettings | None = None
) -> list[Network]:
    """The networks among `actors`, the highest score first. `posts` by actors not in `actors` are ignored."""
    settings = settings or DetectionSettings()
    index = _build_index(actors, posts)
    graph = _tie_graph(index, settings)
    networks: list[Network] = []
    for component in nx.connected_components(graph):
        if len(component) < settings.min_members:
            continue
        network = _describe(index, graph.subgraph(component), settings)
        if network.score >= settings.min_score:
            networks.append(network)
    networks.sort(key=lambda n: (-n.score, n.id))
    return networks


def _build_index(actors: Sequence[ActorTraits], posts: Iterable[Post]) -> _Index:
    index = _Index(actors)
    position: dict[str, int] = {}
    for number, actor in enumerate(actors):
        if actor.actor_id in position:
            raise InvalidInput("an actor is listed twice", [FieldError(f"actors[{number}]", actor.actor_id)])
        position[actor.actor_id] = number
        values = actor.values()
        index.values_of.append(values)
        for value in values:
            index.carriers.setdefault(value, []).append(number)
    index.creations = sorted(a.created_at.timestamp() for a in actors)
    kept = [p for p in posts if p.actor_id in position]
    images = image_clusters(p.image_pdq for p in kept if p.image_pdq is not None)
    for post in kept:
        author = position[post.actor_id]
        at = post.posted_at.timestamp()
        content: list[tuple[str, str]] = []
        if post.text_cluster is not None:
            content.append(("text_cluster", post.text_cluster))
        if post.image_pdq is not None and post.image_pdq in images:
            content.append(("image", images[post.image_pdq]))
        mine = index.posts_of_actor.setdefault(author, [])
        if not content:
            mine.append((at, None))
        for value in content:
            index.posts_of_value.setdefault(value, []).append((at, author))
            mine.append((at, value))
    for value, found in index.posts_of_value.items():
        authors = sorted({a for _, a in found})
        if len(authors) >= 2:
            index.carriers[value] = authors
            for author in authors:
                index.values_of[author].append(value)
    return index


def _tie_graph(index: _Index, settings: DetectionSettings) -> nx.Graph:
    """The corroborated ties: an edge between two actors who share values of `min_kinds` kinds or more,
    weighted by the sum over kinds of the heaviest shared value's 1/(n-1)."""
    count = len(index.actors)
    pairs: dict[int, list[float]] = {}
    slot = {kind: KINDS.index(kind) for kind in KINDS}
    for value, carriers in index.carriers.items():
        n = len(carriers)
        if n < 2 or n > settings.max_carriers or value[0] not in TIE_ATTRIBUTES:
            continue
        weight = 1.0 / (n - 1)
        if value[0] in CONTENT_ATTRIBUTES:
            for a, b in co_timed_pairs(index.posts_of_value[value], settings):
                _tie(pairs, a * count + b, slot[TieKind.CONTENT], weight)
            continue
        where = slot[ATTRIBUTE_KIND[value[0]]]
        for a, b in combinations(carriers, 2):
            _tie(pairs, a * count + b, where, weight)
    graph = nx.Graph()
    for key, weights in pairs.items():
        kinds = sum(1 for w in weights if w > 0)
        if kinds >= settings.min_kinds:
            a, b = divmod(key, count)
            graph.add_edge(a, b, weight=sum(weights), kinds=kinds)
    return graph


def _tie(pairs: dict[int, list[float]], key: int, where: int, weight: float) -> None:
    weights = pairs.get(key)
    if weights is None:
        weights = pairs[key] = [0.0] * len(KINDS)
    if weight > weights[where]:
        weights[where] = weight


def co_timed_pairs(found: Sequence[tuple[float, int]], settings: DetectionSettings) -> list[tuple[int, int]]:
    """The pairs of authors (lower position first) whom one near-duplicate's posts tie: both posted it within
    the burst window of each other on `min_occasions` separate occasions (more than a window apart), and
    more often than chance explains. Chance: had the two posted their posts of it at random moments over
    the time it was posted at all, they would meet about p_a * p_b * 2 * window / span times (Poisson); a
    tie needs occasions that chance gives less than once in 10^`min_timing_surprise`. Two busy accounts
    posting a popular text all day meet often; a burst of fresh accounts does not meet by chance."""
    window = settings.burst_window.total_seconds()
    ordered = sorted(found)
    span = max(window, ordered[-1][0] - ordered[0][0]) if ordered else window
    posted: dict[int, int] = {}
    for _, author in ordered:
        posted[author] = posted.get(author, 0) + 1
    occasions: dict[tuple[int, int], tuple[int, float]] = {}
    for i, (at, a) in enumerate(ordered):
        for later, b in ordered[i + 1 :]:
            if later - at > window:
                break
            if a == b:
                continue
            pair = (a, b) if a < b else (b, a)
            times, last = occasions.get(pair, (0, -math.inf))
            if at - last > window:
                occasions[pair] = (times + 1, at)
    tied: list[tuple[int, int]] = []
    for (a, b), (times, _) in occasions.items():
        if times < settings.min_occasions:
            continue
        expected = posted[a] * posted[b] * 2 * window / span
        if poisson_surprise(expected, times) >= settings.min_timing_surprise:
            tied.append((a, b))
    return tied


def _describe(index: _Index, graph: nx.Graph, settings: DetectionSettings) -> Network:
    members = sorted(graph.nodes)
    size, population = len(members), len(index.actors)
    counts: dict[tuple[str, str], int] = {}
    for member in members:
        for value in index.values_of[member]:
            counts[value] = counts.get(value, 0) + 1
    shared: list[SharedValue] = []
    surprise = dict.fromkeys([k.value for k in KINDS], 0.0)
    for value, carrying in counts.items():
        if carrying < 2:
            continue
        kind = ATTRIBUTE_KIND[value[0]]
        actors = len(index.carriers[value])
        shared.append(SharedValue(value[0], value[1], kind, carrying, actors))
        surprise[kind.value] = max(surprise[kind.value], shared_value_surprise(population, actors, size, carrying))
    created = sorted(index.actors[m].created_at for m in members)
    together, chance = _creation_burst(index, created, settings.creation_window)
    surprise[CREATION] = binomial_surprise(size, together, chance)
    surprise = {kind: round(value, 2) for kind, value in surprise.items()}
    strongest = max(surprise.values())
    score = round(sum(surprise.values()) - strongest, 2)
    bursts = _bursts(index, members, {v for v in counts if counts[v] >= 2}, settings)
    shared.sort(key=lambda s: (KINDS.index(s.kind), -s.members, s.actors, s.attribute, s.value))
    ids = tuple(sorted(index.actors[m].actor_id for m in members))
    evidence = NetworkEvidence(
        surprise=surprise,
        ties=graph.number_of_edges(),
        density=round(nx.density(graph), 3),
        created_first=created[0],
        created_last=created[-1],
        created_together=together,
        age_days_at_first_post=_ages(index, members),
        bursts=tuple(bursts[:MAX_BURSTS_LISTED]),
        burst_count=len(bursts),
    )
    return Network(_network_id(ids), ids, tuple(shared[:MAX_SHARED_LISTED]), score, evidence)


def _network_id(members: Sequence[str]) -> str:
    digest = hashlib.sha256("\n".join(members).encode("utf-8")).hexdigest()
    return f"network-{digest[:12]}"


def _creation_burst(index: _Index, created: list[datetime], window: timedelta) -> tuple[int, float]:
    """The most members created within `window` of the first of them, and the share of all actors created
    in that same stretch of time (the chance that any one actor was)."""
    best, best_start = 0, created[0]
    for i, start in enumerate(created):
        inside = bisect.bisect_right(created, start + window) - i
        if inside > best:
            best, best_start = inside, start
    everyone = index.creations
    low = bisect.bisect_left(everyone, best_start.timestamp())
    high = bisect.bisect_right(everyone, (best_start + window).timestamp())
    return best, (high - low) / len(everyone)


def _bursts(
    index: _Index, members: list[int], shared: set[tuple[str, str]], settings: DetectionSettings
) -> list[Burst]:
    """Members' posts of shared near-duplicates, cut where the gap exceeds the burst window; the stretches
    with posts of `min_members` members or more."""
    timeline = sorted(
        {
            (at, member)
            for member in members
            for at, value in index.posts_of_actor.get(member, [])
            if value is not None and value in shared
        }
    )
    window = settings.burst_window.total_seconds()
    found: list[Burst] = []
    start = 0
    for i in range(1, len(timeline) + 1):
        if i == len(timeline) or timeline[i][0] - timeline[i - 1][0] > window:
            stretch = timeline[start:i]
            authors = {m for _, m in stretch}
            if len(authors) >= settings.min_members:
                first, last = stretch[0][0], stretch[-1][0]
                found.append(Burst(_moment(first), _moment(last), len(authors), len(stretch)))
            start = i
    return found


def _moment(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def _ages(index: _Index, members: list[int]) -> tuple[float, float, float] | None:
    ages = []
    for member in members:
        posted = index.posts_of_actor.get(member)
        if posted:
            first = min(at for at, _ in posted)
            ages.append(max(0.0, (first - index.actors[member].created_at.timestamp()) / 86_400))
    if not ages:
        return None
    return round(min(ages), 2), round(statistics.median(ages), 2), round(max(ages), 2)
