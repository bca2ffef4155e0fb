"""Queue listings: what each queue holds right now, for reviewers and supervisors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bastion.auth.principal import Principal
from bastion.clock import as_utc
from bastion.review.access import may_work
from bastion.review.claims import claimable_counts
from bastion.review.config_store import current_review_config
from bastion.review.jobs import OPEN_STATES
from bastion.store.schema import Job


def queue_listing(
    session: Session, principal: Principal, *, now: datetime, everything: bool = False
) -> list[dict[str, Any]]:
    """The queues this principal may work (or all of them, for supervisors) with their live counts.

    `open`, `claimed` and `held` are the whole queue's; `available` is what this principal could
    claim there now (their languages, jobs they skipped or decided, exposure caps).
    """
    config = current_review_config(session).config
    counts: dict[str, dict[str, int]] = {}
    oldest: dict[str, datetime] = {}
    rows = session.execute(
        select(Job.queue, Job.status, func.count(), func.min(Job.created_at))
        .where(Job.status.in_(OPEN_STATES))
        .group_by(Job.queue, Job.status)
    )
    for queue, status, count, first in rows:
        counts.setdefault(queue, {})[status] = int(count)
        if first is not None:
            oldest[queue] = min(oldest.get(queue, as_utc(first)), as_utc(first))
    specs = [spec for spec in config.queues if everything or may_work(spec, principal)]
    mine = claimable_counts(session, principal, [s.name for s in specs if may_work(s, principal)], now=now)
    listing = []
    for spec in specs:
        held = counts.get(spec.name, {})
        oldest_open = oldest.get(spec.name)
        listing.append(
            {
                "name": spec.name,
                "title": spec.title,
                "kind": spec.kind,
                "sla_hours": spec.sla_hours,
                "languages": list(spec.languages),
                "vendors": list(spec.vendors),
                "open": held.get("open", 0),
                "available": mine.get(spec.name, 0),
                "claimed": held.get("claimed", 0),
                "held": held.get("held", 0),
                "oldest_age_hours": round((now - oldest_open).total_seconds() / 3600, 2) if oldest_open else None,
            }
        )
    return listing
