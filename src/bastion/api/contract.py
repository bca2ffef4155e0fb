"""The typed shapes of the REST API: every response body, and the one error body.

Each endpoint declares one of these as its response model, so `/openapi.json` describes every
success body and a client can be generated from it. Services keep building their views; a route
validates the view into its model inside the service's transaction and sends the model's JSON from
there (`json_response`), so a body that cannot be written rolls the whole request back.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from bastion.api.json_body import JsonBodyRoute
from bastion.domain.review import AppealStatus, DecisionNeed, JobKind, JobStatus
from bastion.domain.subjects import ContentType, ItemStatus
from bastion.errors import FieldError, InvalidInput
from bastion.ingest.payloads import text_problem
from bastion.review.webhooks import DeliveryRecord


class Shape(BaseModel):
    """A response body: ignores keys a view carries for pages only, never invents fields."""

    model_config = ConfigDict(extra="ignore")


@cache
def _adapter(shape: Any) -> TypeAdapter[Any]:
    return TypeAdapter(shape)


def json_response(body: object, shape: Any = None, status_code: int = 200) -> Response:
    """`body` (a model, a dataclass, or a list of them, in the form `shape`: by default its own type) written
    as JSON now, not after the handler returns. Call it inside the transaction: a body that cannot be written
    then changes nothing. Times are written as FastAPI writes them, `2026-10-31T07:12:00+00:00`."""
    form: Any = shape if shape is not None else type(body)
    plain = jsonable_encoder(_adapter(form).dump_python(body))
    content = json.dumps(plain, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Response(content, status_code=status_code, media_type="application/json")


# --- errors -----------------------------------------------------------------------------------------


class FieldProblem(Shape):
    path: str = Field(description="JSON path of the bad field, e.g. `items[3].target.content_id`; empty for the whole")
    message: str = Field(description="Why, in words a person can act on")


class ErrorDetail(Shape):
    code: str = Field(description="`invalid_input`, `not_found`, `forbidden`, … (see docs/api.md)")
    message: str
    details: list[FieldProblem] = Field(default_factory=list)


class ErrorBody(Shape):
    """Every error the API answers has this shape."""

    error: ErrorDetail


# --- health -----------------------------------------------------------------------------------------


class Health(Shape):
    status: Literal["ok"]
    version: str
    database: Literal["sqlite", "postgresql"]


# --- ingest -----------------------------------------------------------------------------------------


class ItemResult(Shape):
    index: int = Field(description="The item's position in the request, from 0")
    id: str | None = Field(description="The item's id, when it had one")
    status: ItemStatus
    errors: list[FieldProblem] | None = Field(
        None, description="Only for status `error`: each bad field", exclude_if=lambda errors: errors is None
    )


class RuleHitBody(Shape):
    rule: str
    version: int
    mode: str = Field(description="live: its effects happened; shadow: recorded, nothing done")
    effects: list[dict[str, Any]] = Field(
        description="Each effect as the rule wrote it, with what it did (`job`, `action_id`, `labelled`) or "
        "`shadow: true`"
    )
    job_id: int | None = Field(description="The review job the hit opened or joined, if any")


class VerdictBody(Shape):
    content_id: str
    evaluated_at: datetime | None = Field(description="None while the item still waits for detection")
    signals: dict[str, Any] = Field(description="Bank matches, velocity counters, labels and plug-in signals")
    rule_errors: dict[str, str] = Field(description="Rules that failed or ran out of time on this item, by name")
    hits: list[RuleHitBody]


class IngestResult(Shape):
    created: int
    duplicates: int
    errors: int
    items: list[ItemResult]
    detection: list[VerdictBody] | None = Field(
        None,
        description="With `?wait=true` on content: each accepted item's detection verdict",
        exclude_if=lambda verdicts: verdicts is None,
    )


class IngestRefused(IngestResult):
    """No item was accepted: the per-item results and the error that sums them up."""

    error: ErrorDetail


# --- subjects ---------------------------------------------------------------------------------------


class Media(Shape):
    url: str | None
    pdq: str | None


class SubjectReport(Shape):
    id: str
    reporter_id: str | None
    reason: str
    policy_id: str | None
    text: str | None
    created_at: datetime


class HistoryEvent(Shape):
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    principal: str
    data: dict[str, Any]


class Content(Shape):
    id: str
    actor_id: str
    type: ContentType
    text: str | None
    media: Media | None
    language: str | None
    language_detected: bool
    country: str | None
    surface: str | None
    created_at: datetime
    views: int
    reports: list[SubjectReport]
    history: list[HistoryEvent]


class ContentBrief(Shape):
    id: str
    type: ContentType
    created_at: datetime


class Actor(Shape):
    id: str
    created_at: datetime
    country: str | None
    language: str | None
    attributes: dict[str, Any]
    content_count: int
    recent_content: list[ContentBrief]
    reports: list[SubjectReport]
    history: list[HistoryEvent]


# --- queues and jobs --------------------------------------------------------------------------------

QueueKind = Literal["review", "escalation", "appeal", "qa", "prevalence"]


class QueueSummary(Shape):
    name: str
    title: str
    kind: QueueKind
    sla_hours: float
    languages: list[str]
    vendors: list[str]
    open: int
    claimed: int
    held: int
    oldest_age_hours: float | None


class Priority(Shape):
    score: float
    terms: dict[str, float] = Field(description="The parts of the score: severity, confidence, reach, reports, age")


class Reviews(Shape):
    required: int
    done: int


class JobSubject(Shape):
    """The subject under review; the content fields are there when `type` is `content`."""

    type: Literal["content", "actor"]
    id: str
    content_type: ContentType | None = None
    text: str | None = None
    media: Media | None = None
    language: str | None = None
    country: str | None = None
    surface: str | None = None
    created_at: datetime | None = None
    views: int | None = None


class RecentContent(Shape):
    id: str
    type: ContentType
    created_at: datetime
    text: str = Field(description="The first 280 characters")


class PriorAction(Shape):
    id: int
    action: str
    policy: str | None
    at: datetime
    reversed: bool


class Author(Shape):
    id: str
    created_at: datetime
    country: str | None
    language: str | None
    attributes: dict[str, Any] = Field(description="Without the fields the configuration keeps from vendor reviewers")
    content_count: int
    recent_content: list[RecentContent]
    prior_actions: list[PriorAction]


class JobReport(Shape):
    id: str
    reason: str
    policy: str | None
    text: str | None
    created_at: datetime
    reporter: str | None
    reporter_trust: float | None


class PolicyGuide(Shape):
    id: str
    version: int
    title: str
    guidance: str
    allowed_actions: list[str]


class PolicyChoice(Shape):
    id: str
    title: str
    severity: int
    allowed_actions: list[str]


class AppealedAction(Shape):
    id: int
    action: str
    policy: str | None
    statement: str | None


class AppealOnJob(Shape):
    id: str
    text: str | None
    filed_at: datetime
    status: AppealStatus
    action: AppealedAction
    original_rationale: str | None


class AppealContext(Shape):
    appeals: list[AppealOnJob]


class Exposure(Shape):
    today: int
    cap: int | None


class JobView(Shape):
    """A job with everything needed to decide it: what the console shows, as JSON."""

    id: int
    queue: str
    kind: JobKind
    status: JobStatus
    subject: JobSubject
    policy_hint: str | None
    severity: int
    language: str | None
    country: str | None
    priority: Priority
    reviews: Reviews
    created_at: datetime
    sla_due_at: datetime
    lease_expires_at: datetime | None
    note: str | None
    author: Author
    reports: list[JobReport]
    policy: PolicyGuide | None
    policies: list[PolicyChoice]
    rationale_required: bool
    appeal: AppealContext | None = Field(None, description="For appeal jobs: the appeals and what they contest")
    exposure: dict[str, Exposure] | None = Field(
        None, description="Your decisions today per harm type against the daily cap; people only"
    )


class Lease(Shape):
    lease_expires_at: datetime


class ActionTaken(Shape):
    id: int
    action: str
    policy: str | None


class DecisionResult(Shape):
    decision: int = Field(description="The decision's id")
    final: bool = Field(description="False while the job needs another review round")
    needs: DecisionNeed | None = Field(description="What the job still needs while it stays open")
    actions: list[ActionTaken]


class JobState(Shape):
    id: int
    status: JobStatus


class Escalated(JobState):
    queue: str


class Resumed(JobState):
    lease_expires_at: datetime | None


class Reassigned(JobState):
    assigned_to: str


class AppealFiled(Shape):
    id: str
    status: Literal["created", "duplicate"]
    job: int | None = Field(description="The appeal job")


class DecisionRecord(Shape):
    id: int
    job: int
    queue: str
    kind: JobKind
    reviewer: str
    round: int
    policy: str | None
    policy_version: int | None
    action: str
    rationale: str | None
    seconds_spent: float | None
    decided_at: datetime
    final: bool
    withdrawn_at: datetime | None = Field(
        description="When its reviewer took it back within the undo window (listed only with "
        "`include_withdrawn=true`); its actions were cancelled, never sent"
    )


class Restored(Shape):
    id: int = Field(description="The restore action's id")
    action: Literal["restore"]
    reverses: int


# --- webhooks ---------------------------------------------------------------------------------------


class DeliveryCounts(Shape):
    pending: int
    delivered: int
    dead: int
    cancelled: int = Field(description="Withdrawn by an undo before they were ever sent")


class Deliveries(Shape):
    counts: DeliveryCounts
    deliveries: list[DeliveryRecord]


# --- the statuses each endpoint documents -----------------------------------------------------------

ERROR_MEANINGS = {
    400: "The body could not be read (a malformed form sent with a session cookie)",
    401: "No credential, or an unknown, revoked or expired one",
    403: "The principal lacks the permission, the CSRF token is missing or wrong, or a check beyond it fails",
    404: "No such job, action, delivery or subject",
    409: "Well formed, but the current state does not allow it",
    413: "The body is larger than the limit",
    422: "A bad body, parameter or path: `details` names each bad field",
    429: "Too many failed attempts to authenticate from this address or for this account; see Retry-After",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, each with the one error body."""
    return {status: {"model": ErrorBody, "description": ERROR_MEANINGS[status]} for status in statuses}


