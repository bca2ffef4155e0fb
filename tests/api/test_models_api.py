"""The models API: register a policy-as-prompt endpoint, detection scores content through it (against a
real local chat server), the verdict and the model's reasoning come back as evidence; modes; access."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from bastion.clock import FrozenClock
from bastion.detect.service import detect_for_worker
from bastion.detect.worker import DetectionWorker
from bastion.domain.access import Role
from bastion.store.database import Database
from tests.conftest import START, api_key, bearer
from tests.support.model_server import ModelServer

MODELS = "/api/v1/models"


@pytest.fixture
def analyst(database: Database, clock: FrozenClock) -> dict[str, str]:
    return bearer(api_key(database, clock, role=Role.ANALYST))


@pytest.fixture
def server() -> Iterator[ModelServer]:
    running = ModelServer().start()
    yield running
    running.stop()


def test_a_prompt_model_scores_content_and_its_reasoning_is_kept(
    client: TestClient, analyst: dict[str, str], database: Database, clock: FrozenClock, server: ModelServer
) -> None:
    assert client.get(MODELS, headers=analyst).json() == []
    body = {"name": "scam_guard", "kind": "prompt", "policy": "scams_and_fraud", "url": server.url,
            "model": "safeguard", "mode": "live"}  # fmt: skip
    created = client.post(MODELS, json=body, headers=analyst)
    assert created.status_code == 200, created.text
    assert created.json() | {"created_at": None} == {
        "name": "scam_guard", "version": 1, "kind": "prompt", "policy": "scams_and_fraud", "mode": "live",
        "threshold": 0.5, "created_at": None, "created_by": created.json()["created_by"], "retired_at": None,
        "scored": 0,
        "agreement": {"count": 0, "positives": 0, "flagged": 0, "true_positives": 0, "precision": None,
                      "recall": None, "f1": None, "kappa": None, "accuracy": None},
    }  # fmt: skip
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    actor = {"id": "a1", "created_at": (START - timedelta(days=3)).isoformat()}
    assert client.post("/api/v1/actors", json=actor, headers=platform).status_code == 200
    posts = [
        {"id": "c1", "actor_id": "a1", "type": "post", "text": "send a <script>fee</script>: it is a scam",
         "created_at": clock().isoformat()},
        {"id": "c2", "actor_id": "a1", "type": "post", "text": "nice weather", "created_at": clock().isoformat()},
    ]  # fmt: skip
    assert client.post("/api/v1/content", json={"items": posts}, headers=platform).status_code == 200
    assert DetectionWorker(database, detect_for_worker, clock, batch=10).run_once() == 2
    detail = client.get(f"{MODELS}/scam_guard", headers=analyst).json()
    recent = {s["content_id"]: s for s in detail["recent"]}
    assert recent["c1"]["verdict"] == "violating" and recent["c1"]["reasoning"] == "It asks for money up front."
    assert recent["c2"]["verdict"] == "not_violating" and recent["c2"]["score"] == pytest.approx(0.2)
    assert detail["model"]["scored"] == 2 and "QA reviews and golden answers" in detail["qa_and_golden"]
    assert detail["config"] == {"url": server.url, "timeout_seconds": 2.0, "threshold": 0.5, "model": "safeguard"}
    page = client.get("/models/scam_guard", headers=analyst).text
    assert "It asks for money up front." in page and "<script>fee" not in page
    moved = client.post(f"{MODELS}/scam_guard/mode", json={"mode": "off"}, headers=analyst)
    assert moved.status_code == 200 and moved.json()["mode"] == "off"


def test_bad_endpoints_are_refused_field_by_field(client: TestClient, analyst: dict[str, str]) -> None:
    body = {"name": "x", "kind": "http", "policy": "no_such", "url": "ftp://x", "timeout_seconds": 0, "threshold": 2}
    refused = client.post(MODELS, json=body, headers=analyst)
    assert refused.status_code == 422
    paths = {d["path"] for d in refused.json()["error"]["details"]}
    assert paths == {"url", "timeout_seconds", "threshold"}
    unknown = client.post(MODELS, json=body | {"url": "http://127.0.0.1:9", "timeout_seconds": 1, "threshold": 0.5},
                          headers=analyst)  # fmt: skip
    assert unknown.status_code == 422 and unknown.json()["error"]["details"][0]["path"] == "policy"
    assert client.get(f"{MODELS}/none_here", headers=analyst).status_code == 404


def test_access(client: TestClient, database: Database, clock: FrozenClock) -> None:
    assert client.get(MODELS).status_code == 401
    reviewer = bearer(api_key(database, clock, role=Role.REVIEWER))
    assert client.get(MODELS, headers=reviewer).status_code == 403
    assert client.get("/models", headers=reviewer).status_code == 403
    body = {"name": "x", "kind": "http", "policy": "spam", "url": "http://127.0.0.1:9"}
    assert client.post(MODELS, json=body, headers=reviewer).status_code == 403
