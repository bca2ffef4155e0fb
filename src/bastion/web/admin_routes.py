"""Admin pages: the webhook outbox at a glance and the dead-letter list, with replay."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.params import RowId
from bastion.http.security import requires
from bastion.review.webhook_signing import MAX_ATTEMPTS
from bastion.review.webhooks import dead_letters, delivery_counts, receiver_origin, replay
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_manage = requires(Permission.ENFORCEMENT_MANAGE)
DEAD_LETTERS_SHOWN = 500


@router.get("/admin/webhooks", response_class=HTMLResponse)
def webhooks_page(
    request: Request,
    replayed: int | None = None,
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        counts = delivery_counts(session)
        dead = dead_letters(session, limit=DEAD_LETTERS_SHOWN)
    values = {
        "title": "Webhooks",
        "counts": counts,
        "dead": dead,
        "receiver": receiver_origin(context.settings.webhook_url),
        "replayed": replayed,
        "max_attempts": MAX_ATTEMPTS,
    }
    return render_page(request, "admin_webhooks.html", values)


@router.post("/admin/webhooks/{delivery_id}/replay")
def replay_submit(
    delivery_id: RowId, principal: Principal = Depends(can_manage), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        replay(session, delivery_id, now=context.clock(), principal=principal.name)
    return RedirectResponse(f"/admin/webhooks?replayed={delivery_id}", status_code=303)
