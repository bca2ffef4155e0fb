"""The login form and the subject pages over real HTTP: what a script or a browser is told, and links that work."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from bastion.assembly import create_app
from bastion.auth.failures import count_failure
from bastion.auth.sessions import log_in
from bastion.auth.throttle import LIMITS, Scope, ThrottleKey
from bastion.clock import FrozenClock
from bastion.config import Settings
from bastion.domain.access import Role
from bastion.domain.subjects import IngestKind
from bastion.http.context import AppContext
from bastion.ingest.service import ingest
from bastion.store.database import Database
from tests.conftest import PASSWORD, LiveServer, make_context, make_user

LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')


def _login_token(page: httpx.Response) -> str:
    found = LOGIN_CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


def test_a_script_on_loopback_over_plain_http_is_told_about_the_secure_cookie(live_server: LiveServer) -> None:
    """Regression: curl or a script got "Your login form expired" when it had not sent the Secure cookie back."""
    make_user(live_server.context.database, live_server.context.clock, "ana", Role.ANALYST)  # type: ignore[arg-type]
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        form = http.get("/login")
        assert "Secure" in form.headers["set-cookie"]
        answer = http.post("/login", data={"name": "ana", "password": PASSWORD, "login_csrf": _login_token(form)})
    assert answer.status_code == 403
    told = unescape(answer.text)
    assert "did not send back the login form's cookie" in told and "Secure" in told and "API key" in told
    assert "expired" not in told


def test_a_post_without_the_cookie_elsewhere_is_asked_to_allow_cookies(database: Database, clock: FrozenClock) -> None:
    with TestClient(create_app(make_context(database, clock)), base_url="http://bastion.example") as client:
        answer = client.post("/login", data={"name": "ana", "password": PASSWORD, "login_csrf": "x"})
    assert answer.status_code == 403
    assert "Allow cookies for this site" in unescape(answer.text) and "Secure" not in answer.text


def test_a_stale_form_is_still_called_expired(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        form = http.get("/login")
        cookie = form.cookies["bastion_login_csrf"]
        answer = http.post(
            "/login",
            data={"name": "ana", "password": PASSWORD, "login_csrf": "an older form's token"},
            headers={"Cookie": f"bastion_login_csrf={cookie}"},
        )
    assert answer.status_code == 403 and "Your login form expired" in answer.text


@pytest.fixture
def plain_http_client(database: Database, clock: FrozenClock) -> Iterator[TestClient]:
    """Cookies without the Secure flag (BASTION_COOKIE_SECURE=false), so the test client returns them."""
    settings = Settings(database_url=database.url, cookie_secure=False)
    app = create_app(AppContext(database=database, settings=settings, clock=clock))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


def _too_many(database: Database, clock: FrozenClock, key: ThrottleKey) -> None:
    with database.transaction() as session:
        for _ in range(key.limit.failures):
            count_failure(session, [key], now=clock())


def test_a_throttled_login_gets_a_readable_page_with_retry_after(
    plain_http_client: TestClient, database: Database, clock: FrozenClock
) -> None:
    make_user(database, clock, "ana", Role.ANALYST)
    _too_many(database, clock, ThrottleKey(Scope.LOGIN_ACCOUNT, "ana"))
    form = plain_http_client.get("/login")
    refused = plain_http_client.post(
        "/login", data={"name": "ana", "password": PASSWORD, "login_csrf": _login_token(form)}
    )
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(15 * 60)
    assert refused.headers["content-type"].startswith("text/html")
    told = "Too many failed logins for this account or from this address. Try again in 15 minutes."
    assert told in unescape(refused.text)
    assert "bastion_session" not in refused.headers.get("set-cookie", "")
    clock.advance(LIMITS[Scope.LOGIN_ACCOUNT].window)
    form = plain_http_client.get("/login")
    allowed = plain_http_client.post(
        "/login",
        data={"name": "ana", "password": PASSWORD, "login_csrf": _login_token(form)},
        follow_redirects=False,
    )
    assert allowed.status_code == 303 and "bastion_session" in allowed.headers["set-cookie"]


def test_a_throttled_api_key_gets_bastions_error_shape_with_retry_after(
    client: TestClient, database: Database, clock: FrozenClock
) -> None:
    _too_many(database, clock, ThrottleKey(Scope.API_KEY_ADDRESS, "testclient"))  # the test client's address
    refused = client.get("/api/v1/content/c1", headers={"Authorization": "Bearer bst_a_guess"})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(15 * 60)
    assert refused.json() == {
        "error": {
            "code": "too_many_attempts",
            "message": "too many failed attempts; try again in 15 minutes",
            "details": [],
        }
    }


# Ids as platforms make them; the pages and the links between them must reach each one.
AWKWARD_IDS = ("a/1", "a?2", "a#3", "a%4", "a%2F5", "a b/../6", "a&7=8")
LINK = re.compile(r'href="(/(?:content|actors)/[^"]+)"')


def test_subject_pages_open_ids_with_url_characters_and_link_to_each_other(
    database: Database, clock: FrozenClock
) -> None:
    """Regression: `/content/{id}` and `/actors/{id}` answered 404 for such ids, and links lost the `/`."""
    now = clock()
    with database.transaction() as session:
        actors = [{"id": i, "created_at": now.isoformat()} for i in AWKWARD_IDS]
        ingest(session, IngestKind.ACTORS, actors, principal="t", now=now)
        contents = [
            {"id": f"c-{i}", "actor_id": i, "type": "post", "text": "hello", "created_at": now.isoformat()}
            for i in AWKWARD_IDS
        ]
        ingest(session, IngestKind.CONTENT, contents, principal="t", now=now)
    make_user(database, clock, "ana", Role.ANALYST)
    login = log_in(database, "ana", PASSWORD, address="127.0.0.1", now=now, lifetime=timedelta(hours=1))
    cookie = {"Cookie": f"bastion_session={login.token}"}
    with LiveServer(make_context(database, clock)) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        for awkward in AWKWARD_IDS:
            content = http.get(f"/content/{quote('c-' + awkward, safe='')}", headers=cookie)
            assert content.status_code == 200, (awkward, content.text[:200])
            assert f"Content <code>{_escaped('c-' + awkward)}</code>" in content.text
            (author_link,) = LINK.findall(content.text)
            author = http.get(unescape(author_link), headers=cookie)
            assert author.status_code == 200 and f"Actor <code>{_escaped(awkward)}</code>" in author.text
            (content_link,) = LINK.findall(author.text)
            assert http.get(unescape(content_link), headers=cookie).status_code == 200
            lookup = http.get("/subjects", params={"id": awkward, "type": "actor"}, headers=cookie)
            assert lookup.status_code == 303
            found = http.get(lookup.headers["location"], headers=cookie)
            assert found.status_code == 200 and f"Actor <code>{_escaped(awkward)}</code>" in found.text
        home = http.get("/", headers=cookie)
        assert home.status_code == 200


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;")


@pytest.mark.browser
def test_in_a_browser_a_throttled_login_says_how_long_to_wait(page: Page, live_server: LiveServer) -> None:
    database, clock = live_server.context.database, live_server.context.clock
    assert isinstance(clock, FrozenClock)
    make_user(database, clock, "ana", Role.ANALYST)
    _too_many(database, clock, ThrottleKey(Scope.LOGIN_ACCOUNT, "ana"))
    page.goto(live_server.url + "/login")
    page.fill("input[name=name]", "ana")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("button[type=submit]")
    assert posted.value.status == 429 and posted.value.headers["retry-after"] == "900"
    expect(page.get_by_role("alert")).to_have_text(
        "Too many failed logins for this account or from this address. Try again in 15 minutes."
    )
    expect(page.locator("input[name=name]")).to_have_value("ana")  # the name is kept for the next try
    clock.advance(LIMITS[Scope.LOGIN_ACCOUNT].window)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(live_server.url + "/")
