"""Golden sets: items added with clear errors (nothing half-written), imported from files with line numbers,
promoted from confirmed decisions, retired; served at the set's share of the inflow; reports never land on
a golden job; scores per reviewer with Wilson intervals; the API, the pages and the command line."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from statsmodels.stats.proportion import proportion_confint

from bastion.assembly import create_app
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.errors import InvalidInput
from bastion.quality.golden import GoldenEntry, read_items_file, score
from bastion.quality.golden_serving import GoldenServingThread
from bastion.store.database import Database
from bastion.store.schema import AuditRecord, GoldenItem, Job, JobReport
from tests.cli.conftest import Bastion, run_bastion  # noqa: F401 (a fixture)
from tests.conftest import LiveServer, api_key, bearer, make_context
from tests.quality.golden_seed import POLICY, QUEUE, add_golden, drain, people, post_reported
from tests.web.people import add_user, log_in


def _items(client: TestClient, qa: dict[str, str], name: str, items: list[dict[str, str]]) -> dict[str, object]:
    answer = client.post(f"/api/v1/golden-sets/{name}/items", json={"items": items}, headers=qa)
    return {"status": answer.status_code, **answer.json()}


def test_bad_items_are_refused_field_by_field_and_nothing_is_added(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    who = people(client, database, clock)
    post_reported(client, who["platform"], author="a", post="p1", reporter="r")
    good = {"content_id": "p1", "answer": POLICY, "rationale": "dehumanising", "queue": QUEUE}
    bad = {"content_id": "nope", "answer": "hate_speechh", "rationale": " ", "queue": "nowhere"}
    refused = _items(client, who["quinn"], "basics", [good, bad])
    assert refused["status"] == 422
    details = {(d["path"], d["message"]) for d in refused["error"]["details"]}  # type: ignore[index]
    assert ("items[1].content_id", "unknown content id 'nope'") in details
    assert ("items[1].answer", "unknown policy 'hate_speechh'; use a policy id or \"none\"") in details
    assert any(p == "items[1].queue" and m.startswith("unknown queue 'nowhere'") for p, m in details)
    assert ("items[1].rationale", "say why this is the right answer") in details
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(GoldenItem)) == 0
    assert _items(client, who["quinn"], "basics", [good]) == {"status": 200, "golden_set": "basics", "added": 1}
    again = _items(client, who["quinn"], "basics", [good])
    assert again["status"] == 422 and "already in set basics" in str(again)
    # Reviewers may not manage golden sets, nor read them.
    assert (
        client.post("/api/v1/golden-sets/basics/items", json={"items": [good]}, headers=who["rita"]).status_code == 403
    )
    assert client.get("/api/v1/golden-sets", headers=who["rita"]).status_code == 403
    with database.transaction() as session:
        audited = session.scalars(select(AuditRecord.action).where(AuditRecord.action.like("golden.%"))).all()
    assert sorted(audited) == ["golden.add", "golden.set"]


def test_a_file_with_bad_rows_names_each_line(tmp_path: Path) -> None:
    def read(name: str, data: bytes, queue: str | None = None) -> list[GoldenEntry]:
        path = tmp_path / name
        path.write_bytes(data)
        return read_items_file(path, queue=queue)

    jsonl = (
        b'{"content_id": "p1", "answer": "none", "rationale": "fine", "queue": "general"}\n'
        b"\n"
        b"{not json\n"
        b'{"content_id": "p2", "rationale": "no answer", "queue": "general"}\n'
    )
    with pytest.raises(InvalidInput) as refused:
        read("gold.jsonl", jsonl)
    assert [(e.line, e.path) for e in refused.value.errors] == [(3, ""), (4, "answer")]
    csv_text = b"content_id,answer,rationale\np1,none,fine\np2,hate_speech,slur\n"
    entries = read("gold.csv", csv_text, queue="general")
    assert [(e.line, e.content_id, e.answer, e.queue) for e in entries] == [
        (2, "p1", "none", "general"),
        (3, "p2", "hate_speech", "general"),
    ]
    with pytest.raises(InvalidInput) as no_queue:
        read("gold.csv", csv_text)
    assert [(e.line, e.path, e.message) for e in no_queue.value.errors] == [
        (2, "queue", "missing"),
        (3, "queue", "missing"),
    ]
    with pytest.raises(InvalidInput, match=r"cannot tell the format of gold\.txt"):
        read("gold.txt", b"")


def test_golden_jobs_follow_the_share_of_the_inflow_and_reports_never_land_on_them(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    who = people(client, database, clock)
    platform, qa = who["platform"], who["quinn"]
    for i in range(4):
        post_reported(client, platform, author=f"a{i}", post=f"old-{i}", reporter=f"r{i}")
    drain(client, who["olga"])
    add_golden(client, qa, "basics", [f"old-{i}" for i in range(4)], share=0.5)
    clock.advance(timedelta(hours=25))
    assert client.post("/api/v1/golden-serving", headers=qa).json() == {"opened": 0}  # nothing came in
    for i in range(5):
        post_reported(client, platform, author=f"b{i}", post=f"new-{i}", reporter=f"s{i}")
    assert client.post("/api/v1/golden-serving", headers=qa).json() == {"opened": 2}  # half of 5, rounded down
    assert client.post("/api/v1/golden-serving", headers=qa).json() == {"opened": 0}
    with database.transaction() as session:
        golden_jobs = list(session.scalars(select(Job).where(Job.golden_pk.is_not(None))))
        served = {j.subject_pk for j in golden_jobs}
        assert all(j.queue == QUEUE and j.kind == "review" and j.report_count == 1 for j in golden_jobs)
    # A new report on a golden item's post opens a real job beside the golden one; it never attaches.
    with database.transaction() as session:
        post = session.scalar(select(GoldenItem).where(GoldenItem.content_pk.in_(served)))
        assert post is not None
        from bastion.store.schema import ContentItem

        external = session.get_one(ContentItem, post.content_pk).external_id
    report = {"id": "again", "target": {"content_id": external}, "reason": POLICY, "created_at": "2026-11-03T00:00:00Z"}
    client.post("/api/v1/reports", json=report, headers=platform).raise_for_status()
    with database.transaction() as session:
        jobs = list(session.scalars(select(Job).where(Job.subject_pk == post.content_pk, Job.status == "open")))
        assert sorted(j.golden_pk is None for j in jobs) == [False, True]
        golden_job = next(j for j in jobs if j.golden_pk is not None)
        attached = session.scalar(select(func.count()).select_from(JobReport).where(JobReport.job_pk == golden_job.pk))
        assert attached == 1 and golden_job.report_count == 1
    # Retired items are not served again.
    client.post(f"/api/v1/golden-sets/basics/items/{external}/retire", headers=qa).raise_for_status()
    assert client.post(f"/api/v1/golden-sets/basics/items/{external}/retire", headers=qa).status_code == 409


def test_a_daily_dose_is_served_without_inflow_and_counts_what_is_served_already(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    who = people(client, database, clock)
    platform, qa = who["platform"], who["quinn"]
    for i in range(5):
        post_reported(client, platform, author=f"a{i}", post=f"dose-{i}", reporter=f"r{i}")
    drain(client, who["olga"])
    add_golden(client, qa, "dose", [f"dose-{i}" for i in range(4)], share=0.0)
    last = [{"content_id": "dose-4", "answer": POLICY, "rationale": "dehumanising", "queue": QUEUE}]
    bad = client.post("/api/v1/golden-sets/dose/items", json={"items": last, "per_day": -1}, headers=qa)
    assert bad.status_code == 422 and "per_day" in bad.text
    clock.advance(timedelta(hours=25))
    assert client.post("/api/v1/golden-serving", headers=qa).json() == {"opened": 0}  # share 0, no dose yet
    client.post("/api/v1/golden-sets/dose/items", json={"items": last, "per_day": 3}, headers=qa).raise_for_status()
    assert client.get("/api/v1/golden-sets/dose", headers=qa).json()["summary"]["per_day"] == 3
    assert client.post("/api/v1/golden-serving", headers=qa).json() == {"opened": 3}  # no inflow at all
    assert client.post("/api/v1/golden-serving", headers=qa).json() == {"opened": 0}  # three in the last 24 h
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Job).where(Job.golden_pk.is_not(None))) == 3


def test_scores_per_reviewer_with_wilson_intervals_on_the_api_pages_and_command_line(
    client: TestClient,
    database: Database,
    clock: FrozenClock,
    run_bastion: Bastion,  # noqa: F811
) -> None:
    who = people(client, database, clock)
    for i in range(4):
        post_reported(client, who["platform"], author=f"a{i}", post=f"old-{i}", reporter=f"r{i}")
    drain(client, who["olga"])
    add_golden(client, who["quinn"], "basics", [f"old-{i}" for i in range(2)], answer=POLICY)
    add_golden(client, who["quinn"], "basics", [f"old-{i}" for i in range(2, 4)], answer="none")
    assert client.post("/api/v1/golden-serving", headers=who["quinn"]).json() == {"opened": 4}
    # rita says hate speech to all four: right on two, wrong on two
    drain(client, who["rita"])
    detail = client.get("/api/v1/golden-sets/basics", headers=who["quinn"]).json()
    low, high = proportion_confint(2, 4, alpha=0.05, method="wilson")
    assert detail["reviewers"] == [
        {"reviewer": "rita", "decided": 4, "correct": 2, "accuracy": 0.5, "accuracy_low": low, "accuracy_high": high}
    ]
    assert detail["summary"]["served"] == 4 and detail["summary"]["open"] == 0
    assert {i["answer"] for i in detail["items"]} == {POLICY, "none"}
    assert score("x", 0, 0).accuracy is None

    analyst = bearer(api_key(database, clock, role=Role.ANALYST))
    listing = client.get("/quality/golden", headers=analyst)
    assert listing.status_code == 200 and 'href="/quality/golden/basics"' in listing.text
    page = client.get("/quality/golden/basics", headers=analyst)
    assert page.status_code == 200 and "rita" in page.text and "50.0%" in page.text
    assert client.get("/quality/golden/nothing", headers=analyst).status_code == 404
    assert client.get("/quality/golden", headers=who["rita"]).status_code == 403

    ran = run_bastion("quality", "golden", "list", "basics", "--format", "json", url=database.url)
    assert ran.code == 0, ran.err
    assert '"reviewer": "rita"' in ran.out and '"correct": 2' in ran.out


def test_the_command_line_adds_imports_serves_and_retires(
    client: TestClient,
    database: Database,
    clock: FrozenClock,
    run_bastion: Bastion,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    who = people(client, database, clock)
    for i in range(3):
        post_reported(client, who["platform"], author=f"a{i}", post=f"p{i}", reporter=f"r{i}")
    url = database.url
    added = run_bastion(
        "quality", "golden", "add", "cli", "--content", "p0", "--answer", POLICY, "--rationale", "slur",
        "--queue", QUEUE, "--share", "1", url=url,
    )  # fmt: skip
    assert added.code == 0, added.err
    bad = tmp_path / "gold.jsonl"
    bad.write_text(
        '{"content_id": "p1", "answer": "none", "rationale": "ok", "queue": "hate-harassment"}\n{"content_id": 3}\n'
    )
    refused = run_bastion("quality", "golden", "import", "cli", str(bad), url=url)
    assert refused.code != 0 and "line 2" in refused.err and "content_id: must be text" in refused.err
    good = tmp_path / "gold.csv"
    good.write_text("content_id,answer,rationale\np1,none,ok\np2,hate_speech,slur\n")
    imported = run_bastion("quality", "golden", "import", "cli", str(good), "--queue", QUEUE, url=url)
    assert imported.code == 0 and "2 items added" in imported.out
    unknown = run_bastion("quality", "golden", "import", "cli", str(good), "--queue", "nowhere", url=url)
    assert unknown.code != 0 and "unknown queue 'nowhere'" in unknown.err
    served = run_bastion("quality", "golden", "serve", url=url)
    assert served.code == 0 and "golden jobs opened" in served.out
    retired = run_bastion("quality", "golden", "retire", "cli", "p2", url=url)
    assert retired.code == 0 and "retired" in retired.out
    listed = run_bastion("quality", "golden", "list", "--format", "json", url=url)
    assert '"items": 2' in listed.out and '"retired": 1' in listed.out


def test_only_a_confirmed_decision_is_promoted(client: TestClient, database: Database, clock: FrozenClock) -> None:
    who = people(client, database, clock)
    post_reported(client, who["platform"], author="a", post="p1", reporter="r")
    claimed = client.post(f"/api/v1/queues/{QUEUE}/claim", headers=who["rita"]).json()
    choice = {"policy": POLICY, "action": "remove", "rationale": "dehumanising"}
    decided = client.post(f"/api/v1/jobs/{claimed['id']}/decision", json=choice, headers=who["rita"]).json()
    promote = {"decision_id": decided["decision"]}
    unconfirmed = client.post("/api/v1/golden-sets/confirmed/promote", json=promote, headers=who["quinn"])
    assert unconfirmed.status_code == 409 and "never confirmed" in unconfirmed.json()["error"]["message"]
    appeal = {"id": "ap1", "action_id": decided["actions"][0]["id"], "created_at": "2026-11-02T10:00:00Z"}
    client.post("/api/v1/appeals", json=appeal, headers=who["platform"]).raise_for_status()
    appeal_job = client.post("/api/v1/queues/appeals/claim", headers=who["olga"]).json()
    upheld = {"policy": POLICY, "action": "uphold", "rationale": "still dehumanising"}
    client.post(f"/api/v1/jobs/{appeal_job['id']}/decision", json=upheld, headers=who["olga"]).raise_for_status()
    promoted = client.post("/api/v1/golden-sets/confirmed/promote", json=promote, headers=who["quinn"])
    assert promoted.json() == {"golden_set": "confirmed", "added": 1}
    (item,) = client.get("/api/v1/golden-sets/confirmed", headers=who["quinn"]).json()["items"]
    assert (item["content_id"], item["answer"], item["queue"]) == ("p1", POLICY, QUEUE)


@pytest.mark.browser
def test_in_a_browser_a_qa_lead_finds_a_set_and_its_reviewers(
    page: Page, live_server: LiveServer, sqlite_database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    with TestClient(create_app(make_context(sqlite_database, clock)), base_url="http://127.0.0.1") as client:
        who = people(client, sqlite_database, clock)
        for i in range(3):
            post_reported(client, who["platform"], author=f"a{i}", post=f"old-{i}", reporter=f"r{i}")
        drain(client, who["olga"])
        add_golden(client, who["quinn"], "hate-basics", ["old-0", "old-1"], answer=POLICY)
        add_golden(client, who["quinn"], "hate-basics", ["old-2"], answer="none")
        client.post("/api/v1/golden-serving", headers=who["quinn"]).raise_for_status()
        drain(client, who["rita"])
    add_user(live_server, "lena", Role.QA)
    log_in(page, live_server, "lena", "/quality/golden")
    expect(page.locator("#golden-sets tbody tr")).to_have_count(1)
    page.get_by_role("link", name="hate-basics").click()
    expect(page.locator("h1")).to_have_text("Golden set hate-basics")
    expect(page.locator("#golden-reviewers tbody tr")).to_contain_text("rita")
    expect(page.locator("#golden-items tbody tr")).to_have_count(3)
    page.screenshot(path=str(tmp_path / "golden_set.png"), full_page=True)


def test_the_server_background_step_serves_with_the_inflow(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    who = people(client, database, clock)
    for i in range(2):
        post_reported(client, who["platform"], author=f"a{i}", post=f"old-{i}", reporter=f"r{i}")
    drain(client, who["olga"])
    add_golden(client, who["quinn"], "basics", ["old-0", "old-1"], share=1.0)
    clock.advance(timedelta(hours=25))
    serving = GoldenServingThread(database, clock, interval_seconds=0.05)
    assert serving.step() == 0
    post_reported(client, who["platform"], author="b", post="new", reporter="s")
    serving.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with database.transaction() as session:
                if session.scalar(select(func.count()).select_from(Job).where(Job.golden_pk.is_not(None))):
                    break
            time.sleep(0.05)
    finally:
        serving.stop()
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Job).where(Job.golden_pk.is_not(None))) == 1
