"""Enforcement webhooks against a real local HTTP receiver: signed, retried, dead-lettered, replayed.

No mocks: a ThreadingHTTPServer on 127.0.0.1 plays the platform, records every request and answers
as each test scripts it; the store is a real SQLite file and a real PostgreSQL database.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bastion.auth.sessions import log_in
from bastion.clock import Clock, FrozenClock, system_clock
from bastion.config import Settings
from bastion.domain.access import Role
from bastion.domain.events import EventKind
from bastion.domain.subjects import IngestKind
from bastion.errors import ConfigurationError, Conflict, NotFound
from bastion.ingest.service import ingest
from bastion.review import webhook_signing, webhooks
from bastion.review.enforcement import reverse, take_action, target_of
from bastion.review.webhook_signing import (
    MAX_ATTEMPTS,
    Verdict,
    backoff,
    canonical_body,
    classify,
    retry_after,
    sanitize,
    sign,
    verify_signature,
)
from bastion.review.webhooks import (
    DeliveryReport,
    DeliveryWorker,
    WebhookTarget,
    claim_due,
    deliver_due,
    replay,
    webhook_target,
)
from bastion.store.database import Database
from bastion.store.schema import AuditRecord, ContentItem, Event, WebhookDelivery
from tests.conftest import PASSWORD, api_key, bearer, make_user

SECRET = "whsec_test_0123456789abcdef"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LONG_WAIT = timedelta(hours=2)  # past any single backoff
_ids = itertools.count()

# --- the platform's receiver -------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    verified: bool  # what the platform's own check said, at the moment it received the request

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A platform's webhook endpoint: answers from a script (then a default) and records every request."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.requests: list[Received] = []
        self.script: deque[int] = deque()
        self.default = 200
        self.reply = b'{"ok":true}'
        self.headers: dict[str, str] = {}
        self.delay = 0.0  # seconds before answering: a slow platform
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/bastion"

    def answer(self, *statuses: int, then: int = 200) -> None:
        with self.lock:
            self.script = deque(statuses)
            self.default = then

    def keys(self) -> list[str]:
        with self.lock:
            return [r.headers["idempotency-key"] for r in self.requests]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                verified = verify_signature(
                    SECRET,
                    headers.get("x-bastion-timestamp", ""),
                    body,
                    headers.get("x-bastion-signature", ""),
                    now=receiver.clock(),
                )
                time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.requests.append(Received(self.path, headers, body, verified))
                    status = receiver.script.popleft() if receiver.script else receiver.default
                    reply, extra = receiver.reply, dict(receiver.headers)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test reads `requests`."""

        return Handler

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def receiver(clock: FrozenClock) -> Iterator[Receiver]:
    with Receiver(clock) as running:
        yield running


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5, follow_redirects=False) as client:
        yield client


def _pass(database: Database, receiver: Receiver, clock: FrozenClock, http: httpx.Client) -> DeliveryReport:
    return deliver_due(database, WebhookTarget(receiver.url, SECRET), now=clock(), client=http)


def _actions(database: Database, now: datetime, count: int = 1, action: str = "remove") -> list[int]:
    """Real enforcement actions (and their outbox rows) on fresh content, through the services."""
    batch = next(_ids)
    with database.transaction() as session:
        author = f"author-{batch}"
        ingest(session, IngestKind.ACTORS, [{"id": author, "created_at": now.isoformat()}], principal="t", now=now)
        items = [
            {"id": f"c{batch}-{i}", "actor_id": author, "type": "post", "text": "they are vermin", "created_at": now}
            for i in range(count)
        ]
        ingest(
            session, IngestKind.CONTENT, [{**i, "created_at": now.isoformat()} for i in items], principal="t", now=now
        )
        pks = session.scalars(
            select(ContentItem.pk).where(ContentItem.external_id.in_([i["id"] for i in items])).order_by(ContentItem.pk)
        ).all()
        taken = [
            take_action(
                session,
                target_of(session, "content", pk),
                action,
                record=None,
                reason="decision",
                statement=f"{action}: a test of delivery.",
                now=now,
                principal="user:rita",
            )
            for pk in pks
        ]
        return [a.pk for a in taken]


