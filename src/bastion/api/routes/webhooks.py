"""Webhook deliveries over REST: the outbox by status, the dead-letter list and replay (admins)."""

from __future__ import annotations

from fastapi import Depends, Query
from fastapi.responses import Response

from bastion.api.contract import Deliveries, DeliveryCounts, api_router, errors, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.params import RowId
from bastion.http.security import requires
from bastion.review.outbox import DeliveryStatus
from bastion.review.webhooks import DeliveryRecord, delivery_counts, list_deliveries, record_of, replay

router = api_router("webhooks")
can_manage = requires(Permission.ENFORCEMENT_MANAGE)


@router.get(
    "/webhooks/deliveries",
    summary="Webhook deliveries in one status (dead letters by default)",
    response_model=Deliveries,
)
def get_deliveries(
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
    status: DeliveryStatus = Query(DeliveryStatus.DEAD, description="pending, delivered, dead or cancelled"),
    limit: int = Query(100, ge=1, le=1000),
) -> Response:
    """The count of every status, and the deliveries in `status`, newest first."""
    with context.database.transaction() as session:
        rows = list_deliveries(session, status, limit)
        counts = DeliveryCounts.model_validate(delivery_counts(session))
        return json_response(Deliveries(counts=counts, deliveries=rows))


@router.post(
    "/webhooks/deliveries/{delivery_id}/replay",
    summary="Send a dead letter again: back to pending, due now, attempts reset",
    response_model=DeliveryRecord,
    responses=errors(400, 404, 409),
)
def post_replay(
    delivery_id: RowId, principal: Principal = Depends(can_manage), context: AppContext = Depends(app_context)
) -> Response:
    """The delivery as it now stands (status `pending`); recorded in the audit log as `webhook.replay`."""
    with context.database.transaction() as session:
        row = replay(session, delivery_id, now=context.clock(), principal=principal.name)
        return json_response(record_of(row))
