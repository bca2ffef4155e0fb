"""Case pages: the list of cases (threats first, filterable), one case with everything about it, and the
forms that change it; the evidence package as a zip.

The pages call the same services as `/api/v1/cases`: every list and every view of a case is recorded in the
audit log by `case_views`, every change by `cases`. `investigate.read` to look, `investigate.manage` to
change; a vendor reviewer never sees a case (the services refuse them whatever they hold). A refused change
is shown again on the page with its errors, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from bastion.api.routes.cases import ZIP, evidence_zip
from bastion.auth.principal import Principal
from bastion.clock import as_utc
from bastion.domain.access import Permission
from bastion.domain.investigate import ALLOWED_MOVES, CaseStatus, Severity
from bastion.errors import Conflict, FieldError, InvalidInput, NotFound
from bastion.http.context import AppContext, app_context
from bastion.http.params import RowId
from bastion.http.security import requires
from bastion.investigate import case_views, cases
from bastion.investigate.case_views import CaseSummary, linked_content_pks
from bastion.investigate.cases import CaseDraft, ReferralDraft, require_case_access
from bastion.investigate.snapshots import snapshot_document, snapshots_of
from bastion.store.schema import Actor, ContentItem, Job
from bastion.web.rendering import render_page

router = APIRouter(include_in_schema=False)
can_read = requires(Permission.INVESTIGATE_READ)
can_manage = requires(Permission.INVESTIGATE_MANAGE)
LISTED = 1000
Refusal = InvalidInput | Conflict


@dataclass(frozen=True)
class CaseRow:
    """One case in the list, with whether its response-time target was missed (still open past it)."""

    case: CaseSummary
    breached: bool


def case_rows(
    found: list[CaseSummary], now: datetime, *, severity: int | None, owner: str, threat: bool | None
) -> list[CaseRow]:
    """The cases the filters keep, in the order the service gave (threats first, then by severity)."""
    kept = []
    for case in found:
        if severity is not None and case.severity != Severity(severity).label:
            continue
        if owner and (case.owner or "") != owner:
            continue
        if threat is not None and case.threat != threat:
            continue
        breached = case.status == CaseStatus.OPEN.value and as_utc(now) > as_utc(case.respond_by)
        kept.append(CaseRow(case, breached))
    return kept


@router.get("/investigate/cases")
def cases_page(
    request: Request,
    status: Annotated[str, Query(max_length=32)] = "",
    severity: Annotated[str, Query(max_length=8)] = "",
    owner: Annotated[str, Query(max_length=128)] = "",
    threat: Annotated[str, Query(max_length=8)] = "",
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    """The filter form sends every field, an empty one meaning "any"."""
    chosen = case_filters(status, severity, threat)
    return _cases_page(request, context, principal, owner=owner, **chosen)


def case_filters(status: str, severity: str, threat: str) -> dict[str, Any]:
    """The list's filters from the form's fields ("" is any); a bad one is refused, naming it."""
    errors: list[FieldError] = []
    chosen: dict[str, Any] = {"status": None, "severity": None, "threat": None}
    if status:
        try:
            chosen["status"] = CaseStatus(status)
        except ValueError:
            errors.append(FieldError("status", f"must be one of {', '.join(s.value for s in CaseStatus)}"))
    if severity:
        if severity in {str(s.value) for s in Severity}:
            chosen["severity"] = int(severity)
        else:
            errors.append(FieldError("severity", "must be 1, 2, 3 or 4"))
    if threat:
        if threat in ("true", "false"):
            chosen["threat"] = threat == "true"
        else:
            errors.append(FieldError("threat", "must be true or false"))
    if errors:
        raise InvalidInput("the filters are not understood", errors)
    return chosen


def _cases_page(
    request: Request,
    context: AppContext,
    principal: Principal,
    *,
    status: CaseStatus | None = None,
    severity: int | None = None,
    owner: str = "",
    threat: bool | None = None,
    form: dict[str, Any] | None = None,
    error: Refusal | None = None,
    status_code: int = 200,
) -> Response:
    now = context.clock()
    with context.database.transaction() as session:
        found = case_views.list_cases(session, principal, now=now, status=status, limit=LISTED)
    rows = case_rows(found, now, severity=severity, owner=owner.strip(), threat=threat)
    values: dict[str, Any] = {
        "title": "Cases",
        "rows": rows,
        "any_cases": bool(found),
        "filters": {"status": status, "severity": severity, "owner": owner, "threat": threat},
        "statuses": list(CaseStatus),
        "severities": list(Severity),
        "owners": sorted({c.owner for c in found if c.owner}),
        "may_manage": principal.can(Permission.INVESTIGATE_MANAGE),
        "now": now,
        "form": form or {},
        "error": error,
        "errors": error.errors if isinstance(error, InvalidInput) else [],
    }
    return render_page(request, "investigate_cases.html", values, status_code=status_code)


@router.post("/investigate/cases")
def open_case_form(
    request: Request,
    title: Annotated[str, Form(max_length=1_000)] = "",
    severity: Annotated[int, Form(ge=1, le=4)] = 3,
    threat: Annotated[bool, Form()] = False,
    from_job: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    """Open a case by hand, or from an escalated job (linked to its content and author, with its snapshot)."""
    draft = CaseDraft(title, severity, threat, principal.display_name if principal.name.startswith("user:") else None)
    now = context.clock()
    try:
        with context.database.transaction() as session:
            if from_job is None:
                case = cases.open_case(session, principal, draft, now=now)
            else:
                case = cases.open_case_from_job(session, principal, from_job, draft, now=now)
            case_pk = case.pk
    except (InvalidInput, Conflict) as error:
        form = {"title": title, "severity": severity, "threat": threat}
        if from_job is not None:
            return _new_from_job_page(request, context, principal, from_job, form=form, error=error)
        return _cases_page(request, context, principal, form=form, error=error, status_code=error.http_status)
    return RedirectResponse(f"/investigate/cases/{case_pk}", status_code=303)


@router.get("/investigate/cases/new")
def new_case_from_job_page(
    request: Request,
    from_job: Annotated[int, Query(ge=1, le=2**63 - 1)],
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    return _new_from_job_page(request, context, principal, from_job)


def _new_from_job_page(
    request: Request,
    context: AppContext,
    principal: Principal,
    job_pk: int,
    *,
    form: dict[str, Any] | None = None,
    error: Refusal | None = None,
) -> Response:
    """The form that opens a case from an escalated job: its title prefilled from the job's subject."""
    require_case_access(principal, Permission.INVESTIGATE_MANAGE)
    with context.database.transaction() as session:
        job = session.get(Job, job_pk)
        if job is None:
            raise NotFound(f"no job {job_pk}")
        if job.subject_type == "content":
            content = session.get_one(ContentItem, job.subject_pk)
            subject = f"content {content.external_id}"
        else:
            subject = f"actor {session.get_one(Actor, job.subject_pk).external_id}"
        kind, note = job.kind, job.note
    values: dict[str, Any] = {
        "title": f"Open a case from job {job_pk}",
        "job": {"id": job_pk, "kind": kind, "note": note, "subject": subject},
        "form": form or {"title": f"Escalation: {subject}", "severity": 2, "threat": False},
        "error": error,
        "errors": error.errors if isinstance(error, InvalidInput) else [],
    }
    return render_page(
        request, "investigate_case_new.html", values, status_code=error.http_status if error is not None else 200
    )