def _delivery(database: Database, action_pk: int) -> WebhookDelivery:
    with database.transaction() as session:
        return session.scalars(select(WebhookDelivery).where(WebhookDelivery.action_pk == action_pk)).one()


def _events(database: Database, kind: str) -> list[Event]:
    with database.transaction() as session:
        return list(session.scalars(select(Event).where(Event.kind == kind).order_by(Event.pk)))


# --- pure parts ------------------------------------------------------------------------------------


def test_sign_matches_the_documented_vector() -> None:
    body = canonical_body({"action_id": 42, "action": "remove"})
    assert body == b'{"action":"remove","action_id":42}'
    # the same value as `printf '1795000000.<body>' | openssl dgst -sha256 -hmac <secret>` (docs/webhooks.md)
    assert (
        sign("whsec_example_0123456789abcdef", 1795000000, body)
        == "27c90ecc6d1971c70d7f0416874235feb5925771c7cffa946f18f66ad46a4fc4"
    )


TS = int(NOW.timestamp())
BODY = b'{"action":"remove"}'
GOOD = "sha256=" + sign(SECRET, TS, BODY)


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "signature", "now", "ok"),
    [
        (SECRET, str(TS), BODY, GOOD, NOW, True),
        (SECRET, TS, BODY, GOOD.removeprefix("sha256="), NOW, True),  # prefix optional, int timestamp
        (SECRET, str(TS), BODY, GOOD, NOW + timedelta(seconds=300), True),  # at the edge of tolerance
        (SECRET, str(TS), BODY, GOOD, NOW + timedelta(seconds=301), False),  # stale: a replayed capture
        (SECRET, str(TS), BODY, GOOD, NOW - timedelta(seconds=301), False),  # from the future
        ("another-secret-entirely", str(TS), BODY, GOOD, NOW, False),
        (SECRET, str(TS), BODY + b" ", GOOD, NOW, False),  # body changed
        (SECRET, str(TS + 1), BODY, GOOD, NOW, False),  # timestamp changed
        (SECRET, "soon", BODY, GOOD, NOW, False),
        (SECRET, "", BODY, GOOD, NOW, False),
        (SECRET, str(TS), BODY, "sha256=", NOW, False),
        (SECRET, str(TS), BODY, "sha256=" + "é" * 64, NOW, False),  # not even ASCII
        (SECRET, str(TS), BODY, GOOD.upper(), NOW, False),
    ],
)
def test_verify_signature(
    secret: str, timestamp: str | int, body: bytes, signature: str, now: datetime, ok: bool
) -> None:
    assert verify_signature(secret, timestamp, body, signature, now=now) is ok


def test_verify_signature_tolerance_is_adjustable() -> None:
    later = NOW + timedelta(minutes=20)
    assert not verify_signature(SECRET, TS, BODY, GOOD, now=later)
    assert verify_signature(SECRET, TS, BODY, GOOD, now=later, tolerance=timedelta(minutes=30))


@given(
    secret=st.text(min_size=1, max_size=64),
    timestamp=st.integers(min_value=0, max_value=4_000_000_000),
    body=st.binary(max_size=512),
    flip=st.integers(min_value=0, max_value=511),
)
def test_sign_and_verify_round_trip(secret: str, timestamp: int, body: bytes, flip: int) -> None:
    now = datetime.fromtimestamp(timestamp, UTC)
    signature = sign(secret, timestamp, body)
    assert len(signature) == 64 and verify_signature(secret, str(timestamp), body, "sha256=" + signature, now=now)
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert signature == expected
    if body:
        tampered = bytearray(body)
        tampered[flip % len(body)] ^= 0x01
        assert not verify_signature(secret, timestamp, bytes(tampered), signature, now=now)
    assert not verify_signature(secret + "x", timestamp, body, signature, now=now)


