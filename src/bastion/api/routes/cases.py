"""Cases over REST: list, open (by hand, from an escalated job or a trend alert), show, and change (a note, a
status move, the threat flag, a link, a law-enforcement referral). Every answer is the case as the caller may
see it, and every answer that shows a case is recorded as a view, by the service. The evidence package comes
as a zip of exactly the folder `bastion case export` writes (its manifest included)."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bastion.api.contract import Shape, api_router, errors, json_response
from bastion.auth.principal import Principal
from bastion.domain.access import Permission
from bastion.domain.investigate import CaseSource, CaseStatus, LinkKind
from bastion.errors import FieldError, InvalidInput
from bastion.http.context import AppContext, app_context
from bastion.http.params import MAX_ROW_ID, RowId
from bastion.http.security import requires
from bastion.investigate import case_views, cases
from bastion.investigate.case_views import CaseSummary
from bastion.investigate.cases import CaseDraft, ReferralDraft
from bastion.investigate.evidence import export_case

router = api_router("cases")
can_read = requires(Permission.INVESTIGATE_READ)
can_manage = requires(Permission.INVESTIGATE_MANAGE)
Line = Annotated[str, StringConstraints(max_length=200)]
UserName = Annotated[str, StringConstraints(min_length=1, max_length=128)]
PlatformId = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewCaseBody(Body):
    title: Line
    severity: int = Field(description="1 (SEV1, imminent harm) to 4 (SEV4, a lead)")
    threat: bool = Field(False, description="A real-world threat: first in every list; fires threat_flagged")
    owner: UserName | None = None
    from_job: int | None = Field(None, ge=1, le=MAX_ROW_ID, description="An escalated job: links its subject")
    from_trend: int | None = Field(None, ge=1, le=MAX_ROW_ID, description="A trend alert")


class NewCaseNote(Body):
    body: Annotated[str, StringConstraints(max_length=cases.NOTE_CHARS)]


class CaseStatusMove(Body):
    status: CaseStatus
    reason: Annotated[str, StringConstraints(max_length=500)] = ""


class NewCaseLink(Body):
    kind: Literal["content", "actor"] = Field(description="A content item or an actor, by the platform's id")
    ref: PlatformId


class NewCaseReferral(Body):
    agency: Line
    date: dt.date = Field(description="The day the referral was made")
    reference: Line = Field(description="The agency's own reference")
    sent: Annotated[str, StringConstraints(max_length=10_000)] = Field(
        description="What was sent: say which package (its manifest's sha256)"
    )


class CaseLinkBody(Shape):
    kind: LinkKind
    ref: str
    linked_by: str
    members: list[str] | None = Field(None, description="A network's members (actors' ids)")
    attributes: dict[str, Any] | None = Field(None, description="An actor's attributes, private ones masked")
    country: str | None = None
    text: str | None = Field(None, description="A content item's text")
    media_pdq: str | None = None
    author: str | None = Field(None, description="A content item's author (the actor's platform id)")
    created_at: datetime | None = None


class CaseNoteBody(Shape):
    id: int
    author: str
    at: datetime
    body: str


class CaseTaskBody(Shape):
    id: int
    title: str
    assignee: str | None
    done: bool


class CaseReferralBody(Shape):
    id: int
    agency: str
    date: dt.date
    reference: str
    sent: str
    by: str
    recorded_at: datetime


class CaseTimelineEntry(Shape):
    at: datetime
    kind: str = Field(description="The event's kind: `case.opened`, `content.snapshotted`, `report.filed`, …")
    about: str = Field(description="`case:<id>`, `content:<key>` or `actor:<key>`")
    principal: str
    data: dict[str, Any]


class CaseBody(Shape):
    id: int
    title: str
    severity: str = Field(description="SEV1 to SEV4")
    threat: bool
    status: CaseStatus
    source: CaseSource
    source_ref: str | None
    owner: str | None
    watchers: list[str]
    opened_by: str
    opened_at: datetime
    respond_by: datetime = Field(description="The severity's response-time target, from the opening")
    updated_at: datetime
    links: list[CaseLinkBody]
    notes: list[CaseNoteBody]
    tasks: list[CaseTaskBody]
    referrals: list[CaseReferralBody]
    timeline: list[CaseTimelineEntry]


def _shown(view: dict[str, Any]) -> Response:
    return json_response(CaseBody.model_validate(view))


@router.get(
    "/cases",
    summary="Cases, real-world threats first, then by severity, the oldest first (recorded in the audit log)",
    response_model=list[CaseSummary],
)
def get_cases(
    status: CaseStatus | None = Query(None, description="Only cases in this status"),
    limit: int = Query(200, ge=1, le=1000, description="At most this many"),
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        found = case_views.list_cases(session, principal, now=context.clock(), status=status, limit=limit)
        return json_response(found, list[CaseSummary])


@router.post(
    "/cases",
    summary="Open a case, by hand or from an escalated job or a trend alert; answers with the case",
    response_model=CaseBody,
    responses=errors(404, 409),
)
def post_case(
    body: NewCaseBody, principal: Principal = Depends(can_manage), context: AppContext = Depends(app_context)
) -> Response:
    draft = CaseDraft(body.title, body.severity, body.threat, body.owner)
    now = context.clock()
    with context.database.transaction() as session:
        if body.from_job is not None and body.from_trend is not None:
            raise InvalidInput("one source at most", [FieldError("from_trend", "cannot be given with from_job")])
        if body.from_job is not None:
            case = cases.open_case_from_job(session, principal, body.from_job, draft, now=now)
        elif body.from_trend is not None:
            case = cases.open_case_from_trend(session, principal, body.from_trend, draft, now=now)
        else:
            case = cases.open_case(session, principal, draft, now=now)
        return _shown(case_views.case_view(session, principal, case.pk, now=now))


@router.get(
    "/cases/{case_id}",
    summary="A case: links, notes, tasks, referrals and its timeline (recorded in the audit log)",
    response_model=CaseBody,
    responses=errors(404),
)
def get_case(
    case_id: RowId, principal: Principal = Depends(can_read), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        return _shown(case_views.case_view(session, principal, case_id, now=context.clock()))


@router.post(
    "/cases/{case_id}/notes",
    summary="Add an internal note to a case",
    response_model=CaseBody,
    responses=errors(404),
)
def post_case_note(
    case_id: RowId,
    body: NewCaseNote,
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        cases.add_note(session, principal, case_id, body.body, now=context.clock())
        return _shown(case_views.case_view(session, principal, case_id, now=context.clock()))


@router.post(
    "/cases/{case_id}/status",
    summary="Move a case on (only the allowed moves; 409 names the moves there are)",
    response_model=CaseBody,
    responses=errors(404, 409),
)
def post_case_status(
    case_id: RowId,
    body: CaseStatusMove,
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        cases.change_status(session, principal, case_id, body.status, now=context.clock(), reason=body.reason)
        return _shown(case_views.case_view(session, principal, case_id, now=context.clock()))


@router.post(
    "/cases/{case_id}/flag",
    summary="Flag a case as a real-world threat (fires threat_flagged once, after commit)",
    response_model=CaseBody,
    responses=errors(404),
)
def post_case_flag(
    case_id: RowId, principal: Principal = Depends(can_manage), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        cases.flag_threat(session, principal, case_id, now=context.clock())
        return _shown(case_views.case_view(session, principal, case_id, now=context.clock()))


@router.post(
    "/cases/{case_id}/links",
    summary="Link a content item or an actor (by the platform's id) to a case",
    response_model=CaseBody,
    responses=errors(404),
)
def post_case_link(
    case_id: RowId,
    body: NewCaseLink,
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        cases.link_subject(session, principal, case_id, LinkKind(body.kind), body.ref, now=context.clock())
        return _shown(case_views.case_view(session, principal, case_id, now=context.clock()))


@router.post(
    "/cases/{case_id}/referrals",
    summary="Record a law-enforcement referral; the case moves to referred",
    response_model=CaseBody,
    responses=errors(404, 409),
)
def post_case_referral(
    case_id: RowId,
    body: NewCaseReferral,
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    referred_on = datetime.combine(body.date, datetime.min.time(), tzinfo=UTC)
    draft = ReferralDraft(body.agency, referred_on, body.reference, body.sent)
    with context.database.transaction() as session:
        cases.refer(session, principal, case_id, draft, now=context.clock())
        return _shown(case_views.case_view(session, principal, case_id, now=context.clock()))


ZIP = "application/zip"
EXPORT_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The evidence package as a zip: case.json, summary.html, the snapshots, audit.json and "
        "manifest.json, byte for byte as `bastion case export` writes them; unzipped, `bastion case verify` "
        "checks it",
        "content": {ZIP: {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get(
    "/cases/{case_id}/export",
    summary="Download a case's evidence package (a zip; the export is recorded in the audit log)",
    response_class=Response,
    responses={**EXPORT_ANSWER, **errors(404, 409)},
)
def get_case_export(
    case_id: RowId, principal: Principal = Depends(can_manage), context: AppContext = Depends(app_context)
) -> Response:
    body = evidence_zip(context, principal, case_id)
    disposition = f'attachment; filename="case-{case_id}-evidence.zip"'
    return Response(body, media_type=ZIP, headers={"Content-Disposition": disposition})


def evidence_zip(context: AppContext, principal: Principal, case_pk: int) -> bytes:
    """The case's evidence package, exported (and recorded) as the command does, zipped: every file under
    its path in the package, in the package's folder `case-<id>`."""
    with tempfile.TemporaryDirectory(prefix="bastion-evidence-") as scratch:
        folder = Path(scratch) / f"case-{case_pk}"
        with context.database.transaction() as session:
            export_case(session, principal, case_pk, folder, now=context.clock())
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                archive.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
        return buffer.getvalue()
