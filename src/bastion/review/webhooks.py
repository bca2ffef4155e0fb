"""Enforcement webhooks: signing, the retry schedule, the delivery worker and the dead-letter list.

The outbox (`outbox.py`) holds one row per message, written in the transaction that took the action.
The worker sends what is due without holding a transaction open across the network:

1. claim: a short transaction picks due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's write
   lock serialises workers), counts the attempt and leases each row by moving its `next_attempt_at`
   a few minutes ahead, so no other worker takes it while it is in flight;
2. send: one signed POST per row, with no transaction open;
3. record: a short transaction per row stores the outcome, only if the row is still the attempt this
   worker claimed (so a late answer never overwrites a newer one).

A crash between send and record leaves the lease to run out and the message is sent again: at least
once, never lost. The `Idempotency-Key` header, the same on every attempt, makes the resend harmless.

A message with a `not_before` time (a decision's undo window, `undo.py`) is never claimed earlier,
whatever its `next_attempt_at` says; a message cancelled by an undo is never sent at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from bastion import __version__, audit_log
from bastion.auth.principal import SYSTEM
from bastion.clock import Clock, as_utc, system_clock
from bastion.config import Settings
from bastion.domain.events import EventKind, NewEvent
from bastion.domain.subjects import SubjectType
from bastion.errors import ConfigurationError, Conflict, NotFound
from bastion.review.outbox import DeliveryStatus
from bastion.review.webhook_signing import (
    MAX_ATTEMPTS,
    MAX_DELAY,
    SIGNATURE_PREFIX,
    Verdict,
    backoff,
    canonical_body,
    classify,
    retry_after,
    sanitize,
    sign,
)
from bastion.store.database import Database
from bastion.store.events import append_events
from bastion.store.schema import EnforcementAction, WebhookDelivery

log = structlog.get_logger(__name__)
CLAIM_BATCH = 10
CLAIM_LEASE = timedelta(minutes=5)  # longer than a batch of sends can take with the default timeout
SNIPPET_BYTES = 512
MIN_SECRET_CHARS = 16
REQUEST_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class WebhookTarget:
    url: str
    secret: str = field(repr=False)

    @property
    def origin(self) -> str:
        return receiver_origin(self.url) or ""


def receiver_origin(url: str | None) -> str | None:
    """Scheme, host and port of the receiver: safe to show (no credentials, path or query)."""
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def webhook_target(config: Settings) -> WebhookTarget:
    """The receiver and secret from the settings; a clear error naming the variable that is wrong."""
    url = (config.webhook_url or "").strip()
    if not url:
        raise ConfigurationError("BASTION_WEBHOOK_URL is not set: set it to the platform's webhook receiver URL")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise ConfigurationError("BASTION_WEBHOOK_URL has spaces or control characters; a URL has none")
    try:
        parts = urlsplit(url)
        port = parts.port  # reading it checks it
    except ValueError as exc:
        raise ConfigurationError(
            "BASTION_WEBHOOK_URL is not a URL: its host or its port cannot be read (a port is a number from 1 to 65535)"
        ) from exc
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigurationError("BASTION_WEBHOOK_URL must be an http:// or https:// URL with a host")
    if port == 0:
        raise ConfigurationError("BASTION_WEBHOOK_URL has port 0; a port is a number from 1 to 65535")
    secret = config.webhook_secret.get_secret_value() if config.webhook_secret else ""
    if len(secret) < MIN_SECRET_CHARS:
        raise ConfigurationError(
            f"BASTION_WEBHOOK_SECRET must be set to a shared secret of at least {MIN_SECRET_CHARS} characters; "
            "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return WebhookTarget(url, secret)


def make_client(timeout: float = REQUEST_TIMEOUT_SECONDS) -> httpx.Client:
    """The HTTP client deliveries use: a bounded timeout, redirects not followed."""
    return httpx.Client(
        timeout=timeout, follow_redirects=False, headers={"User-Agent": f"Bastion/{__version__} webhooks"}
    )


# --- the worker ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryReport:
    """What one pass did. `superseded`: an outcome not stored because the row had moved on."""

    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    superseded: int = 0

    @property
    def sent(self) -> int:
        return self.delivered + self.retrying + self.dead + self.superseded


@dataclass(frozen=True)
class Claimed:
    """A message leased to this worker for one attempt."""

    pk: int
    event: str
    payload: dict[str, Any]
    idempotency_key: str
    attempt: int


@dataclass(frozen=True)
class _Outcome:
    verdict: Verdict
    error: str | None = None  # "HTTP 500" or an exception's class: never the payload
    detail: str = ""  # a short, sanitized start of the response body
    wait_at_least: timedelta | None = None

    @property
    def last_error(self) -> str | None:
        if self.error is None:
            return None
        return f"{self.error}: {self.detail}" if self.detail else self.error


def deliver_due(
    database: Database,
    target: WebhookTarget,
    *,
    now: datetime,
    client: httpx.Client,
    limit: int = 100,
    schedule: Callable[[int], timedelta] = backoff,
) -> DeliveryReport:
    """Send up to `limit` due messages, each in its own claim-send-record cycle; see the module notes."""
    tally = {verdict: 0 for verdict in ("delivered", "retrying", "dead", "superseded")}
    remaining = limit
    while remaining > 0:
        with database.transaction() as session:
            batch = claim_due(session, now=now, size=min(CLAIM_BATCH, remaining))
        if not batch:
            break
        remaining -= len(batch)
        for claimed in batch:
            outcome = _send(client, target, claimed, now=now)
            with database.transaction() as session:
                tally[_record(session, claimed, outcome, now=now, schedule=schedule)] += 1
    return DeliveryReport(**tally)


def _waiting_for_original() -> Any:
    """True for a restore whose reversed action's own message is still pending: it must land first."""
    reversing = aliased(EnforcementAction)
    original = aliased(WebhookDelivery)
    return exists().where(
        reversing.pk == WebhookDelivery.action_pk,
        reversing.reverses_pk.is_not(None),
        original.action_pk == reversing.reverses_pk,
        original.status == DeliveryStatus.PENDING.value,
    )


