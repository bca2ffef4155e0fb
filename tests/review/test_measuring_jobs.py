"""Jobs that measure (a QA re-review, a prevalence label) cannot be escalated: escalated, they would be
handled as normal jobs and could be enforced. The API refuses (409), a decision asking for escalation
names the field (422), and the console shows no Escalate control. A job already in the escalation
queue cannot be escalated again (it was cancelled and folded into itself)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bastion.assembly import create_app
from bastion.clock import FrozenClock
from bastion.config import Settings
from bastion.domain.access import Role
from bastion.domain.review import JobKind
from bastion.http.context import AppContext
from bastion.store.database import Database
from bastion.store.schema import Job
from tests.conftest import PASSWORD, api_key, bearer
from tests.insight.prevalence.platform import make_platform
from tests.insight.prevalence.test_rounds import DAY
from tests.quality.qa_seed import decide_next, person, put_plan, seed_post

LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ESCALATE_BUTTON = 'data-open-dialog="escalate"'
ESCALATE_DIALOG = 'id="dialog-escalate"'


@pytest.fixture
def web(database: Database, clock: FrozenClock) -> Iterator[TestClient]:
    """Pages and API together; cookies without the Secure flag, so the test client sends them back."""
    settings = Settings(database_url=database.url, cookie_secure=False)
    with TestClient(create_app(AppContext(database=database, settings=settings, clock=clock))) as client:
        yield client


def _log_in(client: TestClient, name: str) -> None:
    client.cookies.clear()
    form = client.get("/login")
    token = LOGIN_CSRF.search(form.text)
    assert token is not None
    done = client.post("/login", data={"name": name, "password": PASSWORD, "login_csrf": token.group(1)})
    assert done.status_code in (200, 303), done.text


def _claim(client: TestClient, queue: str, who: dict[str, str]) -> dict[str, Any]:
    claimed = client.post(f"/api/v1/queues/{queue}/claim", headers=who)
    assert claimed.status_code == 200, claimed.text
    return dict(claimed.json())


def _refused_and_untouched(client: TestClient, database: Database, job: dict[str, Any], who: dict[str, str]) -> None:
    """Escalating is refused with 409, a decision asking for escalation with 422 on `action`; the job
    stays where it was, leased to its reviewer."""
    escalated = client.post(f"/api/v1/jobs/{job['id']}/escalate", json={"note": "please look"}, headers=who)
    assert escalated.status_code == 409, escalated.text
    assert "cannot be escalated" in escalated.json()["error"]["message"]
    choice = {"policy": "hate_speech", "action": "escalate", "rationale": "looks bad"}
    decided = client.post(f"/api/v1/jobs/{job['id']}/decision", json=choice, headers=who)
    assert decided.status_code == 422, decided.text
    [detail] = decided.json()["error"]["details"]
    assert detail["path"] == "action" and "cannot be escalated" in detail["message"], detail
    with database.transaction() as session:
        row = session.get_one(Job, job["id"])
        assert (row.queue, row.kind, row.status) == (job["queue"], job["kind"], "claimed")


def test_a_qa_job_cannot_be_escalated_and_its_page_offers_no_escalation(
    web: TestClient, database: Database, clock: FrozenClock
) -> None:
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    lead = person(database, clock, "lena", Role.QA)
    put_plan(web, lead, rate=1.0)
    seed_post(web, platform, 1)
    seed_post(web, platform, 2)
    decide_next(web, person(database, clock, "ada", Role.ADMIN))
    qa = _claim(web, "qa", lead)
    assert qa["kind"] == JobKind.QA
    _refused_and_untouched(web, database, qa, lead)
    _log_in(web, "lena")
    page = web.get(f"/review/jobs/{qa['id']}")
    assert page.status_code == 200
    assert ESCALATE_BUTTON not in page.text and ESCALATE_DIALOG not in page.text
    assert "Escalate, with a note" not in page.text  # nor in the keyboard help
    normal = _claim(web, "general", lead)  # the second post's job: a normal one offers it
    assert normal["kind"] == JobKind.REVIEW
    normal_page = web.get(f"/review/jobs/{normal['id']}").text
    assert ESCALATE_BUTTON in normal_page and ESCALATE_DIALOG in normal_page and "Escalate, with a note" in normal_page


def test_a_prevalence_job_cannot_be_escalated_and_its_page_offers_no_escalation(
    web: TestClient, database: Database, clock: FrozenClock
) -> None:
    make_platform(database, DAY)
    analyst = bearer(api_key(database, clock, Role.ANALYST))
    body = {"period_start": "2026-11-01", "period_end": "2026-11-02", "size": 10, "seed": 9}
    assert web.post("/api/v1/prevalence/rounds", json=body, headers=analyst).status_code == 200
    labeller = person(database, clock, "lab", Role.REVIEWER)
    job = _claim(web, "prevalence", labeller)
    assert job["kind"] == JobKind.PREVALENCE
    _refused_and_untouched(web, database, job, labeller)
    _log_in(web, "lab")
    page = web.get(f"/review/jobs/{job['id']}")
    assert page.status_code == 200
    assert ESCALATE_BUTTON not in page.text and ESCALATE_DIALOG not in page.text
    # A form posted anyway (an old page, a hand-made request) is refused on the page, the job left as it was.
    token = CSRF.search(page.text)
    assert token is not None
    posted = web.post(f"/review/jobs/{job['id']}/escalate", data={"note": "please look", "csrf_token": token.group(1)})
    assert posted.status_code == 409 and "cannot be escalated" in posted.text
    with database.transaction() as session:
        assert session.get_one(Job, job["id"]).queue == "prevalence"


def test_a_job_in_the_escalation_queue_is_not_folded_into_itself(
    web: TestClient, database: Database, clock: FrozenClock
) -> None:
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    seed_post(web, platform, 1)
    ann = person(database, clock, "ann", Role.ADMIN)
    job = _claim(web, "general", ann)
    moved = web.post(f"/api/v1/jobs/{job['id']}/escalate", json={"note": "a threat"}, headers=ann)
    assert moved.status_code == 200 and moved.json()["queue"] == "escalations", moved.text
    again = _claim(web, "escalations", ann)
    assert again["id"] == job["id"] and again["kind"] == JobKind.ESCALATION
    refused = web.post(f"/api/v1/jobs/{job['id']}/escalate", json={"note": "once more"}, headers=ann)
    assert refused.status_code == 409 and "already in the escalation queue" in refused.json()["error"]["message"]
    with database.transaction() as session:
        row = session.get_one(Job, job["id"])
        assert (row.queue, row.status, row.note) == ("escalations", "claimed", "a threat")
    _log_in(web, "ann")
    page = web.get(f"/review/jobs/{job['id']}").text
    assert ESCALATE_BUTTON not in page and ESCALATE_DIALOG not in page
