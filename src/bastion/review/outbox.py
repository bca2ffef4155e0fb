"""The webhook outbox: messages to the platform, written in the transaction that decided them.

Writing the message with the action it announces means a crash can never lose one or send one for an
action that was rolled back; the delivery worker (`webhooks.py`) sends what is due.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bastion.domain.review import DeliveryStatus
from bastion.store.schema import WebhookDelivery

__all__ = ["DeliveryStatus", "enqueue"]


def enqueue(
    session: Session, *, event: str, payload: dict[str, Any], idempotency_key: str, now: datetime, action_pk: int | None
) -> WebhookDelivery:
    delivery = WebhookDelivery(
        idempotency_key=idempotency_key,
        action_pk=action_pk,
        event=event,
        payload=payload,
        status=DeliveryStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    return delivery
