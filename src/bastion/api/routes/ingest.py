"""POST /actors, /content, /reports, /views: one object or {"items": [...]} of up to 1,000."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.domain.subjects import IngestKind
from bastion.errors import FieldError, InvalidInput, PayloadTooLarge
from bastion.http.context import app_context
from bastion.http.errors import error_body
from bastion.http.security import requires
from bastion.ingest.outcome import IngestResult
from bastion.ingest.service import MAX_BATCH, PAYLOADS, ingest_batch, items_path

router = APIRouter(prefix="/api/v1", tags=["ingest"])
MAX_BODY_BYTES = 32 * 1024 * 1024


def _request_schema(kind: IngestKind) -> dict[str, Any]:
    item = PAYLOADS[kind].model_json_schema(ref_template="#/components/schemas/{model}")
    one = {k: v for k, v in item.items() if k != "$defs"}
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        one,
                        {
                            "type": "object",
                            "required": ["items"],
                            "properties": {"items": {"type": "array", "maxItems": MAX_BATCH, "items": one}},
                        },
                    ]
                }
            }
        },
    }


def result_body(result: IngestResult) -> dict[str, Any]:
    items = []
    for outcome in result.outcomes:
        entry: dict[str, Any] = {"index": outcome.index, "id": outcome.id, "status": outcome.status.value}
        if outcome.errors:
            entry["errors"] = [{"path": e.path, "message": e.message} for e in outcome.errors]
        items.append(entry)
    return {"created": result.created, "duplicates": result.duplicates, "errors": result.errors, "items": items}


async def _read_body(request: Request) -> bytes:
    """The body, refused as soon as it passes the limit, whether or not a length was declared."""
    declared = request.headers.get("content-length")
    too_large = PayloadTooLarge(f"the body must be at most {MAX_BODY_BYTES:,} bytes")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_items(request: Request) -> tuple[list[object], bool]:
    raw = await _read_body(request)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("the body is not JSON", [FieldError("", f"not valid JSON: {exc}")]) from exc
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


def _register(kind: IngestKind) -> None:
    permission = requires(Permission.INGEST_WRITE)

    async def endpoint(request: Request, principal: Principal = Depends(permission)) -> JSONResponse:
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
            details = [e for o in result.outcomes for e in o.errors]
            body |= error_body(InvalidInput(f"no {kind.value} item was accepted", details))
            return JSONResponse(body, status_code=422)
        return JSONResponse(body)

    router.add_api_route(
        f"/{kind.value}",
        endpoint,
        methods=["POST"],
        summary=f"Send {kind.value}: one object or a batch of up to {MAX_BATCH}",
        openapi_extra={"requestBody": _request_schema(kind)},
        name=f"ingest_{kind.value}",
    )


for _kind in IngestKind:
    _register(_kind)
