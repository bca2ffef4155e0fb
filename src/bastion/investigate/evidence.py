"""Evidence packages: a case written to a folder that anyone can check, byte for byte, later and elsewhere.

A package holds `case.json` (the case, its links, notes, tasks, referrals and timeline), `summary.html` (the
same for people; every piece of content escaped), `snapshots/snapshot-<n>.json` (each evidence snapshot of
the linked content), `audit.json` (the case's audit trail) and `manifest.json`: the SHA-256 of every other
file, and of the manifest itself (`manifest_sha256`, over its canonical JSON without that field). The
manifest is written in one canonical form, so any change to its bytes is seen too.

`verify_package` names every file that changed, is missing, or is extra. The package is written into a
temporary folder beside the destination and renamed into place, so it is whole or absent. Its audit row
(`case.exported`) is in the caller's transaction, and the package stands or falls with it: written into place
before the commit (a failure to write rolls the row back), and removed again if the transaction rolls back, so
no audit row claims a package that is not there and no package stays behind without its row.
"""

from __future__ import annotations

import hashlib
import html
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from bastion import __version__, audit_log
from bastion.auth.principal import Principal
from bastion.clock import as_utc
from bastion.domain.access import Permission
from bastion.domain.events import EventKind
from bastion.errors import Conflict, FieldError, InvalidInput
from bastion.investigate.case_views import case_document, linked_content_pks
from bastion.investigate.cases import (
    case_row,
    case_target,
    record_change,
    require_case_access,
)
from bastion.investigate.snapshots import snapshot_document, snapshots_of

MANIFEST = "manifest.json"
FORMAT = "bastion-evidence/1"
AUDIT_TRAIL_LIMIT = 10_000
_UNCOMMITTED = "bastion.evidence.uncommitted"  # session.info: packages written whose audit row is not committed


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    files: dict[str, str]  # path in the package -> SHA-256
    manifest_sha256: str


def export_case(session: Session, principal: Principal, case_pk: int, out: Path, *, now: datetime) -> ExportResult:
    """Write the case's evidence package to `out` (a folder that must not exist yet, or be empty)."""
    require_case_access(principal, Permission.INVESTIGATE_MANAGE)
    case = case_row(session, case_pk)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidInput("the package needs a new folder", [FieldError("out", f"{out} exists and is not empty")])
    if not out.parent.is_dir():
        raise InvalidInput("the package needs a new folder", [FieldError("out", f"{out.parent} is not a folder")])
    document = case_document(session, case, show_private=principal.can(Permission.INVESTIGATE_MANAGE))
    snapshots = snapshots_of(session, linked_content_pks(session, case.pk))
    trail = audit_log.search(session, audit_log.AuditFilters(target=case_target(case.pk)), limit=AUDIT_TRAIL_LIMIT)
    files: dict[str, bytes] = {}
    snapshot_files: list[dict[str, Any]] = []
    for snapshot in snapshots:
        name = f"snapshots/snapshot-{snapshot.pk}.json"
        files[name] = _json_bytes(snapshot_document(snapshot))
        snapshot_files.append({"file": name, "content_id": snapshot.content_id, "digest": snapshot.digest})
    document["snapshots"] = snapshot_files
    files["case.json"] = _json_bytes(document)
    files["audit.json"] = _json_bytes(
        [
            {
                "seq": row.seq,
                "at": as_utc(row.at).isoformat(),
                "principal": row.principal,
                "action": row.action,
                "target": row.target,
                "details": row.details,
                "hash": row.hash,
            }
            for row in reversed(trail.rows)
        ]
    )
    files["summary.html"] = summary_html(document, snapshots=[snapshot_document(s) for s in snapshots]).encode("utf-8")
    digests = {name: sha256(body) for name, body in sorted(files.items())}
    manifest = {
        "format": FORMAT,
        "case": case.pk,
        "created_at": as_utc(now).isoformat(),
        "created_by": principal.name,
        "bastion": __version__,
        "algorithm": "sha256",
        "files": digests,
    }
    manifest["manifest_sha256"] = sha256(_canonical(manifest))
    files[MANIFEST] = manifest_bytes(manifest)
    details = {"files": len(files), "manifest_sha256": manifest["manifest_sha256"]}
    record_change(session, case, EventKind.CASE_EXPORTED, principal, now, details)
    session.flush()  # the audit row is refused now, if at all, before anything is written
    existed = out.exists()
    _write_whole(out, files)
    session.info.setdefault(_UNCOMMITTED, []).append((out, existed))
    return ExportResult(out, digests, str(manifest["manifest_sha256"]))


@event.listens_for(Session, "after_commit")
def _keep_packages(session: Session) -> None:
    session.info.pop(_UNCOMMITTED, None)


@event.listens_for(Session, "after_rollback")
def _remove_packages(session: Session) -> None:
    """The transaction that recorded these packages' export rolled back: no package without its audit row."""
    for folder, existed in session.info.pop(_UNCOMMITTED, []):
        shutil.rmtree(folder, ignore_errors=True)
        if existed:
            folder.mkdir(exist_ok=True)  # the empty folder it was given is left as it was


