"""The supervisor's overview on known data, on both backends; its JSON twin; preferences; the charts."""

from __future__ import annotations

import base64
import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bastion import charts
from bastion.api.routes import supervisor as supervisor_api
from bastion.auth.users import add_user, find_user, principal_of
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.domain.policy import harm_type
from bastion.errors import BastionError
from bastion.review.config import Wellness
from bastion.review.config_store import current_review_config
from bastion.review.preferences import Preferences, effective_wellness, preferences_of, save_preferences
from bastion.review.supervisor import BUCKET_LABELS, Overview, OverviewFilters, QueueHealth, overview
from bastion.store.database import Database
from bastion.store.schema import Actor, ContentItem, Decision, Job, ReviewerPreference
from tests.conftest import START, api_key, bearer, make_user

NOW = START
_ids = itertools.count()


class Store:
    """Writes jobs and decisions exactly as described, so that every expected number is known."""

    def __init__(self, database: Database) -> None:
        self.database = database
        with database.transaction() as session:
            self.version = current_review_config(session).version
            actor = Actor(external_id="author", created_at=NOW - timedelta(days=90), attributes={}, received_at=NOW)
            session.add(actor)
            session.flush()
            self.actor_pk = actor.pk
            self.users = {
                name: add_user(session, name, roles=frozenset({role}), password=None, now=NOW, vendor=vendor).pk
                for name, role, vendor in (
                    ("rita", Role.VENDOR_REVIEWER, "acme-review"),
                    ("ben", Role.REVIEWER, None),
                    ("gil", Role.VENDOR_REVIEWER, "globalmod"),
                )
            }

    def job(
        self,
        queue: str,
        age_hours: float,
        *,
        sla_hours: float = 48,
        status: str = "open",
        policy: str | None = "spam",
        language: str | None = "en",
        lease_owner: str | None = None,
        decided_hours_ago: float | None = None,
    ) -> int:
        created = NOW - timedelta(hours=age_hours)
        with self.database.transaction() as session:
            content = ContentItem(
                external_id=f"c{next(_ids)}",
                actor_pk=self.actor_pk,
                type="post",
                text="t",
                created_at=created,
                views=0,
                received_at=created,
            )
            session.add(content)
            session.flush()
            job = Job(
                queue=queue,
                kind="review",
                subject_type="content",
                subject_pk=content.pk,
                status=status,
                policy_hint=policy,
                harm_type=harm_type(policy),
                severity=1,
                language=language,
                priority=1.0,
                priority_terms={},
                claim_rank=0.0,
                created_at=created,
                sla_due_at=created + timedelta(hours=sla_hours),
                lease_owner=self.users[lease_owner] if lease_owner else None,
                claimed_at=NOW - timedelta(minutes=5) if lease_owner else None,
                lease_expires_at=NOW + timedelta(minutes=10) if lease_owner and status == "claimed" else None,
                config_version=self.version,
                decided_at=NOW - timedelta(hours=decided_hours_ago) if decided_hours_ago is not None else None,
            )
            session.add(job)
            session.flush()
            return job.pk

    def decided(self, queue: str, age_hours: float, decided_hours_ago: float, by: str, **kw: Any) -> int:
        """A job decided `decided_hours_ago`, its final decision by `by`."""
        pk = self.job(queue, age_hours, status="decided", decided_hours_ago=decided_hours_ago, **kw)
        self.decision(pk, by, decided_hours_ago)
        return pk

    def decision(
        self, job_pk: int, by: str, hours_ago: float, *, final: bool = True, seconds: float = 30, harm: str = "spam"
    ) -> None:
        with self.database.transaction() as session:
            session.add(
                Decision(
                    job_pk=job_pk,
                    reviewer_pk=self.users[by],
                    round=1,
                    policy_id="spam",
                    harm_type=harm,
                    action="remove",
                    rationale="",
                    seconds_spent=seconds,
                    decided_at=NOW - timedelta(hours=hours_ago),
                    final=final,
                )
            )

    def overview(self, **filters: str) -> Overview:
        with self.database.transaction() as session:
            config = current_review_config(session).config
            return overview(session, config, now=NOW, filters=OverviewFilters(**filters))


def _queue(data: Overview, name: str) -> QueueHealth:
    return next(q for q in data.queues if q.name == name)


@pytest.fixture
def store(database: Database) -> Store:
    return Store(database)


