"""Networks found in a real store (SQLite and PostgreSQL): records ingested, near-duplicates clustered by the
detection worker, then read back and detected; the permission; `--since`."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bastion.auth.principal import SYSTEM, Principal
from bastion.clock import FrozenClock
from bastion.detect.service import detect_for_worker
from bastion.detect.worker import DetectionWorker
from bastion.domain.access import Role
from bastion.domain.subjects import IngestKind
from bastion.errors import Forbidden
from bastion.ingest.service import ingest
from bastion.investigate.network_reader import actor_traits, read_traits
from bastion.investigate.network_service import find_networks
from bastion.store.database import Database

START = datetime(2026, 11, 1, tzinfo=UTC)
SCAM = "Official {} airdrop is LIVE: send 0.1 ETH, get 1 ETH back instantly {} https://claim-airdrop.example/ab12cd"
BRANDS = ("CoinVault", "PayQuick", "MegaMart", "ShopNow", "StreamFlix", "BrandX")
LETTERS = "abcdefghijklmnopqrstuvwxyz"
RING = [f"ring{n}" for n in range(6)]
BURSTS = (START + timedelta(days=2), START + timedelta(days=5))


def _platform(database: Database) -> None:
    """40 ordinary actors, and a ring of 6 made the same hour on 2 devices and 2 IPs of one subnet, linking
    one campaign page and posting its message in two bursts."""
    rng = random.Random(5)
    actors = [
        {
            "id": f"user{n:02d}",
            "created_at": (START - timedelta(days=rng.randint(50, 900))).isoformat(),
            "attributes": {"device_id": f"dev-u{n}", "ip": f"81.{n}.{rng.randrange(256)}.7", "urls": []},
        }
        for n in range(40)
    ] + [
        {
            "id": actor,
            "created_at": (START + timedelta(hours=20, minutes=3 * n)).isoformat(),
            "attributes": {
                "device_id": f"dev-ring-{n % 2}",
                "ip": f"201.9.9.{10 + n % 2}",
                "urls": ["https://claim-airdrop.example/ab12cd"],
            },
        }
        for n, actor in enumerate(RING)
    ]
    content = [
        {
            "id": f"u-post{n}",
            "actor_id": f"user{n % 40:02d}",
            "type": "post",
            "text": " ".join("".join(rng.choices(LETTERS, k=6)) for _ in range(12)),
            "created_at": (START + timedelta(hours=n)).isoformat(),
        }
        for n in range(60)
    ]
    for b, burst in enumerate(BURSTS):
        for n, actor in enumerate(RING):
            content.append(
                {
                    "id": f"ring-post-{b}-{n}",
                    "actor_id": actor,
                    "type": "post",
                    "text": SCAM.format(BRANDS[n], "🔥" if n % 2 else ""),
                    "created_at": (burst + timedelta(seconds=60 * n)).isoformat(),
                }
            )
    clock = FrozenClock(START + timedelta(days=7))
    with database.transaction() as session:
        for kind, items in ((IngestKind.ACTORS, actors), (IngestKind.CONTENT, content)):
            result = ingest(session, kind, items, principal=SYSTEM.name, now=clock())
            assert result.errors == 0
    worker = DetectionWorker(database, detect_for_worker, clock, batch=100)
    while worker.run_once():
        pass


def test_a_ring_in_the_store_is_found_on_each_backend(database: Database) -> None:
    _platform(database)
    with database.transaction() as session:
        actors, posts = read_traits(session)
        report = find_networks(session, SYSTEM)
    assert len(actors) == 46
    assert {p.actor_id for p in posts if p.text_cluster is not None} == set(RING)
    assert [n.members for n in report.networks] == [tuple(RING)]
    network = report.networks[0]
    assert network.evidence.burst_count == 2
    shared = {(s.attribute, s.value): s.members for s in network.shared}
    assert shared[("url", "https://claim-airdrop.example/ab12cd")] == 6
    assert shared[("subnet", "201.9.9.0/24")] == 6
    assert shared[("device_id", "dev-ring-0")] == 3


def test_since_reads_only_later_posts_and_their_authors(database: Database) -> None:
    _platform(database)
    with database.transaction() as session:
        actors, posts = read_traits(session, since=BURSTS[1])
        late = find_networks(session, SYSTEM, since=START + timedelta(days=30))
    assert {a.actor_id for a in actors} == set(RING)
    assert posts and all(p.posted_at >= BURSTS[1] for p in posts)
    assert late.actors == 0 and late.networks == []


@pytest.mark.parametrize("role", [Role.ANALYST, Role.QA, Role.REVIEWER, Role.VENDOR_REVIEWER, Role.PLATFORM])
def test_only_investigators_and_admins_read_networks(sqlite_database: Database, role: Role) -> None:
    with sqlite_database.transaction() as session, pytest.raises(Forbidden, match=r"investigate\.read"):
        find_networks(session, Principal(name="user:someone", roles=frozenset({role})))
    with sqlite_database.transaction() as session:
        assert find_networks(session, Principal(name="user:inv", roles=frozenset({Role.INVESTIGATOR}))).networks == []


def test_an_actor_record_s_traits_ignore_what_is_not_text() -> None:
    traits = actor_traits(
        "a1",
        START,
        {"device_id": "d1", "ips": ["1.2.3.4", 5, " ", "1.2.3.4"], "urls": "https://x.example/", "url": None},
    )
    assert (traits.devices, traits.ips, traits.urls) == (("d1",), ("1.2.3.4",), ("https://x.example/",))
    assert actor_traits("a2", START, ["not", "a", "record"]).values() == []


def test_clusters_with_more_authors_than_the_limit_are_left_out(database: Database) -> None:
    _platform(database)
    with database.transaction() as session:
        kept = read_traits(session, max_authors=6)[1]
        crowded = read_traits(session, max_authors=5)[1]
        since = read_traits(session, since=BURSTS[1], max_authors=5)[1]
    assert {p.actor_id for p in kept} == set(RING) and all(p.text_cluster for p in kept)
    assert crowded == [] and since == []