@pytest.mark.parametrize(
    ("attempt", "seconds"),
    [(1, 30), (2, 60), (3, 120), (4, 240), (5, 480), (6, 960), (7, 1920), (8, 3600), (12, 3600), (500, 3600)],
)
def test_backoff_doubles_up_to_an_hour(attempt: int, seconds: int) -> None:
    assert backoff(attempt) == timedelta(seconds=seconds)


def test_backoff_counts_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        backoff(0)


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        (None, None),
        ("120", timedelta(seconds=120)),
        (" 0 ", timedelta(0)),
        ("Mon, 02 Nov 2026 09:10:00 GMT", timedelta(minutes=10)),
        ("Mon, 02 Nov 2026 08:00:00 GMT", timedelta(0)),  # in the past: no extra wait
        ("-5", None),
        ("soon", None),
        ("", None),
    ],
)
def test_retry_after(header: str | None, wait: timedelta | None) -> None:
    assert retry_after(header, now=NOW) == wait


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.DELIVERED),
        (202, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (301, Verdict.RETRY),  # redirects are not followed: fix the URL, the retries pick it up
        (400, Verdict.DEAD),
        (401, Verdict.DEAD),
        (404, Verdict.DEAD),
        (408, Verdict.RETRY),
        (410, Verdict.DEAD),
        (422, Verdict.DEAD),
        (425, Verdict.RETRY),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (503, Verdict.RETRY),
    ],
)
def test_classify(status: int, verdict: Verdict) -> None:
    assert classify(status) is verdict


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  bad\nsignature\t", "bad signature"),
        ("a\x00b\x1b[31mc", "a b [31mc"),
        ("right\u202eleft", "right left"),  # bidi override: not printable
        ("x" * 300, "x" * 199 + "…"),
    ],
)
def test_sanitize(raw: str, clean: str) -> None:
    assert sanitize(raw) == clean


@pytest.mark.parametrize(
    ("url", "secret", "message"),
    [
        (None, SECRET, "BASTION_WEBHOOK_URL is not set"),
        ("  ", SECRET, "BASTION_WEBHOOK_URL is not set"),
        ("ftp://platform.example.com/hooks", SECRET, "BASTION_WEBHOOK_URL must be an http"),
        ("https:///no-host", SECRET, "BASTION_WEBHOOK_URL must be an http"),
        ("https://platform.example.com/hooks", None, "BASTION_WEBHOOK_SECRET"),
        ("https://platform.example.com/hooks", "short", "at least 16"),
    ],
)
def test_webhook_target_names_what_is_wrong(url: str | None, secret: str | None, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        webhook_target(Settings(database_url="sqlite://", webhook_url=url, webhook_secret=secret))
    assert SECRET not in str(caught.value)


def test_webhook_target_keeps_the_secret_out_of_its_repr() -> None:
    target = webhook_target(
        Settings(
            database_url="sqlite://", webhook_url="https://u:p@platform.example.com:8443/h?t=1", webhook_secret=SECRET
        )
    )
    assert target.secret == SECRET and SECRET not in repr(target)
    assert target.origin == "https://platform.example.com:8443"  # no credentials, path or query


# --- delivery against the receiver ---------------------------------------------------------------


def _seed_report(client: TestClient, platform: dict[str, str]) -> None:
    actors = [
        {"id": "author", "created_at": "2025-01-01T00:00:00Z", "language": "en"},
        {"id": "reporter", "created_at": "2025-01-01T00:00:00Z"},
    ]
    client.post("/api/v1/actors", json={"items": actors}, headers=platform).raise_for_status()
    post = {
        "id": "p1",
        "actor_id": "author",
        "type": "post",
        "text": "they are vermin",
        "language": "en",
        "created_at": "2026-11-01T10:00:00Z",
    }
    client.post("/api/v1/content", json=post, headers=platform).raise_for_status()
    report = {
        "id": "r1",
        "target": {"content_id": "p1"},
        "reporter_id": "reporter",
        "reason": "hate_speech",
        "created_at": "2026-11-01T11:00:00Z",
    }
    client.post("/api/v1/reports", json=report, headers=platform).raise_for_status()


def test_a_decision_reaches_the_platform_signed(
    client: TestClient, database: Database, clock: FrozenClock, receiver: Receiver, http: httpx.Client
) -> None:
    platform = bearer(api_key(database, clock, role=Role.PLATFORM))
    _seed_report(client, platform)
    make_user(database, clock, "rita", Role.REVIEWER, languages=("en",))
    rita = bearer(api_key(database, clock, user="rita"))
    job = client.post("/api/v1/queues/hate-harassment/claim", headers=rita).json()
    decided = client.post(
        f"/api/v1/jobs/{job['id']}/decision",
        json={"policy": "hate_speech", "action": "remove", "rationale": "dehumanising comparison"},
        headers=rita,
    ).json()
    action_id = decided["actions"][0]["id"]
    assert _pass(database, receiver, clock, http).sent == 0  # not before the undo window closes
    clock.advance(timedelta(seconds=10))

    report = _pass(database, receiver, clock, http)
    assert report == DeliveryReport(delivered=1) and report.sent == 1
    [sent] = receiver.requests
    assert sent.path == "/hooks/bastion" and sent.verified
    # the platform's check, written out by hand: HMAC-SHA256 over "<timestamp>." + raw body
    timestamp = sent.headers["x-bastion-timestamp"]
    assert timestamp == str(int(clock().timestamp()))
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + sent.body, hashlib.sha256).hexdigest()
    assert sent.headers["x-bastion-signature"] == f"sha256={expected}"
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["x-bastion-event"] == "action.remove"
    assert sent.headers["idempotency-key"] == f"action-{action_id}"
    assert sent.headers["x-bastion-attempt"] == "1"
    payload = sent.json
    assert payload["action_id"] == action_id and payload["action"] == "remove"
    assert payload["subject"] == {"type": "content", "id": "p1"}
    assert payload["policy"] == "hate_speech" and payload["policy_version"] >= 1
    assert payload["statement_of_reasons"].startswith("remove under hate_speech")
    assert sent.body == canonical_body(payload)

    row = _delivery(database, action_id)
    assert row.status == "delivered" and row.delivered_at == clock() and row.attempts == 1
    assert [e.data["action"] for e in _events(database, EventKind.ACTION_DELIVERED)] == [action_id]
    assert _pass(database, receiver, clock, http).sent == 0  # nothing is sent twice
    assert len(receiver.requests) == 1