@dataclass
class Verification:
    """What `verify_package` found: the files that changed, are missing or are extra (paths in the package)."""

    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def verified(self) -> bool:
        return not (self.changed or self.missing or self.extra)


def verify_package(folder: Path) -> Verification:
    """Check every file of a package against its manifest, and the manifest against itself."""
    if not folder.is_dir():
        raise InvalidInput("not a package", [FieldError("folder", f"{folder} is not a folder")])
    result = Verification()
    present = {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file() or path.is_symlink()}
    manifest_path = folder / MANIFEST
    if MANIFEST not in present:
        result.missing.append(MANIFEST)
        result.extra.extend(sorted(present))
        return result
    present.discard(MANIFEST)
    listed = _read_manifest(manifest_path.read_bytes())
    if listed is None:
        # The manifest cannot be trusted: nothing it lists can be checked against it.
        result.changed.append(MANIFEST)
        return result
    result.checked += 1
    for name, digest in sorted(listed.items()):
        path = folder / name
        if name not in present:
            result.missing.append(name)
            continue
        present.discard(name)
        result.checked += 1
        if path.is_symlink() or sha256(path.read_bytes()) != digest:
            result.changed.append(name)
    result.extra.extend(sorted(present))
    return result


def _read_manifest(body: bytes) -> dict[str, str] | None:
    """The manifest's files, or None when its bytes are not exactly what `export_case` writes or its own
    digest does not hold."""
    try:
        manifest = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest_bytes(manifest) != body:
        return None
    claimed = manifest.pop("manifest_sha256", None)
    files = manifest.get("files")
    if claimed != sha256(_canonical(manifest)) or manifest.get("format") != FORMAT or not isinstance(files, dict):
        return None
    if not all(isinstance(k, str) and _safe_path(k) and isinstance(v, str) for k, v in files.items()):
        return None
    return files


def _safe_path(name: str) -> bool:
    """A plain relative path inside the package: a hostile manifest cannot point verify elsewhere."""
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and name != MANIFEST and "\\" not in name


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _json_bytes(value: object) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The one form a manifest is written in (ASCII, sorted keys, two-space indent, a final newline)."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode("ascii")


def _write_whole(out: Path, files: dict[str, bytes]) -> None:
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        for name, body in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
        if out.exists():
            out.rmdir()  # empty, checked above
        staging.replace(out)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise Conflict(f"the package could not be written to {out}: {error.strerror or error}") from error


def summary_html(case: dict[str, Any], *, snapshots: list[dict[str, Any]]) -> str:
    """The case for people, one self-contained page; everything that came from outside is escaped."""

    def e(value: object) -> str:
        return html.escape("" if value is None else str(value), quote=True)

    def rows(items: list[list[object]]) -> str:
        return "".join("<tr>" + "".join(f"<td>{e(cell)}</td>" for cell in item) + "</tr>" for item in items)

    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Case {e(case['id'])}: {e(case['title'])}</title>",
        "<style>body{font-family:sans-serif;margin:2em}td,th{border:1px solid #999;padding:4px;"
        "vertical-align:top;text-align:left}table{border-collapse:collapse}pre{white-space:pre-wrap}</style>",
        "</head><body>",
        f"<h1>Case {e(case['id'])}: {e(case['title'])}</h1>",
        "<table>",
        rows(
            [
                ["Severity", case["severity"]],
                ["Real-world threat", "yes" if case["threat"] else "no"],
                ["Status", case["status"]],
                ["Opened", f"{case['opened_at']} by {case['opened_by']}"],
                ["Source", f"{case['source']} {case['source_ref'] or ''}".strip()],
                ["Owner", case["owner"] or "nobody"],
            ]
        ),
        "</table>",
        "<h2>Linked</h2><table><tr><th>Kind</th><th>Id</th><th>Detail</th></tr>",
        rows(
            [
                [link["kind"], link["ref"], link.get("text") or ", ".join(link.get("members", []))]
                for link in case["links"]
            ]
        ),
        "</table>",
        "<h2>Evidence snapshots</h2><table><tr><th>Content</th><th>Taken</th><th>Text</th><th>Media PDQ</th></tr>",
        rows([[s["content_id"], s["taken_at"], s["text"], s["media_pdq"]] for s in snapshots]),
        "</table>",
        "<h2>Referrals</h2><table><tr><th>Agency</th><th>Date</th><th>Reference</th><th>Sent</th><th>By</th></tr>",
        rows([[r["agency"], r["date"], r["reference"], r["sent"], r["by"]] for r in case["referrals"]]),
        "</table>",
        "<h2>Notes</h2>",
        "".join(f"<p><b>{e(n['author'])}</b> {e(n['at'])}</p><pre>{e(n['body'])}</pre>" for n in case["notes"]),
        "<h2>Timeline</h2><table><tr><th>When</th><th>What</th><th>About</th><th>Who</th></tr>",
        rows([[t["at"], t["kind"], t["about"], t["principal"]] for t in case["timeline"]]),
        "</table>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
