"""Cases: investigations, opened by hand or from an escalated job, a network or a trend alert.

Every change is a fact in the event log (`case.*` events about the case, written in the same transaction
as the state it changes) and a row in the audit log, recorded here rather than by the interfaces; the
timeline is read back from the event log. Reading a case is recorded too (`case.viewed`), whoever asks and
however. Who may: `investigate.read` to view, `investigate.manage` to change (investigators and admins); a
vendor reviewer never sees a case, whatever else they hold. Linked actors' private fields (the review
configuration's `private_fields`) are masked for anyone without `investigate.manage` (see `case_views`,
which reads cases).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.clock import as_utc
from bastion.domain.access import Permission, Role
from bastion.domain.events import EventEntity, EventKind, NewEvent
from bastion.domain.happened import ThreatFlagged
from bastion.domain.investigate import (
    ALLOWED_MOVES,
    CaseSource,
    CaseStatus,
    LinkKind,
    Severity,
)
from bastion.domain.review import JobKind
from bastion.domain.subjects import SubjectType
from bastion.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from bastion.plugins import announce
from bastion.store.events import append_events
from bastion.store.schema import (
    Actor,
    Case,
    CaseLink,
    CaseNote,
    CaseReferral,
    CaseTask,
    ContentItem,
    Event,
    Job,
    TrendAlert,
    User,
)

TITLE_CHARS = 200
NOTE_CHARS = 20_000


@dataclass(frozen=True)
class CaseDraft:
    """What a new case starts with; `validated` checks every field and names each bad one."""

    title: str
    severity: int
    threat: bool = False
    owner: str | None = None

    def validated(self) -> CaseDraft:
        errors: list[FieldError] = []
        title = " ".join(self.title.split())
        if not title:
            errors.append(FieldError("title", "must not be empty"))
        elif len(title) > TITLE_CHARS:
            errors.append(FieldError("title", f"must be at most {TITLE_CHARS} characters, got {len(title)}"))
        if self.severity not in {s.value for s in Severity}:
            errors.append(FieldError("severity", f"must be 1, 2, 3 or 4 (SEV1 the worst), got {self.severity}"))
        if errors:
            raise InvalidInput("the case cannot be opened", errors)
        return CaseDraft(title, self.severity, self.threat, self.owner)


def require_case_access(principal: Principal, permission: Permission) -> None:
    """Deny unless the principal holds `permission`; a vendor reviewer never, whatever else they hold."""
    if Role.VENDOR_REVIEWER in principal.roles:
        raise Forbidden(f"{principal.display_name} may not see cases (vendor reviewers never do)")
    principal.require(permission)


def case_target(case_pk: int) -> str:
    """The audit log's target for a case."""
    return f"case:{case_pk}"


# --- opening ------------------------------------------------------------------------------------------


