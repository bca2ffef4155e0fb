"""The review console in a real Chromium: keyboard-only decisions, blurred images, vendor walls.

The supervisor view has its own: test_supervisor_view.py.

Set BASTION_SCREENSHOTS to a folder to keep screenshots of the pages these tests visit.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from bastion.auth.users import find_user, principal_of
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.domain.subjects import IngestKind
from bastion.ingest.service import ingest
from bastion.policy.service import current_policies
from bastion.review import claims
from bastion.review.appeals import AppealRequest, file_appeal
from bastion.review.config_store import current_review_config, load_review_config
from bastion.review.decisions import Choice, decide
from bastion.store.schema import Appeal, ContentItem, Decision, EnforcementAction, Job, User, WebhookDelivery
from bastion.web.review_routes import media_loadable
from tests.conftest import LiveServer
from tests.web.people import add_user, log_in

browser = pytest.mark.browser

JOB_URL = re.compile(r".*/review/jobs/(\d+)(\?[^/]*)?$")
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def _shot(page: Page, name: str, *, full_page: bool = True) -> None:
    """A screenshot at a common desktop size, when BASTION_SCREENSHOTS names a folder for them."""
    folder = os.environ.get("BASTION_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1440, "height": 900})
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)


def _seed(
    server: LiveServer,
    posts: list[dict[str, Any]],
    *,
    reason: str = "spam",
    author: str = "author",
    language: str = "en",
) -> None:
    """Content items by one author, each reported once: intake opens one job per item."""
    now = server.context.clock()
    stamp = (now - timedelta(hours=2)).isoformat()
    with server.context.database.transaction() as session:
        policy_ids = frozenset(current_policies(session))
        actor = {"id": author, "created_at": "2025-01-01T00:00:00Z", "language": language}
        actor["attributes"] = {"followers": 120, "ip": "10.1.2.3"}
        ingest(session, IngestKind.ACTORS, [actor], principal="t", now=now)
        items = [
            {"actor_id": author, "type": "post", "created_at": stamp, "language": language, "views": 10} | post
            for post in posts
        ]
        ingest(session, IngestKind.CONTENT, items, principal="t", now=now)
        reports = [
            {
                "id": f"report-{post['id']}",
                "target": {"content_id": post["id"]},
                "reporter_id": "trusted-reporter",
                "reason": reason,
                "text": "please look at this",
                "created_at": stamp,
            }
            for post in posts
        ]
        ingest(session, IngestKind.REPORTS, reports, principal="t", now=now, policy_ids=policy_ids)


def _job_id(page: Page) -> int:
    match = JOB_URL.match(page.url)
    assert match, page.url
    return int(match.group(1))


def _next_job(page: Page, previous: int) -> int:
    page.wait_for_url(lambda url: (match := JOB_URL.match(url)) is not None and match.group(1) != str(previous))
    return _job_id(page)


@browser
def test_a_reviewer_decides_three_jobs_with_the_keyboard_only(page: Page, live_server: LiveServer) -> None:
    _seed(live_server, [{"id": f"spam-{i}", "text": f"Buy followers now, deal number {i}!"} for i in range(3)])
    add_user(live_server, "rita", Role.REVIEWER, languages=("en",))
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in(page, live_server, "rita", "/review")
    expect(page.get_by_role("heading", name="Review", exact=True)).to_be_visible()
    row = page.locator("#queue-table tr", has_text="scams-spam")
    expect(row.locator("td").nth(2)).to_have_text("3")
    _shot(page, "review-queues")

    page.keyboard.press(row.locator("kbd").inner_text())
    page.wait_for_url(JOB_URL)
    first = _job_id(page)
    expect(page.locator(".content-text")).to_contain_text("Buy followers now")
    page.keyboard.press("?")
    help_dialog = page.locator("#shortcut-help")
    expect(help_dialog).to_be_visible()
    for key in ("n", "r", "s", "e", "h", "u", "i", "Enter"):
        expect(help_dialog.locator("kbd", has_text=re.compile(f"^{key}$")).first).to_be_visible()
    _shot(page, "review-help", full_page=False)
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    _shot(page, "review-console", full_page=False)

    page.keyboard.press("n")  # no violation
    expect(page.locator("input[name=action][value=no_action]")).to_be_checked()
    page.keyboard.press("Enter")
    second = _next_job(page, first)

    page.keyboard.press("1")  # the first policy (spam) ...
    page.keyboard.press("1")  # ... and its first action (remove)
    expect(page.locator("input[name=policy][value=spam]")).to_be_checked()
    expect(page.locator("input[name=action][value=remove]")).to_be_checked()
    page.keyboard.press("r")
    page.keyboard.type("Bulk follower selling; the text is an ad for fake engagement.")
    page.keyboard.press("Control+Enter")
    third = _next_job(page, second)

    page.keyboard.press("2")  # spam.commercial_spam
    page.keyboard.press("2")  # demote
    expect(page.locator(".guidance-item[data-guidance='spam.commercial_spam']")).to_be_visible()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/review\?done=scams-spam(&undo=\d+)?$"))
    expect(page.get_by_role("status").filter(has_text="Nothing left for you in")).to_be_visible()
    expect(page.locator("[data-undo]")).to_contain_text(f"Job {third} decided: Demote")  # the last one too

    with live_server.context.database.transaction() as session:
        rows = session.execute(
            select(Decision.job_pk, Decision.policy_id, Decision.action, Decision.rationale, Decision.final)
            .join(User, User.pk == Decision.reviewer_pk)
            .where(User.name == "rita")
            .order_by(Decision.pk)
        ).all()
    assert [(r.job_pk, r.policy_id, r.action, r.final) for r in rows] == [
        (first, None, "no_action", True),
        (second, "spam", "remove", True),
        (third, "spam.commercial_spam", "demote", True),
    ]
    assert rows[1].rationale.startswith("Bulk follower selling")
    assert problems == []  # no script errors, nothing refused by the content security policy


@browser
def test_a_missing_rationale_is_shown_at_the_field_and_the_choices_are_kept(
    page: Page, live_server: LiveServer
) -> None:
    _seed(live_server, [{"id": "hate-1", "text": "<b>they</b> are vermin"}], reason="hate_speech")
    add_user(live_server, "rita", Role.REVIEWER)
    log_in(page, live_server, "rita", "/review")
    page.keyboard.press(page.locator("#queue-table tr", has_text="hate-harassment").locator("kbd").inner_text())
    page.wait_for_url(JOB_URL)
    job = _job_id(page)
    expect(page.locator(".content-text")).to_have_text("<b>they</b> are vermin")  # shown as text, not markup
    page.keyboard.press("Enter")  # nothing chosen yet
    expect(page.locator("#policy-error")).to_contain_text("choose the policy")
    page.keyboard.press("2")  # hate_speech.dehumanization
    page.keyboard.press("1")  # remove
    page.keyboard.press("Enter")
    expect(page.locator("#rationale-error")).to_contain_text("needs a rationale")
    expect(page.locator("input[name=policy][value='hate_speech.dehumanization']")).to_be_checked()
    expect(page.locator("input[name=action][value=remove]")).to_be_checked()
    expect(page.locator("#rationale")).to_be_focused()
    _shot(page, "review-console-error", full_page=False)
    page.keyboard.type("Compares a protected group to vermin.")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r".*/review\?done=hate-harassment(&undo=\d+)?$"))
    with live_server.context.database.transaction() as session:
        decided = session.get_one(Job, job)
        assert decided.status == "decided"


@browser
def test_images_stay_blurred_until_revealed_and_unloadable_media_get_a_placeholder(
    page: Page, live_server: LiveServer
) -> None:
    own = f"{live_server.url}/static/sample-image.svg"
    _seed(
        live_server,
        [
            {"id": "img-a", "text": "look at this", "views": 1_000_000, "media": {"url": own}},
            {"id": "img-b", "text": "and this", "views": 1_000, "media": {"url": own + "?b"}},
            {
                "id": "img-c",
                "text": "elsewhere",
                "views": 0,
                "media": {"url": "https://cdn.example.net/x.jpg", "pdq": PDQ},
            },
        ],
    )
    add_user(live_server, "rita", Role.REVIEWER)
    log_in(page, live_server, "rita", "/review")
    page.locator("#queue-table tr", has_text="scams-spam").locator("button").click()
    page.wait_for_url(JOB_URL)
    image = page.locator("[data-media] img")
    expect(image).to_have_attribute("src", own)
    page.wait_for_function("document.querySelector('[data-media] img').naturalWidth > 0")
    # the likely next job's image is warmed in the browser's cache
    expect(page.locator("link[rel=prefetch]")).to_have_attribute("href", own + "?b")

    def image_filter() -> str:
        return str(image.evaluate("img => getComputedStyle(img).filter"))

    assert "blur(24px)" in image_filter() and "grayscale(1)" in image_filter()
    _shot(page, "review-image-blurred", full_page=False)
    page.locator("[data-reveal]").click()
    expect(page.locator("[data-media]")).to_have_class(re.compile("is-revealed"))
    assert image_filter() == "none"
    _shot(page, "review-image-revealed", full_page=False)
    page.keyboard.press("i")
    assert "blur" in image_filter()

    with live_server.context.database.transaction() as session:
        elsewhere = session.scalars(
            select(Job).join(ContentItem, ContentItem.pk == Job.subject_pk).where(ContentItem.external_id == "img-c")
        ).one()
        # handed to rita, as a supervisor's reassign would: she may open jobs she holds
        elsewhere.assigned_to = session.scalar(select(User.pk).where(User.name == "rita"))
        elsewhere_pk = elsewhere.pk
    page.goto(f"{live_server.url}/review/jobs/{elsewhere_pk}")
    stand_in = page.locator("[data-media] img")
    expect(stand_in).to_have_attribute("src", re.compile(r"^data:image/svg\+xml;base64,"))
    expect(page.locator("[data-media] figcaption")).to_contain_text("cdn.example.net")
    assert "blur" in str(stand_in.evaluate("img => getComputedStyle(img).filter"))
    page.locator("[data-reveal]").click()
    _shot(page, "review-image-placeholder", full_page=False)

    # A reviewer may turn the blur off for themselves; greyscale stays as the queue says.
    page.goto(f"{live_server.url}/review/preferences")
    page.check("input[name=blur_images][value=off]")
    page.locator("form.preferences button[type=submit]").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    _shot(page, "review-preferences")
    page.goto(f"{live_server.url}/review/jobs/{elsewhere_pk}")
    assert page.locator("[data-media] img").evaluate("img => getComputedStyle(img).filter") == "grayscale(1)"


@browser
def test_skip_escalate_hold_and_release_from_the_keyboard(page: Page, live_server: LiveServer) -> None:
    _seed(live_server, [{"id": f"act-{i}", "text": f"item {i}"} for i in range(4)])
    add_user(live_server, "rita", Role.REVIEWER)
    log_in(page, live_server, "rita", "/review")
    page.keyboard.press(page.locator("#queue-table tr", has_text="scams-spam").locator("kbd").inner_text())
    page.wait_for_url(JOB_URL)
    skipped = _job_id(page)
    page.keyboard.press("s")
    expect(page.locator("#dialog-skip")).to_be_visible()
    page.keyboard.type("I know the author")
    page.keyboard.press("Enter")
    escalated = _next_job(page, skipped)
    page.keyboard.press("e")
    page.keyboard.press("Control+Enter")  # no note: refused, and said at the field
    expect(page.locator("#dialog-escalate")).to_be_visible()
    expect(page.locator("#dialog-escalate .field-error")).to_contain_text("escalation")
    page.keyboard.type("Looks coordinated with other accounts")
    page.keyboard.press("Control+Enter")
    held = _next_job(page, escalated)
    page.keyboard.press("h")
    page.keyboard.type("waiting for the platform's context")
    page.keyboard.press("Enter")
    released = _next_job(page, held)
    page.keyboard.press("u")
    page.wait_for_url(re.compile(r".*/review$"))
    expect(page.locator("table.data").first).to_contain_text(f"Job {held}")  # parked with rita
    with live_server.context.database.transaction() as session:
        jobs = {pk: session.get_one(Job, pk) for pk in (skipped, escalated, held, released)}
        assert jobs[skipped].status == "open" and jobs[skipped].queue == "scams-spam"
        assert jobs[escalated].queue == "escalations"
        assert jobs[escalated].note == "Looks coordinated with other accounts"
        assert jobs[held].status == "held" and jobs[held].note == "waiting for the platform's context"
        assert jobs[released].status == "open" and jobs[released].lease_owner is None


@browser
def test_the_lease_is_kept_alive_from_the_page(page: Page, live_server: LiveServer) -> None:
    clock = live_server.context.clock
    assert isinstance(clock, FrozenClock)
    with live_server.context.database.transaction() as session:
        config = current_review_config(session).config
        short = config.model_copy(update={"lease_minutes": 0.25})  # 15 s: the page beats every 5 s
        load_review_config(session, short, source="test", principal="t", now=clock())
    _seed(live_server, [{"id": "beat-1", "text": "still here"}])
    add_user(live_server, "rita", Role.REVIEWER)
    log_in(page, live_server, "rita", "/review")
    page.locator("#queue-table tr", has_text="scams-spam").locator("button").click()
    page.wait_for_url(JOB_URL)
    job = _job_id(page)
    clock.advance(timedelta(seconds=10))
    with page.expect_response(lambda r: r.url.endswith(f"/api/v1/jobs/{job}/heartbeat"), timeout=12_000) as beat:
        page.mouse.move(10, 10)
    assert beat.value.status == 200
    with live_server.context.database.transaction() as session:
        leased = session.get_one(Job, job)
        assert leased.lease_expires_at == clock() + timedelta(seconds=15)


@browser
def test_a_vendor_reviewer_cannot_open_another_vendors_job(page: Page, live_server: LiveServer) -> None:
    _seed(live_server, [{"id": "hate-2", "text": "a post for acme's queue"}], reason="hate_speech")
    add_user(live_server, "olu", Role.VENDOR_REVIEWER, vendor="globalmod")
    add_user(live_server, "val", Role.VENDOR_REVIEWER, vendor="acme-review")
    with live_server.context.database.transaction() as session:
        job = session.scalars(select(Job).where(Job.queue == "hate-harassment")).one()
        job_pk = job.pk

    log_in(page, live_server, "olu", "/review")
    expect(page.locator("#queue-table")).not_to_contain_text("hate-harassment")
    response = page.goto(f"{live_server.url}/review/jobs/{job_pk}")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name=re.compile("^403"))).to_be_visible()
    _shot(page, "review-vendor-403")

    page.context.clear_cookies()
    log_in(page, live_server, "val", "/review")
    page.locator("#queue-table tr", has_text="hate-harassment").locator("button").click()
    page.wait_for_url(re.compile(rf".*/review/jobs/{job_pk}$"))
    expect(page.locator(".author-grid")).to_contain_text("Followers")
    expect(page.locator(".author-grid")).not_to_contain_text("10.1.2.3")  # private to in-house staff


@browser
def test_nothing_to_review_is_a_clear_empty_state(page: Page, live_server: LiveServer) -> None:
    add_user(live_server, "rita", Role.REVIEWER)
    log_in(page, live_server, "rita", "/review")
    page.locator("#queue-table tr", has_text="general").locator("button").click()
    page.wait_for_url(re.compile(r".*/review\?done=general(&undo=\d+)?$"))
    expect(page.get_by_role("status")).to_contain_text("Nothing left for you in General review")
    expect(page.get_by_text("No decisions yet today.")).to_be_visible()


@pytest.mark.parametrize(
    ("url", "allowed", "loadable"),
    [
        ("http://127.0.0.1:8000/static/a.svg", [], True),  # the console's own origin
        ("http://127.0.0.1:8001/a.png", [], False),  # another port is another origin
        ("https://cdn.example.com/a.png", ["https://cdn.example.com"], True),
        ("https://cdn.example.com:443/a.png", ["https://CDN.example.com/"], True),
        ("http://cdn.example.com/a.png", ["https://cdn.example.com"], False),
        ("https://img.cdn.example.com/a.png", ["https://*.example.com"], True),
        ("https://example.com.evil.net/a.png", ["https://*.example.com"], False),
        ("https://anything.net/a.png", ["https:"], True),
        ("javascript:alert(1)", ["https:"], False),
        ("data:image/png;base64,AAAA", [], False),
        ("https://[::1:bad/a.png", ["https:"], False),
    ],
)
def test_which_media_the_console_may_load(url: str, allowed: list[str], loadable: bool) -> None:
    assert media_loadable(url, "http://127.0.0.1:8000", allowed) is loadable


@browser
def test_an_appeal_is_judged_in_the_console_by_someone_else_and_an_overturn_restores(
    page: Page, live_server: LiveServer
) -> None:
    _seed(live_server, [{"id": "spam-appealed", "text": "Follow me for a surprise!"}])
    add_user(live_server, "rita", Role.REVIEWER)
    add_user(live_server, "quinn", Role.REVIEWER)
    database, clock = live_server.context.database, live_server.context.clock
    with database.transaction() as session:
        rita = principal_of(find_user(session, "rita"), via="session")
        job = claims.claim_next_job(session, "scams-spam", rita, now=clock())
        assert job is not None
        decide(session, job.pk, rita, Choice("spam", "remove", "reads as an ad <b>for</b> followers"), now=clock())
        action_pk = session.scalars(select(EnforcementAction.pk)).one()
        hostile = '<img src=x onerror="alert(1)"> it was a joke between friends'
        file_appeal(session, AppealRequest("ap-1", action_pk, hostile, clock()), now=clock(), principal="t")

    # The reviewer who decided is never offered the appeal.
    with database.transaction() as session:
        assert claims.claim_next_job(session, "appeals", rita, now=clock()) is None

    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in(page, live_server, "quinn", "/review")
    row = page.locator("#queue-table tr", has_text="appeals")
    page.keyboard.press(row.locator("kbd").inner_text())
    page.wait_for_url(JOB_URL)
    appeal = page.locator("section.card", has=page.get_by_role("heading", name="Appeal", exact=True))
    expect(appeal).to_contain_text('<img src=x onerror="alert(1)"> it was a joke between friends')  # as text
    expect(appeal).to_contain_text("reads as an ad <b>for</b> followers")
    expect(page.locator("img[src=x]")).to_have_count(0)
    expect(page.locator("input[name=policy][value=spam]")).to_be_checked()  # the one policy appealed
    _shot(page, "review-appeal", full_page=False)

    page.keyboard.press("2")  # overturn
    expect(page.locator("input[name=action][value=overturn]")).to_be_checked()
    page.keyboard.press("Enter")  # an appeal needs a rationale: refused at the field, nothing lost
    expect(page.locator("#rationale-error")).to_be_visible()
    expect(page.locator("input[name=action][value=overturn]")).to_be_checked()
    page.keyboard.press("r")
    page.keyboard.type("Satire between friends; no selling.")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r".*/review\?done=appeals(&undo=\d+)?$"))

    with database.transaction() as session:
        appeal_row = session.scalars(select(Appeal)).one()
        assert appeal_row.status == "overturned"
        taken = session.execute(select(EnforcementAction.action, EnforcementAction.reverses_pk)).all()
    assert sorted(taken, key=lambda t: t[0]) == [("remove", None), ("restore", action_pk)]
    assert problems == []


WIDTHS = (390, 1024, 1440, 2560)
LONG_URL = "https://links.example.com/" + "a-very-long-path-segment-without-any-break/" * 4


def _seed_a_rich_job(server: LiveServer) -> None:
    """A job with what breaks layouts: long unbroken text, a list and a boolean among the author's
    attributes, an image, several reports with long notes."""
    own = f"{server.url}/static/sample-image.svg"
    now = server.context.clock()
    stamp = (now - timedelta(hours=3)).isoformat()
    with server.context.database.transaction() as session:
        policy_ids = frozenset(current_policies(session))
        actor = {
            "id": "author-with-a-rather-long-platform-identifier-0123456789",
            "created_at": "2025-01-01T00:00:00Z",
            "language": "en",
            "attributes": {
                "followers": 120000,
                "verified": False,
                "profile_links": [LONG_URL, "https://shop.example.net/"],
                "account_age_days": 3,
                "ip": "10.1.2.3",
            },
        }
        ingest(session, IngestKind.ACTORS, [actor], principal="t", now=now)
        text = "Buy followers now " + "x" * 300 + " and see " + LONG_URL
        item = {
            "id": "rich-1",
            "actor_id": actor["id"],
            "type": "post",
            "text": text,
            "created_at": stamp,
            "language": "en",
            "views": 1_234_567,
            "media": {"url": own},
        }
        ingest(session, IngestKind.CONTENT, [item], principal="t", now=now)
        reports = [
            {
                "id": f"report-rich-{i}",
                "target": {"content_id": "rich-1"},
                "reporter_id": f"reporter-with-a-long-name-{i}",
                "reason": reason,
                "text": "See " + LONG_URL,
                "created_at": stamp,
            }
            for i, reason in enumerate(["spam.commercial_spam", "spam", "scams_and_fraud"])
        ]
        ingest(session, IngestKind.REPORTS, reports, principal="t", now=now, policy_ids=policy_ids)


def _fits(page: Page) -> None:
    overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert overflow[0] <= overflow[1], f"horizontal scroll: content {overflow[0]} px in a {overflow[1]} px window"


@browser
@pytest.mark.parametrize("width", WIDTHS)
def test_the_console_fits_every_width_and_the_decision_is_reachable(
    page: Page, live_server: LiveServer, width: int
) -> None:
    _seed_a_rich_job(live_server)
    add_user(live_server, "rita", Role.REVIEWER)
    page.set_viewport_size({"width": width, "height": 900 if width > 500 else 844})
    log_in(page, live_server, "rita", "/review")
    _fits(page)
    page.locator("#queue-table tr", has_text="scams-spam").locator("button").click()
    page.wait_for_url(JOB_URL)
    page.wait_for_function("document.querySelector('[data-media] img').complete")
    _fits(page)
    folder = os.environ.get("BASTION_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"review-console-{width}.png"), full_page=True)
        page.screenshot(path=str(Path(folder) / f"review-console-{width}-top.png"))

    submit = page.locator("#decision button[type=submit]")
    submit.scroll_into_view_if_needed()
    expect(submit).to_be_in_viewport()
    page.locator("label.choice", has=page.locator("input[name=policy][value='spam.commercial_spam']")).click()
    page.locator("label.choice", has=page.locator("input[name=action][value=remove]")).click()
    _fits(page)
    submit.click()
    page.wait_for_url(re.compile(r".*/review\?.*done=scams-spam.*$"))
    _fits(page)
    with live_server.context.database.transaction() as session:
        decided = session.scalars(select(Decision)).one()
    assert (decided.policy_id, decided.action) == ("spam.commercial_spam", "remove")


@browser
def test_undo_takes_the_decision_back_before_anything_is_sent(page: Page, live_server: LiveServer) -> None:
    _seed(live_server, [{"id": f"undo-{i}", "text": f"Cheap followers, offer {i}"} for i in range(2)])
    add_user(live_server, "rita", Role.REVIEWER)
    clock = live_server.context.clock
    assert isinstance(clock, FrozenClock)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in(page, live_server, "rita", "/review")
    page.locator("#queue-table tr", has_text="scams-spam").locator("button").click()
    page.wait_for_url(JOB_URL)
    first = _job_id(page)
    expect(page.locator("label.choice").nth(1)).to_contain_text("reported")  # the policy the report named, first
    page.keyboard.press("1")  # spam, the reported policy
    page.keyboard.press("1")  # remove
    page.keyboard.press("r")
    page.keyboard.type("An ad for fake followers.")
    page.keyboard.press("Control+Enter")
    second = _next_job(page, first)
    toast = page.locator("[data-undo]")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text(f"Job {first} decided: Remove under spam")
    seconds = int(page.locator("[data-undo-countdown]").inner_text())
    assert 0 < seconds <= 10
    _shot(page, "review-undo-toast", full_page=False)

    page.keyboard.press("z")
    page.wait_for_url(re.compile(rf".*/review/jobs/{first}\?undone=\d+$"))
    expect(page.get_by_role("status").filter(has_text="You took your decision back")).to_be_visible()
    expect(page.locator("input[name=policy][value=spam]")).to_be_checked()  # the choices come back
    expect(page.locator("input[name=action][value=remove]")).to_be_checked()
    expect(page.locator("#rationale")).to_have_value("An ad for fake followers.")
    with live_server.context.database.transaction() as session:
        withdrawn = session.scalars(select(Decision)).one()
        assert withdrawn.withdrawn_at is not None
        action = session.scalars(select(EnforcementAction)).one()
        assert action.cancelled_at is not None
        assert session.scalars(select(WebhookDelivery.status)).one() == "cancelled"
        assert session.get_one(Job, second).status == "open"  # the job handed out meanwhile went back

    # Decide again; once the window has closed on the server, undo is refused in so many words.
    page.keyboard.press("Enter")
    again = _next_job(page, first)
    clock.advance(timedelta(seconds=11))
    page.keyboard.press("z")
    expect(page.get_by_role("alert").filter(has_text="too late to undo")).to_be_visible()
    expect(page.locator("h1")).to_contain_text(f"Job {again}")  # still on the job it was handed
    with live_server.context.database.transaction() as session:
        standing = session.scalars(select(Decision).where(Decision.withdrawn_at.is_(None))).one()
        assert (standing.job_pk, standing.action) == (first, "remove")
        content_id = session.scalar(
            select(ContentItem.external_id).join(Job, Job.subject_pk == ContentItem.pk).where(Job.pk == first)
        )

    # The content's history says what happened and why, in words (to those who may read subjects).
    add_user(live_server, "sam", Role.QA)
    page.context.clear_cookies()
    log_in(page, live_server, "sam", f"/content/{content_id}")
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("Decided: Remove under spam")
    expect(timeline).to_contain_text("An ad for fake followers.")
    expect(timeline).to_contain_text("Decision taken back (it was: Remove under spam)")
    expect(timeline).to_contain_text("cancelled before it was sent")
    _fits(page)
    _shot(page, "content-history")
    assert problems == []


@browser
def test_suspend_and_ban_ask_for_confirmation_from_the_keyboard(page: Page, live_server: LiveServer) -> None:
    _seed(live_server, [{"id": "acct-1", "text": "they are vermin"}], reason="hate_speech")
    add_user(live_server, "rita", Role.REVIEWER)
    log_in(page, live_server, "rita", "/review")
    page.locator("#queue-table tr", has_text="hate-harassment").locator("button").click()
    page.wait_for_url(JOB_URL)
    job = _job_id(page)
    page.keyboard.press("1")  # hate_speech, reported
    page.locator("label.choice", has=page.locator("input[name=action][value=suspend]")).click()
    page.keyboard.press("r")
    page.keyboard.type("Repeated dehumanising posts.")
    page.keyboard.press("Control+Enter")
    dialog = page.locator("#dialog-confirm")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_contain_text("Suspend the account author?")
    expect(dialog.locator("[data-confirm-button]")).to_be_focused()
    _shot(page, "review-confirm-suspend", full_page=False)
    page.keyboard.press("Escape")  # nothing is decided
    expect(dialog).to_be_hidden()
    assert _job_id(page) == job

    page.locator("label.choice", has=page.locator("input[name=action][value=ban]")).click()
    page.locator("#decision button[type=submit]").focus()
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("heading")).to_contain_text("Ban the account author?")
    page.keyboard.press("Enter")  # the confirm button has the focus
    page.wait_for_url(re.compile(r".*/review\?done=hate-harassment&undo=\d+$"))
    expect(page.locator("[data-undo]")).to_contain_text("Ban under hate_speech")
    with live_server.context.database.transaction() as session:
        decided = session.scalars(select(Decision)).one()
    assert (decided.job_pk, decided.action) == (job, "ban")


@browser
def test_without_the_script_an_account_action_is_confirmed_on_a_second_page(
    page: Page, live_server: LiveServer
) -> None:
    _seed(live_server, [{"id": "acct-2", "text": "they are vermin"}], reason="hate_speech")
    add_user(live_server, "rita", Role.REVIEWER)
    log_in(page, live_server, "rita", "/review")
    page.locator("#queue-table tr", has_text="hate-harassment").locator("button").click()
    page.wait_for_url(JOB_URL)
    job = _job_id(page)
    token = page.locator("meta[name=csrf-token]").get_attribute("content") or ""
    form = {"csrf_token": token, "policy": "hate_speech", "action": "suspend", "rationale": "repeated"}
    asked = page.request.post(f"{live_server.url}/review/jobs/{job}/decision", form=form, max_redirects=0)
    assert asked.status == 200 and 'data-dialog="confirm"' in asked.text()
    with live_server.context.database.transaction() as session:
        assert session.scalars(select(Decision)).first() is None
    done = page.request.post(
        f"{live_server.url}/review/jobs/{job}/decision", form=form | {"confirmed": "suspend"}, max_redirects=0
    )
    assert done.status == 303
    with live_server.context.database.transaction() as session:
        assert session.scalars(select(Decision.action)).one() == "suspend"
