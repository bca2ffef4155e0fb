"""Coordinated networks over REST: the networks detected now (the JSON `bastion investigate networks --format
json` prints), a case opened from one, and bulk actions on one: preview (counts, the list, a confirmation
token), act with the token, read, reverse. The services check who may and record their own audit rows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bastion.api.contract import Shape, api_router, errors, json_response
from bastion.api.routes.cases import CaseBody
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.domain.investigate import BulkActionKind
from bastion.http.context import AppContext, app_context
from bastion.http.params import MAX_ROW_ID, RowId
from bastion.http.security import requires
from bastion.investigate import bulk_actions, case_views, cases
from bastion.investigate.bulk_actions import BulkActionView, BulkPlan
from bastion.investigate.network_service import report_json

router = api_router("networks")
can_read = requires(Permission.INVESTIGATE_READ)
can_manage = requires(Permission.INVESTIGATE_MANAGE)
NetworkId = Annotated[
    str,
    Path(
        pattern=r"^network-[0-9a-f]{12}$",
        description="The detector's stable id of a network (`network-` and 12 hex digits)",
    ),
]
CaseRef = Annotated[int | None, Field(None, ge=1, le=MAX_ROW_ID, description="The case the action is part of")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BulkActionRequest(Body):
    action: BulkActionKind = Field(description="suspend or ban the members' accounts, or remove their clustered posts")
    case_id: CaseRef = None


class BulkActionConfirmation(BulkActionRequest):
    token: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="The token the preview returned: the action is taken only if the plan is still the same"
    )


class BulkReversal(Body):
    note: Annotated[str, StringConstraints(max_length=500)] = ""


class NetworkCaseRequest(Body):
    title: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="By default, `Coordinated network <id>`"
    )
    severity: int = Field(3, description="1 (SEV1, imminent harm) to 4 (SEV4, a lead); SEV3 by default")
    threat: bool = False


class NetworkSharedBody(Shape):
    attribute: str = Field(description="device_id, ip, subnet, url, domain, text_cluster or image")
    value: str
    kind: str = Field(description="device, address, link or content")
    members: int = Field(description="How many members carry it")
    actors: int = Field(description="How many actors in all carry it")


class NetworkCreatedBody(Shape):
    first: datetime
    last: datetime
    together: int = Field(description="Members whose accounts were made close together")


class NetworkAgesBody(Shape):
    min: float
    median: float
    max: float


class NetworkBurstBody(Shape):
    start: datetime
    end: datetime
    members: int
    posts: int


class NetworkEvidenceBody(Shape):
    surprise: dict[str, float] = Field(description="How unusual the sharing is, per kind of tie")
    ties: int
    density: float
    accounts_created: NetworkCreatedBody
    age_days_at_first_post: NetworkAgesBody | None
    bursts: list[NetworkBurstBody]
    burst_count: int


class NetworkBody(Shape):
    id: str
    members: list[str] = Field(description="The members' platform ids")
    shared: list[NetworkSharedBody]
    score: float
    evidence: NetworkEvidenceBody


class NetworksBody(Shape):
    since: datetime | None
    actors: int
    posts: int
    networks: list[NetworkBody]


class PlanItemBody(Shape):
    type: str = Field(description="actor or content")
    id: str = Field(description="The platform's id")
    actor: str = Field(description="The account: itself, or the post's author")
    skipped: bool = Field(description="Already in that state: left alone")


class BulkPreviewBody(Shape):
    network_id: str
    action: BulkActionKind
    case_id: int | None
    members: int
    to_change: int = Field(description="How many items the action would change")
    skipped: int = Field(description="How many are already in that state")
    cap: int = Field(description="The most items one bulk action may change")
    items: list[PlanItemBody]
    token: str = Field(description="Confirms this plan and no other; give it to act")
    expires_at: datetime


class BulkItemBody(Shape):
    subject_type: str
    ref: str = Field(description="The platform's id")
    action_id: int = Field(description="The enforcement action taken on it")
    restored_by_action: int | None = Field(description="The restore, once the bulk action was reversed")


class BulkActionBody(Shape):
    id: int
    network_id: str
    case_id: int | None
    action: BulkActionKind
    changed: int
    skipped: int
    taken_by: str
    taken_at: datetime
    reversed_by: str | None
    reversed_at: datetime | None
    items: list[BulkItemBody]


def preview_body(plan: BulkPlan) -> BulkPreviewBody:
    """The preview as the API answers it (the page shows the same)."""
    items = [
        PlanItemBody(type=i.subject_type.value, id=i.ref, actor=i.actor, skipped=False) for i in plan.to_change
    ] + [PlanItemBody(type=i.subject_type.value, id=i.ref, actor=i.actor, skipped=True) for i in plan.skipped]
    return BulkPreviewBody(
        network_id=plan.network_id,
        action=plan.action,
        case_id=plan.case_pk,
        members=plan.members,
        to_change=len(plan.to_change),
        skipped=len(plan.skipped),
        cap=plan.cap,
        items=items,
        token=plan.token,
        expires_at=plan.expires_at,
    )


def _bulk(view: BulkActionView) -> Response:
    return json_response(BulkActionBody.model_validate(view, from_attributes=True))


@router.get(
    "/networks", summary="The coordinated networks detected now, the most unusual first", response_model=NetworksBody
)
def get_networks(principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)) -> Response:
    with context.database.transaction() as session:
        report: dict[str, Any] = report_json(bulk_actions.current_networks(session, principal))
        return json_response(NetworksBody.model_validate(report))


@router.post(
    "/networks/{network_id}/case",
    summary="Open a case on a network: it links the network and its members; answers with the case",
    response_model=CaseBody,
    responses=errors(404),
)
def post_network_case(
    network_id: NetworkId,
    body: NetworkCaseRequest,
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    now = context.clock()
    with context.database.transaction() as session:
        network = bulk_actions.network_by_id(session, principal, network_id)
        draft = cases.CaseDraft(body.title or f"Coordinated network {network_id}", body.severity, body.threat)
        case = cases.open_case_from_network(session, principal, network_id, list(network.members), draft, now=now)
        return json_response(CaseBody.model_validate(case_views.case_view(session, principal, case.pk, now=now)))


@router.post(
    "/networks/{network_id}/actions/preview",
    summary="What a bulk action on a network would do: counts, the items, and a token confirming this plan",
    response_model=BulkPreviewBody,
    responses=errors(404, 422),
)
def post_bulk_preview(
    network_id: NetworkId,
    body: BulkActionRequest,
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    cap = context.settings.bulk_action_cap
    with context.database.transaction() as session:
        plan = bulk_actions.preview(
            session, principal, network_id, body.action, now=context.clock(), cap=cap, case_pk=body.case_id
        )
        return json_response(preview_body(plan))


@router.post(
    "/networks/{network_id}/actions",
    summary="Take a previewed bulk action (with its token); refused if the plan changed since (preview again)",
    response_model=BulkActionBody,
    responses=errors(404, 409, 422),
)
def post_bulk_action(
    network_id: NetworkId,
    body: BulkActionConfirmation,
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    cap = context.settings.bulk_action_cap
    with context.database.transaction() as session:
        bulk = bulk_actions.execute(
            session,
            principal,
            network_id,
            body.action,
            body.token,
            now=context.clock(),
            cap=cap,
            case_pk=body.case_id,
        )
        return _bulk(bulk_actions.bulk_action_view(session, principal, bulk.pk))


@router.get(
    "/bulk-actions/{bulk_id}",
    summary="A bulk action: what it did to which items, and its reversal",
    response_model=BulkActionBody,
    responses=errors(404),
)
def get_bulk_action(
    bulk_id: RowId, principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        return _bulk(bulk_actions.bulk_action_view(session, principal, bulk_id))


@router.post(
    "/bulk-actions/{bulk_id}/reverse",
    summary="Reverse a bulk action: restore every item it changed (once)",
    response_model=BulkActionBody,
    responses=errors(404, 409),
)
def post_bulk_reversal(
    bulk_id: RowId,
    body: BulkReversal,
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        bulk_actions.reverse_bulk_action(session, principal, bulk_id, now=context.clock(), note=body.note)
        return _bulk(bulk_actions.bulk_action_view(session, principal, bulk_id))
