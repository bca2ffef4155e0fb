"""Labels on entities over REST: list them (detection.read); add and remove them (detection.write)."""

from __future__ import annotations

from datetime import datetime

from fastapi import Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from bastion.api.contract import api_router, errors, json_response
from bastion.auth.principal import Principal
from bastion.detect.durations import parse_duration
from bastion.detect.labels import (
    LABEL_PATTERN,
    MAX_PAGE,
    MAX_VALUE,
    LabelView,
    add_label,
    label_view,
    list_labels,
    remove_label,
)
from bastion.domain.access import Permission
from bastion.domain.detect import EntityType
from bastion.errors import NotFound
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires

router = api_router("detection")
can_read = requires(Permission.DETECTION_READ)
can_write = requires(Permission.DETECTION_WRITE)

# The rules a value and a label must follow, for the schema; the service checks them and says why.
VALUE_SCHEMA: JsonDict = {"minLength": 1, "maxLength": MAX_VALUE}
LABEL_SCHEMA: JsonDict = {"pattern": f"^{LABEL_PATTERN.pattern}$"}
DURATION_SCHEMA: JsonDict = {"pattern": "^[0-9]{1,9}[smhdw]$"}


class LabelPage(BaseModel):
    labels: list[LabelView]
    older: int | None = Field(description="Pass as `before` for the next page; null on the last page")


class LabelOn(BaseModel):
    """Which label on which entity."""

    model_config = ConfigDict(extra="forbid")

    entity_type: EntityType
    value: str = Field(
        description="The entity: an actor or content id, an IP address, a device id, a link; 1 to 2,048 characters",
        json_schema_extra=VALUE_SCHEMA,
    )
    label: str = Field(
        description="1 to 128 characters: lower-case letters, digits and _ . : -, starting with a letter or digit",
        json_schema_extra=LABEL_SCHEMA,
    )


class NewLabel(LabelOn):
    expires_in: str | None = Field(
        None,
        description="How long it holds: 30m, 12h, 7d or 2w (at most 3650d); null or absent: until removed",
        json_schema_extra=DURATION_SCHEMA,
    )


class LabelRemoved(BaseModel):
    entity_type: EntityType
    value: str
    label: str
    removed_at: datetime


@router.get(
    "/detect/labels",
    summary="Labels on entities, newest first: active ones, or every one with include_expired",
    response_model=LabelPage,
)
def get_labels(
    entity_type: EntityType | None = Query(None, description="Only labels on this type of entity"),
    value: str | None = Query(None, max_length=MAX_VALUE, description="Only labels on this entity"),
    label: str | None = Query(None, max_length=128, description="Only this label"),
    include_expired: bool = Query(False, description="Expired and removed labels too"),
    before: int | None = Query(None, ge=1, le=2**63 - 1, description="Labels with an id below this: the next page"),
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        views = list_labels(
            session,
            now=context.clock(),
            entity_type=entity_type.value if entity_type is not None else None,
            value=value,
            label=label,
            include_expired=include_expired,
            before=before,
            limit=limit,
        )
        older = views[-1].id if len(views) == limit else None
        return json_response(LabelPage(labels=views, older=older))


@router.post(
    "/detect/labels",
    summary="Put a label on an entity; an active one is extended instead",
    response_model=LabelView,
    responses=errors(400),
)
def post_label(
    body: NewLabel, principal: Principal = Depends(can_write), context: AppContext = Depends(app_context)
) -> Response:
    """The label as it now stands; recorded in the audit log as `label.add`."""
    now = context.clock()
    expires_at = None if body.expires_in is None else now + parse_duration(body.expires_in, field="expires_in")
    with context.database.transaction() as session:
        row = add_label(
            session, body.entity_type.value, body.value, body.label, expires_at=expires_at, by=principal.name, now=now
        )
        return json_response(label_view(row, now))


@router.post(
    "/detect/labels/remove",
    summary="Take an active label off an entity now; the label stays listed as removed",
    response_model=LabelRemoved,
    responses=errors(400, 404),
)
def post_label_removal(
    body: LabelOn, principal: Principal = Depends(can_write), context: AppContext = Depends(app_context)
) -> Response:
    """Recorded in the audit log as `label.remove`; 404 when the label is not active on the entity."""
    now = context.clock()
    with context.database.transaction() as session:
        if not remove_label(session, body.entity_type.value, body.value, body.label, by=principal.name, now=now):
            raise NotFound(f"{body.entity_type.value} {body.value} has no active label {body.label}")
        return json_response(
            LabelRemoved(entity_type=body.entity_type, value=body.value, label=body.label, removed_at=now)
        )
