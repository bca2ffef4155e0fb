"""The simulated platform written through ingest: deterministic, complete, and its truths in the store."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import func, select

from bastion.clock import FrozenClock
from bastion.simulate import SimulationSpec, World
from bastion.simulate.spec import Scale
from bastion.simulate.writer import write_platform
from bastion.store.database import Database
from bastion.store.schema import Actor, ContentItem, Report, View
from tests.conftest import START
from tests.simulate.conftest import Generated

SPEC = SimulationSpec(seed=7, scale=Scale.SMALL, days=14)


def _content_rows(database: Database) -> list[tuple[object, ...]]:
    with database.transaction() as session:
        return [
            tuple(row)
            for row in session.execute(
                select(
                    ContentItem.external_id,
                    ContentItem.text,
                    ContentItem.created_at,
                    ContentItem.language,
                    ContentItem.country,
                    ContentItem.media_pdq,
                ).order_by(ContentItem.external_id)
            )
        ]


@pytest.fixture
def written(database: Database) -> Database:
    write_platform(database, World(SPEC).records(), clock=FrozenClock(START))
    return database


def test_everything_generated_is_stored(written: Database, small: Generated) -> None:
    with written.transaction() as session:
        counts = {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Actor, ContentItem, Report, View)
        }
    assert counts == {
        "actors": len(small.actors),
        "content_items": len(small.content),
        "reports": len(small.reports),
        "views": len(small.views),
    }


def test_the_same_seed_writes_the_same_content(written: Database, sqlite_database: Database) -> None:
    write_platform(sqlite_database, World(SPEC).records(), clock=FrozenClock(START))
    assert _content_rows(written) == _content_rows(sqlite_database)
    again = write_platform(written, World(SPEC).records(), clock=FrozenClock(START))
    assert again.total == 0 and again.duplicates > 0  # writing it again changes nothing


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_spike_segments_rise_in_the_store(written: Database, small: Generated) -> None:
    """For each planted spike, the segment's share of violating items is higher inside the window."""
    with written.transaction() as session:
        rows = session.execute(
            select(ContentItem.external_id, ContentItem.country, ContentItem.language, ContentItem.created_at)
        )
        stored = {ext: (country, language, created) for ext, country, language, created in rows}
    risen = 0
    for spike in small.truth["spikes"]:
        start, end = _at(spike["start"]), _at(spike["end"])
        inside, outside = Counter(), Counter()
        for ext, (country, _language, created) in stored.items():
            label = small.labels[ext]
            if country != spike["country"] or label is None or label.language != spike["language"]:
                continue
            if label.source.startswith("network:"):
                continue  # coordinated bursts add volume of their own
            bucket = inside if start <= created < end else outside
            bucket["all"] += 1
            bucket["violating"] += int(label.policy is not None and label.policy.startswith(spike["policy"]))
        if inside["all"] and outside["all"]:
            rate_in = inside["violating"] / inside["all"]
            rate_out = outside["violating"] / outside["all"]
            if rate_in > 1.5 * rate_out:
                risen += 1
    assert risen >= 3


def test_network_members_share_attributes_in_the_store(written: Database, small: Generated) -> None:
    network = small.truth["networks"][0]
    with written.transaction() as session:
        attributes = [
            a for (a,) in session.execute(select(Actor.attributes).where(Actor.external_id.in_(network["members"])))
        ]
    assert len(attributes) == len(network["members"])
    for shared in network["shared"]:
        name, values = (
            shared["attribute"],
            set(shared["values"]) if isinstance(shared["values"], list) else {shared["values"]},
        )
        held = [a.get(name) for a in attributes]
        matching = sum(1 for h in held if (set(h) & values if isinstance(h, list) else h in values))
        assert matching >= len(attributes) // 2, name
