"""Bank pages: the list with a create form, and one bank with its versions, its entries and an import form.

The pages call the same services as `/api/v1/detect/banks`; a refused form is shown again with each
error next to what was typed, and nothing is written.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bastion.auth.principal import Principal
from bastion.detect.banks import (
    BANK_NAME_RULE,
    MAX_ENTRIES,
    MAX_ENTRY_CHARS,
    bank_detail,
    create_bank,
    import_entries,
    list_banks,
)
from bastion.domain.access import Permission
from bastion.domain.detect import BankKind
from bastion.errors import FieldError, InvalidInput
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_read = requires(Permission.DETECTION_READ)
can_write = requires(Permission.DETECTION_WRITE)
ENTRIES_SHOWN = 500
MAX_UPLOAD_BYTES = MAX_ENTRIES * (MAX_ENTRY_CHARS + 1) * 4  # every entry at its longest, 4 bytes a character


def _may_write(principal: Principal) -> bool:
    return principal.can(Permission.DETECTION_WRITE)


@router.get("/detect/banks", response_class=HTMLResponse)
def banks_page(
    request: Request, principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    return _banks_page(request, context, principal)


def _banks_page(
    request: Request,
    context: AppContext,
    principal: Principal,
    *,
    form: dict[str, str] | None = None,
    error: InvalidInput | None = None,
    status_code: int = 200,
) -> Response:
    with context.database.transaction() as session:
        banks = list_banks(session)
    values: dict[str, Any] = {
        "title": "Banks",
        "banks": banks,
        "kinds": list(BankKind),
        "may_write": _may_write(principal),
        "form": form or {},
        "error": error,
        "field_errors": {e.path: e.message for e in error.errors} if error else {},
        "name_rule": BANK_NAME_RULE,
    }
    return render_page(request, "banks.html", values, status_code=status_code)


@router.post("/detect/banks")
def create_submit(
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=32)] = "",
    description: Annotated[str, Form(max_length=4_000)] = "",
    principal: Principal = Depends(can_write),
    context: AppContext = Depends(app_context),
) -> Response:
    try:
        with context.database.transaction() as session:
            create_bank(session, name.strip(), kind, description, principal=principal.name, now=context.clock())
    except InvalidInput as error:
        form = {"name": name, "kind": kind, "description": description}
        return _banks_page(request, context, principal, form=form, error=error, status_code=422)
    return RedirectResponse(f"/detect/banks/{quote(name.strip(), safe='')}?created=1", status_code=303)


@router.get("/detect/banks/{name}", response_class=HTMLResponse)
def bank_page(
    request: Request,
    name: str,
    contains: Annotated[str, Query(max_length=256)] = "",
    offset: Annotated[int, Query(ge=0, le=MAX_ENTRIES)] = 0,
    created: bool = False,
    imported: int | None = None,
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    notice = "created" if created else f"imported:{imported}" if imported is not None else ""
    return _bank_page(request, context, principal, name, contains=contains, offset=offset, notice=notice)


def _bank_page(
    request: Request,
    context: AppContext,
    principal: Principal,
    name: str,
    *,
    contains: str = "",
    offset: int = 0,
    notice: str = "",
    form: dict[str, Any] | None = None,
    error: InvalidInput | None = None,
    status_code: int = 200,
) -> Response:
    with context.database.transaction() as session:
        detail = bank_detail(session, name, contains=contains, offset=offset, limit=ENTRIES_SHOWN)
    values: dict[str, Any] = {
        "title": f"Bank {detail.name}",
        "bank": detail,
        "page_size": ENTRIES_SHOWN,
        "may_write": _may_write(principal),
        "notice": notice,
        "form": form or {},
        "error": error,
        "max_entry_chars": MAX_ENTRY_CHARS,
    }
    return render_page(request, "banks_detail.html", values, status_code=status_code)


@router.post("/detect/banks/{name}/import")
async def import_submit(
    request: Request,
    name: str,
    entries: Annotated[str, Form(max_length=MAX_UPLOAD_BYTES)] = "",
    file: Annotated[UploadFile | None, File()] = None,
    replace: Annotated[bool, Form()] = False,
    principal: Principal = Depends(can_write),
    context: AppContext = Depends(app_context),
) -> Response:
    form = {"entries": entries, "replace": replace}
    try:
        text, source = await _uploaded_text(entries, file)
        with context.database.transaction() as session:
            done = import_entries(
                session, name, text, replace=replace, principal=principal.name, now=context.clock(), source=source
            )
    except InvalidInput as error:
        return _bank_page(request, context, principal, name, form=form, error=error, status_code=422)
    return RedirectResponse(f"/detect/banks/{quote(name, safe='')}?imported={done.version}", status_code=303)


async def _uploaded_text(entries: str, file: UploadFile | None) -> tuple[str, str]:
    """The text to import and where it came from: the uploaded file if one was chosen, else the text box."""
    if file is None or not file.filename:
        if not entries.strip():
            empty = FieldError("entries", "type entries, one a line, or choose a file")
            raise InvalidInput("nothing to import", [empty])
        return entries, "web form"
    raw = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        too_big = f"is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB; split it, or import it from the command line"
        raise InvalidInput("the file is too large", [FieldError("file", too_big)])
    try:
        return raw.decode("utf-8-sig"), file.filename
    except UnicodeDecodeError as error:
        unreadable = f"is not UTF-8 text (byte {error.start} cannot be read); save it as UTF-8"
        raise InvalidInput("the file cannot be read", [FieldError("file", unreadable)]) from None
