"""Network detection, pure: hand-made platforms with a campus, a newsroom, rings, and ordinary people."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bastion.errors import InvalidInput
from bastion.investigate.networks import DetectionSettings, detect_networks
from bastion.investigate.traits import ActorTraits, Post, TieKind, domain_of, subnet_of

T0 = datetime(2026, 11, 1, tzinfo=UTC)
CAMPUS_IP = "128.10.20.30"
NEWSROOM = "https://daily-herald.example/staff"
POPULAR = "popular-template"  # a near-duplicate cluster everyone posts into now and then


class Platform:
    """A population of ordinary actors, each with their own device and IP, posting a popular template at
    random times; planted groups are added on top."""

    def __init__(self, seed: int = 7, ordinary: int = 400) -> None:
        self.rng = random.Random(seed)
        self.actors: list[ActorTraits] = []
        self.posts: list[Post] = []
        for number in range(ordinary):
            self.actors.append(self._ordinary(f"u{number:04d}"))

    def _ordinary(self, actor_id: str, **override: object) -> ActorTraits:
        rng = self.rng
        actor = ActorTraits(
            actor_id,
            T0 - timedelta(days=rng.uniform(30, 2000)),
            devices=(f"dev-{rng.getrandbits(48):012x}",),
            ips=(f"{rng.randint(23, 200)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randint(1, 254)}",),
            urls=(f"https://linktr.example/{actor_id}",) if rng.random() < 0.3 else (),
        )
        actor = replace(actor, **override)  # type: ignore[arg-type]
        for _ in range(rng.randint(0, 6)):
            at = T0 + timedelta(seconds=rng.randrange(14 * 86_400))
            self.posts.append(Post(actor_id, at, POPULAR if rng.random() < 0.5 else None))
        return actor

    def campus(self, size: int = 100) -> list[str]:
        """`size` ordinary students behind one NAT IP."""
        ids = [f"student{n:03d}" for n in range(size)]
        self.actors.extend(self._ordinary(i, ips=(CAMPUS_IP,)) for i in ids)
        return ids

    def newsroom(self, size: int = 10) -> list[str]:
        """`size` journalists whose profiles link their employer's site."""
        ids = [f"staff{n:02d}" for n in range(size)]
        self.actors.extend(self._ordinary(i, urls=(NEWSROOM,)) for i in ids)
        return ids

    def ring(
        self, name: str, size: int = 8, *, ips: tuple[str, ...] | None = None, bursts: int = 3, burst_seconds: int = 600
    ) -> list[str]:
        """Fresh accounts made within hours, sharing a few devices, IPs and a campaign link, posting one
        near-duplicate message in `bursts` tight bursts."""
        rng = self.rng
        founded = T0 + timedelta(days=2)
        devices = tuple(f"dev-{name}-{n}" for n in range(max(2, size // 4)))
        addresses = ips or tuple(f"201.5.6.{n}" for n in (11, 12))
        ids = [f"{name}{n:02d}" for n in range(size)]
        for position, actor_id in enumerate(ids):
            self.actors.append(
                ActorTraits(
                    actor_id,
                    founded + timedelta(seconds=rng.randrange(7200)),
                    devices=(devices[position % len(devices)],),
                    ips=(addresses[position % len(addresses)],),
                    urls=(f"https://{name}.example/claim",),
                )
            )
        for burst in range(bursts):
            start = founded + timedelta(days=1 + 3 * burst)
            for actor_id in ids:
                at = start + timedelta(seconds=rng.randrange(burst_seconds))
                self.posts.append(Post(actor_id, at, f"{name}-message"))
        return ids

    def detect(self, **settings: object) -> list[tuple[str, ...]]:
        found = detect_networks(self.actors, self.posts, DetectionSettings(**settings))  # type: ignore[arg-type]
        return [n.members for n in found]


def test_a_campus_behind_one_ip_is_not_a_network() -> None:
    platform = Platform()
    platform.campus(100)
    assert platform.detect() == []


def test_busy_students_meeting_in_a_popular_text_by_chance_are_not_a_network() -> None:
    """Students behind the campus IP who each post a popular text sixty times a fortnight meet within ten
    minutes of each other now and then: chance explains it, so the text does not tie them."""
    platform = Platform()
    students = platform.campus(40)
    rng = random.Random(11)
    for student in students:
        for _ in range(60):
            platform.posts.append(Post(student, T0 + timedelta(seconds=rng.randrange(14 * 86_400)), POPULAR))
    assert platform.detect() == []
    # Counting the meetings without asking chance would have tied them.
    assert platform.detect(min_timing_surprise=0) != []


def test_a_newsroom_linking_its_employer_is_not_a_network() -> None:
    platform = Platform()
    platform.newsroom(10)
    assert platform.detect() == []


def test_a_ring_is_found_whole_and_alone() -> None:
    platform = Platform()
    platform.campus(60)
    platform.newsroom(8)
    ring = platform.ring("scam", 8)
    found = detect_networks(platform.actors, platform.posts)
    assert [n.members for n in found] == [tuple(sorted(ring))]
    network = found[0]
    assert network.id.startswith("network-")
    assert network.evidence.burst_count == 3
    assert network.evidence.created_together == 8
    assert network.evidence.age_days_at_first_post is not None and network.evidence.age_days_at_first_post[2] < 2
    kinds = {s.kind for s in network.shared}
    assert kinds == set(TieKind)
    assert next(s for s in network.shared if s.attribute == "url").members == 8
    assert all(network.evidence.surprise[k] > 3 for k in ("device", "address", "link", "content", "creation"))


def test_a_ring_hiding_behind_the_campus_ip_is_found_without_the_students() -> None:
    platform = Platform()
    students = platform.campus(100)
    ring = platform.ring("raid", 10, ips=(CAMPUS_IP,))
    found = platform.detect()
    assert found == [tuple(sorted(ring))]
    assert not set(found[0]) & set(students)


def test_two_rings_are_two_networks_with_stable_ids() -> None:
    platform = Platform()
    first, second = platform.ring("alpha", 6), platform.ring("beta", 9)
    found = detect_networks(platform.actors, platform.posts)
    assert sorted(n.members for n in found) == sorted([tuple(sorted(first)), tuple(sorted(second))])
    again = detect_networks(list(reversed(platform.actors)), list(reversed(platform.posts)))
    assert {n.id for n in found} == {n.id for n in again}


def test_near_duplicates_tie_only_when_posted_together_more_than_once() -> None:
    """Accounts sharing only a link and a message: a tie when they post it in bursts, not when they post it
    at scattered times, nor in one burst alone."""
    for bursts, burst_seconds, expected in ((3, 600, 1), (3, 4 * 86_400, 0), (1, 600, 0)):
        platform = Platform()
        ids = platform.ring("copy", 6, bursts=bursts, burst_seconds=burst_seconds)
        # Each on its own device and IP: the link and the posts are all they share.
        platform.actors = [
            replace(a, devices=(f"own-{a.actor_id}",), ips=(f"77.1.{n}.9",)) if a.actor_id in ids else a
            for n, a in enumerate(platform.actors)
        ]
        assert len(platform.detect()) == expected, (bursts, burst_seconds)


def test_one_attribute_alone_scores_nothing_even_when_ties_need_one_kind() -> None:
    platform = Platform()
    platform.campus(50)
    found = detect_networks(platform.actors, platform.posts, DetectionSettings(min_kinds=1, min_score=0))
    campus = [n for n in found if any(m.startswith("student") for m in n.members)]
    assert campus and all(n.score < DetectionSettings().min_score for n in campus)


def test_rarer_sharing_scores_higher() -> None:
    small, large = Platform(ordinary=300), Platform(ordinary=300)
    small.ring("a", 5)
    large.ring("b", 12)
    assert detect_networks(large.actors, large.posts)[0].score > detect_networks(small.actors, small.posts)[0].score


def test_values_shared_by_too_many_actors_tie_nobody() -> None:
    platform = Platform()
    ring = platform.ring("big", 12)
    assert platform.detect() == [tuple(sorted(ring))]
    assert platform.detect(max_carriers=5) == []


def test_settings_name_each_bad_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        DetectionSettings(
            min_kinds=0,
            max_carriers=1,
            burst_window=timedelta(0),
            creation_window=timedelta(0),
            min_occasions=0,
            min_timing_surprise=-1,
            min_members=1,
            min_score=-1,
        )
    fields = {e.path for e in caught.value.errors}
    assert fields == {
        "min_kinds",
        "max_carriers",
        "burst_window",
        "creation_window",
        "min_occasions",
        "min_timing_surprise",
        "min_members",
        "min_score",
    }


def test_an_actor_listed_twice_is_refused() -> None:
    actor = ActorTraits("a1", T0)
    with pytest.raises(InvalidInput, match="twice"):
        detect_networks([actor, actor], [])


@pytest.mark.parametrize(
    ("ip", "subnet"),
    [("10.1.2.3", "10.1.2.0/24"), (" 8.8.8.8 ", "8.8.8.0/24"), ("::1", None), ("1.2.3", None), ("1.2.3.999", None)],
)
def test_subnet_of(ip: str, subnet: str | None) -> None:
    assert subnet_of(ip) == subnet


@pytest.mark.parametrize(
    ("url", "domain"),
    [("https://www.Example.org/x", "example.org"), ("http://a.b.example:8080/", "a.b.example"), ("nope", None)],
)
def test_domain_of(url: str, domain: str | None) -> None:
    assert domain_of(url) == domain