def claim_due(session: Session, *, now: datetime, size: int) -> list[Claimed]:
    """Lease up to `size` due messages and count their attempt; concurrent claimers get different ones."""
    query = (
        select(WebhookDelivery)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING.value,
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.not_before.is_(None), WebhookDelivery.not_before <= now),
            ~_waiting_for_original(),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.pk)
        .limit(size)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
    claimed = []
    for row in session.scalars(query):
        row.attempts += 1
        row.next_attempt_at = now + CLAIM_LEASE
        claimed.append(Claimed(row.pk, row.event, dict(row.payload), row.idempotency_key, row.attempts))
    return claimed


def _send(client: httpx.Client, target: WebhookTarget, claimed: Claimed, *, now: datetime) -> _Outcome:
    body = canonical_body(claimed.payload)
    timestamp = int(as_utc(now).timestamp())
    headers = {
        "Content-Type": "application/json",
        "X-Bastion-Event": claimed.event,
        "X-Bastion-Delivery": str(claimed.pk),
        "X-Bastion-Attempt": str(claimed.attempt),
        "X-Bastion-Timestamp": str(timestamp),
        "X-Bastion-Signature": SIGNATURE_PREFIX + sign(target.secret, timestamp, body),
        "Idempotency-Key": claimed.idempotency_key,
    }
    try:
        with client.stream("POST", target.url, content=body, headers=headers) as response:
            verdict = classify(response.status_code)
            if verdict is Verdict.DELIVERED:
                return _Outcome(verdict)
            return _Outcome(
                verdict,
                f"HTTP {response.status_code}",
                _snippet(response),
                retry_after(response.headers.get("retry-after"), now=now),
            )
    except httpx.HTTPError as error:  # timeouts, refused connections, broken streams: try again later
        return _Outcome(Verdict.RETRY, type(error).__name__)


