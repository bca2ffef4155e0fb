"""The simulated actors' contact attributes: every actor an email and a phone, some a payment fingerprint;
each planted network signs up with one throwaway email domain and two members in three pay with one card;
the campus shares the university's email domain. Drawn from generators of their own, so the same seed gives
the same values, and the networks' and campus's other attributes are as before."""

from __future__ import annotations

from collections import Counter

from bastion.investigate.entities import email_domain
from bastion.simulate import RecordKind, SimulationSpec, World
from bastion.simulate.actors import EMAIL_PROVIDERS
from bastion.simulate.networks import CAMPUS_EMAIL_DOMAIN
from tests.simulate.conftest import Generated


def test_every_actor_has_an_email_and_a_phone_and_some_a_card(small: Generated) -> None:
    records = [a["attributes"] for a in small.actors.values()]
    assert all(email_domain(r["email"]) is not None and r["phone"].startswith("+") for r in records)
    paying = [r for r in records if "payment_fingerprint" in r]
    assert 0.2 * len(records) < len(paying) < 0.5 * len(records)
    planted = {m for n in small.truth["networks"] for m in n["members"]}
    ordinary = [a["attributes"] for i, a in small.actors.items() if i not in planted]
    cards = Counter(r["payment_fingerprint"] for r in ordinary if "payment_fingerprint" in r)
    assert cards.most_common(1)[0][1] == 1  # an ordinary card is one actor's
    domains = Counter(email_domain(r["email"]) for r in ordinary)
    assert set(domains) - {CAMPUS_EMAIL_DOMAIN, "daily-herald.example"} == set(EMAIL_PROVIDERS)


def test_networks_share_an_email_domain_and_a_card(small: Generated) -> None:
    for network in small.truth["networks"]:
        records = [small.actors[m]["attributes"] for m in network["members"]]
        assert len({email_domain(r["email"]) for r in records}) == 1
        cards = Counter(r.get("payment_fingerprint") for r in records)
        card, count = cards.most_common(1)[0]
        assert card is not None and count >= 0.6 * len(records), network["id"]


def test_the_campus_shares_the_university_email_domain(small: Generated) -> None:
    campus = next(c for c in small.truth["benign_clusters"] if c["kind"] == "campus")
    assert {email_domain(small.actors[m]["attributes"]["email"]) for m in campus["members"]} == {CAMPUS_EMAIL_DOMAIN}


def test_the_same_seed_gives_the_same_contacts(small: Generated) -> None:
    again = World(SimulationSpec.parse(seed=7, scale="small", days=small.world.spec.days))
    fields = ("email", "phone", "payment_fingerprint")
    seen = 0
    for kind, payload in again.records():
        if kind is RecordKind.ACTORS:
            first = small.actors[payload["id"]]["attributes"]
            assert {f: payload["attributes"].get(f) for f in fields} == {f: first.get(f) for f in fields}
            seen += 1
            if seen >= 200:
                break
    assert seen == 200
