"""The hash banks page: every bank with its size and matches, enable and disable, the newest matches,
and forms to create a bank and import hashes into one.

The page calls the same services as `/api/v1/hash/…`; a refused form is shown again with each error,
and nothing is written.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.domain.match import HashBankKind
from bastion.errors import FieldError, InvalidInput
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.match.hash_banks import (
    BANK_NAME_RULE,
    FloodLimit,
    create_hash_bank,
    import_hashes,
    list_hash_banks,
    recent_matches,
    set_enabled,
)
from bastion.match.hash_lists import ListFormat
from bastion.match.pdq import DEFAULT_THRESHOLD
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_read = requires(Permission.DETECTION_READ)
can_write = requires(Permission.DETECTION_WRITE)
MATCHES_SHOWN = 50
MAX_LIST_CHARS = 8 * 1024 * 1024
PAGE = "/match/hashes"


@router.get(PAGE, response_class=HTMLResponse)
def hash_banks_page(
    request: Request,
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    return _page(request, context, principal)


def _page(
    request: Request,
    context: AppContext,
    principal: Principal,
    *,
    form: dict[str, str] | None = None,
    error: InvalidInput | None = None,
    failed: str = "",
    status_code: int = 200,
) -> Response:
    with context.database.transaction() as session:
        banks = list_hash_banks(session)
        matches = recent_matches(session, limit=MATCHES_SHOWN)
    values: dict[str, Any] = {
        "title": "Hash banks",
        "banks": banks,
        "matches": matches,
        "kinds": list(HashBankKind),
        "formats": list(ListFormat),
        "default_threshold": DEFAULT_THRESHOLD,
        "may_write": principal.can(Permission.DETECTION_WRITE),
        "form": form or {},
        "error": error,
        "failed": failed,
        "name_rule": BANK_NAME_RULE,
        "done": request.query_params.get("done", "")[:200],
    }
    return render_page(request, "hash_banks.html", values, status_code=status_code)


@router.post(PAGE)
def create_submit(
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=32)] = HashBankKind.MATCH.value,
    description: Annotated[str, Form(max_length=4_000)] = "",
    threshold: Annotated[str, Form(max_length=8)] = str(DEFAULT_THRESHOLD),
    policy: Annotated[str, Form(max_length=200)] = "",
    flood_limit: Annotated[str, Form(max_length=12)] = "",
    flood_window_seconds: Annotated[str, Form(max_length=12)] = "",
    principal: Principal = Depends(can_write),
    context: AppContext = Depends(app_context),
) -> Response:
    form = {
        "name": name,
        "kind": kind,
        "description": description,
        "threshold": threshold,
        "policy": policy,
        "flood_limit": flood_limit,
        "flood_window_seconds": flood_window_seconds,
    }
    try:
        numbers = _whole_numbers(form, ("threshold", "flood_limit", "flood_window_seconds"))
        limit, window = numbers.get("flood_limit"), numbers.get("flood_window_seconds")
        if (limit is None) != (window is None):
            raise InvalidInput(
                "the hash bank cannot be created", [FieldError("flood_limit", "a flood limit needs both fields")]
            )
        with context.database.transaction() as session:
            create_hash_bank(
                session,
                name.strip(),
                kind=kind,
                description=description,
                threshold=numbers.get("threshold", DEFAULT_THRESHOLD),
                policy_id=policy.strip() or None,
                flood=FloodLimit(limit, window) if limit is not None and window is not None else None,
                principal=principal.name,
                now=context.clock(),
            )
    except InvalidInput as error:
        return _page(request, context, principal, form=form, error=error, failed="create", status_code=422)
    return RedirectResponse(f"{PAGE}?done=created", status_code=303)


@router.post(f"{PAGE}/import")
def import_submit(
    request: Request,
    bank: Annotated[str, Form(max_length=64)] = "",
    text: Annotated[str, Form(max_length=MAX_LIST_CHARS)] = "",
    list_format: Annotated[str, Form(alias="format", max_length=32)] = ListFormat.AUTO.value,
    principal: Principal = Depends(can_write),
    context: AppContext = Depends(app_context),
) -> Response:
    form = {"bank": bank, "text": text, "format": list_format}
    try:
        if not text.strip():
            raise InvalidInput("nothing to import", [FieldError("text", "paste hashes, one a line, or a CSV list")])
        with context.database.transaction() as session:
            done = import_hashes(
                session,
                bank,
                text,
                list_format=list_format,
                principal=principal.name,
                now=context.clock(),
                source="web form",
            )
    except InvalidInput as error:
        return _page(request, context, principal, form=form, error=error, failed="import", status_code=422)
    return RedirectResponse(f"{PAGE}?done=imported-{done.added}-{done.retroactive_matches}", status_code=303)


@router.post(f"{PAGE}/{{name}}/enable")
def enable_submit(
    name: str, principal: Principal = Depends(can_write), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        set_enabled(session, name, True, principal=principal.name, now=context.clock())
    return RedirectResponse(f"{PAGE}?done=enabled", status_code=303)


@router.post(f"{PAGE}/{{name}}/disable")
def disable_submit(
    name: str, principal: Principal = Depends(can_write), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        set_enabled(session, name, False, principal=principal.name, now=context.clock())
    return RedirectResponse(f"{PAGE}?done=disabled", status_code=303)


def _whole_numbers(form: dict[str, str], names: tuple[str, ...]) -> dict[str, int]:
    numbers: dict[str, int] = {}
    errors = []
    for name in names:
        text = form[name].strip()
        if not text:
            continue
        try:
            numbers[name] = int(text)
        except ValueError:
            errors.append(FieldError(name, f"must be a whole number; got {text[:12]!r}"))
    if errors:
        raise InvalidInput("the hash bank cannot be created", errors)
    return numbers
