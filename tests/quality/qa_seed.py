"""A decided job to sample, over the real API: content, a report that names no policy, a decision."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.store.database import Database
from tests.conftest import api_key, bearer, make_user

MARKER = "qa-marker-7f3c1e: the slur in the second sentence"  # the original rationale, unique on any page
POLICY = "hate_speech.slurs"  # the original decision's policy; the report names none


def person(database: Database, clock: FrozenClock, name: str, role: Role, **kw: Any) -> dict[str, str]:
    make_user(database, clock, name, role, **kw)
    return bearer(api_key(database, clock, user=name))


def put_plan(client: TestClient, who: dict[str, str], queue: str = "general", **plan: Any) -> Any:
    body = {"qa_queue": "qa", "rate": 1.0} | plan
    answer = client.put(f"/api/v1/quality/plans/{queue}", json=body, headers=who)
    assert answer.status_code == 200, answer.text
    return answer.json()


def seed_post(client: TestClient, platform: dict[str, str], n: int, *, text: str = "you are all such a {n}") -> None:
    """Post n (`post-n`, by `author-n`) and a report on it whose reason names no policy: to the general queue."""
    actors = [{"id": f"author-{n}", "created_at": "2025-01-01T00:00:00Z", "language": "en"}]
    client.post("/api/v1/actors", json={"items": actors}, headers=platform).raise_for_status()
    post = {
        "id": f"post-{n}",
        "actor_id": f"author-{n}",
        "type": "post",
        "text": text.format(n=n),
        "language": "en",
        "created_at": "2026-11-01T10:00:00Z",
    }
    client.post("/api/v1/content", json=post, headers=platform).raise_for_status()
    report = {
        "id": f"report-{n}",
        "target": {"content_id": f"post-{n}"},
        "reason": "this looks wrong to me",
        "created_at": "2026-11-01T11:00:00Z",
    }
    client.post("/api/v1/reports", json=report, headers=platform).raise_for_status()


def decide_next(
    client: TestClient,
    reviewer: dict[str, str],
    queue: str = "general",
    *,
    policy: str = POLICY,
    action: str = "remove",
) -> dict[str, Any]:
    """Claim the next job of the queue and decide it; the job as the reviewer saw it, and the decision."""
    job = client.post(f"/api/v1/queues/{queue}/claim", headers=reviewer)
    assert job.status_code == 200, job.text
    choice = {"policy": policy, "action": action, "rationale": MARKER}
    decided = client.post(f"/api/v1/jobs/{job.json()['id']}/decision", json=choice, headers=reviewer)
    assert decided.status_code == 200, decided.text
    return {"job": job.json(), "decision": decided.json()}
