"""POST /actors, /content, /reports, /views, /imported-decisions: one object or {"items": [...]} of up to 1,000."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from bastion.api.contract import (
    ErrorBody,
    ErrorDetail,
    FieldProblem,
    IngestRefused,
    IngestResult,
    ItemResult,
    RuleHitBody,
    VerdictBody,
    api_router,
    errors,
    json_response,
)
from bastion.api.json_body import read_json, read_limited
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.domain.subjects import IngestKind, ItemStatus
from bastion.errors import FieldError, InvalidInput
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.ingest import outcome
from bastion.ingest.service import MAX_BATCH, PAYLOADS, ingest_batch, items_path

router = api_router("ingest")
MAX_BODY_BYTES = 32 * 1024 * 1024


def _inline(schema: Any, definitions: dict[str, Any]) -> Any:
    """The schema with every local `$ref` replaced by its definition, so the OpenAPI document has no
    reference to a schema it does not carry (the item models are not FastAPI body parameters)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(definitions[ref.removeprefix("#/$defs/")], definitions)
        return {k: _inline(v, definitions) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, definitions) for v in schema]
    return schema


def _request_schema(kind: IngestKind) -> dict[str, Any]:
    item_schema = PAYLOADS[kind].model_json_schema()
    one = _inline(item_schema, item_schema.get("$defs", {}))
    batch = {
        "type": "object",
        "title": f"{PAYLOADS[kind].__name__}Batch",
        "required": ["items"],
        "additionalProperties": False,
        "properties": {"items": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": one}},
    }
    return {"required": True, "content": {"application/json": {"schema": {"oneOf": [one, batch]}}}}


def result_body(result: outcome.IngestResult) -> IngestResult:
    items = [
        ItemResult(
            index=o.index,
            id=o.id,
            status=o.status,
            errors=[FieldProblem(path=e.path, message=e.message) for e in o.errors] if o.errors else None,
        )
        for o in result.outcomes
    ]
    return IngestResult(created=result.created, duplicates=result.duplicates, errors=result.errors, items=items)


async def _read_items(request: Request) -> tuple[list[object], bool]:
    body = read_json(await read_limited(request, MAX_BODY_BYTES, "the body"))
    if isinstance(body, dict) and "items" in body:
        items = body["items"]
        if not isinstance(items, list):
            raise InvalidInput("bad batch", [FieldError("items", "must be a list")])
        if set(body) != {"items"}:
            extra = sorted(set(body) - {"items"})[0]
            raise InvalidInput("bad batch", [FieldError(extra, 'unknown field; a batch is {"items": [...]}')])
        if not items:
            raise InvalidInput("empty batch", [FieldError("items", "must hold at least one item")])
        if len(items) > MAX_BATCH:
            raise InvalidInput(
                "batch too large", [FieldError("items", f"at most {MAX_BATCH} items per request, got {len(items)}")]
            )
        return items, True
    return [body], False


def _verdicts(context: AppContext, result: outcome.IngestResult) -> list[VerdictBody]:
    """Run detection now on the items this request stored or sent again, and return their verdicts."""
    from bastion.detect.service import detect_now

    accepted = [o.id for o in result.outcomes if o.id is not None and o.status != ItemStatus.ERROR]
    return [
        VerdictBody(
            content_id=view.content_id,
            evaluated_at=view.evaluated_at,
            signals=view.signals,
            rule_errors=view.rule_errors,
            hits=[
                RuleHitBody(rule=h.rule, version=h.version, mode=h.mode, effects=h.effects, job_id=h.job_pk)
                for h in view.hits
            ],
        )
        for view in detect_now(context.database, list(dict.fromkeys(accepted)), context.clock())
    ]


WAIT = Query(
    False,
    description="Content only: run detection before answering and return each item's verdict (signals, rule "
    "hits, effects) in `detection`; otherwise detection runs from the queue shortly after.",
)


# Decisions made elsewhere feed reviewers' and vendors' quality scores: those who manage quality send
# them, not the platform's clients (whose keys hold ingest.write).
PERMISSIONS = {IngestKind.DECISIONS: Permission.QUALITY_MANAGE}
# GET /decisions lists Bastion's own decisions; those made elsewhere have a path of their own.
PATHS = {IngestKind.DECISIONS: "imported-decisions"}


def _register(kind: IngestKind) -> None:
    permission = requires(PERMISSIONS.get(kind, Permission.INGEST_WRITE))

    async def endpoint(request: Request, principal: Principal = Depends(permission), wait: bool = WAIT) -> Response:
        context = app_context(request)
        items, batched = await _read_items(request)
        result = ingest_batch(
            context.database,
            kind,
            items,
            principal=principal.name,
            now=context.clock(),
            action=f"ingest.{kind.value}",
            target=kind.value,
            item_path=items_path if batched else (lambda _index: ""),
        )
        body = result_body(result)
        if not result.accepted:
            details = [FieldProblem(path=e.path, message=e.message) for o in result.outcomes for e in o.errors]
            error = ErrorDetail(code=InvalidInput.code, message=f"no {kind.value} item was accepted", details=details)
            return json_response(IngestRefused(**body.model_dump(), error=error), status_code=422)
        if wait and kind is IngestKind.CONTENT:
            body.detection = await run_in_threadpool(_verdicts, context, result)
        return json_response(body)

    router.add_api_route(
        f"/{PATHS.get(kind, kind.value)}",
        endpoint,
        methods=["POST"],
        summary=f"Send {kind.value}: one object or a batch of up to {MAX_BATCH}",
        openapi_extra={"requestBody": _request_schema(kind)},
        name=f"ingest_{kind.value}",
        response_model=IngestResult,
        responses={
            **errors(400, 413),
            422: {
                "model": IngestRefused | ErrorBody,
                "description": "No item was accepted (the per-item results and the error), or the request "
                "as a whole is bad (the error only)",
            },
        },
    )


for _kind in IngestKind:
    _register(_kind)