def _snippet(response: httpx.Response) -> str:
    """The start of an error response's body; never more than SNIPPET_BYTES are read."""
    start = bytearray()
    try:
        for chunk in response.iter_bytes():
            start += chunk
            if len(start) >= SNIPPET_BYTES:
                break
    except httpx.HTTPError:
        pass  # the status code is what matters; a body that breaks off is not worth a retry of its own
    return sanitize(bytes(start[:SNIPPET_BYTES]).decode("utf-8", "replace"))


def _record(
    session: Session, claimed: Claimed, outcome: _Outcome, *, now: datetime, schedule: Callable[[int], timedelta]
) -> str:
    query = select(WebhookDelivery).where(
        WebhookDelivery.pk == claimed.pk,
        WebhookDelivery.status == DeliveryStatus.PENDING.value,
        WebhookDelivery.attempts == claimed.attempt,
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.scalar(query)
    fields = {"delivery": claimed.pk, "webhook_event": claimed.event, "attempt": claimed.attempt}
    if row is None:
        log.warning("webhook_outcome_superseded", **fields)
        return "superseded"
    if outcome.verdict is Verdict.DELIVERED:
        row.status, row.delivered_at, row.last_error = DeliveryStatus.DELIVERED.value, now, None
        _append_event(session, row, EventKind.ACTION_DELIVERED, now, {"attempts": row.attempts})
        log.info("webhook_delivered", **fields)
        return "delivered"
    row.last_error = outcome.last_error
    if outcome.verdict is Verdict.DEAD or row.attempts >= MAX_ATTEMPTS:
        # A dead letter has no next attempt; the column keeps the time of the last one.
        row.status, row.next_attempt_at = DeliveryStatus.DEAD.value, now
        _append_event(
            session, row, EventKind.ACTION_DEAD_LETTERED, now, {"attempts": row.attempts, "error": outcome.error}
        )
        log.warning("webhook_dead_lettered", error=outcome.error, **fields)
        return "dead"
    wait = schedule(row.attempts)
    if outcome.wait_at_least is not None:
        wait = max(wait, min(outcome.wait_at_least, MAX_DELAY))
    row.next_attempt_at = now + wait
    log.warning("webhook_failed", error=outcome.error, retry_in_seconds=wait.total_seconds(), **fields)
    return "retrying"


def _append_event(
    session: Session,
    row: WebhookDelivery,
    kind: str,
    now: datetime,
    data: dict[str, Any],
    *,
    principal: str = SYSTEM.name,
) -> None:
    """A fact on the action's subject, in the transaction that changes the delivery."""
    if row.action_pk is None:
        return
    action = session.get_one(EnforcementAction, row.action_pk)
    event = NewEvent(
        kind,
        SubjectType(action.subject_type),
        action.subject_pk,
        now,
        principal,
        {"action": action.pk, "delivery": row.pk, **data},
    )
    append_events(session, [event], recorded_at=now)


class DeliveryWorker:
    """Delivers due messages every `interval` seconds in a background thread, until stopped.

    A failing pass (the database or the network down) is logged and tried again on the next tick;
    a pass that filled its limit is followed at once by another, so a backlog drains quickly.
    """

    def __init__(
        self,
        database: Database,
        target: WebhookTarget,
        *,
        clock: Clock = system_clock,
        interval: float = 5.0,
        limit: int = 100,
        client: httpx.Client | None = None,
    ) -> None:
        self.database, self.target, self.clock = database, target, clock
        self.interval, self.limit = interval, limit
        self._client = client or make_client()
        self._owns_client = client is None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_report: DeliveryReport | None = None
        self.failed_passes = 0

    def run_once(self) -> DeliveryReport:
        report = deliver_due(
            self.database,
            self.target,
            now=self.clock(),
            client=self._client,
            limit=self.limit,
        )
        self.last_report = report
        return report

    def start(self) -> None:
        if self._thread is not None:
            raise Conflict("the webhook delivery worker was already started")
        self._thread = threading.Thread(target=self._run, name="bastion-webhooks", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the worker to finish its current send and wait for it; closes the client it made."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._owns_client:
            self._client.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.is_set():
            full = False
            try:
                full = self.run_once().sent >= self.limit
            except Exception as error:  # an outage must not end the worker; the next tick tries again
                self.failed_passes += 1
                log.error("webhook_pass_failed", error_type=type(error).__name__)
            if not full:
                self._stopping.wait(self.interval)

    def __enter__(self) -> DeliveryWorker:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


# --- the dead-letter list and replay ---------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryRecord:
    """One message as admins see it (API, page and CLI): never its full payload."""

    id: int
    event: str
    action_id: int | None
    subject_type: str | None
    subject_id: str | None
    status: str
    attempts: int
    last_error: str | None
    idempotency_key: str
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None


def record_of(row: WebhookDelivery) -> DeliveryRecord:
    subject = row.payload.get("subject") if isinstance(row.payload, dict) else None
    subject = subject if isinstance(subject, dict) else {}
    return DeliveryRecord(
        id=row.pk,
        event=row.event,
        action_id=row.action_pk,
        subject_type=subject.get("type"),
        subject_id=subject.get("id"),
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        idempotency_key=row.idempotency_key,
        created_at=as_utc(row.created_at),
        next_attempt_at=as_utc(row.next_attempt_at),
        delivered_at=as_utc(row.delivered_at) if row.delivered_at else None,
    )


def list_deliveries(session: Session, status: DeliveryStatus, limit: int = 100) -> list[DeliveryRecord]:
    """Messages in one status, newest first."""
    rows = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.status == status.value)
        .order_by(WebhookDelivery.pk.desc())
        .limit(limit)
    )
    return [record_of(row) for row in rows]