# Whatever an endpoint that needs a credential may answer besides its own cases.
GUARDED = errors(401, 403, 422, 429)


def operation_id(route: APIRoute) -> str:
    """Each operation is named after its handler (`claim`, `get_job`): the names a generated client's
    functions get."""
    return route.name


def plain_parameters(request: Request) -> None:
    """Every query parameter of the API is given once (`?limit=5&limit=500` is refused, not read as 500),
    and no query or path parameter holds text no store can take (PostgreSQL refuses the NUL character)."""
    problems = [
        FieldError(f"query.{key}", "give it once")
        for key in sorted(set(request.query_params))
        if len(request.query_params.getlist(key)) > 1
    ]
    for where, values in (("query", request.query_params.multi_items()), ("path", request.path_params.items())):
        for key, value in values:
            problem = text_problem(value) if isinstance(value, str) else None
            if problem is not None:
                problems.append(FieldError(f"{where}.{key}", problem))
    if problems:
        raise InvalidInput("the request is not valid", problems)


def api_router(tag: str, prefix: str = "/api/v1", *, guarded: bool = True) -> APIRouter:
    """A router of the REST API: operations named after their handlers, JSON bodies read by `read_json`,
    query and path parameters checked, and (unless public) the error statuses every guarded endpoint may answer."""
    return APIRouter(
        prefix=prefix,
        tags=[tag],
        responses=GUARDED if guarded else None,
        route_class=JsonBodyRoute,
        generate_unique_id_function=operation_id,
        dependencies=[Depends(plain_parameters)],
    )
