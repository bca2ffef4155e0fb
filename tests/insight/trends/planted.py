"""A store with planted trends: three weeks of hourly reports in two segments with a daily rhythm, one
burst of reports in one of them, and a coded word that appears in the last days' reported posts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from bastion.store.database import Database
from bastion.store.schema import Actor, ContentItem, Report

DAYS = 21
WORDS = ("the", "this", "people", "again", "every", "should", "never", "about", "today", "really", "know", "think")
TERM = "zorblat"


@dataclass(frozen=True)
class Planted:
    start: datetime  # of the series
    end: datetime  # now
    spike_at: datetime
    spike_segment: dict[str, str]
    term_from: datetime


def plant(database: Database, now: datetime, *, seed: int = 4) -> Planted:
    rng = np.random.default_rng(seed)
    start = (now - timedelta(days=DAYS)).replace(minute=0, second=0, microsecond=0)
    spike_at = start + timedelta(days=17)  # where the rhythm is at its mean
    term_from = now - timedelta(days=4)
    segments = {("spam", "BR", "pt"): 1.5, ("hate_speech", "US", "en"): 1.2}
    serial = 0
    with database.transaction() as session:
        actor = Actor(external_id="planted-actor", created_at=start, country="BR", language="pt", received_at=start)
        session.add(actor)
        session.flush()
        for hour in range(DAYS * 24):
            at = start + timedelta(hours=hour)
            if at >= now:
                break
            for (policy, country, language), rate in segments.items():
                mean = rate * (1 + 0.6 * np.sin(2 * np.pi * (hour % 24) / 24))
                if policy == "spam" and spike_at <= at < spike_at + timedelta(hours=6):
                    mean *= 6
                for _ in range(int(rng.poisson(mean))):
                    serial += 1
                    posted = at + timedelta(minutes=int(rng.integers(0, 60)))
                    words = list(rng.choice(WORDS, size=6))
                    if language == "en" and posted >= term_from and rng.random() < 0.4:
                        words.insert(3, TERM)
                    item = ContentItem(
                        external_id=f"c-{serial}",
                        actor_pk=actor.pk,
                        type="post",
                        text=" ".join(words),
                        language=language,
                        country=country,
                        created_at=posted,
                        received_at=posted,
                    )
                    session.add(item)
                    session.flush()
                    session.add(
                        Report(
                            external_id=f"r-{serial}",
                            content_pk=item.pk,
                            reporter_id=f"u-{serial % 50}",
                            reason=policy,
                            policy_id=policy,
                            created_at=posted,
                            received_at=posted,
                        )
                    )
    return Planted(start, now, spike_at, {"policy": "spam", "country": "BR", "language": "pt"}, term_from)