def _known_world(store: Store) -> None:
    # scams-spam backlog by age: <1 h: 0.5; <24 h: 1.0 (exactly an hour is no longer "<1 h") and the
    # claimed 2.0; <48 h: 30; older: 50 and 72, both past their 48 h SLA
    for age in (0.5, 1.0, 30, 50, 72):
        store.job("scams-spam", age)
    store.job("scams-spam", 2, status="claimed", lease_owner="rita")
    store.job("general", 5, status="held", lease_owner="ben", policy=None)
    store.job("hate-latam", 3, policy="hate_speech.slurs", language="es", sla_hours=12)
    # decided in the window: two on time, one late (decided 60 h after opening, SLA 48 h); one too old
    store.decided("scams-spam", age_hours=10, decided_hours_ago=9, by="rita")
    store.decided("scams-spam", age_hours=0.75, decided_hours_ago=0.5, by="rita")
    store.decided("scams-spam", age_hours=70, decided_hours_ago=10, by="ben")
    store.decided("scams-spam", age_hours=300, decided_hours_ago=240, by="ben")
    # gil decided in the last hour, in a queue about a policy nobody filters on here
    store.decided("general", age_hours=2, decided_hours_ago=0.25, by="gil", policy="harmful_misinformation")


def test_backlog_age_buckets_and_overdue(store: Store) -> None:
    _known_world(store)
    data = store.overview()
    spam = _queue(data, "scams-spam")
    assert (spam.backlog, spam.open, spam.claimed, spam.held) == (6, 5, 1, 0)
    assert spam.age_buckets == {"<1 h": 1, "<24 h": 2, "<48 h": 1, "older": 2}
    assert list(spam.age_buckets) == list(BUCKET_LABELS)
    assert spam.overdue == 2  # opened 50 h and 72 h ago with a 48 h SLA
    assert spam.oldest_age_hours == 72.0
    general = _queue(data, "general")
    assert (general.backlog, general.held) == (1, 1)
    empty = _queue(data, "child-safety")
    assert (empty.backlog, empty.oldest_age_hours, empty.sla_attainment) == (0, None, None)
    assert data.totals.backlog == 8 and data.totals.overdue == 2


def test_sla_attainment_counts_jobs_decided_in_the_window(store: Store) -> None:
    _known_world(store)
    data = store.overview()
    spam = _queue(data, "scams-spam")
    assert (spam.decided, spam.decided_in_sla) == (3, 2)
    assert spam.sla_attainment == pytest.approx(2 / 3, abs=1e-4)
    assert (data.totals.decided, data.totals.decided_in_sla) == (4, 3)
    with store.database.transaction() as session:
        config = current_review_config(session).config
        longer = overview(session, config, now=NOW, window=timedelta(days=30))
    assert (_queue(longer, "scams-spam").decided, _queue(longer, "scams-spam").decided_in_sla) == (4, 2)  # late too


def test_decisions_per_reviewer_and_who_is_active(store: Store) -> None:
    _known_world(store)
    data = store.overview()
    rows = {r.reviewer: r for r in data.reviewers}
    assert {name: r.decisions for name, r in rows.items()} == {"rita": 2, "ben": 1, "gil": 1}
    assert [r.reviewer for r in data.reviewers] == ["rita", "ben", "gil"]  # busiest first, then by name
    assert rows["rita"].active and rows["gil"].active and not rows["ben"].active  # ben's hold is no lease
    assert rows["rita"].vendor == "acme-review" and rows["rita"].mean_seconds == 30.0
    assert _queue(data, "scams-spam").active_reviewers == 1  # rita: a live lease and a recent decision
    assert _queue(data, "general").active_reviewers == 1  # gil decided there 15 minutes ago
    assert data.totals.active_reviewers == 2 and data.totals.decisions == 4


