"""`bastion simulate` and `bastion demo` as a newcomer runs them."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from bastion.domain.access import Role
from bastion.domain.review import JobStatus
from bastion.store.database import Database
from bastion.store.schema import Case, CaseLink, ContentItem, EvidenceSnapshot, Job, PrevalenceRound, TrendAlert
from tests.cli.test_cli import bastion

TRUTH_KEYS = {
    "seed",
    "scale",
    "spikes",
    "emerging_terms",
    "networks",
    "benign_clusters",
    "reviewers",
    "understaffed_queues",
    "prevalence",
}


def _content(url: str) -> list[tuple[object, ...]]:
    database = Database(url)
    try:
        with database.transaction() as session:
            return [
                tuple(r)
                for r in session.execute(
                    select(ContentItem.external_id, ContentItem.text, ContentItem.created_at).order_by(
                        ContentItem.external_id
                    )
                )
            ]
    finally:
        database.dispose()


def test_simulate_twice_gives_identical_content_and_a_complete_truth_file(tmp_path: Path) -> None:
    first, second = f"sqlite:///{tmp_path}/one.db", f"sqlite:///{tmp_path}/two.db"
    truth = tmp_path / "t.json"
    for url in (first, second):
        result = bastion("simulate", "--scale", "small", "--seed", "1", "--truth", str(truth), url=url)
        assert result.returncode == 0, result.stderr
        assert "content" in result.stdout
    one = _content(first)
    assert len(one) > 9_000
    assert one == _content(second)
    planted = json.loads(truth.read_text(encoding="utf-8"))
    assert set(planted) >= TRUTH_KEYS
    assert planted["seed"] == 1 and planted["scale"] == "small"
    assert len(planted["spikes"]) >= 3 and len(planted["networks"]) >= 3
    low = [r for r in planted["reviewers"] if min(r["accuracy"].values()) < 0.7]
    assert len(low) >= 2


def test_simulate_rejects_bad_arguments_naming_them(tmp_path: Path) -> None:
    result = bastion("simulate", "--scale", "huge", "--days", "0", url=f"sqlite:///{tmp_path}/x.db")
    assert result.returncode == 2
    assert "scale" in result.stderr and "days" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_prepares_data_and_a_login_for_every_role_and_reuses_it(tmp_path: Path) -> None:
    first = bastion("demo", "--no-serve", url="", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "created the demo database" in first.stdout
    assert "simulated two weeks" in first.stdout
    for role in Role:
        assert f" {role.value} " in first.stdout, role
    second = bastion("demo", "--no-serve", url="", cwd=tmp_path)
    assert "reusing the demo database" in second.stdout
    assert "simulated" not in second.stdout
    assert len(_content(f"sqlite:///{tmp_path}/bastion-demo/bastion.db")) > 9_000
    # Insight has something to show: a prevalence round labelled to the end, and trend alerts.
    assert "prevalence round" in first.stdout and "alerts raised" in first.stdout
    assert "cases for investigator: case 1 (SEV1, real-world threat)" in " ".join(first.stdout.split())
    database = Database(f"sqlite:///{tmp_path}/bastion-demo/bastion.db")
    try:
        with database.transaction() as session:
            (measured,) = session.scalars(select(PrevalenceRound)).all()
            labelling = session.scalars(select(Job).where(Job.queue == measured.queue)).all()
            assert labelling and all(job.status == JobStatus.DECIDED.value for job in labelling)
            assert session.scalar(select(TrendAlert.pk).limit(1)) is not None
            # The investigator's two cases: a real-world threat from an escalated job, and a planted network.
            threat, network = session.scalars(select(Case).order_by(Case.pk)).all()
            assert (threat.severity, threat.threat, threat.source, threat.owner) == (1, True, "job", "investigator")
            assert (network.source, network.owner) == ("network", "investigator")
            linked = session.scalars(select(CaseLink.ref).where(CaseLink.case_pk == threat.pk)).all()
            assert any(ref.startswith("ct") for ref in linked)  # the planted threat post, with its snapshot
            assert session.scalar(select(EvidenceSnapshot.pk).where(EvidenceSnapshot.content_id.in_(linked)))
    finally:
        database.dispose()
