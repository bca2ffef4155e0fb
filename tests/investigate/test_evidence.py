"""Evidence packages: export then verify passes; one byte flipped anywhere in any file of the package fails
verification naming that file; missing and extra files are named; content is escaped in the HTML summary."""

from __future__ import annotations

import json
import shutil
from fnmatch import fnmatch
from pathlib import Path

import pytest

from bastion.auth.principal import Principal
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.domain.investigate import LinkKind
from bastion.errors import InvalidInput
from bastion.investigate import case_views, cases
from bastion.investigate.cases import CaseDraft
from bastion.investigate.evidence import MANIFEST, export_case, sha256, verify_package
from bastion.review.claims import claim_next_job, escalate
from bastion.store.database import Database
from bastion.store.schema import ContentItem, Job
from tests.review.jobs_factory import make_jobs, make_reviewers

INVESTIGATOR = Principal(name="user:ines", roles=frozenset({Role.INVESTIGATOR}))
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
# Every file a package of a case with one escalated item holds, as patterns (a snapshot's name has its id).
PACKAGE_FILES = ("manifest.json", "case.json", "summary.html", "audit.json", "snapshots/snapshot-*.json")


def _case_with_evidence(database: Database, clock: FrozenClock) -> int:
    (job_pk,) = make_jobs(database, 1, now=clock(), policy_id="spam")
    (reviewer,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        job = session.get_one(Job, job_pk)
        session.get_one(ContentItem, job.subject_pk).text = f"meet at the school gate {HOSTILE}"
    with database.transaction() as session:
        assert claim_next_job(session, "general", reviewer, now=clock()) is not None
        escalate(session, job_pk, reviewer, now=clock(), note="a named school and a date")
    with database.transaction() as session:
        case = cases.open_case_from_job(session, INVESTIGATOR, job_pk, CaseDraft(f"Threat {HOSTILE}", 1), now=clock())
        cases.add_note(session, INVESTIGATOR, case.pk, f"note {HOSTILE}", now=clock())
        cases.link_network(session, INVESTIGATOR, case.pk, "net-<b>1</b>", ["acct-1", "acct-2"], now=clock())
        return case.pk


def _export(database: Database, clock: FrozenClock, out: Path) -> int:
    case_pk = _case_with_evidence(database, clock)
    with database.transaction() as session:
        export_case(session, INVESTIGATOR, case_pk, out, now=clock())
    return case_pk


def test_export_then_verify_passes_and_the_package_holds_the_case(
    database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    out = tmp_path / "package"
    case_pk = _export(database, clock, out)
    report = verify_package(out)
    assert report.verified and report.checked == 5
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert all(any(fnmatch(f, pattern) for pattern in PACKAGE_FILES) for f in files)
    assert all(any(fnmatch(f, pattern) for f in files) for pattern in PACKAGE_FILES)
    case = json.loads((out / "case.json").read_text(encoding="utf-8"))
    assert case["id"] == case_pk and case["severity"] == "SEV1"
    (snapshot_entry,) = case["snapshots"]
    snapshot = json.loads((out / snapshot_entry["file"]).read_text(encoding="utf-8"))
    assert snapshot["text"] == f"meet at the school gate {HOSTILE}"
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert [row["action"] for row in audit][:2] == ["case.opened", "case.linked"]
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["files"]["case.json"] == sha256((out / "case.json").read_bytes())
    with database.transaction() as session:  # the export itself is recorded, after the trail it wrote
        view = case_views.case_view(session, INVESTIGATOR, case_pk, now=clock())
    assert "case.exported" in [entry["kind"] for entry in view["timeline"]]


def test_the_summary_escapes_every_piece_of_content(
    sqlite_database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    out = tmp_path / "package"
    _export(sqlite_database, clock, out)
    page = (out / "summary.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<img" not in page and "<b>1</b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") >= 3  # the title, the note, the snapshot's text


@pytest.mark.parametrize("pattern", PACKAGE_FILES)
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_one_flipped_byte_in_any_file_fails_verification_naming_that_file(
    sqlite_database: Database, clock: FrozenClock, tmp_path: Path, pattern: str, where: str
) -> None:
    out = tmp_path / "package"
    _export(sqlite_database, clock, out)
    (target,) = [p for p in out.rglob("*") if p.is_file() and fnmatch(p.relative_to(out).as_posix(), pattern)]
    body = bytearray(target.read_bytes())
    index = {"first": 0, "middle": len(body) // 2, "last": len(body) - 1}[where]
    body[index] ^= 0x01
    target.write_bytes(bytes(body))
    report = verify_package(out)
    assert not report.verified
    assert report.changed == [target.relative_to(out).as_posix()]
    assert report.missing == report.extra == []


def test_a_missing_and_an_extra_file_are_named(sqlite_database: Database, clock: FrozenClock, tmp_path: Path) -> None:
    out = tmp_path / "package"
    _export(sqlite_database, clock, out)
    (out / "audit.json").unlink()
    (out / "snapshots" / "planted.json").write_text("{}", encoding="utf-8")
    report = verify_package(out)
    assert (report.changed, report.missing, report.extra) == ([], ["audit.json"], ["snapshots/planted.json"])
    shutil.copy(out / "case.json", tmp_path / "keep.json")
    (out / MANIFEST).unlink()
    report = verify_package(out)
    assert report.missing == [MANIFEST] and "case.json" in report.extra


def test_a_manifest_cannot_point_outside_the_package(
    sqlite_database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    """A hand-made manifest naming `../elsewhere` fails as a changed manifest, and nothing outside is read."""
    out = tmp_path / "package"
    _export(sqlite_database, clock, out)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"]["../outside.json"] = sha256(b"")
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="ascii")
    assert verify_package(out).changed == [MANIFEST]


def test_export_needs_a_new_or_empty_folder_and_writes_nothing_half(
    sqlite_database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    case_pk = _case_with_evidence(sqlite_database, clock)
    folder = tmp_path / "packages"
    taken = folder / "taken"
    taken.mkdir(parents=True)
    (taken / "x").write_text("x", encoding="utf-8")
    with sqlite_database.transaction() as session, pytest.raises(InvalidInput) as refused:
        export_case(session, INVESTIGATOR, case_pk, taken, now=clock())
    assert refused.value.errors[0].path == "out"
    assert sorted(p.name for p in folder.iterdir()) == ["taken"]  # no partial folder left behind
    empty = folder / "empty"
    empty.mkdir()
    with sqlite_database.transaction() as session:
        export_case(session, INVESTIGATOR, case_pk, empty, now=clock())
    assert verify_package(empty).verified
    assert sorted(p.name for p in folder.iterdir()) == ["empty", "taken"]


def test_masked_links_are_masked_in_the_package_too(
    sqlite_database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    """The package shows what its exporter may see: an investigator sees an actor's attributes whole."""
    case_pk = _case_with_evidence(sqlite_database, clock)
    with sqlite_database.transaction() as session:
        view = case_views.case_view(session, INVESTIGATOR, case_pk, now=clock())
        actor_ref = next(link["ref"] for link in view["links"] if link["kind"] == LinkKind.ACTOR.value)
        export_case(session, INVESTIGATOR, case_pk, tmp_path / "p", now=clock())
    case = json.loads((tmp_path / "p" / "case.json").read_text(encoding="utf-8"))
    (actor,) = [link for link in case["links"] if link["ref"] == actor_ref]
    assert actor["attributes"] == {"followers": 10}


class _AfterTheExport(Exception):
    """Something the caller's transaction does after the export fails."""


def _exports_recorded(database: Database, case_pk: int) -> int:
    from bastion import audit_log

    with database.transaction() as session:
        found = audit_log.search(
            session, audit_log.AuditFilters(action="case.exported", target=f"case:{case_pk}"), limit=10
        )
    return len(found.rows)


@pytest.mark.parametrize("given_empty_folder", [False, True])
def test_a_rolled_back_export_leaves_no_package_and_no_audit_row(
    database: Database, clock: FrozenClock, tmp_path: Path, given_empty_folder: bool
) -> None:
    case_pk = _case_with_evidence(database, clock)
    (tmp_path / "packages").mkdir()
    out = tmp_path / "packages" / "package"
    if given_empty_folder:
        out.mkdir()
    with pytest.raises(_AfterTheExport), database.transaction() as session:
        export_case(session, INVESTIGATOR, case_pk, out, now=clock())
        assert verify_package(out).verified  # written into place before the commit...
        raise _AfterTheExport
    # ...and gone with the transaction that would have recorded it.
    assert (out.exists(), list(out.iterdir()) if out.exists() else []) == (given_empty_folder, [])
    assert sorted(p.name for p in out.parent.iterdir()) == (["package"] if given_empty_folder else [])
    assert _exports_recorded(database, case_pk) == 0
    with database.transaction() as session:
        export_case(session, INVESTIGATOR, case_pk, out, now=clock())
    assert verify_package(out).verified and _exports_recorded(database, case_pk) == 1
