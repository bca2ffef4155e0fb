"""Hash banks over REST: list, create, import, enable and disable banks, set a threshold, remove hashes,
read recent matches, and look hashes or an image up."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bastion.api.contract import api_router, errors, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.domain.match import HashBankKind
from bastion.errors import FieldError, InvalidInput
from bastion.http.context import AppContext, app_context
from bastion.http.security import requires
from bastion.match.hash_banks import (
    MAX_DESCRIPTION_CHARS,
    MAX_THRESHOLD,
    FloodLimit,
    HashBankSummary,
    HashImport,
    RecentMatch,
    create_hash_bank,
    hash_bank,
    import_hashes,
    list_hash_banks,
    recent_matches,
    remove_hashes,
    set_enabled,
    set_threshold,
)
from bastion.match.hash_lists import ListFormat
from bastion.match.lookup import MAX_QUERIES, LookupResult, look_up_hashes, look_up_image
from bastion.match.pdq import DEFAULT_THRESHOLD

router = api_router("matching")
can_read = requires(Permission.DETECTION_READ)
can_write = requires(Permission.DETECTION_WRITE)
BankName = Annotated[str, Path(max_length=64, description="The hash bank's name")]
MAX_LIST_CHARS = 24 * 1024 * 1024  # about 300,000 hashes written as hex lines
MAX_IMAGE_CHARS = 16 * 1024 * 1024  # base64 of a 12 MB image


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewHashBank(Body):
    name: Annotated[str, StringConstraints(max_length=64)] = Field(
        description="Lower-case letters, digits and _, starting with a letter: rules read signals.hash.NAME"
    )
    kind: HashBankKind = Field(HashBankKind.MATCH, description="match, or allow (a negative bank)")
    description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION_CHARS)] = ""
    threshold: int = Field(DEFAULT_THRESHOLD, ge=0, le=MAX_THRESHOLD, description="Bits within which a hash matches")
    policy: str | None = Field(None, max_length=128, description="The policy the bank's hashes stand for")
    flood_limit: int | None = Field(None, ge=1, description="Hold a hash's matches for review past this many ...")
    flood_window_seconds: int | None = Field(None, ge=1, description="... within this many seconds")


class HashListBody(Body):
    text: Annotated[str, StringConstraints(max_length=MAX_LIST_CHARS)] = Field(
        description="The list: hex hashes one a line, a CSV with a pdq and a label column, ThreatExchange's "
        "dataset CSV, or the PDQ hasher's output"
    )
    format: ListFormat = Field(ListFormat.AUTO, description="How the list is written; auto reads its first line")
    source: Annotated[str, StringConstraints(max_length=512)] = Field("api", description="Where the list came from")


class ThresholdBody(Body):
    threshold: int = Field(ge=0, le=MAX_THRESHOLD, description="Bits within which a hash matches")


class HashesBody(Body):
    hashes: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        max_length=MAX_QUERIES, description="PDQ hashes, 64 hex digits each"
    )


class Removed(BaseModel):
    removed: int = Field(description="How many of the hashes were in the bank")


class LookupBody(Body):
    hashes: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        default_factory=list, max_length=MAX_QUERIES, description="PDQ hashes to look up, 64 hex digits each"
    )
    image: Annotated[str, StringConstraints(max_length=MAX_IMAGE_CHARS)] | None = Field(
        None, description="Or an image, base64: hashed here"
    )
    dihedral: bool = Field(False, description="With an image: also look up its rotations and flips")


@router.get(
    "/hash/banks", summary="Every hash bank, with its size and match count", response_model=list[HashBankSummary]
)
def get_hash_banks(principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)) -> Response:
    with context.database.transaction() as session:
        return json_response(list_hash_banks(session), list[HashBankSummary])


@router.post(
    "/hash/banks", summary="Create an empty hash bank", response_model=HashBankSummary, responses=errors(400, 409)
)
def post_hash_bank(
    body: NewHashBank, principal: Principal = Depends(can_write), context: AppContext = Depends(app_context)
) -> Response:
    """Recorded in the audit log as `hash_bank.create`. A flood limit needs both its fields."""
    if (body.flood_limit is None) != (body.flood_window_seconds is None):
        missing = "flood_window_seconds" if body.flood_window_seconds is None else "flood_limit"
        raise InvalidInput("the hash bank cannot be created", [FieldError(missing, "a flood limit needs both fields")])
    flood = (
        FloodLimit(body.flood_limit, body.flood_window_seconds)
        if body.flood_limit is not None and body.flood_window_seconds is not None
        else None
    )
    with context.database.transaction() as session:
        created = create_hash_bank(
            session,
            body.name,
            kind=body.kind,
            description=body.description,
            threshold=body.threshold,
            policy_id=body.policy,
            flood=flood,
            principal=principal.name,
            now=context.clock(),
        )
        return json_response(created)


@router.get("/hash/banks/{name}", summary="One hash bank", response_model=HashBankSummary, responses=errors(400, 404))
def get_hash_bank(
    name: BankName, principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        return json_response(hash_bank(session, name))


@router.post(
    "/hash/banks/{name}/hashes",
    summary="Import a list of hashes, then match them against stored content",
    response_model=HashImport,
    responses=errors(400, 404, 409),
)
def post_hash_list(
    name: BankName,
    body: HashListBody,
    principal: Principal = Depends(can_write),
    context: AppContext = Depends(app_context),
) -> Response:
    """Read whole first: a bad row is an error naming its line, and then nothing is imported. Hashes already
    in the bank are counted in `already_present`. Stored content the new hashes match goes through the
    rules again (`retroactive_matches`). Recorded in the audit log as `hash_bank.import`."""
    with context.database.transaction() as session:
        done = import_hashes(
            session,
            name,
            body.text,
            list_format=body.format,
            principal=principal.name,
            now=context.clock(),
            source=body.source,
        )
        return json_response(done)


@router.post(
    "/hash/banks/{name}/hashes/remove",
    summary="Take hashes out of a bank",
    response_model=Removed,
    responses=errors(400, 404),
)
def post_hash_removal(
    name: BankName,
    body: HashesBody,
    principal: Principal = Depends(can_write),
    context: AppContext = Depends(app_context),
) -> Response:
    """Their matches stay on record. Recorded in the audit log as `hash_bank.remove`."""
    with context.database.transaction() as session:
        removed = remove_hashes(session, name, body.hashes, principal=principal.name, now=context.clock())
        return json_response(Removed(removed=removed))


@router.post(
    "/hash/banks/{name}/enable",
    summary="Enable a hash bank",
    response_model=HashBankSummary,
    responses=errors(400, 404),
)
def post_hash_bank_enable(
    name: BankName, principal: Principal = Depends(can_write), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        return json_response(set_enabled(session, name, True, principal=principal.name, now=context.clock()))


@router.post(
    "/hash/banks/{name}/disable",
    summary="Disable a hash bank: it matches nothing until enabled",
    response_model=HashBankSummary,
    responses=errors(400, 404),
)
def post_hash_bank_disable(
    name: BankName, principal: Principal = Depends(can_write), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        return json_response(set_enabled(session, name, False, principal=principal.name, now=context.clock()))


@router.post(
    "/hash/banks/{name}/threshold",
    summary="Set a hash bank's distance threshold",
    response_model=HashBankSummary,
    responses=errors(400, 404),
)
def post_hash_bank_threshold(
    name: BankName,
    body: ThresholdBody,
    principal: Principal = Depends(can_write),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        changed = set_threshold(session, name, body.threshold, principal=principal.name, now=context.clock())
        return json_response(changed)


@router.get(
    "/hash/matches",
    summary="The newest hash bank matches, newest first",
    response_model=list[RecentMatch],
    responses=errors(400),
)
def get_hash_matches(
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
    bank: Annotated[str | None, Query(max_length=64, description="Only this bank's")] = None,
    limit: Annotated[int, Query(ge=1, le=1_000)] = 50,
) -> Response:
    with context.database.transaction() as session:
        return json_response(recent_matches(session, limit=limit, bank=bank), list[RecentMatch])


@router.post(
    "/hash/lookup",
    summary="Look hashes, or an image, up in the enabled banks",
    response_model=list[LookupResult],
    responses=errors(400),
)
def post_hash_lookup(
    body: LookupBody, principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    """Give `hashes` or an `image` (base64), not both. Each answer lists every banked hash within its bank's
    threshold, nearest first; nothing is recorded."""
    if bool(body.hashes) == (body.image is not None):
        raise InvalidInput("give hashes or an image", [FieldError("", "give either hashes or an image, not both")])
    with context.database.transaction() as session:
        if body.image is None:
            return json_response(look_up_hashes(session, body.hashes), list[LookupResult])
        image = decode_image(body.image, "image")
        return json_response([look_up_image(session, image, dihedral=body.dihedral)], list[LookupResult])


def decode_image(text: str, field: str) -> bytes:
    """An image sent as base64, or a clear error naming the field."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "the image cannot be read", [FieldError(field, "must be base64 (A-Z, a-z, 0-9, +, /, =)")]
        ) from None