def test_a_500_is_retried_with_the_same_idempotency_key(
    database: Database, clock: FrozenClock, receiver: Receiver, http: httpx.Client
) -> None:
    [action] = _actions(database, clock())
    receiver.answer(500, then=200)
    assert _pass(database, receiver, clock, http) == DeliveryReport(retrying=1)
    row = _delivery(database, action)
    assert row.status == "pending" and row.attempts == 1
    assert row.last_error == 'HTTP 500: {"ok":true}'
    assert row.next_attempt_at == clock() + backoff(1)

    clock.advance(backoff(1) - timedelta(seconds=1))
    assert _pass(database, receiver, clock, http).sent == 0  # not due yet
    clock.advance(timedelta(seconds=1))
    assert _pass(database, receiver, clock, http) == DeliveryReport(delivered=1)
    first, second = receiver.requests
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"] == f"action-{action}"
    assert first.body == second.body
    assert first.verified and second.verified
    assert int(second.headers["x-bastion-timestamp"]) - int(first.headers["x-bastion-timestamp"]) == 30
    assert second.headers["x-bastion-attempt"] == "2"
    row = _delivery(database, action)
    assert row.status == "delivered" and row.attempts == 2 and row.last_error is None


def test_what_never_succeeds_lands_in_the_dead_letter_list(
    database: Database, clock: FrozenClock, receiver: Receiver, http: httpx.Client
) -> None:
    [action] = _actions(database, clock())
    receiver.answer(then=500)
    receiver.reply = b"<script>alert(1)</script> " + b"internal error " * 100  # hostile and long
    for attempt in range(1, MAX_ATTEMPTS):
        assert _pass(database, receiver, clock, http) == DeliveryReport(retrying=1), attempt
        clock.advance(backoff(attempt))
    assert _pass(database, receiver, clock, http) == DeliveryReport(dead=1)
    assert len(receiver.requests) == MAX_ATTEMPTS
    assert len(set(receiver.keys())) == 1
    row = _delivery(database, action)
    assert row.status == "dead" and row.attempts == MAX_ATTEMPTS
    assert row.last_error is not None and row.last_error.startswith("HTTP 500: <script>")
    assert len(row.last_error) <= len("HTTP 500: ") + webhook_signing.SNIPPET_CHARS
    assert "vermin" not in row.last_error and "statement" not in row.last_error  # never the payload
    [dead] = _events(database, EventKind.ACTION_DEAD_LETTERED)
    assert dead.data == {"action": action, "delivery": row.pk, "attempts": MAX_ATTEMPTS, "error": "HTTP 500"}
    clock.advance(LONG_WAIT)
    assert _pass(database, receiver, clock, http).sent == 0  # the dead stay dead
    with database.transaction() as session:
        assert [d.id for d in webhooks.dead_letters(session)] == [row.pk]
        assert webhooks.delivery_counts(session) == {"pending": 0, "delivered": 0, "dead": 1, "cancelled": 0}


