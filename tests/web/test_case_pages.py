"""Case pages: the list (threats first, filters, empty state), one case (subjects, snapshots, notes, tasks,
referrals, timeline), the forms that change it (with the CSRF token), opening a case from an escalated job,
and the evidence package's download; investigators and admins only, every view audited, content escaped."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bastion.assembly import create_app
from bastion.auth.principal import Principal
from bastion.clock import FrozenClock
from bastion.config import Settings
from bastion.domain.access import Role
from bastion.http.context import AppContext
from bastion.investigate import cases
from bastion.investigate.cases import CaseDraft
from bastion.investigate.evidence import verify_package
from bastion.review.claims import claim_next_job, escalate
from bastion.store.database import Database
from bastion.store.schema import AuditRecord, Case, Job
from tests.conftest import PASSWORD, api_key, bearer, make_user
from tests.investigate.test_evidence import HOSTILE, _case_with_evidence
from tests.review.jobs_factory import make_jobs, make_reviewers

ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
ADMIN = Principal(name="user:ada", roles=frozenset({Role.ADMIN}))


def _key(database: Database, clock: FrozenClock, name: str, role: Role) -> dict[str, str]:
    make_user(database, clock, name, role, vendor="acme" if role is Role.VENDOR_REVIEWER else None)
    return bearer(api_key(database, clock, user=name))


def _audited(database: Database, action: str, target: str | None = None) -> int:
    query = select(func.count()).select_from(AuditRecord).where(AuditRecord.action == action)
    if target is not None:
        query = query.where(AuditRecord.target == target)
    with database.transaction() as session:
        return int(session.scalar(query) or 0)


def test_the_list_says_when_there_are_no_cases(client: TestClient, database: Database, clock: FrozenClock) -> None:
    page = client.get("/investigate/cases", headers=_key(database, clock, "ines", Role.INVESTIGATOR))
    assert page.status_code == 200 and "No cases yet." in page.text
    assert 'href="/investigate/cases"' in page.text and ">Cases</a>" in page.text  # the navigation entry
    assert 'action="/investigate/cases"' in page.text  # the form to open one by hand


@pytest.mark.parametrize("role", [Role.VENDOR_REVIEWER, Role.REVIEWER, Role.ANALYST, Role.QA, Role.PLATFORM])
def test_only_investigators_and_admins_see_cases(
    client: TestClient, database: Database, clock: FrozenClock, role: Role
) -> None:
    case_pk = _case_with_evidence(database, clock)
    other = _key(database, clock, "other", role)
    home = client.get("/", headers=other)
    assert 'href="/investigate/cases"' not in home.text
    for path in ("/investigate/cases", f"/investigate/cases/{case_pk}", f"/investigate/cases/{case_pk}/evidence.zip"):
        assert client.get(path, headers=other).status_code == 403, path
    posted = client.post(f"/investigate/cases/{case_pk}/notes", data={"body": "x"}, headers=other)
    assert posted.status_code == 403
    assert _audited(database, "case.viewed") == 0 and _audited(database, "case.noted") == 1  # the factory's note


def test_unknown_cases_and_jobs_are_404(client: TestClient, database: Database, clock: FrozenClock) -> None:
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    assert client.get("/investigate/cases/999999", headers=ines).status_code == 404
    assert client.get("/investigate/cases/new", params={"from_job": 999999}, headers=ines).status_code == 404


def test_hostile_content_is_shown_as_text_and_every_view_is_audited(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    case_pk = _case_with_evidence(database, clock)  # hostile title, note and snapshot text
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    listed = client.get("/investigate/cases", headers=ines).text
    page = client.get(f"/investigate/cases/{case_pk}", headers=ines).text
    for text in (listed, page):
        assert ESCAPED in text and "<script>alert" not in text and "<img src=x" not in text
    assert page.count(ESCAPED) >= 4  # the title, the note, the linked content and its snapshot
    assert "meet at the school gate" in unescape(page) and "Evidence snapshots" in page
    assert "content.snapshotted" in page and "case.opened" in page  # the timeline, from the event log
    assert _audited(database, "case.viewed", f"case:{case_pk}") == 1
    assert _audited(database, "case.listed") == 1
    client.get(f"/investigate/cases/{case_pk}", headers=ines)
    assert _audited(database, "case.viewed", f"case:{case_pk}") == 2


def _cases(database: Database, clock: FrozenClock) -> dict[str, int]:
    make_user(database, clock, "owen", Role.INVESTIGATOR)
    made = {}
    with database.transaction() as session:
        for name, severity, threat, owner in (
            ("lead", 4, False, None),
            ("scam ring", 2, False, "owen"),
            ("school threat", 1, True, None),
            ("old sev1", 1, False, "owen"),
        ):
            made[name] = cases.open_case(session, ADMIN, CaseDraft(name, severity, threat, owner), now=clock()).pk
        cases.change_status(session, ADMIN, made["lead"], cases.CaseStatus.INVESTIGATING, now=clock())
    return made


def _listed(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td data-sort="(\d+)"><a href="/investigate/cases/\d+">', page)]


def test_threats_first_and_the_filters(client: TestClient, database: Database, clock: FrozenClock) -> None:
    made = _cases(database, clock)
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    every = client.get("/investigate/cases", headers=ines).text
    order = ["school threat", "old sev1", "scam ring", "lead"]
    assert _listed(every) == [made[n] for n in order]
    for params, expected in (
        ({"severity": 1}, ["school threat", "old sev1"]),
        ({"status": "investigating"}, ["lead"]),
        ({"owner": "owen"}, ["old sev1", "scam ring"]),
        ({"threat": "true"}, ["school threat"]),
        ({"severity": 2, "owner": "owen"}, ["scam ring"]),
    ):
        page = client.get("/investigate/cases", params=params, headers=ines)
        assert page.status_code == 200 and _listed(page.text) == [made[n] for n in expected], params
    none = client.get("/investigate/cases", params={"severity": 3}, headers=ines).text
    assert _listed(none) == [] and "No case matches these filters." in none
    anything = {"status": "", "severity": "", "owner": "", "threat": ""}  # the form, every field at "any"
    assert _listed(client.get("/investigate/cases", params=anything, headers=ines).text) == _listed(every)
    for field, bad in (("severity", "9"), ("status", "lost"), ("threat", "maybe")):
        refused = client.get("/investigate/cases", params={field: bad}, headers=ines)
        assert refused.status_code == 422 and f"<code>{field}</code>" in refused.text, field


def test_the_response_time_target_breached(client: TestClient, database: Database, clock: FrozenClock) -> None:
    made = _cases(database, clock)
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    assert "breached" not in client.get("/investigate/cases", headers=ines).text
    clock.advance(timedelta(hours=2))  # past SEV1's hour, within SEV2's four
    page = client.get("/investigate/cases", headers=ines).text
    rows = {int(m.group(1)): m.group(0) for m in re.finditer(r'<tr>\s*<td data-sort="(\d+)">.*?</tr>', page, re.S)}
    breached = {pk for pk, row in rows.items() if 'tag-bad">breached' in row}
    assert breached == {made["school threat"], made["old sev1"]}


def test_open_by_hand_and_change_through_the_forms(
    client: TestClient, database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    refused = client.post("/investigate/cases", data={"title": "  ", "severity": "2"}, headers=ines)
    assert refused.status_code == 422 and "<code>title</code> must not be empty" in refused.text
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
    opened = client.post(
        "/investigate/cases",
        data={"title": "Doxxing", "severity": "2", "threat": "true"},
        headers=ines,
        follow_redirects=False,
    )
    assert opened.status_code == 303
    path = opened.headers["location"]
    page = client.get(path, headers=ines).text
    assert "real-world threat" in page and "SEV2" in page and "ines" in page  # owner: who opened it
    assert "Move to investigating" in page and "Move to closed" in page and "Move to referred" not in page
    skipped = client.post(f"{path}/status", data={"status": "actioned"}, headers=ines)
    assert skipped.status_code == 409 and "it can move to closed, investigating" in unescape(skipped.text)
    late = client.post(f"{path}/referrals", data=_referral(), headers=ines)
    assert late.status_code == 409 and "it can move to" in unescape(late.text)
    for form, target in ((f"{path}/status", {"status": "investigating"}), (f"{path}/notes", {"body": "seen <b>"})):
        assert client.post(form, data=target, headers=ines, follow_redirects=False).status_code == 303
    assert client.post(f"{path}/tasks", data={"title": "ask for logs"}, headers=ines).status_code == 200
    page = client.get(path, headers=ines).text
    task = re.search(r'action="(/investigate/cases/\d+/tasks/\d+/done)"', page)
    assert task and "seen &lt;b&gt;" in page and "Move to actioned" in page
    assert client.post(task.group(1), headers=ines).status_code == 200
    bad_date = client.post(f"{path}/referrals", data=_referral() | {"on": "03/02/2026"}, headers=ines)
    assert bad_date.status_code == 422 and "<code>date</code>" in bad_date.text
    assert client.post(f"{path}/referrals", data=_referral(), headers=ines).status_code == 200
    page = client.get(path, headers=ines).text
    assert "Policía Nacional" in page and "ES-77" in page and 'tag-ok">done' in page
    assert ">referred</span>" in page


def _referral() -> dict[str, str]:
    return {"agency": "Policía Nacional", "on": "2026-03-02", "reference": "ES-77", "sent": "package sha256 ab"}


def test_the_evidence_download_verifies_and_a_flipped_byte_is_named(
    client: TestClient, database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    case_pk = _case_with_evidence(database, clock)
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    page = client.get(f"/investigate/cases/{case_pk}", headers=ines).text
    assert f'href="/investigate/cases/{case_pk}/evidence.zip"' in page and "Download evidence package" in page
    answer = client.get(f"/investigate/cases/{case_pk}/evidence.zip", headers=ines)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        archive.extractall(tmp_path)
    folder = tmp_path / f"case-{case_pk}"
    assert verify_package(folder).verified
    snapshot = next((folder / "snapshots").iterdir())
    body = bytearray(snapshot.read_bytes())
    body[0] ^= 0x20
    snapshot.write_bytes(bytes(body))
    assert verify_package(folder).changed == [f"snapshots/{snapshot.name}"]
    assert _audited(database, "case.exported", f"case:{case_pk}") == 1


def _escalated_job(database: Database, clock: FrozenClock) -> int:
    (job_pk,) = make_jobs(database, 1, now=clock(), policy_id="violence")
    (reviewer,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        assert claim_next_job(session, "general", reviewer, now=clock()) is not None
        escalate(session, job_pk, reviewer, now=clock(), note=f"names a school {HOSTILE}")
    return job_pk


def test_open_a_case_from_an_escalated_job(client: TestClient, database: Database, clock: FrozenClock) -> None:
    job_pk = _escalated_job(database, clock)
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    with database.transaction() as session:
        from bastion.auth.users import principal_of
        from bastion.store.schema import User

        user = session.scalar(select(User).where(User.name == "ines"))
        assert user is not None
        claimed = claim_next_job(session, "escalations", principal_of(user, "test"), now=clock())
        assert claimed is not None and claimed.pk == job_pk
    console = client.get(f"/review/jobs/{job_pk}", headers=ines).text
    assert f'href="/investigate/cases/new?from_job={job_pk}"' in console
    rita = _key(database, clock, "rita", Role.REVIEWER)
    assert "from_job" not in client.get(f"/review/jobs/{job_pk}", headers=rita).text  # not hers to open
    form = client.get("/investigate/cases/new", params={"from_job": job_pk}, headers=ines)
    assert form.status_code == 200 and ESCAPED in form.text and "<script>alert" not in form.text
    title = re.search(r'name="title" required maxlength="200" value="([^"]*)"', form.text)
    assert title and title.group(1).startswith("Escalation: content ")
    opened = client.post(
        "/investigate/cases",
        data={"title": title.group(1), "severity": "1", "threat": "true", "from_job": str(job_pk)},
        headers=ines,
        follow_redirects=False,
    )
    assert opened.status_code == 303, opened.text
    page = client.get(opened.headers["location"], headers=ines).text
    with database.transaction() as session:
        job = session.get_one(Job, job_pk)
        case = session.scalars(select(Case)).one()
    assert (case.source, case.source_ref, case.severity, case.threat) == ("job", f"job:{job_pk}", 1, True)
    assert 'Evidence snapshots<span class="count">1</span>' in page and f'job <a href="/review/jobs/{job.pk}">' in page
    assert page.count('href="/investigate/graph?subject=') == 2  # the content and its author


def test_a_job_never_escalated_is_refused_on_the_form(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    (job_pk,) = make_jobs(database, 1, now=clock(), policy_id="spam")
    ines = _key(database, clock, "ines", Role.INVESTIGATOR)
    refused = client.post(
        "/investigate/cases", data={"title": "x", "severity": "3", "from_job": str(job_pk)}, headers=ines
    )
    assert refused.status_code == 409 and "was never escalated" in refused.text


@pytest.fixture
def browser_like(database: Database, clock: FrozenClock) -> Iterator[TestClient]:
    """Logged in through the form with a session cookie (no API key): POSTs need the page's CSRF token."""
    settings = Settings(database_url=database.url, cookie_secure=False)
    app = create_app(AppContext(database=database, settings=settings, clock=clock))
    with TestClient(app, base_url="http://127.0.0.1") as http:
        make_user(database, clock, "ines", Role.INVESTIGATOR)
        form = http.get("/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
        assert token
        logged = http.post(
            "/login", data={"name": "ines", "password": PASSWORD, "login_csrf": token.group(1)}, follow_redirects=False
        )
        assert logged.status_code == 303
        yield http


def test_every_form_needs_the_csrf_token(browser_like: TestClient, database: Database, clock: FrozenClock) -> None:
    case_pk = _case_with_evidence(database, clock)
    page = browser_like.get(f"/investigate/cases/{case_pk}").text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert token
    forms = re.findall(r'<form method="post" action="([^"]+)"', page)
    assert {f"/investigate/cases/{case_pk}/{verb}" for verb in ("notes", "tasks", "status", "flag")} <= set(forms)
    assert page.count(f'name="csrf_token" value="{token.group(1)}"') >= len(forms)
    without = browser_like.post(f"/investigate/cases/{case_pk}/notes", data={"body": "forged"})
    assert without.status_code == 403
    forged = browser_like.post("/investigate/cases", data={"title": "forged", "severity": "3"})
    assert forged.status_code == 403
    with_token = browser_like.post(
        f"/investigate/cases/{case_pk}/notes",
        data={"body": "real", "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert with_token.status_code == 303
    assert _audited(database, "case.noted", f"case:{case_pk}") == 2  # the factory's and this one
