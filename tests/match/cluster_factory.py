"""A near-duplicate cluster on a real store, made the way production makes one: items ingested, some of
them reported (which opens review jobs), then detection run over them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bastion.auth.principal import SYSTEM
from bastion.clock import FrozenClock
from bastion.detect.service import detect_for_worker
from bastion.detect.worker import DetectionWorker
from bastion.domain.subjects import IngestKind
from bastion.ingest.service import ingest
from bastion.store.database import Database
from bastion.store.schema import ContentItem
from tests.conftest import START

SCAM = "Official {} airdrop is LIVE: send 0.1 ETH, get 1 ETH back instantly {} https://claim-airdrop.example/ab12cd"
BRANDS = ("BrandX", "CoinY", "Zeta", "Moon", "Nova", "Orbit", "Pulse", "Quark", "Rho", "Sigma", "Tau", "Umbra")


def make_cluster(
    database: Database, clock: FrozenClock, members: int, *, reported: int = 0, prefix: str = "c", text: str = SCAM
) -> tuple[int, list[str]]:
    """`members` near-duplicates of `text` by one actor, the first `reported` of them reported as spam;
    returns the cluster's id (its first item's key) and the items' ids."""
    ids = [f"{prefix}{n}" for n in range(1, members + 1)]
    with database.transaction() as session:
        ingest(
            session,
            IngestKind.ACTORS,
            [{"id": f"{prefix}-author", "created_at": (START - timedelta(days=1)).isoformat()}],
            principal=SYSTEM.name,
            now=clock(),
        )
        ingest(
            session,
            IngestKind.CONTENT,
            [
                {
                    "id": cid,
                    "actor_id": f"{prefix}-author",
                    "type": "post",
                    "text": text.format(BRANDS[n % len(BRANDS)], "🔥" if n % 2 else "👇"),
                    "created_at": (clock() + timedelta(minutes=n)).isoformat(),
                }
                for n, cid in enumerate(ids)
            ],
            principal=SYSTEM.name,
            now=clock(),
        )
        if reported:
            ingest(
                session,
                IngestKind.REPORTS,
                [
                    {
                        "id": f"{prefix}-r{n}",
                        "target": {"content_id": cid},
                        "reason": "spam",
                        "created_at": clock().isoformat(),
                    }
                    for n, cid in enumerate(ids[:reported])
                ],
                principal=SYSTEM.name,
                now=clock(),
                policy_ids=frozenset({"spam"}),
            )
    worker = DetectionWorker(database, detect_for_worker, clock, batch=500)
    while worker.run_once():
        pass
    with database.transaction() as session:
        first = session.scalar(select(ContentItem.pk).where(ContentItem.external_id == ids[0]))
    assert first is not None
    return int(first), ids
