"""Every planted truth of the truth file is really there in the records."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

import pytest

from bastion.simulate.truths import MIN_SPIKE_ITEMS, TERM_POSTS

from .conftest import Generated

WORD = re.compile(r"\w+")


def family(policy: str | None) -> str | None:
    return policy.split(".")[0] if policy else None


def organic(world: Generated) -> dict[str, dict[str, object]]:
    """Content not posted by a planted network."""
    members = {m for n in world.truth["networks"] for m in n["members"]}
    return {cid: p for cid, p in world.content.items() if p["actor_id"] not in members}


@pytest.mark.parametrize("which", ["small", "small_other_seed"])
def test_spikes_add_their_planted_posts_to_the_segment(which: str, request: pytest.FixtureRequest) -> None:
    """Inside its window a spike's segment holds the planted posts on top of its own, which keep the rate
    they have outside it; the truth file says how many were planted and how many were expected."""
    world: Generated = request.getfixturevalue(which)
    assert len(world.truth["spikes"]) >= 3
    words = [re.compile(rf"\b{re.escape(t['term'])}\b", re.IGNORECASE) for t in world.truth["emerging_terms"]]
    start, end = datetime.fromisoformat(world.truth["start"]), datetime.fromisoformat(world.truth["end"])
    for spike in world.truth["spikes"]:
        assert spike["items"] >= MIN_SPIKE_ITEMS
        assert spike["factor"] >= 3
        assert spike["factor"] == pytest.approx((spike["expected"] + spike["items"]) / spike["expected"], rel=0.02)
        inside = outside = 0
        for cid, item in organic(world).items():
            truth = world.labels[cid]
            if item["country"] != spike["country"] or truth.language != spike["language"]:
                continue
            if family(truth.policy) != spike["policy"] or any(w.search(item.get("text", "")) for w in words):
                continue  # a coded word's posts are planted events of their own
            if spike["start"] <= item["created_at"] < spike["end"]:
                inside += 1
            else:
                outside += 1
        window = datetime.fromisoformat(spike["end"]) - datetime.fromisoformat(spike["start"])
        own = inside - spike["items"]
        assert own >= 0, (spike, inside)
        # The segment's own posts in the window: about what its rate outside the window predicts.
        predicted = outside * window / (end - start - window)
        assert abs(own - predicted) <= 4 * (predicted + 1) ** 0.5 + 2, (spike, own, predicted)


def test_spikes_last_hours_to_days(small: Generated) -> None:
    for spike in small.truth["spikes"]:
        length = datetime.fromisoformat(spike["end"]) - datetime.fromisoformat(spike["start"])
        assert timedelta(hours=3) <= length <= timedelta(days=4)


def test_emerging_terms_appear_only_after_first_seen_in_violating_posts(small: Generated) -> None:
    assert small.truth["emerging_terms"]
    for term in small.truth["emerging_terms"]:
        pattern = re.compile(rf"\b{re.escape(term['term'])}\b", re.IGNORECASE)
        carrying = [cid for cid, item in small.content.items() if pattern.search(item.get("text", ""))]
        assert all(small.content[cid]["created_at"] >= term["first_seen"] for cid in carrying)
        violating = [cid for cid in carrying if family(small.labels[cid].policy) == term["policy"]]
        assert len(violating) >= term["posts"] == TERM_POSTS, term
        assert len(violating) >= 0.8 * len(carrying)
        assert {small.labels[cid].language for cid in violating} == {term["language"]}


def test_emerging_term_is_new_to_the_corpus(small: Generated) -> None:
    vocabulary = small.world.corpus.vocabulary()
    for term in small.truth["emerging_terms"]:
        assert term["term"] not in vocabulary


def _bursty_share(posts: list[tuple[datetime, str]], window: timedelta, neighbours: int) -> float:
    """Share of posts with at least `neighbours` other posts of the group within `window`."""
    times = sorted(t for t, _ in posts)
    crowded = sum(1 for t in times if sum(1 for u in times if abs(u - t) <= window) - 1 >= neighbours)
    return crowded / len(times)


def _near_duplicate_share(posts: list[tuple[datetime, str]], window: timedelta) -> float:
    """Share of posts with a near-duplicate (word Jaccard >= 0.5) by the group within `window`."""
    words = [(t, set(WORD.findall(text.lower()))) for t, text in posts]
    matched = 0
    for i, (t, mine) in enumerate(words):
        for j, (u, theirs) in enumerate(words):
            if i != j and abs(u - t) <= window and mine and len(mine & theirs) / len(mine | theirs) >= 0.5:
                matched += 1
                break
    return matched / len(words)


def _posts_of(world: Generated, members: list[str]) -> list[tuple[datetime, str]]:
    wanted = set(members)
    return [
        (datetime.fromisoformat(item["created_at"]), item.get("text", ""))
        for item in world.content.values()
        if item["actor_id"] in wanted
    ]


def test_networks_share_attributes_and_post_near_duplicates_in_bursts(small: Generated) -> None:
    networks = small.truth["networks"]
    assert len(networks) >= 3
    for network in networks:
        members = network["members"]
        shared = {s["attribute"]: set(s["values"]) for s in network["shared"]}
        records = [small.actors[m] for m in members]
        devices = [r["attributes"]["device_id"] for r in records]
        assert set(devices) <= shared["device_id"] and len(set(devices)) <= len(members) / 2
        assert {r["attributes"]["ip"] for r in records} <= shared["ip"]
        assert all(set(r["attributes"]["urls"]) & shared["urls"] for r in records)
        created = sorted(datetime.fromisoformat(r["created_at"]) for r in records)
        assert created[-1] - created[0] <= timedelta(hours=2)
        posts = _posts_of(small, members)
        assert len(posts) == network["content"] > 0
        assert _bursty_share(posts, timedelta(minutes=10), 3) >= 0.9
        assert _near_duplicate_share(posts, timedelta(minutes=10)) >= 0.8
        assert {small.labels[cid].policy for cid, p in small.content.items() if p["actor_id"] in members} == {
            network["policy"]
        }


def test_campus_shares_an_ip_but_not_devices_content_or_timing(small: Generated) -> None:
    campus = next(c for c in small.truth["benign_clusters"] if c["kind"] == "campus")
    members = campus["members"]
    assert len(members) >= 20
    (ip,) = campus["shared"][0]["values"]
    records = [small.actors[m] for m in members]
    assert {r["attributes"]["ip"] for r in records} == {ip}
    assert len({r["attributes"]["device_id"] for r in records}) == len(members)
    ages = sorted(r["attributes"]["account_age_days"] for r in records)
    assert ages[-1] - ages[0] > 90
    posts = _posts_of(small, members)
    assert len(posts) > 100
    assert _bursty_share(posts, timedelta(minutes=10), 3) < 0.1
    assert _near_duplicate_share(posts, timedelta(minutes=10)) < 0.1
    # Nobody else is behind that IP.
    assert sum(1 for a in small.actors.values() if a["attributes"]["ip"] == ip) == len(members)


def test_newsroom_shares_a_link_and_nothing_else(small: Generated) -> None:
    newsroom = next(c for c in small.truth["benign_clusters"] if c["kind"] == "newsroom")
    (url,) = newsroom["shared"][0]["values"]
    records = [small.actors[m] for m in newsroom["members"]]
    assert all(r["attributes"]["urls"] == [url] for r in records)
    assert len({r["attributes"]["ip"] for r in records}) == len(records)
    assert len({r["attributes"]["device_id"] for r in records}) == len(records)


def test_most_reported_items_do_not_violate(small: Generated) -> None:
    reported = {r["target"]["content_id"] for r in small.reports if "content_id" in r["target"]}
    violating = sum(1 for cid in reported if small.labels[cid].policy is not None)
    assert len(reported) > 100
    assert violating / len(reported) < 0.5
    assert small.truth["counts"]["reported_items"] == len(reported)
    assert small.truth["counts"]["reported_items_violating"] == violating
    # ...though a violating item is far more likely to be reported than a benign one.
    violating_items = sum(1 for t in small.labels.values() if t.policy is not None)
    benign_items = len(small.labels) - violating_items
    assert violating / violating_items > 3 * (len(reported) - violating) / benign_items


def test_abusive_reporters_mass_report_one_targets_benign_content(small: Generated) -> None:
    (abuse,) = small.truth["abusive_reporting"]
    reporters, target = set(abuse["reporters"]), abuse["target"]
    theirs = [r for r in small.reports if r["reporter_id"] in reporters]

    def about_target(report: dict[str, Any]) -> bool:
        aimed = report["target"]
        author = small.content.get(aimed.get("content_id", ""), {}).get("actor_id")
        return bool(aimed.get("actor_id") == target or author == target)

    campaign = [r for r in theirs if about_target(r)]
    assert len(campaign) == abuse["reports"] >= 30
    # Apart from the odd organic report, everything they report is the target.
    assert len(campaign) >= 0.9 * len(theirs)
    on_content = [r["target"]["content_id"] for r in campaign if "content_id" in r["target"]]
    assert len(on_content) >= 0.8 * len(campaign)
    assert all(small.labels[cid].policy is None for cid in on_content)
    assert all(abuse["start"] <= r["created_at"] for r in campaign)
    # The target's content is benign yet the most reported of anyone's.
    authors = Counter(
        small.content[r["target"]["content_id"]]["actor_id"] for r in small.reports if "content_id" in r["target"]
    )
    assert authors.most_common(1)[0][0] == target


def test_prevalence_equals_what_the_views_and_hidden_labels_give(small: Generated) -> None:
    weights: dict[str, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    for view in small.views:
        date = view["viewed_at"][:10]
        totals[date] += view["weight"]
        policy = small.labels[view["content_id"]].policy
        if policy is not None:
            parts = policy.split(".")
            for n in range(1, len(parts) + 1):
                weights[".".join(parts[:n])][date] += view["weight"]
    prevalence = small.truth["prevalence"]
    assert small.truth["view_weight"] == dict(totals)
    assert len(totals) == 14
    for policy, by_date in prevalence.items():
        assert set(by_date) == set(totals)
        for date, share in by_date.items():
            assert share == pytest.approx(weights[policy][date] / totals[date], rel=1e-12, abs=1e-15)
    assert prevalence["hate_speech"]["2026-11-05"] >= prevalence["hate_speech.dehumanization"]["2026-11-05"]
    assert any(share > 0 for share in prevalence["hate_speech"].values())


def test_counts_match_the_records(small: Generated) -> None:
    counts = small.truth["counts"]
    assert counts["actors"] == len(small.actors)
    assert counts["content"] == len(small.content)
    assert counts["views"] == len(small.views)
    assert counts["reports"] == len(small.reports)
    by_policy = Counter(t.policy or "none" for t in small.labels.values())
    assert counts["content_by_policy"] == dict(by_policy)
