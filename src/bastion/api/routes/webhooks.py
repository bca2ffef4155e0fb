"""Webhook deliveries over REST: the outbox by status, the dead-letter list and replay (admins)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder

from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.review.outbox import DeliveryStatus
from bastion.review.webhooks import delivery_counts, list_deliveries, record_of, replay

router = APIRouter(prefix="/api/v1", tags=["webhooks"])
can_manage = requires(Permission.ENFORCEMENT_MANAGE)


@router.get("/webhooks/deliveries", summary="Webhook deliveries in one status (dead letters by default)")
def get_deliveries(
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
    status: DeliveryStatus = Query(DeliveryStatus.DEAD, description="pending, delivered, dead or cancelled"),
    limit: int = Query(100, ge=1, le=1000),
) -> Any:
    """`{"counts": {"pending": n, "delivered": n, "dead": n}, "deliveries": [delivery, ...]}`, newest first."""
    with context.database.transaction() as session:
        rows = list_deliveries(session, status, limit)
        counts = delivery_counts(session)
    return jsonable_encoder({"counts": counts, "deliveries": [asdict(row) for row in rows]})


@router.post(
    "/webhooks/deliveries/{delivery_id}/replay",
    summary="Send a dead letter again: back to pending, due now, attempts reset",
    responses={404: {"description": "No such delivery"}, 409: {"description": "Not dead, or its action reversed"}},
)
def post_replay(
    delivery_id: int, principal: Principal = Depends(can_manage), context: AppContext = Depends(app_context)
) -> Any:
    """The delivery as it now stands (status `pending`); recorded in the audit log as `webhook.replay`."""
    with context.database.transaction() as session:
        row = replay(session, delivery_id, now=context.clock(), principal=principal.name)
        return jsonable_encoder(asdict(record_of(row)))