@pytest.mark.parametrize("status", [410, 400])
def test_a_4xx_is_dead_at_once(
    status: int, database: Database, clock: FrozenClock, receiver: Receiver, http: httpx.Client
) -> None:
    [action] = _actions(database, clock())
    receiver.answer(then=status)
    assert _pass(database, receiver, clock, http) == DeliveryReport(dead=1)
    row = _delivery(database, action)
    assert row.status == "dead" and row.attempts == 1 and row.last_error is not None
    assert row.last_error.startswith(f"HTTP {status}")


def test_429_waits_at_least_as_long_as_retry_after_says(
    database: Database, clock: FrozenClock, receiver: Receiver, http: httpx.Client
) -> None:
    first, second = _actions(database, clock(), count=2)
    receiver.answer(429, 429, then=200)
    receiver.headers = {"Retry-After": "600"}
    assert _pass(database, receiver, clock, http) == DeliveryReport(retrying=2)
    assert _delivery(database, first).next_attempt_at == clock() + timedelta(seconds=600)
    receiver.headers = {"Retry-After": "999999"}
    clock.advance(timedelta(seconds=600))
    receiver.answer(429, then=200)
    _pass(database, receiver, clock, http)
    # capped at the longest backoff, whatever the platform asks
    waits = sorted(_delivery(database, pk).next_attempt_at - clock() for pk in (first, second))
    assert waits[-1] == webhook_signing.MAX_DELAY


def test_an_unreachable_platform_is_retried(database: Database, clock: FrozenClock, http: httpx.Client) -> None:
    [action] = _actions(database, clock())
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report = deliver_due(database, WebhookTarget(f"http://127.0.0.1:{port}/hooks", SECRET), now=clock(), client=http)
    assert report == DeliveryReport(retrying=1)
    row = _delivery(database, action)
    assert row.status == "pending" and row.last_error == "ConnectError"


def test_a_restore_waits_for_the_action_it_reverses(
    database: Database, clock: FrozenClock, receiver: Receiver, http: httpx.Client
) -> None:
    [action] = _actions(database, clock())
    receiver.answer(503, then=200)
    _pass(database, receiver, clock, http)
    with database.transaction() as session:
        restore = reverse(session, action, reason="restored_without_appeal", note="", now=clock(), principal="t").pk
    assert _pass(database, receiver, clock, http).sent == 0  # the remove is still being retried
    clock.advance(backoff(1))
    assert _pass(database, receiver, clock, http) == DeliveryReport(delivered=2)
    assert [r.headers["x-bastion-event"] for r in receiver.requests] == ["action.remove"] * 2 + ["action.restore"]
    assert receiver.requests[-1].json["reverses_action_id"] == action
    assert _delivery(database, restore).status == "delivered"