def dead_letters(session: Session, limit: int = 100) -> list[DeliveryRecord]:
    """Messages that will not be sent again unless an admin replays them, newest first."""
    return list_deliveries(session, DeliveryStatus.DEAD, limit)


def delivery_counts(session: Session) -> dict[str, int]:
    """How many messages are in each status (every status present, zero or not)."""
    counts = dict.fromkeys((s.value for s in DeliveryStatus), 0)
    query = select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
    for status, count in session.execute(query):
        counts[status] = int(count)
    return counts


def replay(session: Session, delivery_pk: int, *, now: datetime, principal: str) -> WebhookDelivery:
    """Put a dead letter back in the outbox, due now with a fresh count of attempts; audited.

    Refused for a message that is not dead, and for an action that has since been reversed: sending
    it now would re-apply something already undone (the restore is, or will be, delivered on its own).
    """
    row = session.get(WebhookDelivery, delivery_pk, with_for_update=True)
    if row is None:
        raise NotFound(f"no webhook delivery {delivery_pk}")
    if row.status != DeliveryStatus.DEAD.value:
        raise Conflict(f"webhook delivery {delivery_pk} is {row.status}; only dead letters can be replayed")
    action = session.get(EnforcementAction, row.action_pk) if row.action_pk is not None else None
    if action is not None and action.reversed_at is not None:
        raise Conflict(
            f"action {action.pk} was reversed after this delivery died; replaying it would re-apply an undone action"
        )
    before = {"attempts": row.attempts, "last_error": row.last_error}
    row.status, row.attempts, row.next_attempt_at, row.last_error = DeliveryStatus.PENDING.value, 0, now, None
    _append_event(session, row, EventKind.ACTION_DELIVERY_REPLAYED, now, before, principal=principal)
    audit_log.record(
        session,
        principal=principal,
        action="webhook.replay",
        target=f"webhook_delivery:{row.pk}",
        at=now,
        details={"event": row.event, "action": row.action_pk, **before},
    )
    return row
