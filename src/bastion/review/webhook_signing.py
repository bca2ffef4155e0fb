"""Webhook signing and the retry schedule: pure functions a platform's receiver can reuse.

A delivery is signed with HMAC-SHA256 over `"{timestamp}." + body`; the receiver recomputes it with
the shared secret and refuses stale timestamps (`verify_signature`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

from bastion.clock import as_utc

SIGNATURE_PREFIX = "sha256="
SIGNATURE_TOLERANCE = timedelta(minutes=5)
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
MAX_ATTEMPTS = 12  # about five hours of retries with the schedule above
RETRYABLE_4XX = frozenset({408, 425, 429})  # timeout, too early, too many requests: try again later
SNIPPET_CHARS = 200


class Verdict(StrEnum):
    """What one attempt's answer means for the message."""

    DELIVERED = "delivered"
    RETRY = "retry"
    DEAD = "dead"


# --- pure parts: the body, the signature, the schedule -------------------------------------------


def canonical_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed: compact JSON with sorted keys."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of `"<timestamp>." + body` under the shared secret."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: str | int,
    body: bytes,
    signature: str,
    *,
    now: datetime,
    tolerance: timedelta = SIGNATURE_TOLERANCE,
) -> bool:
    """What a platform's receiver runs: True only for a fresh timestamp and a matching signature.

    `timestamp` and `signature` are the `X-Bastion-Timestamp` and `X-Bastion-Signature` headers as
    received (the `sha256=` prefix is optional); `body` is the raw request body, before any JSON
    parsing. A timestamp further than `tolerance` from `now`, either way, is refused, so a captured
    request cannot be replayed later. The comparison takes constant time.
    """
    try:
        seconds = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(as_utc(now).timestamp() - seconds) > tolerance.total_seconds():
        return False
    given = signature.strip().removeprefix(SIGNATURE_PREFIX)
    expected = sign(secret, seconds, body)
    return hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "replace"))


def backoff(attempt: int) -> timedelta:
    """The wait after failed attempt `attempt` (1-based): 30 s, doubling, at most an hour."""
    if attempt < 1:
        raise ValueError("attempts are counted from 1")
    return min(BASE_DELAY * (1 << min(attempt - 1, 32)), MAX_DELAY)


def retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    """A `Retry-After` header (seconds or an HTTP date) as a wait, or None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return timedelta(seconds=int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - as_utc(now), timedelta(0))


def classify(status_code: int) -> Verdict:
    """2xx is delivered; a 4xx means the platform will never take it (except 408, 425, 429)."""
    if 200 <= status_code < 300:
        return Verdict.DELIVERED
    if 400 <= status_code < 500 and status_code not in RETRYABLE_4XX:
        return Verdict.DEAD
    return Verdict.RETRY  # 5xx, the retryable 4xx, and redirects, which are not followed


def sanitize(text: str, limit: int = SNIPPET_CHARS) -> str:
    """One line of printable text, at most `limit` characters: safe to store and show."""
    flat = "".join(c if c.isprintable() else " " for c in text)
    flat = " ".join(flat.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