def test_a_reversed_action_is_never_replayed(
    database: Database, clock: FrozenClock, receiver: Receiver, http: httpx.Client
) -> None:
    [action] = _actions(database, clock())
    receiver.answer(then=410)
    _pass(database, receiver, clock, http)
    dead = _delivery(database, action)
    with database.transaction() as session:
        reverse(session, action, reason="restored_without_appeal", note="", now=clock(), principal="t")
    receiver.answer(then=200)
    assert _pass(database, receiver, clock, http) == DeliveryReport(delivered=1)  # the restore goes out
    with database.transaction() as session, pytest.raises(Conflict, match="re-apply"):
        replay(session, dead.pk, now=clock(), principal="user:ada")


def test_replay_refuses_what_is_not_dead(database: Database, clock: FrozenClock) -> None:
    [action] = _actions(database, clock())
    pending = _delivery(database, action)
    with database.transaction() as session, pytest.raises(Conflict, match="only dead letters"):
        replay(session, pending.pk, now=clock(), principal="user:ada")
    with database.transaction() as session, pytest.raises(NotFound):
        replay(session, 999_999, now=clock(), principal="user:ada")


def test_concurrent_claims_never_take_the_same_message(database: Database, clock: FrozenClock) -> None:
    _actions(database, clock(), count=4)
    other: list[list[int]] = []

    def claim_in_another_transaction() -> None:
        with database.transaction() as session:
            other.append([c.pk for c in claim_due(session, now=clock(), size=2)])

    with database.transaction() as session:
        mine = [c.pk for c in claim_due(session, now=clock(), size=2)]
        session.flush()  # the claim's row locks (PostgreSQL) are held until this transaction ends
        rival = threading.Thread(target=claim_in_another_transaction)
        rival.start()
        # PostgreSQL: the rival skips the locked rows and finishes now; SQLite: it waits for the write lock
        rival.join(timeout=1 if database.dialect == "postgresql" else 0.2)
        assert rival.is_alive() is (database.dialect == "sqlite")
    rival.join(timeout=30)
    assert len(mine) == 2 and len(other[0]) == 2 and not set(mine) & set(other[0])
    with database.transaction() as session:
        assert claim_due(session, now=clock(), size=10) == []  # all four leased, none due
        assert {d.attempts for d in session.scalars(select(WebhookDelivery))} == {1}


def test_two_workers_never_send_the_same_message(database: Database, clock: FrozenClock, receiver: Receiver) -> None:
    actions = _actions(database, clock(), count=30)
    receiver.delay = 0.01
    reports: list[DeliveryReport] = []
    start = threading.Barrier(2)

    def work() -> None:
        with httpx.Client(timeout=5) as own:
            start.wait()
            reports.append(deliver_due(database, WebhookTarget(receiver.url, SECRET), now=clock(), client=own))

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    keys = receiver.keys()
    assert sorted(keys) == sorted(f"action-{a}" for a in actions)  # each exactly once
    assert sum(r.delivered for r in reports) == 30
    with database.transaction() as session:
        assert webhooks.delivery_counts(session)["delivered"] == 30


def test_the_worker_thread_delivers_until_stopped(database: Database, clock: FrozenClock, receiver: Receiver) -> None:
    [action] = _actions(database, clock())
    with httpx.Client(timeout=5) as own:
        worker = DeliveryWorker(database, WebhookTarget(receiver.url, SECRET), clock=clock, interval=0.05, client=own)
        with worker:
            assert worker.running
            _wait_for(lambda: _delivery(database, action).status == "delivered")
            [later] = _actions(database, clock())
            _wait_for(lambda: _delivery(database, later).status == "delivered")
            with pytest.raises(Conflict):
                worker.start()
        assert not worker.running
    assert worker.last_report is not None and worker.failed_passes == 0
    assert len(receiver.requests) == 2


def test_the_worker_survives_a_failing_store(tmp_path: Path) -> None:
    broken = Database(f"sqlite:///{tmp_path}")  # a folder, not a database file
    worker = DeliveryWorker(broken, WebhookTarget("http://127.0.0.1:9/h", SECRET), interval=0.01)
    with worker:
        _wait_for(lambda: worker.failed_passes >= 3)
        assert worker.running
    assert not worker.running
    broken.dispose()


