"""Models over REST: the models in force with their agreement, one model with its card and newest
scores, changing a model's mode, registering an external endpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bastion.api.contract import api_router, errors, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.domain.models import ModelKind, ModelMode
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.models.versions import MAX_VERSION, register_endpoint, set_mode
from bastion.models.views import ModelDetail, ModelSummary, list_models, model_detail

router = api_router("models")
can_read = requires(Permission.DETECTION_READ)
can_write = requires(Permission.DETECTION_WRITE)
ModelName = Annotated[str, Path(max_length=64, description="The model's name (rules read signals.model.NAME)")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewMode(Body):
    mode: ModelMode = Field(description="live: rules read it and it feeds priority; shadow: scored, not read; off")


class NewEndpoint(Body):
    name: Annotated[str, StringConstraints(max_length=64)] = Field(
        description="Lower-case letters, digits and _, starting with a letter"
    )
    kind: ModelKind = Field(description="http (Bastion's scoring protocol) or prompt (OpenAI-compatible chat)")
    policy: Annotated[str, StringConstraints(max_length=128)] = Field(description="The policy or family it scores")
    url: Annotated[str, StringConstraints(max_length=2048)]
    timeout_seconds: float = 2.0
    threshold: float = 0.5
    model: Annotated[str, StringConstraints(max_length=256)] | None = Field(
        None, description="For prompt models: the model name the chat endpoint serves"
    )
    api_key_env: Annotated[str, StringConstraints(max_length=128)] | None = Field(
        None, description="The environment variable holding the endpoint's key (the key itself is never stored)"
    )
    mode: ModelMode = ModelMode.SHADOW


@router.get(
    "/models",
    summary="The model in force under each name, with its agreement with reviewers",
    response_model=list[ModelSummary],
)
def get_models(
    retired: bool = Query(False, description="Every version, retired ones too"),
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        return json_response(list_models(session, retired=retired), list[ModelSummary])


@router.get(
    "/models/{name}",
    summary="A model: its card, configuration, versions, agreement and newest scores",
    response_model=ModelDetail,
    responses=errors(404),
)
def get_model(
    name: ModelName,
    version: int | None = Query(
        None, ge=1, le=MAX_VERSION, description="A numbered version (default: the one in force)"
    ),
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        return json_response(model_detail(session, name, version))


@router.post(
    "/models/{name}/mode",
    summary="Put a model live, in shadow or off",
    response_model=ModelSummary,
    responses=errors(404),
)
def post_mode(
    name: ModelName,
    body: NewMode,
    principal: Principal = Depends(can_write),
    context: AppContext = Depends(app_context),
) -> Response:
    """Recorded in the audit log as `model.mode`."""
    with context.database.transaction() as session:
        set_mode(session, name, body.mode, principal=principal.name, now=context.clock())
        return json_response(model_detail(session, name).model)


@router.post(
    "/models",
    summary="Register an external model endpoint as a new version of a model",
    response_model=ModelSummary,
    responses=errors(),
)
def post_endpoint(
    body: NewEndpoint, principal: Principal = Depends(can_write), context: AppContext = Depends(app_context)
) -> Response:
    """Recorded in the audit log as `model.add`. A new version retires the one in force under the name."""
    with context.database.transaction() as session:
        register_endpoint(
            session,
            name=body.name,
            kind=body.kind,
            policy_id=body.policy,
            url=body.url,
            timeout_seconds=body.timeout_seconds,
            threshold=body.threshold,
            model=body.model,
            api_key_env=body.api_key_env,
            mode=body.mode,
            principal=principal.name,
            now=context.clock(),
        )
        return json_response(model_detail(session, body.name).model)