def open_case(
    session: Session,
    principal: Principal,
    draft: CaseDraft,
    *,
    now: datetime,
    source: CaseSource = CaseSource.MANUAL,
    source_ref: str | None = None,
) -> Case:
    """Open a case by hand (or, through the functions below, from what it came from)."""
    require_case_access(principal, Permission.INVESTIGATE_MANAGE)
    draft = draft.validated()
    if draft.owner is not None:
        _require_user(session, draft.owner, "owner")
    case = Case(
        title=draft.title,
        severity=draft.severity,
        threat=False,
        status=CaseStatus.OPEN.value,
        source=source.value,
        source_ref=source_ref,
        owner=draft.owner,
        watchers=[],
        opened_by=principal.name,
        opened_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    details = {"title": case.title, "severity": case.severity, "source": case.source, "source_ref": source_ref}
    record_change(session, case, EventKind.CASE_OPENED, principal, now, details)
    if draft.threat:
        flag_threat(session, principal, case.pk, now=now)
    return case


def open_case_from_job(session: Session, principal: Principal, job_pk: int, draft: CaseDraft, *, now: datetime) -> Case:
    """Open a case on an escalated job's subject: the content and its author, or the actor, are linked."""
    job = session.get(Job, job_pk)
    if job is None:
        raise NotFound(f"no job {job_pk}")
    escalated = session.scalar(
        select(Event.pk)
        .where(
            Event.subject_type == EventEntity.JOB.value,
            Event.subject_pk == job.pk,
            Event.kind == EventKind.JOB_ESCALATED.value,
        )
        .limit(1)
    )
    if job.kind != JobKind.ESCALATION.value and escalated is None:
        raise Conflict(f"job {job_pk} was never escalated; escalate it first, or open a case by hand and link it")
    case = open_case(session, principal, draft, now=now, source=CaseSource.JOB, source_ref=f"job:{job.pk}")
    if job.subject_type == SubjectType.CONTENT.value:
        content = session.get_one(ContentItem, job.subject_pk)
        author = session.get_one(Actor, content.actor_pk)
        link_subject(session, principal, case.pk, LinkKind.CONTENT, content.external_id, now=now)
        link_subject(session, principal, case.pk, LinkKind.ACTOR, author.external_id, now=now)
    else:
        actor = session.get_one(Actor, job.subject_pk)
        link_subject(session, principal, case.pk, LinkKind.ACTOR, actor.external_id, now=now)
    return case


def open_case_from_network(
    session: Session,
    principal: Principal,
    network_id: str,
    members: list[str],
    draft: CaseDraft,
    *,
    now: datetime,
) -> Case:
    """Open a case on a network the detector found (its stable id and its members)."""
    case = open_case(session, principal, draft, now=now, source=CaseSource.NETWORK, source_ref=network_id)
    link_network(session, principal, case.pk, network_id, members, now=now)
    return case


def open_case_from_trend(
    session: Session, principal: Principal, alert_pk: int, draft: CaseDraft, *, now: datetime
) -> Case:
    """Open a case on a trend alert (a spike, a level shift, an emerging term)."""
    if session.get(TrendAlert, alert_pk) is None:
        raise NotFound(f"no trend alert {alert_pk}")
    return open_case(session, principal, draft, now=now, source=CaseSource.TREND, source_ref=f"trend:{alert_pk}")


# --- changing -----------------------------------------------------------------------------------------


def change_status(
    session: Session, principal: Principal, case_pk: int, status: CaseStatus, *, now: datetime, reason: str = ""
) -> Case:
    """Move the case along `ALLOWED_MOVES`; any other move is refused, naming the moves there are."""
    require_case_access(principal, Permission.INVESTIGATE_MANAGE)
    case = case_row(session, case_pk)
    _move(session, principal, case, status, now=now, reason=reason)
    return case


def _move(
    session: Session, principal: Principal, case: Case, status: CaseStatus, *, now: datetime, reason: str
) -> None:
    current = CaseStatus(case.status)
    allowed = ALLOWED_MOVES[current]
    if status not in allowed:
        moves = ", ".join(sorted(s.value for s in allowed))
        raise Conflict(f"case {case.pk} is {current.value}: it can move to {moves}, not to {status.value}")
    case.status = status.value
    case.updated_at = now
    moved = {"from": current.value, "to": status.value}
    # The audit log holds no free text: the reason is in the event log only.
    record_change(
        session, case, EventKind.CASE_STATUS_CHANGED, principal, now, moved | {"reason": reason[:500]}, audit=moved
    )


def flag_threat(session: Session, principal: Principal, case_pk: int, *, now: datetime) -> Case:
    """Flag the case as a real-world threat: it goes to the top, and `threat_flagged` fires after commit."""
    require_case_access(principal, Permission.INVESTIGATE_MANAGE)
    case = case_row(session, case_pk)
    if case.threat:
        return case
    case.threat = True
    case.updated_at = now
    record_change(session, case, EventKind.CASE_THREAT_FLAGGED, principal, now, {})
    announce(session, ThreatFlagged(case.pk, case.title, case.severity, principal.name, now))
    return case


def set_owner(session: Session, principal: Principal, case_pk: int, owner: str, *, now: datetime) -> Case:
    require_case_access(principal, Permission.INVESTIGATE_MANAGE)
    case = case_row(session, case_pk)
    _require_user(session, owner, "owner")
    case.owner = owner
    case.updated_at = now
    record_change(session, case, EventKind.CASE_OWNER_SET, principal, now, {"owner": owner})
    return case


def watch(session: Session, principal: Principal, case_pk: int, user: str, *, now: datetime) -> Case:
    """Add a watcher (a user told of the case's changes by whatever listens to its events)."""
    require_case_access(principal, Permission.INVESTIGATE_MANAGE)
    case = case_row(session, case_pk)
    _require_user(session, user, "watcher")
    if user not in case.watchers:
        case.watchers = sorted([*case.watchers, user])
        case.updated_at = now
        record_change(session, case, EventKind.CASE_WATCHED, principal, now, {"watcher": user})
    return case


def link_subject(
    session: Session, principal: Principal, case_pk: int, kind: LinkKind, external_id: str, *, now: datetime
) -> CaseLink:
    """Link a content item or an actor (by the platform's id) to the case; linking it again changes nothing."""
    require_case_access(principal, Permission.INVESTIGATE_MANAGE)
    if kind is LinkKind.NETWORK:
        raise InvalidInput("a network is linked with its members", [FieldError("kind", "use link_network")])
    model = ContentItem if kind is LinkKind.CONTENT else Actor
    if session.scalar(select(model.pk).where(model.external_id == external_id)) is None:
        raise InvalidInput("nothing to link", [FieldError(kind.value, f"no {kind.value} {external_id!r}")])
    return _link(session, principal, case_row(session, case_pk), kind, external_id, [], now)


def link_network(
    session: Session, principal: Principal, case_pk: int, network_id: str, members: list[str], *, now: datetime
) -> CaseLink:
    """Link a network by the detector's stable id, with its members as found."""
    require_case_access(principal, Permission.INVESTIGATE_MANAGE)
    if not network_id.strip():
        raise InvalidInput("nothing to link", [FieldError("network", "must not be empty")])
    return _link(session, principal, case_row(session, case_pk), LinkKind.NETWORK, network_id, sorted(members), now)


def _link(
    session: Session, principal: Principal, case: Case, kind: LinkKind, ref: str, members: list[str], now: datetime
) -> CaseLink:
    existing = session.scalar(
        select(CaseLink).where(CaseLink.case_pk == case.pk, CaseLink.kind == kind.value, CaseLink.ref == ref)
    )
    if existing is not None:
        return existing
    link = CaseLink(case_pk=case.pk, kind=kind.value, ref=ref, members=members, linked_by=principal.name, linked_at=now)
    session.add(link)
    case.updated_at = now
    details = {"kind": kind.value, "ref": ref, "members": len(members)}
    record_change(session, case, EventKind.CASE_LINKED, principal, now, details)
    session.flush()
    return link


def add_note(session: Session, principal: Principal, case_pk: int, body: str, *, now: datetime) -> CaseNote:
    """An internal note: investigators only, never sent to the platform (a referral says what was sent)."""
    require_case_access(principal, Permission.INVESTIGATE_MANAGE)
    if not body.strip():
        raise InvalidInput("the note is empty", [FieldError("body", "must not be empty")])
    if len(body) > NOTE_CHARS:
        raise InvalidInput("the note is too long", [FieldError("body", f"must be at most {NOTE_CHARS} characters")])
    case = case_row(session, case_pk)
    note = CaseNote(case_pk=case.pk, body=body, author=principal.name, written_at=now)
    session.add(note)
    session.flush()
    case.updated_at = now
    record_change(session, case, EventKind.CASE_NOTED, principal, now, {"note": note.pk})
    return note


def add_task(
    session: Session, principal: Principal, case_pk: int, title: str, *, now: datetime, assignee: str | None = None
) -> CaseTask:
    require_case_access(principal, Permission.INVESTIGATE_MANAGE)
    title = " ".join(title.split())
    if not title or len(title) > TITLE_CHARS:
        raise InvalidInput("the task cannot be added", [FieldError("title", f"must be 1 to {TITLE_CHARS} characters")])
    if assignee is not None:
        _require_user(session, assignee, "assignee")
    case = case_row(session, case_pk)
    task = CaseTask(
        case_pk=case.pk, title=title, assignee=assignee, done=False, created_by=principal.name, created_at=now
    )
    session.add(task)
    session.flush()
    case.updated_at = now
    record_change(
        session,
        case,
        EventKind.CASE_TASK_ADDED,
        principal,
        now,
        {"task": task.pk, "title": title},
        audit={"task": task.pk},
    )
    return task


def complete_task(session: Session, principal: Principal, case_pk: int, task_pk: int, *, now: datetime) -> CaseTask:
    require_case_access(principal, Permission.INVESTIGATE_MANAGE)
    case = case_row(session, case_pk)
    task = session.get(CaseTask, task_pk)
    if task is None or task.case_pk != case.pk:
        raise NotFound(f"case {case_pk} has no task {task_pk}")
    if not task.done:
        task.done = True
        case.updated_at = now
        record_change(session, case, EventKind.CASE_TASK_DONE, principal, now, {"task": task.pk})
    return task


@dataclass(frozen=True)
class ReferralDraft:
    """A law-enforcement referral: the agency, the date it was made, their reference, what was sent."""

    agency: str
    referred_on: datetime
    reference: str
    sent: str

    def validated(self, now: datetime) -> None:
        errors: list[FieldError] = []
        for name, value, limit in (("agency", self.agency, 200), ("reference", self.reference, 200)):
            if not value.strip():
                errors.append(FieldError(name, "must not be empty"))
            elif len(value) > limit:
                errors.append(FieldError(name, f"must be at most {limit} characters"))
        if not self.sent.strip():
            errors.append(FieldError("sent", "say what was sent (e.g. the package's manifest digest)"))
        if as_utc(self.referred_on) > now:
            errors.append(FieldError("date", "must not be in the future"))
        if errors:
            raise InvalidInput("the referral cannot be recorded", errors)


def refer(session: Session, principal: Principal, case_pk: int, draft: ReferralDraft, *, now: datetime) -> CaseReferral:
    """Record a referral to law enforcement and move the case to `referred` (from investigating or actioned;
    a case already referred may be referred again, to another agency)."""
    require_case_access(principal, Permission.INVESTIGATE_MANAGE)
    draft.validated(now)
    case = case_row(session, case_pk)
    if case.status != CaseStatus.REFERRED.value:
        _move(session, principal, case, CaseStatus.REFERRED, now=now, reason=f"referred to {draft.agency}")
    referral = CaseReferral(
        case_pk=case.pk,
        agency=draft.agency.strip(),
        referred_on=draft.referred_on,
        reference=draft.reference.strip(),
        sent=draft.sent,
        referred_by=principal.name,
        recorded_at=now,
    )
    session.add(referral)
    session.flush()
    details = {"referral": referral.pk, "agency": referral.agency, "reference": referral.reference}
    record_change(session, case, EventKind.CASE_REFERRED, principal, now, details)
    return referral


def case_row(session: Session, case_pk: int) -> Case:
    """The case, or NotFound. Checks no permission: the callers do."""
    case = session.get(Case, case_pk)
    if case is None:
        raise NotFound(f"no case {case_pk}")
    return case


def _require_user(session: Session, name: str, field: str) -> None:
    if session.scalar(select(User.pk).where(User.name == name, User.active.is_(True))) is None:
        raise InvalidInput(f"unknown {field}", [FieldError(field, f"no active user {name!r}")])


def record_change(
    session: Session,
    case: Case,
    kind: EventKind,
    principal: Principal,
    now: datetime,
    data: dict[str, Any],
    *,
    audit: dict[str, Any] | None = None,
) -> None:
    """A change to the case, in the caller's transaction: its fact in the event log (`data`) and its audit
    row (the action is the event's kind; `audit` its details when they differ from `data`)."""
    append_events(session, [NewEvent(kind, EventEntity.CASE, case.pk, now, principal.name, data)], recorded_at=now)
    details = data if audit is None else audit
    audit_log.record(
        session,
        principal=principal.name,
        action=kind.value,
        target=case_target(case.pk),
        at=now,
        details=details or None,
    )