@router.get("/investigate/cases/{case_id}")
def case_page(
    request: Request,
    case_id: RowId,
    principal: Principal = Depends(can_read),
    context: AppContext = Depends(app_context),
) -> Response:
    return _case_page(request, context, principal, case_id)


def _case_page(
    request: Request,
    context: AppContext,
    principal: Principal,
    case_pk: int,
    *,
    form: dict[str, Any] | None = None,
    error: Refusal | None = None,
    dialog: str = "",
    status_code: int = 200,
) -> Response:
    now = context.clock()
    with context.database.transaction() as session:
        view = case_views.case_view(session, principal, case_pk, now=now)  # recorded as case.viewed
        snapshots = [
            snapshot_document(s) | {"id": s.pk, "digest": s.digest}
            for s in snapshots_of(session, linked_content_pks(session, case_pk))
        ]
    status = CaseStatus(view["status"])
    values: dict[str, Any] = {
        "title": f"Case {case_pk}",
        "case": view,
        "snapshots": snapshots,
        "moves": sorted(ALLOWED_MOVES[status], key=list(CaseStatus).index),
        "breached": status is CaseStatus.OPEN and now > datetime.fromisoformat(view["respond_by"]),
        "may_manage": principal.can(Permission.INVESTIGATE_MANAGE),
        "today": as_utc(now).date().isoformat(),
        "form": form or {},
        "dialog": dialog,
        "error": error,
        "errors": error.errors if isinstance(error, InvalidInput) else [],
    }
    return render_page(request, "investigate_case.html", values, status_code=status_code)