def _wait_for(condition: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


# --- the dead-letter list over the API and the web -------------------------------------------------


def _dead_letter(database: Database, clock: FrozenClock, receiver: Receiver, http: httpx.Client) -> int:
    [action] = _actions(database, clock())
    receiver.answer(410, then=200)
    assert _pass(database, receiver, clock, http) == DeliveryReport(dead=1)
    return _delivery(database, action).pk


def test_admins_list_and_replay_dead_letters_over_the_api(
    client: TestClient, database: Database, clock: FrozenClock, receiver: Receiver, http: httpx.Client
) -> None:
    dead = _dead_letter(database, clock, receiver, http)
    make_user(database, clock, "ada", Role.ADMIN)
    make_user(database, clock, "rita", Role.REVIEWER)
    admin = bearer(api_key(database, clock, user="ada"))
    rita = bearer(api_key(database, clock, user="rita"))
    listing = client.get("/api/v1/webhooks/deliveries", headers=admin)
    assert listing.status_code == 200
    body = listing.json()
    assert body["counts"] == {"pending": 0, "delivered": 0, "dead": 1, "cancelled": 0}
    [row] = body["deliveries"]
    assert row["id"] == dead and row["status"] == "dead" and row["event"] == "action.remove"
    assert row["subject_type"] == "content" and row["attempts"] == 1 and row["last_error"].startswith("HTTP 410")
    assert "payload" not in row
    assert client.get("/api/v1/webhooks/deliveries?status=pending", headers=admin).json()["deliveries"] == []
    assert client.get("/api/v1/webhooks/deliveries?status=lost", headers=admin).status_code == 422

    for path, method in (
        ("/api/v1/webhooks/deliveries", "GET"),
        (f"/api/v1/webhooks/deliveries/{dead}/replay", "POST"),
    ):
        assert client.request(method, path).status_code == 401
        assert client.request(method, path, headers=rita).status_code == 403

    replayed = client.post(f"/api/v1/webhooks/deliveries/{dead}/replay", headers=admin)
    assert replayed.status_code == 200
    assert replayed.json()["status"] == "pending" and replayed.json()["attempts"] == 0
    assert client.post(f"/api/v1/webhooks/deliveries/{dead}/replay", headers=admin).status_code == 409
    assert (
        client.post("/api/v1/webhooks/deliveries/999999/replay", headers=admin).json()["error"]["code"] == "not_found"
    )
    with database.transaction() as session:
        audit = session.scalars(select(AuditRecord).where(AuditRecord.action == "webhook.replay")).one()
        assert audit.principal == "user:ada" and audit.target == f"webhook_delivery:{dead}"
        assert audit.details["attempts"] == 1 and audit.details["last_error"].startswith("HTTP 410")

    assert _pass(database, receiver, clock, http) == DeliveryReport(delivered=1)
    first, again = receiver.requests
    assert again.headers["idempotency-key"] == first.headers["idempotency-key"] and again.verified
    assert client.get("/api/v1/webhooks/deliveries?status=delivered", headers=admin).json()["counts"]["delivered"] == 1


def _web_session(database: Database, clock: FrozenClock, name: str) -> tuple[dict[str, str], str]:
    login = log_in(database, name, PASSWORD, address="127.0.0.1", now=clock(), lifetime=timedelta(hours=1))
    return {"Cookie": f"bastion_session={login.token}"}, login.csrf_token


def test_the_dead_letter_page_lists_and_replays(
    client: TestClient, database: Database, clock: FrozenClock, receiver: Receiver, http: httpx.Client
) -> None:
    make_user(database, clock, "ada", Role.ADMIN)
    cookie, csrf = _web_session(database, clock, "ada")
    empty = client.get("/admin/webhooks", headers=cookie)
    assert empty.status_code == 200 and "No dead letters" in empty.text
    assert "BASTION_WEBHOOK_URL" in empty.text  # delivery is not configured in this app

    receiver.reply = b"<script>alert(1)</script>"
    dead = _dead_letter(database, clock, receiver, http)
    page = client.get("/admin/webhooks", headers=cookie)
    assert page.status_code == 200
    assert f'action="/admin/webhooks/{dead}/replay"' in page.text
    assert f'name="csrf_token" value="{csrf}"' in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert" not in page.text
    assert 'id="dead-letters" data-sortable' in page.text and 'data-filter="dead-letters"' in page.text
    assert 'aria-current="page"' in page.text

    forged = client.post(f"/admin/webhooks/{dead}/replay", headers=cookie, data={}, follow_redirects=False)
    assert forged.status_code == 403
    done = client.post(
        f"/admin/webhooks/{dead}/replay", headers=cookie, data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == f"/admin/webhooks?replayed={dead}"
    after = client.get(done.headers["location"], headers=cookie)
    assert f"Delivery {dead} is back in the outbox" in after.text and "No dead letters" in after.text
    again = client.post(f"/admin/webhooks/{dead}/replay", headers=cookie, data={"csrf_token": csrf})
    assert again.status_code == 409
    assert _pass(database, receiver, clock, http) == DeliveryReport(delivered=1)


def test_the_dead_letter_page_is_for_admins_only(client: TestClient, database: Database, clock: FrozenClock) -> None:
    make_user(database, clock, "rita", Role.REVIEWER)
    cookie, csrf = _web_session(database, clock, "rita")
    assert client.get("/admin/webhooks", headers=cookie).status_code == 403
    assert client.post("/admin/webhooks/1/replay", headers=cookie, data={"csrf_token": csrf}).status_code == 403
    stranger = client.get("/admin/webhooks", follow_redirects=False)
    assert stranger.status_code == 303 and stranger.headers["location"].startswith("/login")


# --- the command line ------------------------------------------------------------------------------


def _bastion(*args: str, database: Database, url: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bastion", "webhooks", *args],
        capture_output=True,
        text=True,
        env=_env(database, url),
        timeout=120,
    )


def _env(database: Database, url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASTION_WEBHOOK_")}
    env.update({"BASTION_DATABASE_URL": database.url, "COLUMNS": "200", "NO_COLOR": "1", "BASTION_LOG_LEVEL": "ERROR"})
    if url:
        env.update({"BASTION_WEBHOOK_URL": url, "BASTION_WEBHOOK_SECRET": SECRET})
    return env


def test_the_command_line_delivers_lists_and_replays(database: Database) -> None:
    now = system_clock() - timedelta(minutes=1)  # the command runs on the real clock
    [action] = _actions(database, now)
    with Receiver(system_clock) as platform:
        unset = _bastion("deliver", "--once", database=database, url=None)
        assert unset.returncode == 1 and "BASTION_WEBHOOK_URL" in unset.stderr

        platform.answer(then=410)
        dead = _bastion("deliver", "--once", database=database, url=platform.url)
        assert dead.returncode == 0, dead.stderr
        assert "0 delivered, 0 to retry, 1 dead-lettered" in dead.stdout
        delivery = _delivery(database, action).pk
        listed = _bastion("dead", database=database, url=None)
        assert listed.returncode == 0 and "action.remove" in listed.stdout and "HTTP 410" in listed.stdout

        replayed = _bastion("replay", str(delivery), database=database, url=None)
        assert replayed.returncode == 0 and "pending again" in replayed.stdout

        platform.answer(then=200)
        sent = _bastion("deliver", "--once", database=database, url=platform.url)
        assert "1 delivered" in sent.stdout
        assert [r.verified for r in platform.requests] == [True, True]

        running = subprocess.Popen(
            [sys.executable, "-m", "bastion", "webhooks", "deliver", "--interval", "0.2"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(database, platform.url),
        )
        try:
            [later] = _actions(database, system_clock() - timedelta(seconds=1))
            _wait_for(lambda: _delivery(database, later).status == "delivered", seconds=60)
        finally:
            running.send_signal(signal.SIGINT)
            out, err = running.communicate(timeout=30)
        assert running.returncode == 0, (out, err)
        assert "delivering to http://127.0.0.1:" in out and "stopped" in out
        assert SECRET not in out + err