def test_filters_by_policy_language_and_vendor(store: Store) -> None:
    _known_world(store)
    store.job("hate-harassment", 1.5, policy="hate_speech")
    store.job("hate-harassment", 1.5, policy="hate_speechless")  # a prefix, not a child: never matched

    hate = store.overview(policy="hate_speech")
    assert _queue(hate, "hate-latam").backlog == 1  # hate_speech.slurs is a child of hate_speech
    assert _queue(hate, "hate-harassment").backlog == 1
    assert _queue(hate, "scams-spam").backlog == 0 and hate.reviewers == []

    spanish = store.overview(language="es")
    assert spanish.totals.backlog == 1 and _queue(spanish, "hate-latam").backlog == 1

    acme = store.overview(vendor="acme-review")
    assert {q.name for q in acme.queues} == {"general", "hate-harassment", "scams-spam"}
    assert [r.reviewer for r in acme.reviewers] == ["rita"]
    spam = _queue(acme, "scams-spam")
    assert (spam.decided, spam.decided_in_sla, spam.backlog) == (2, 2, 6)  # only rita's decisions count
    assert acme.totals.active_reviewers == 1

    nobody = store.overview(vendor="no-such-vendor")
    assert nobody.queues == [] and nobody.reviewers == [] and nobody.totals.sla_attainment is None


def test_an_empty_store_gives_an_empty_overview(store: Store) -> None:
    data = store.overview()
    assert data.totals.backlog == 0 and data.totals.sla_attainment is None and data.reviewers == []
    assert all(q.backlog == 0 for q in data.queues) and len(data.queues) == 10


# --- the JSON twin and preferences over the API ---------------------------------------------------------


@pytest.fixture
def api(client: TestClient) -> TestClient:
    """The test client, with the supervisor routes registered even before app.py includes them."""
    app = client.app
    assert isinstance(app, FastAPI)
    if not any(getattr(route, "path", "") == "/api/v1/review/overview" for route in app.routes):
        app.include_router(supervisor_api.router)
    return client


def test_the_overview_json_twin_matches_the_service(api: TestClient, database: Database, clock: FrozenClock) -> None:
    store = Store(database)
    _known_world(store)
    make_user(database, clock, "sam", Role.QA)
    supervisor = bearer(api_key(database, clock, user="sam"))
    body = api.get("/api/v1/review/overview", params={"vendor": "acme-review"}, headers=supervisor).json()
    queues = {q["name"]: q for q in body["queues"]}
    assert queues["scams-spam"]["age_buckets"] == {"<1 h": 1, "<24 h": 2, "<48 h": 1, "older": 2}
    assert queues["scams-spam"]["sla_attainment"] == 1.0
    assert body["filters"] == {"policy": None, "language": None, "vendor": "acme-review"}
    assert [r["reviewer"] for r in body["reviewers"]] == ["rita"]
    assert body["window_days"] == 7.0 and body["generated_at"].startswith("2026-11-02T09:00:00")

    make_user(database, clock, "rev", Role.REVIEWER)
    reviewer = bearer(api_key(database, clock, user="rev"))
    assert api.get("/api/v1/review/overview", headers=reviewer).status_code == 403
    assert api.get("/api/v1/review/overview", params={"window_days": 0}, headers=supervisor).status_code == 422


def test_preferences_round_trip_and_keep_other_settings(
    api: TestClient, database: Database, clock: FrozenClock
) -> None:
    make_user(database, clock, "rev", Role.REVIEWER)
    reviewer = bearer(api_key(database, clock, user="rev"))
    assert api.get("/api/v1/review/preferences", headers=reviewer).json() == {
        "blur_images": None,
        "greyscale_images": None,
    }
    with database.transaction() as session:
        user_pk = find_user(session, "rev").pk
        session.add(ReviewerPreference(user_pk=user_pk, settings={"theme": "dark"}, updated_at=clock()))
    put = api.put("/api/v1/review/preferences", json={"blur_images": False}, headers=reviewer)
    assert put.status_code == 200 and put.json() == {"blur_images": False, "greyscale_images": None}
    assert api.get("/api/v1/review/preferences", headers=reviewer).json()["blur_images"] is False
    assert api.put("/api/v1/review/preferences", json={"blur": True}, headers=reviewer).status_code == 422
    with database.transaction() as session:
        row = session.get_one(ReviewerPreference, user_pk)
        assert row.settings == {"theme": "dark", "blur_images": False, "greyscale_images": None}


def test_preferences_override_the_queue_only_where_chosen(database: Database, clock: FrozenClock) -> None:
    queue_default = Wellness(blur_images=True, greyscale_images=True)
    assert effective_wellness(queue_default, Preferences()) == queue_default
    assert effective_wellness(queue_default, Preferences(blur_images=False)) == Wellness(
        blur_images=False, greyscale_images=True
    )
    with database.transaction() as session:
        user = add_user(session, "pat", roles=frozenset({Role.REVIEWER}), password=None, now=clock())
        principal = principal_of(user, via="session")
        save_preferences(session, principal, Preferences(greyscale_images=False), now=clock())
        assert preferences_of(session, principal) == Preferences(blur_images=None, greyscale_images=False)