def _changed(case_pk: int) -> Response:
    return RedirectResponse(f"/investigate/cases/{case_pk}", status_code=303)


@router.post("/investigate/cases/{case_id}/status")
def move_case(
    request: Request,
    case_id: RowId,
    status: Annotated[CaseStatus, Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    try:
        with context.database.transaction() as session:
            cases.change_status(session, principal, case_id, status, now=context.clock(), reason=reason)
    except (InvalidInput, Conflict) as error:
        return _case_page(
            request, context, principal, case_id, error=error, dialog="status", status_code=error.http_status
        )
    return _changed(case_id)


@router.post("/investigate/cases/{case_id}/flag")
def flag_case(
    case_id: RowId, principal: Principal = Depends(can_manage), context: AppContext = Depends(app_context)
) -> Response:
    with context.database.transaction() as session:
        cases.flag_threat(session, principal, case_id, now=context.clock())
    return _changed(case_id)


@router.post("/investigate/cases/{case_id}/notes")
def add_note_form(
    request: Request,
    case_id: RowId,
    body: Annotated[str, Form(max_length=cases.NOTE_CHARS + 1)] = "",
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    try:
        with context.database.transaction() as session:
            cases.add_note(session, principal, case_id, body, now=context.clock())
    except InvalidInput as error:
        return _case_page(
            request, context, principal, case_id, form={"body": body}, error=error, dialog="note", status_code=422
        )
    return _changed(case_id)


@router.post("/investigate/cases/{case_id}/tasks")
def add_task_form(
    request: Request,
    case_id: RowId,
    title: Annotated[str, Form(max_length=1_000)] = "",
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    try:
        with context.database.transaction() as session:
            cases.add_task(session, principal, case_id, title, now=context.clock())
    except InvalidInput as error:
        return _case_page(
            request, context, principal, case_id, form={"task": title}, error=error, dialog="task", status_code=422
        )
    return _changed(case_id)


@router.post("/investigate/cases/{case_id}/tasks/{task_id}/done")
def complete_task_form(
    case_id: RowId,
    task_id: RowId,
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    with context.database.transaction() as session:
        cases.complete_task(session, principal, case_id, task_id, now=context.clock())
    return _changed(case_id)


@router.post("/investigate/cases/{case_id}/referrals")
def refer_form(
    request: Request,
    case_id: RowId,
    agency: Annotated[str, Form(max_length=1_000)] = "",
    on: Annotated[str, Form(max_length=10)] = "",
    reference: Annotated[str, Form(max_length=1_000)] = "",
    sent: Annotated[str, Form(max_length=10_000)] = "",
    principal: Principal = Depends(can_manage),
    context: AppContext = Depends(app_context),
) -> Response:
    form = {"agency": agency, "on": on, "reference": reference, "sent": sent}
    try:
        try:
            referred_on = datetime.combine(date.fromisoformat(on), datetime.min.time(), tzinfo=UTC)
        except ValueError as bad:
            raise InvalidInput("the referral cannot be recorded", [FieldError("date", "a day as YYYY-MM-DD")]) from bad
        with context.database.transaction() as session:
            draft = ReferralDraft(agency, referred_on, reference, sent)
            cases.refer(session, principal, case_id, draft, now=context.clock())
    except (InvalidInput, Conflict) as error:
        return _case_page(
            request,
            context,
            principal,
            case_id,
            form=form,
            error=error,
            dialog="referral",
            status_code=error.http_status,
        )
    return _changed(case_id)


@router.get("/investigate/cases/{case_id}/evidence.zip")
def evidence_download(
    case_id: RowId, principal: Principal = Depends(can_manage), context: AppContext = Depends(app_context)
) -> Response:
    """The evidence package as `bastion case export` writes it, zipped (the export is recorded)."""
    body = evidence_zip(context, principal, case_id)
    disposition = f'attachment; filename="case-{case_id}-evidence.zip"'
    return Response(body, media_type=ZIP, headers={"Content-Disposition": disposition})
