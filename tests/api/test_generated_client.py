"""A Python client generated from the live `/openapi.json` runs the review loop over real HTTP.

The generator (openapi-python-client) lives in its own virtualenv (see scripts/ensure-client-generator.sh);
the client is generated into a temporary folder for each run and imported from there, never committed.
It fails on any warning, so a schema the generator cannot turn into typed models fails this test.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from bastion.domain.access import Role
from tests.conftest import LiveServer, api_key, make_user

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "bastion_client"


def generate_client(schema: bytes, folder: Path) -> Path:
    """Generate the client package for `schema` into `folder`; returns the folder to put on sys.path."""
    tool = subprocess.run(
        ["bash", str(ROOT / "scripts" / "ensure-client-generator.sh")],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout.strip()
    (folder / "openapi.json").write_bytes(schema)
    # A zip (an evidence package) is bytes to the client, as application/octet-stream is.
    overrides = "content_type_overrides:\n  application/zip: application/octet-stream\n"
    (folder / "config.yaml").write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n{overrides}")
    result = subprocess.run(
        [
            str(ROOT / tool),
            "generate",
            "--path",
            "openapi.json",
            "--config",
            "config.yaml",
            "--meta",
            "none",
            "--output-path",
            PACKAGE,
            "--fail-on-warning",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"the generator refused the schema:\n{result.stdout}\n{result.stderr}"
    return folder


@pytest.fixture
def client_package(live_server: LiveServer, tmp_path: Path) -> Iterator[ModuleType]:
    schema = httpx.get(f"{live_server.url}/openapi.json", timeout=30).content
    sys.path.insert(0, str(generate_client(schema, tmp_path)))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_a_generated_client_runs_ingest_claim_decide_and_appeal(
    live_server: LiveServer, client_package: ModuleType
) -> None:
    database, clock = live_server.context.database, live_server.context.clock
    make_user(database, clock, "rita", Role.REVIEWER)  # type: ignore[arg-type]
    make_user(database, clock, "quinn", Role.QA)  # type: ignore[arg-type]

    def client_for(secret: str) -> Any:
        return client_package.AuthenticatedClient(
            base_url=live_server.url, token=secret, raise_on_unexpected_status=True
        )

    platform = client_for(api_key(database, clock, role=Role.PLATFORM))  # type: ignore[arg-type]
    rita = client_for(api_key(database, clock, user="rita"))  # type: ignore[arg-type]
    quinn = client_for(api_key(database, clock, user="quinn"))  # type: ignore[arg-type]
    models = _module("models")
    ingest = {name: _module(f"api.ingest.{name}") for name in ("ingest_actors", "ingest_content", "ingest_reports")}
    review = {
        name: _module(f"api.review.{name}")
        for name in ("list_queues", "claim", "get_job", "post_decision", "post_appeal")
    }

    # Ingest: typed request bodies built from the same JSON a platform sends, typed answers.
    actors = models.IngestActorsActorPayloadBatch.from_dict(
        {
            "items": [
                {"id": "author", "created_at": "2025-01-01T00:00:00Z", "attributes": {"followers": 5000}},
                {"id": "reporter", "created_at": "2025-01-01T00:00:00Z"},
            ]
        }
    )
    stored = ingest["ingest_actors"].sync(client=platform, body=actors)
    assert isinstance(stored, models.IngestResult) and stored.created == 2
    post = models.IngestContentContentPayload.from_dict(
        {
            "id": "p1",
            "actor_id": "author",
            "type": "post",
            "text": "they are vermin",
            "language": "en",
            "created_at": "2026-11-01T10:00:00Z",
        }
    )
    assert ingest["ingest_content"].sync(client=platform, body=post).created == 1
    report = models.IngestReportsReportPayload.from_dict(
        {
            "id": "r1",
            "target": {"content_id": "p1"},
            "reporter_id": "reporter",
            "reason": "hate_speech",
            "created_at": "2026-11-01T11:00:00Z",
        }
    )
    assert ingest["ingest_reports"].sync(client=platform, body=report).created == 1

    # Claim and decide: the job and the decision come back as typed models.
    queues = {q.name: q for q in review["list_queues"].sync(client=rita)}
    assert queues["hate-harassment"].open_ == 1
    job = review["claim"].sync(name="hate-harassment", client=rita)
    assert isinstance(job, models.JobView)
    assert job.subject.text == "they are vermin" and job.policy.id == "hate_speech"
    assert job.author.attributes["followers"] == 5000
    assert review["get_job"].sync(job_id=job.id, client=rita).id == job.id
    choice = models.DecisionBody(policy="hate_speech", action="remove", rationale="dehumanising comparison")
    decided = review["post_decision"].sync(job_id=job.id, client=rita, body=choice)
    assert isinstance(decided, models.DecisionResult) and decided.final is True
    [removal] = decided.actions
    assert removal.action == "remove"

    # Appeal: the platform files it, another reviewer overturns it.
    appeal = models.AppealBody.from_dict(
        {"id": "ap1", "action_id": removal.id, "text": "it was satire", "created_at": "2026-11-02T10:00:00Z"}
    )
    filed = review["post_appeal"].sync(client=platform, body=appeal)
    assert isinstance(filed, models.AppealFiled) and filed.status == "created"
    nothing = review["claim"].sync_detailed(name="appeals", client=rita)  # whoever decided may not judge the appeal
    assert nothing.status_code == 204
    appeal_job = review["claim"].sync(name="appeals", client=quinn)
    assert appeal_job.kind == "appeal"
    assert appeal_job.appeal.appeals[0].original_rationale == "dehumanising comparison"
    verdict = models.DecisionBody(policy="hate_speech", action="overturn", rationale="satire")
    overturned = review["post_decision"].sync(job_id=appeal_job.id, client=quinn, body=verdict)
    assert [a.action for a in overturned.actions] == ["restore"]

    # Errors are typed too: the one error body.
    refused = review["post_decision"].sync_detailed(job_id=appeal_job.id, client=quinn, body=verdict)
    assert refused.status_code == 409
    assert isinstance(refused.parsed, models.ErrorBody) and refused.parsed.error.code == "conflict"
