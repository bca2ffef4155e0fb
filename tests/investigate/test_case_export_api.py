"""`GET /api/v1/cases/{id}/export`: the evidence package as a zip, exactly what `bastion case export` writes;
unzipped it verifies, and one flipped byte in any file fails verification naming that file."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bastion import audit_log
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.investigate.evidence import MANIFEST, verify_package
from bastion.store.database import Database
from tests.conftest import api_key, bearer, make_user
from tests.investigate.test_evidence import _case_with_evidence


def _key(database: Database, clock: FrozenClock, name: str, role: Role) -> dict[str, str]:
    make_user(database, clock, name, role, vendor="acme" if role is Role.VENDOR_REVIEWER else None)
    return bearer(api_key(database, clock, user=name))


def _unzipped(body: bytes, into: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = archive.namelist()
        assert all(not n.startswith("/") and ".." not in n for n in names)
        archive.extractall(into)
    (folder,) = into.iterdir()
    return folder


def test_the_zip_is_the_package_and_verifies(
    client: TestClient, database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    case_pk = _case_with_evidence(database, clock)
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    answer = client.get(f"/api/v1/cases/{case_pk}/export", headers=ines)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert f"case-{case_pk}-evidence.zip" in answer.headers["content-disposition"]
    folder = _unzipped(answer.content, tmp_path / "unzipped")
    assert folder.name == f"case-{case_pk}"
    report = verify_package(folder)
    assert report.verified and report.checked == 5
    with database.transaction() as session:
        exported = audit_log.search(
            session, audit_log.AuditFilters(action="case.exported", target=f"case:{case_pk}"), limit=10
        )
    assert exported.total == 1 and exported.rows[0].principal == "user:ines"
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert MANIFEST in files and "case.json" in files
    for name in files:
        copy = _unzipped(answer.content, tmp_path / f"flip-{name.replace('/', '_')}")
        path = copy / name
        body = bytearray(path.read_bytes())
        body[len(body) // 2] ^= 0x01
        path.write_bytes(bytes(body))
        flipped = verify_package(copy)
        assert not flipped.verified and flipped.changed == [name], name


@pytest.mark.parametrize("role", [Role.VENDOR_REVIEWER, Role.REVIEWER, Role.ANALYST])
def test_only_those_who_manage_cases_may_export(
    client: TestClient, database: Database, clock: FrozenClock, role: Role
) -> None:
    case_pk = _case_with_evidence(database, clock)
    other = _key(database, clock, "other", role)
    assert client.get(f"/api/v1/cases/{case_pk}/export", headers=other).status_code == 403
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    assert client.get("/api/v1/cases/999999/export", headers=ines).status_code == 404
    with database.transaction() as session:
        assert audit_log.search(session, audit_log.AuditFilters(action="case.exported"), limit=10).total == 0


def test_the_contract_types_the_download_as_binary(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/cases/{case_id}/export"]["get"]
    assert operation["responses"]["200"]["content"] == {
        "application/zip": {"schema": {"type": "string", "format": "binary"}}
    }
