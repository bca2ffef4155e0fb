"""Entities read from real records, and the expansion's rules (hops, node limit, hubs, types, time) on a
small graph held in memory."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

import pytest

from bastion.investigate.entities import (
    Entity,
    EntityKind,
    Link,
    content_entities,
    email_domain,
    masked,
    masked_kinds,
    normal_phone,
    record_entities,
)
from bastion.investigate.entity_graph import GraphLimits, expand

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_a_record_names_its_devices_ips_links_email_domain_phone_and_payment() -> None:
    record = {
        "followers": 12,
        "device_id": "dev-1",
        "ips": ["203.0.113.7", " 203.0.113.7 ", 5],
        "urls": ["https://www.Shop.example/x"],
        "email": "Ana.Lopez@Students.Example.EDU",
        "phone": "+44 (0)20 7946-0018",
        "payment_fingerprint": "pay-abc",
        "contact": {"email": "nested@ignored.example"},
    }
    assert record_entities(record) == sorted(
        [
            Entity(EntityKind.DEVICE, "dev-1"),
            Entity(EntityKind.IP, "203.0.113.7"),
            Entity(EntityKind.URL, "https://www.Shop.example/x"),
            Entity(EntityKind.DOMAIN, "shop.example"),
            Entity(EntityKind.EMAIL_DOMAIN, "students.example.edu"),
            Entity(EntityKind.PHONE, "+4402079460018"),
            Entity(EntityKind.PAYMENT, "pay-abc"),
        ]
    )


@pytest.mark.parametrize("record", [None, [], "text", {"device_id": 7, "email": "no-at-sign", "phone": "12"}])
def test_what_is_not_a_string_value_names_nothing(record: object) -> None:
    assert record_entities(record) == []


@pytest.mark.parametrize(
    ("address", "domain"),
    [("a@b.example", "b.example"), ("a@B.Example.", "b.example"), ("@b.example", None), ("a@localhost", None)],
)
def test_email_domain(address: str, domain: str | None) -> None:
    assert email_domain(address) == domain


def test_phone_numbers_compare_by_their_digits() -> None:
    assert normal_phone("+1 (555) 010-9999") == normal_phone("1.555.010.9999") == "+15550109999"
    assert normal_phone("12-34") is None


def test_a_post_carries_its_image_and_its_cluster() -> None:
    assert content_entities(media_pdq="ab12", text_cluster=42) == [
        Entity(EntityKind.IMAGE, "ab12"),
        Entity(EntityKind.TEXT_CLUSTER, "42"),
    ]
    assert content_entities(media_pdq=None, text_cluster=None) == []


def test_private_fields_mask_the_kinds_they_feed_and_the_digest_is_stable() -> None:
    assert masked_kinds(["IP", "email"]) == {EntityKind.IP, EntityKind.EMAIL_DOMAIN}
    assert masked_kinds(["urls"]) == {EntityKind.URL, EntityKind.DOMAIN}
    ip = Entity(EntityKind.IP, "203.0.113.7")
    assert masked(ip) == masked(ip) != masked(Entity(EntityKind.IP, "203.0.113.8"))
    assert "203.0.113.7" not in masked(ip).value


class Links:
    """A LinkSource over a list of links, counting what it is asked."""

    def __init__(self, links: list[Link]) -> None:
        self.links = links
        self.asked = 0

    def _wanted(self, link: Link, limits: GraphLimits) -> bool:
        if link.entity.kind not in limits.kinds:
            return False
        if link.at is None:
            return True
        return (limits.since is None or link.at >= limits.since) and (limits.until is None or link.at < limits.until)

    def links_of(self, actor_ids: Iterable[str], limits: GraphLimits) -> Iterable[Link]:
        wanted = set(actor_ids)
        self.asked += 1
        return [link for link in self.links if link.actor_id in wanted and self._wanted(link, limits)]

    def carriers_of(self, entities: Iterable[Entity], limits: GraphLimits) -> Mapping[Entity, frozenset[str]]:
        found: dict[Entity, set[str]] = defaultdict(set)
        for link in self.links:
            if self._wanted(link, limits):
                found[link.entity].add(link.actor_id)
        return {e: frozenset(found.get(e, ())) for e in entities}


def _world() -> Links:
    """A ring r1-r4 on two devices and one card; r1 also behind a campus IP with 30 students; r2 posted an
    image r5 posted too, on the first day only."""
    device_a, device_b = Entity(EntityKind.DEVICE, "dev-a"), Entity(EntityKind.DEVICE, "dev-b")
    card, campus = Entity(EntityKind.PAYMENT, "pay-1"), Entity(EntityKind.IP, "128.1.2.3")
    image = Entity(EntityKind.IMAGE, "f" * 64)
    links = [
        Link("r1", device_a),
        Link("r2", device_a),
        Link("r3", device_b),
        Link("r4", device_b),
        Link("r1", card),
        Link("r3", card),
        Link("r1", campus),
        Link("r2", image, T0),
        Link("r5", image, T0 + timedelta(hours=2)),
        Link("r5", Entity(EntityKind.PHONE, "+100000000")),
    ]
    links += [Link(f"s{n:02d}", campus) for n in range(30)]
    return Links(links)


def _actors(graph_nodes: Iterable[str]) -> set[str]:
    return {n.removeprefix("actor:") for n in graph_nodes if n.startswith("actor:")}


def test_one_hop_shows_the_subjects_entities_with_their_counts() -> None:
    graph = expand(_world(), "r1", GraphLimits(hops=1))
    assert _actors(graph.nodes) == {"r1"}
    assert {k: n.carriers for k, n in graph.nodes.items() if n.kind is not EntityKind.ACTOR} == {
        "device:dev-a": 2,
        "payment:pay-1": 2,
        "ip:128.1.2.3": 31,
    }
    assert graph.nodes["ip:128.1.2.3"].hub


def test_two_hops_reach_the_ring_mates_and_the_campus_is_a_hub_not_expanded() -> None:
    graph = expand(_world(), "r1", GraphLimits(hops=2))
    assert _actors(graph.nodes) == {"r1", "r2", "r3"}  # r2 by device, r3 by card; no student
    assert graph.nodes["ip:128.1.2.3"].hub and graph.nodes["ip:128.1.2.3"].carriers == 31
    three = expand(_world(), "r1", GraphLimits(hops=3))
    assert {"device:dev-b", "image:" + "f" * 64} <= set(three.nodes)
    assert ("actor:r4", "device:dev-b") not in three.edges  # r4 is 4 hops out: not drawn
    assert _actors(three.nodes) == {"r1", "r2", "r3"}


def test_a_higher_hub_size_expands_through_the_campus() -> None:
    graph = expand(_world(), "r1", GraphLimits(hops=2, hub_size=50))
    assert len(_actors(graph.nodes)) == 3 + 30


def test_types_filter_what_is_followed() -> None:
    graph = expand(_world(), "r1", GraphLimits(hops=2, kinds=frozenset({EntityKind.PAYMENT})))
    assert set(graph.nodes) == {"actor:r1", "payment:pay-1", "actor:r3"}


def test_the_time_window_applies_to_posts() -> None:
    inside = expand(_world(), "r2", GraphLimits(hops=2, since=T0, until=T0 + timedelta(days=1)))
    assert "actor:r5" in inside.nodes
    edge = inside.edges[("actor:r2", "image:" + "f" * 64)]
    assert edge.first_at == edge.last_at == T0
    before = expand(_world(), "r2", GraphLimits(hops=2, until=T0 + timedelta(hours=1)))
    assert "actor:r5" not in before.nodes and "actor:r1" in before.nodes  # the device has no date


def test_the_node_limit_stops_the_expansion_and_says_so() -> None:
    graph = expand(_world(), "r1", GraphLimits(hops=2, hub_size=50, max_nodes=10))
    assert len(graph.nodes) == 10 and graph.truncated
    assert not expand(_world(), "r1", GraphLimits(hops=2)).truncated


def test_an_actor_with_nothing_is_a_graph_of_one() -> None:
    graph = expand(_world(), "nobody", GraphLimits(hops=3))
    assert list(graph.nodes) == ["actor:nobody"] and not graph.edges
