"""`bastion case`: a case's life through the command line, its listings as JSON, export and verify, and the
errors: bad input exits 2 naming the field, a refused move or a failed verification exits 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.review.claims import claim_next_job, escalate
from bastion.store.database import Database
from bastion.store.schema import ContentItem, Job
from tests.cli.conftest import Bastion
from tests.cli.test_console import one_error_line
from tests.conftest import make_user
from tests.review.jobs_factory import make_jobs, make_reviewers
from tests.support.simulated import simulated_copy


def _escalated(database: Database, clock: FrozenClock) -> tuple[int, str]:
    (job_pk,) = make_jobs(database, 1, now=clock(), policy_id="spam")
    (reviewer,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        assert claim_next_job(session, "general", reviewer, now=clock()) is not None
        escalate(session, job_pk, reviewer, now=clock(), note="a threat")
        return job_pk, session.get_one(ContentItem, session.get_one(Job, job_pk).subject_pk).external_id


def test_a_case_from_open_to_referred_with_its_package_verified(
    run_bastion: Bastion, sqlite_database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    url = sqlite_database.url
    job_pk, content_id = _escalated(sqlite_database, clock)
    opened = run_bastion(
        "case", "open", "--title", "School threat", "--severity", "1", "--from-job", str(job_pk), url=url
    )
    assert opened.code == 0, opened.err
    assert opened.out.startswith("case 1 opened: School threat, SEV1")
    lead = run_bastion("case", "open", "--title", "A lead", "--severity", "4", "--threat", url=url)
    assert lead.code == 0 and "(real-world threat)" in lead.out
    listed = json.loads(run_bastion("case", "list", "--format", "json", url=url).out)
    assert [(c["id"], c["threat"], c["severity"]) for c in listed] == [(2, True, "SEV4"), (1, False, "SEV1")]
    assert run_bastion("case", "note", "1", "the same wording as last week", url=url).code == 0
    make_user(sqlite_database, clock, "ines", Role.INVESTIGATOR)
    assert run_bastion("case", "task", "1", "Ask for the login IPs", "--assignee", "ines", url=url).out == (
        "task 1 added to case 1\n"
    )
    assert run_bastion("case", "done", "1", "1", url=url).code == 0
    assert run_bastion("case", "owner", "1", "ines", url=url).code == 0
    assert run_bastion("case", "watch", "1", "ines", url=url).code == 0
    unknown = run_bastion("case", "owner", "1", "nobody", url=url)
    assert unknown.code == 2 and "owner: no active user 'nobody'" in unknown.err
    assert run_bastion("case", "status", "1", "investigating", "--reason", "credible", url=url).code == 0
    assert run_bastion("case", "status", "1", "actioned", url=url).code == 0
    shown = json.loads(run_bastion("case", "show", "1", "--format", "json", url=url).out)
    assert shown["status"] == "actioned" and shown["notes"][0]["body"] == "the same wording as last week"
    assert (shown["owner"], shown["watchers"]) == ("ines", ["ines"])
    assert shown["tasks"] == [{"id": 1, "title": "Ask for the login IPs", "assignee": "ines", "done": True}]
    assert ("content", content_id) in [(link["kind"], link["ref"]) for link in shown["links"]]
    text = run_bastion("case", "show", "1", url=url)
    assert (
        text.code == 0
        and "case 1: School threat" in text.out
        and "Case moved from open to investigating (credible)" in text.out
    )
    out = tmp_path / "package"
    exported = run_bastion("case", "export", "1", "--out", str(out), url=url)
    assert exported.code == 0, exported.err
    verified = run_bastion("case", "verify", str(out), url=url)
    assert verified.code == 0 and verified.out.startswith("verified: ")
    digest = exported.out.split("manifest sha256 ")[1].strip()
    referred = run_bastion(
        "case", "refer", "1", "--agency", "Met Police", "--date", "2026-03-01", "--reference", "CAD-7",
        "--sent", f"evidence package, manifest sha256 {digest}", url=url,
    )  # fmt: skip
    assert referred.code == 0, referred.err
    shown = json.loads(run_bastion("case", "show", "1", "--format", "json", url=url).out)
    assert shown["status"] == "referred" and shown["referrals"][0]["sent"].endswith(digest)
    assert (
        json.loads(run_bastion("case", "list", "--status", "referred", "--format", "json", url=url).out)[0]["id"] == 1
    )


def test_verify_names_the_file_that_changed_and_exits_1(
    run_bastion: Bastion, sqlite_database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    url = sqlite_database.url
    assert run_bastion("case", "open", "--title", "x", "--severity", "2", url=url).code == 0
    out = tmp_path / "package"
    assert run_bastion("case", "export", "1", "--out", str(out), url=url).code == 0
    body = bytearray((out / "case.json").read_bytes())
    body[10] ^= 0x01
    (out / "case.json").write_bytes(bytes(body))
    (out / "extra.txt").write_text("planted", encoding="utf-8")
    ran = run_bastion("case", "verify", str(out), url=url)
    assert ran.code == 1
    assert ran.out.splitlines() == ["changed: case.json", "extra: extra.txt"]
    assert one_error_line(ran.err) == "error: the package does not verify: 1 changed, 0 missing, 1 extra"


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("case", "open", "--title", "x", "--severity", "7"), 2, "severity: must be 1, 2, 3 or 4"),
        (("case", "open", "--title", " ", "--severity", "1"), 2, "title: must not be empty"),
        (
            ("case", "open", "--title", "x", "--severity", "1", "--from-job", "1", "--from-trend", "2"),
            2,
            "--from-trend",
        ),
        (("case", "open", "--title", "x", "--severity", "1", "--from-job", "999"), 1, "error: no job 999"),
        (("case", "status", "1", "archived"), 2, "error: invalid value for '[open|investigating"),
        (("case", "status", "1", "referred"), 1, "error: case 1 is open: it can move to closed, investigating"),
        (("case", "show", "99"), 1, "error: no case 99"),
        (("case", "link", "1"), 2, "give exactly one"),
        (("case", "link", "1", "--content", "nope"), 2, "content: no content 'nope'"),
        (("case", "note", "1", "  "), 2, "the note is empty"),
        (
            ("case", "refer", "1", "--agency", "A", "--date", "soon", "--reference", "R", "--sent", "S"),
            2,
            "--date: 'soon'",
        ),
        (("case", "verify", "nowhere"), 2, "folder: nowhere is not a folder"),
    ],
)
def test_errors_are_clear_and_exit_as_documented(
    run_bastion: Bastion, sqlite_database: Database, args: tuple[str, ...], code: int, says: str
) -> None:
    url = sqlite_database.url
    assert run_bastion("case", "open", "--title", "x", "--severity", "2", url=url).code == 0
    ran = run_bastion(*args, url=url)
    assert ran.code == code, ran.err
    assert says in ran.err
    assert ran.err.startswith("error: ") and "Traceback" not in ran.err


def test_a_case_from_a_network_links_it_with_the_members_the_detector_found(
    run_bastion: Bastion, simulated_cache: Path, tmp_path: Path
) -> None:
    simulated_copy(simulated_cache, 1, tmp_path / "simulated.db")
    url = f"sqlite:///{tmp_path / 'simulated.db'}"
    found = json.loads(run_bastion("investigate", "networks", "--format", "json", url=url).out)["networks"]
    network = found[0]
    ran = run_bastion("case", "open", "--title", "Ring", "--severity", "3", "--from-network", network["id"], url=url)
    assert ran.code == 0, ran.err
    case = json.loads(run_bastion("case", "show", "1", "--format", "json", url=url).out)
    assert (case["source"], case["source_ref"]) == ("network", network["id"])
    assert case["links"][0]["members"] == sorted(network["members"])
    unknown = run_bastion("case", "link", "1", "--network", "network-000000000000", url=url)
    assert unknown.code == 1 and one_error_line(unknown.err).startswith("error: no network network-000000000000")
