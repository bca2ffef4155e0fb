"""Banks over REST: list and create banks, read one with its versions and entries, import entries."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bastion.api.contract import api_router, errors, json_response
from bastion.auth.principal import Principal
from bastion.detect.banks import (
    MAX_DESCRIPTION_CHARS,
    MAX_ENTRIES,
    BankDetail,
    BankImport,
    BankSummary,
    bank_detail,
    create_bank,
    import_entry_list,
    list_banks,
)
from bastion.domain.access import Permission
from bastion.domain.detect import BankKind
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires

router = api_router("detection")
ENTRIES_PAGE = 1_000
can_read = requires(Permission.DETECTION_READ)
can_write = requires(Permission.DETECTION_WRITE)
BankName = Annotated[str, Path(max_length=64, description="The bank's name")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewBank(Body):
    name: Annotated[str, StringConstraints(max_length=64)] = Field(
        description="Lower-case letters, digits and _, starting with a letter: rules read signals.keyword.NAME"
    )
    kind: BankKind
    description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION_CHARS)] = ""


class NewEntries(Body):
    entries: list[str] = Field(max_length=MAX_ENTRIES, description="Terms or RE2 patterns, each trimmed")
    replace: bool = Field(False, description="true: these become the whole list; false: appended to it")


@router.get("/detect/banks", summary="Every bank, with its current version", response_model=list[BankSummary])
def get_banks(principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)) -> Response:
    with context.database.transaction() as session:
        return json_response(list_banks(session), list[BankSummary])


@router.post(
    "/detect/banks",
    summary="Create an empty bank",
    response_model=BankSummary,
    responses=errors(400, 409),
)
def post_bank(
    body: NewBank, principal: Principal = Depends(can_write), context: AppContext = Depends(app_context)
) -> Response:
    """Recorded in the audit log as `bank.create`. Names are shared by both kinds."""
    with context.database.transaction() as session:
        created = create_bank(
            session, body.name, body.kind, body.description, principal=principal.name, now=context.clock()
        )
        return json_response(created)


@router.get(
    "/detect/banks/{name}",
    summary="A bank, its versions (newest first) and a page of its current entries",
    response_model=BankDetail,
    responses=errors(400, 404),
)
def get_bank(
    name: BankName,
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
    contains: Annotated[str, Query(max_length=256, description="Only entries containing this (keywords: folded)")] = "",
    offset: Annotated[int, Query(ge=0, le=MAX_ENTRIES)] = 0,
    limit: Annotated[int, Query(ge=1, le=ENTRIES_PAGE)] = 100,
) -> Response:
    with context.database.transaction() as session:
        detail = bank_detail(session, name, contains=contains, offset=offset, limit=limit)
        return json_response(detail)


@router.post(
    "/detect/banks/{name}/entries",
    summary="Import entries: a new version holding the whole list",
    response_model=BankImport,
    responses=errors(400, 404, 409),
)
def post_entries(
    name: BankName,
    body: NewEntries,
    principal: Principal = Depends(can_write),
    context: AppContext = Depends(app_context),
) -> Response:
    """Checked whole: a bad entry is an error naming `entries[i]`, and then nothing is imported. Entries
    repeating one already in the list (keywords: once folded) are kept once and listed in `duplicates`.
    Recorded in the audit log as `bank.import`."""
    with context.database.transaction() as session:
        done = import_entry_list(
            session,
            name,
            body.entries,
            replace=body.replace,
            principal=principal.name,
            now=context.clock(),
            source="api",
        )
        return json_response(done)
