"""A platform for golden-set tests, through the real API: authors, posts, reports from reporters with a
track record, decided original jobs that become golden items, and fresh jobs to compare them with."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from tests.conftest import api_key, bearer, make_user

QUEUE = "hate-harassment"
POLICY = "hate_speech"
_tags = itertools.count()


def people(client: TestClient, database: Database, clock: FrozenClock) -> dict[str, dict[str, str]]:
    """Bearer headers: the platform, a QA lead, and two reviewers (one decides the originals)."""
    headers = {"platform": bearer(api_key(database, clock, role=Role.PLATFORM))}
    for name, role in (("quinn", Role.QA), ("olga", Role.REVIEWER), ("rita", Role.REVIEWER)):
        make_user(database, clock, name, role, languages=("en",))
        headers[name] = bearer(api_key(database, clock, user=name))
    return headers


def post_reported(
    client: TestClient,
    platform: dict[str, str],
    *,
    author: str,
    post: str,
    reporter: str,
    views: int = 1_000,
    text: str | None = None,
) -> None:
    """One post by `author` (created if new), reported once by `reporter` (created if new) for hate speech."""
    actors = [
        {"id": author, "created_at": "2025-01-01T00:00:00Z", "language": "en", "attributes": {"followers": 500}},
        {"id": reporter, "created_at": "2025-01-01T00:00:00Z"},
    ]
    client.post("/api/v1/actors", json={"items": actors}, headers=platform).raise_for_status()
    content = {
        "id": post,
        "actor_id": author,
        "type": "post",
        "text": text or f"they are vermin, says {post}",
        "language": "en",
        "created_at": "2026-11-01T10:00:00Z",
        "views": views,
    }
    client.post("/api/v1/content", json=content, headers=platform).raise_for_status()
    report = {
        "id": f"report-{post}",
        "target": {"content_id": post},
        "reporter_id": reporter,
        "reason": POLICY,
        "created_at": "2026-11-01T11:00:00Z",
    }
    client.post("/api/v1/reports", json=report, headers=platform).raise_for_status()


def drain(client: TestClient, reviewer: dict[str, str], policy: str = POLICY, action: str = "remove") -> list[int]:
    """The reviewer claims and decides every job of the queue; returns the jobs decided."""
    decided: list[int] = []
    while True:
        claimed = client.post(f"/api/v1/queues/{QUEUE}/claim", headers=reviewer)
        if claimed.status_code == 204:
            return decided
        job = claimed.json()
        decision = {"policy": policy, "action": action if policy != "none" else "no_action", "rationale": "seen"}
        client.post(f"/api/v1/jobs/{job['id']}/decision", json=decision, headers=reviewer).raise_for_status()
        decided.append(job["id"])


def add_golden(
    client: TestClient,
    qa: dict[str, str],
    golden_set: str,
    posts: list[str],
    *,
    answer: str = POLICY,
    share: float = 1.0,
) -> Any:
    items = [{"content_id": p, "answer": answer, "rationale": "dehumanising", "queue": QUEUE} for p in posts]
    answer_ = client.post(f"/api/v1/golden-sets/{golden_set}/items", json={"items": items, "share": share}, headers=qa)
    answer_.raise_for_status()
    return answer_.json()


def tag() -> str:
    return f"t{next(_tags)}"
