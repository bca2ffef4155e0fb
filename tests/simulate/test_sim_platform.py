"""The simulated platform looks like one: many countries and languages, heavy-tailed reach, rhythm."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

from pydantic import BaseModel

from bastion.ingest.payloads import ActorPayload, ContentPayload, ReportPayload, ViewPayload
from bastion.simulate import RecordKind

from .conftest import Generated

PDQ = re.compile(r"^[0-9a-f]{64}$")


def test_at_least_eight_countries_and_six_languages(small: Generated) -> None:
    assert len({a["country"] for a in small.actors.values()}) >= 8
    assert len({a["language"] for a in small.actors.values()}) >= 6
    assert len({c["country"] for c in small.content.values()}) >= 8
    assert len({c["language"] for c in small.content.values() if "language" in c}) >= 6


def test_every_record_is_a_valid_ingest_body(small: Generated) -> None:
    models: dict[RecordKind, type[BaseModel]] = {
        RecordKind.ACTORS: ActorPayload,
        RecordKind.CONTENT: ContentPayload,
        RecordKind.REPORTS: ReportPayload,
        RecordKind.VIEWS: ViewPayload,
    }
    for record in small.records:
        models[record.kind].model_validate(record.payload)


def test_actors_carry_the_attributes_investigations_need(small: Generated) -> None:
    for actor in small.actors.values():
        attributes = actor["attributes"]
        assert {"followers", "account_age_days", "device_id", "ip", "urls"} <= set(attributes)
        assert attributes["followers"] >= 0 and attributes["account_age_days"] >= 0
    followers = sorted(a["attributes"]["followers"] for a in small.actors.values())
    assert followers[-1] > 50 * followers[len(followers) // 2]


def test_about_a_tenth_of_content_leaves_language_out(small: Generated) -> None:
    missing = sum(1 for c in small.content.values() if "language" not in c) / len(small.content)
    assert 0.07 <= missing <= 0.13


def test_content_types_surfaces_and_images(small: Generated) -> None:
    types = Counter(c["type"] for c in small.content.values())
    assert set(types) == {"post", "comment", "message", "image", "video", "listing", "profile"}
    assert {c["surface"] for c in small.content.values()} >= {"feed", "comments", "messages", "marketplace", "groups"}
    media = [c["media"] for c in small.content.values() if "media" in c]
    assert len(media) > 500
    assert all(PDQ.match(m["pdq"]) and m["url"].startswith("https://") for m in media)
    assert all("media" in c for c in small.content.values() if c["type"] == "image")


def test_violating_images_are_near_duplicates_of_the_hash_bank(small: Generated) -> None:
    bank = [int(h, 16) for h in small.truth["hash_banks"]["adult_nudity_and_sexual_activity"]]
    adult = [
        c["media"]["pdq"]
        for cid, c in small.content.items()
        if small.labels[cid].policy == "adult_nudity_and_sexual_activity"
    ]
    assert adult
    for pdq in adult:
        assert min((int(pdq, 16) ^ b).bit_count() for b in bank) <= 10
    # Unrelated images are far apart (about 128 bits).
    benign = [int(c["media"]["pdq"], 16) for cid, c in small.content.items() if "media" in c][:50]
    assert min((benign[0] ^ other).bit_count() for other in benign[1:]) > 31


def test_texts_come_from_hatexplain_and_templates(small: Generated) -> None:
    sources = Counter(t.source.split(":")[0] for t in small.labels.values())
    assert sources["hatexplain"] > 1000
    assert sources["template"] > 3000
    hate = [t for t in small.labels.values() if t.source.startswith("hatexplain:") and t.policy]
    assert {t.policy.split(".")[0] for t in hate} == {"hate_speech", "harassment_and_bullying"}


def test_views_are_heavy_tailed(small: Generated) -> None:
    per_item = Counter[str]()
    for view in small.views:
        per_item[view["content_id"]] += view["weight"]
    weights = sorted(per_item.values(), reverse=True)
    top = weights[: len(small.content) // 100]
    assert sum(top) >= 0.25 * sum(weights)
    assert weights[len(weights) // 2] < sum(weights) / len(weights)


def test_posting_follows_a_daily_and_weekly_rhythm(small: Generated) -> None:
    by_hour: Counter[int] = Counter()
    by_weekday: Counter[int] = Counter()
    for item in small.content.values():
        moment = datetime.fromisoformat(item["created_at"])
        by_hour[moment.hour] += 1
        by_weekday[moment.weekday()] += 1
    assert max(by_hour.values()) >= 1.8 * min(by_hour.values())
    # Fourteen days: every weekday twice. Weekends are busier than the start of the week.
    assert by_weekday[5] + by_weekday[6] > by_weekday[0] + by_weekday[1]