# --- charts: drawn from numbers and labels, never able to run anything ---------------------------------


def test_charts_escape_hostile_labels_and_link_each_bar_inside_the_site() -> None:
    hostile = '<script>alert(1)</script>"\x00'
    pieces = [
        charts.Bar(hostile, 2, "on track", "/review/jobs?queue=q&sla=on_track"),
        charts.Bar(hostile, 3, "overdue"),
    ]
    chart = charts.stacked_bars(
        pieces, value_title="Jobs", series=["on track", "overdue"], colours=["#00f", "#f00"], series_title="SLA"
    )
    assert chart is not None and chart.svg.startswith("<svg")
    assert "<script" not in chart.svg and "&lt;script" in chart.svg
    assert chart.svg.count("<a ") == 1 and 'href="/review/jobs?queue=q&amp;sla=on_track"' in chart.svg
    assert chart.__html__() == chart.svg  # Jinja prints it as is: it was checked instead
    with pytest.raises(BastionError, match="outside this site"):
        charts.bars([charts.Bar("q", 1, href="https://evil.example/")], value_title="Jobs")
    with pytest.raises(BastionError, match="outside this site"):
        charts.bars([charts.Bar("q", 1, href="javascript:alert(1)")], value_title="Jobs")
    assert charts.stacked_bars([charts.Bar("empty", 0)], value_title="", series=[], colours=[], series_title="") is None
    assert charts.bars([], value_title="Decisions") is None
    svg = charts.placeholder_svg("x")
    assert base64.b64decode(charts.svg_data_uri(svg).removeprefix("data:image/svg+xml;base64,")).decode() == svg


def test_the_placeholder_is_drawn_from_the_pdq_hash() -> None:
    pdq = "f" * 32 + "0" * 32
    first = charts.placeholder_svg(pdq)
    assert first == charts.placeholder_svg(pdq.upper())  # deterministic, case-blind
    assert first != charts.placeholder_svg("0" * 64)
    assert first.count("<rect") == 1 + 128  # the background, then one square per set bit
    assert charts.placeholder_svg("https://cdn.example.com/a.jpg").startswith("<svg")


def test_decided_jobs_outside_the_window_do_not_count(store: Store) -> None:
    store.decided("scams-spam", age_hours=200, decided_hours_ago=7 * 24 + 1, by="ben")
    data = store.overview()
    assert data.totals.decided == 0 and data.reviewers == []
    assert isinstance(data.generated_at, datetime)


def test_the_jobs_listing_json_twin(api: TestClient, database: Database, clock: FrozenClock) -> None:
    store = Store(database)
    _known_world(store)
    make_user(database, clock, "sam", Role.QA)
    supervisor = bearer(api_key(database, clock, user="sam"))
    params = {"queue": "scams-spam", "status": "backlog", "overdue": "1"}
    body = api.get("/api/v1/review/jobs", params=params, headers=supervisor).json()
    assert body["selection"] == params and body["total"] == 2 and body["pages"] == 1
    assert [(j["queue"], j["status"], j["overdue"]) for j in body["jobs"]] == [("scams-spam", "open", True)] * 2
    assert body["jobs"][0]["sla_due_at"] < body["jobs"][1]["sla_due_at"]  # nearest deadline first
    paged = api.get("/api/v1/review/jobs", params={"status": "backlog", "page_size": 3, "page": 3}, headers=supervisor)
    assert paged.json()["total"] == 8 and paged.json()["pages"] == 3 and len(paged.json()["jobs"]) == 2

    bad = api.get("/api/v1/review/jobs", params={"status": "gone", "in_sla": "maybe"}, headers=supervisor)
    assert bad.status_code == 422
    assert bad.json()["error"]["details"] == [
        {"path": "status", "message": "must be one of backlog, open, claimed, held, decided, cancelled"},
        {"path": "in_sla", "message": "must be 1 (yes) or 0 (no)"},
    ]
    make_user(database, clock, "rev", Role.REVIEWER)
    assert api.get("/api/v1/review/jobs", headers=bearer(api_key(database, clock, user="rev"))).status_code == 403
