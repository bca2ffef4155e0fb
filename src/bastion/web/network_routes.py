"""Network pages: the coordinated networks detected now, one network with its members, what they share and
the evidence, a case opened from it, and a bulk action on it through a preview, a typed confirmation and a
result page with its reversal. They call the same services as `/api/v1/networks` and `/api/v1/bulk-actions`.

Detection runs on demand; its last report per store is kept while the store has not changed (see
`investigate.bulk_actions.current_networks`), so opening one network, previewing and confirming reuse one run.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bastion.auth.principal import Principal
from bastion.domain.access import Permission, Role
from bastion.domain.investigate import BulkActionKind
from bastion.errors import BastionError, Conflict, FieldError, InvalidInput
from bastion.http.context import AppContext, app_context
from bastion.http.params import MAX_ROW_ID, RowId
from bastion.http.security import requires
from bastion.investigate import bulk_actions, cases
from bastion.investigate.case_views import cases_touching
from bastion.investigate.network_service import network_json
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_read = requires(Permission.INVESTIGATE_READ)
can_manage = requires(Permission.INVESTIGATE_MANAGE)
NetworkId = Annotated[str, Path(pattern=r"^network-[0-9a-f]{12}$")]


def _may_act(principal: Principal) -> bool:
    return principal.can(Permission.INVESTIGATE_MANAGE) and Role.VENDOR_REVIEWER not in principal.roles


@router.get("/investigate/networks", response_class=HTMLResponse)
def networks_page(
    request: Request, principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    cases.require_case_access(principal, Permission.INVESTIGATE_READ)
    with context.database.transaction() as session:
        report = bulk_actions.current_networks(session, principal)
    rows = [
        {
            "id": n.id,
            "score": n.score,
            "members": len(n.members),
            "kinds": sorted({s.kind.value for s in n.shared}),
            "bursts": n.evidence.burst_count,
            "created": n.evidence.created_first,
            "first_members": n.members[:4],
        }
        for n in report.networks
    ]
    values = {"title": "Networks", "report": report, "rows": rows}
    return render_page(request, "investigate_networks.html", values)


@router.get("/investigate/networks/{network_id}", response_class=HTMLResponse)
def network_page(
    request: Request,
    network_id: NetworkId,
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    return _network_page(request, context, principal, network_id)


def _network_page(
    request: Request,
    context: AppContext,
    principal: Principal,
    network_id: str,
    *,
    error: BastionError | None = None,
    status_code: int = 200,
) -> Response:
    cases.require_case_access(principal, Permission.INVESTIGATE_READ)
    with context.database.transaction() as session:
        network = bulk_actions.network_by_id(session, principal, network_id)
        touching = cases_touching(session, network_id, list(network.members))
    values = {
        "title": f"Network {network_id}",
        "cases": touching,
        "n": network_json(network),
        "may_act": _may_act(principal),
        "actions": list(BulkActionKind),
        "cap": context.settings.bulk_action_cap,
        "error": error,
    }
    return render_page(request, "investigate_network.html", values, status_code=status_code)


@router.post("/investigate/networks/{network_id}/case", response_class=HTMLResponse)
def network_case_submit(
    request: Request,
    network_id: NetworkId,
    severity: Annotated[int, Form(ge=1, le=4)] = 3,
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    now = context.clock()
    try:
        with context.database.transaction() as session:
            network = bulk_actions.network_by_id(session, principal, network_id)
            draft = cases.CaseDraft(f"Coordinated network {network_id}", severity)
            case = cases.open_case_from_network(session, principal, network_id, list(network.members), draft, now=now)
            case_pk = case.pk
    except (InvalidInput, Conflict) as refused:
        return _network_page(request, context, principal, network_id, error=refused, status_code=refused.http_status)
    return RedirectResponse(f"/investigate/cases/{case_pk}", status_code=303)


@router.get("/investigate/networks/{network_id}/act", response_class=HTMLResponse)
def preview_page(
    request: Request,
    network_id: NetworkId,
    action: BulkActionKind = Query(BulkActionKind.SUSPEND),
    case: int | None = Query(None, ge=1, le=MAX_ROW_ID),
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    return _preview_page(request, context, principal, network_id, action, case)


def _preview_page(
    request: Request,
    context: AppContext,
    principal: Principal,
    network_id: str,
    action: BulkActionKind,
    case_pk: int | None,
    *,
    error: BastionError | None = None,
    status_code: int = 200,
) -> Response:
    try:
        with context.database.transaction() as session:
            plan = bulk_actions.preview(
                session,
                principal,
                network_id,
                action,
                now=context.clock(),
                cap=context.settings.bulk_action_cap,
                case_pk=case_pk,
            )
    except InvalidInput as refused:  # over the cap: say so on the network's page, nothing to confirm
        return _network_page(request, context, principal, network_id, error=refused, status_code=refused.http_status)
    values: dict[str, Any] = {
        "title": f"{action.value.capitalize()} network {network_id}?",
        "plan": plan,
        "error": error,
    }
    return render_page(request, "investigate_network_preview.html", values, status_code=status_code)


@router.post("/investigate/networks/{network_id}/actions", response_class=HTMLResponse)
def action_submit(
    request: Request,
    network_id: NetworkId,
    action: Annotated[BulkActionKind, Form()],
    token: Annotated[str, Form(max_length=100)] = "",
    expected: Annotated[int, Form(ge=0, le=1_000_000)] = 0,
    typed: Annotated[str, Form(max_length=20)] = "",
    case: Annotated[int | None, Form(ge=1, le=MAX_ROW_ID)] = None,
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    try:
        if typed.strip().replace(",", "") != str(expected):
            raise InvalidInput(
                "confirm the number of items",
                [FieldError("typed", f"type {expected} (the number of {action.items} to change) to confirm")],
            )
        with context.database.transaction() as session:
            bulk = bulk_actions.execute(
                session,
                principal,
                network_id,
                action,
                token,
                now=context.clock(),
                cap=context.settings.bulk_action_cap,
                case_pk=case,
            )
            bulk_pk = bulk.pk
    except (InvalidInput, Conflict) as refused:
        return _preview_page(
            request, context, principal, network_id, action, case, error=refused, status_code=refused.http_status
        )
    return RedirectResponse(f"/investigate/bulk-actions/{bulk_pk}", status_code=303)


@router.get("/investigate/bulk-actions/{bulk_id}", response_class=HTMLResponse)
def bulk_action_page(
    request: Request,
    bulk_id: RowId,
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    return _bulk_page(request, context, principal, bulk_id)


def _bulk_page(
    request: Request,
    context: AppContext,
    principal: Principal,
    bulk_id: int,
    *,
    error: BastionError | None = None,
    status_code: int = 200,
) -> Response:
    with context.database.transaction() as session:
        view = bulk_actions.bulk_action_view(session, principal, bulk_id)
    values = {"title": f"Bulk action {bulk_id}", "b": view, "may_act": _may_act(principal), "error": error}
    return render_page(request, "investigate_network_action.html", values, status_code=status_code)


@router.post("/investigate/bulk-actions/{bulk_id}/reverse", response_class=HTMLResponse)
def reverse_submit(
    request: Request,
    bulk_id: RowId,
    note: Annotated[str, Form(max_length=500)] = "",
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    try:
        with context.database.transaction() as session:
            bulk_actions.reverse_bulk_action(session, principal, bulk_id, now=context.clock(), note=note)
    except Conflict as refused:
        return _bulk_page(request, context, principal, bulk_id, error=refused, status_code=refused.http_status)
    return RedirectResponse(f"/investigate/bulk-actions/{bulk_id}", status_code=303)
