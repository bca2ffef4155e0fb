"""GET /content/{id} and /actors/{id}: a subject with its reports and event history."""

from __future__ import annotations

from fastapi import Depends
from fastapi.responses import Response

from bastion.api.contract import Actor, Content, api_router, errors, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.subjects import actor_json, content_json, view_actor, view_content

router = api_router("subjects")
can_read = requires(Permission.SUBJECT_READ)


@router.get(
    "/content/{content_id:path}",
    summary="A content item with its reports and history",
    response_model=Content,
    responses=errors(404),
)
def get_content(
    content_id: str, principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        view = view_content(session, content_id, principal=principal, now=context.clock())
        return json_response(Content.model_validate(content_json(view)))


@router.get(
    "/actors/{actor_id:path}",
    summary="An actor with reports against it, recent content and history",
    response_model=Actor,
    responses=errors(404),
)
def get_actor(
    actor_id: str, principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        view = view_actor(session, actor_id, principal=principal, now=context.clock())
        return json_response(Actor.model_validate(actor_json(view)))
