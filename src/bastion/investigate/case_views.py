"""Reading cases: the list (threats first, then by severity), one case as JSON with its links, notes, tasks,
referrals and timeline, the timeline itself read from the event log.

Every list and every view is recorded in the audit log (`case.listed`, `case.viewed`) by these functions,
whichever interface shows it. Linked actors' private fields (the review configuration's `private_fields`)
are masked for anyone without `investigate.manage`. `case_document` records nothing: its callers do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.clock import as_utc
from bastion.domain.access import Permission
from bastion.domain.events import EventEntity
from bastion.domain.investigate import RESPONSE_TARGETS, CaseStatus, LinkKind, Severity
from bastion.domain.subjects import SubjectType
from bastion.investigate.cases import case_row, case_target, require_case_access
from bastion.review.private_fields import without_private_fields
from bastion.store.schema import Actor, Case, CaseLink, CaseNote, CaseReferral, CaseTask, ContentItem, Event

TIMELINE_LIMIT = 500


@dataclass(frozen=True)
class CaseSummary:
    id: int
    title: str
    severity: str
    threat: bool
    status: str
    source: str
    owner: str | None
    opened_at: datetime
    respond_by: datetime  # opened_at plus the severity's response-time target


def list_cases(
    session: Session, principal: Principal, *, now: datetime, status: CaseStatus | None = None, limit: int = 200
) -> list[CaseSummary]:
    """Cases, real-world threats first, then by severity, then the oldest first; recorded as `case.listed`."""
    require_case_access(principal, Permission.INVESTIGATE_READ)
    query = select(Case)
    if status is not None:
        query = query.where(Case.status == status.value)
    query = query.order_by(sql_case((Case.threat.is_(True), 0), else_=1), Case.severity, Case.opened_at, Case.pk)
    cases = list(session.scalars(query.limit(limit)))
    audit_log.record(
        session,
        principal=principal.name,
        action="case.listed",
        target="case:",
        at=now,
        details={"status": None if status is None else status.value, "cases": [c.pk for c in cases]},
    )
    return [_summary(c) for c in cases]


def cases_touching(session: Session, network_id: str, members: list[str]) -> list[tuple[int, str]]:
    """Cases not closed that link the network or one of its members, newest first: `(id, title)`.

    What an investigator acting on a network may want the bulk action recorded under (the network's own
    page offers them); reading them needs `investigate.read`, checked by the caller."""
    touching = or_(
        (CaseLink.kind == LinkKind.NETWORK.value) & (CaseLink.ref == network_id),
        (CaseLink.kind == LinkKind.ACTOR.value) & CaseLink.ref.in_(members),
    )
    rows = session.execute(
        select(Case.pk, Case.title)
        .where(Case.pk.in_(select(CaseLink.case_pk).where(touching)), Case.status != CaseStatus.CLOSED.value)
        .order_by(Case.pk.desc())
        .limit(50)
    )
    return [(pk, title) for pk, title in rows]


def _summary(case: Case) -> CaseSummary:
    severity = Severity(case.severity)
    return CaseSummary(
        id=case.pk,
        title=case.title,
        severity=severity.label,
        threat=case.threat,
        status=case.status,
        source=case.source,
        owner=case.owner,
        opened_at=case.opened_at,
        respond_by=as_utc(case.opened_at) + RESPONSE_TARGETS[severity],
    )


def case_view(session: Session, principal: Principal, case_pk: int, *, now: datetime) -> dict[str, Any]:
    """Everything about a case, as the principal may see it; recorded as `case.viewed`."""
    require_case_access(principal, Permission.INVESTIGATE_READ)
    case = case_row(session, case_pk)
    audit_log.record(session, principal=principal.name, action="case.viewed", target=case_target(case.pk), at=now)
    return case_document(session, case, show_private=principal.can(Permission.INVESTIGATE_MANAGE))


def case_document(session: Session, case: Case, *, show_private: bool) -> dict[str, Any]:
    """The case as JSON (what `case show --format json` prints and an evidence package's case.json holds).
    Records nothing: the callers do."""
    summary = _summary(case)
    links = list(session.scalars(select(CaseLink).where(CaseLink.case_pk == case.pk).order_by(CaseLink.pk)))
    notes = session.scalars(select(CaseNote).where(CaseNote.case_pk == case.pk).order_by(CaseNote.pk))
    tasks = session.scalars(select(CaseTask).where(CaseTask.case_pk == case.pk).order_by(CaseTask.pk))
    referrals = session.scalars(select(CaseReferral).where(CaseReferral.case_pk == case.pk).order_by(CaseReferral.pk))
    private: set[str] = set()
    if not show_private:
        from bastion.review.config_store import current_review_config

        private = set(current_review_config(session).config.private_fields)
    return {
        "id": case.pk,
        "title": case.title,
        "severity": summary.severity,
        "threat": case.threat,
        "status": case.status,
        "source": case.source,
        "source_ref": case.source_ref,
        "owner": case.owner,
        "watchers": list(case.watchers),
        "opened_by": case.opened_by,
        "opened_at": as_utc(case.opened_at).isoformat(),
        "respond_by": summary.respond_by.isoformat(),
        "updated_at": as_utc(case.updated_at).isoformat(),
        "links": [_link_document(session, link, private) for link in links],
        "notes": [
            {"id": n.pk, "author": n.author, "at": as_utc(n.written_at).isoformat(), "body": n.body} for n in notes
        ],
        "tasks": [{"id": t.pk, "title": t.title, "assignee": t.assignee, "done": t.done} for t in tasks],
        "referrals": [
            {
                "id": r.pk,
                "agency": r.agency,
                "date": as_utc(r.referred_on).date().isoformat(),
                "reference": r.reference,
                "sent": r.sent,
                "by": r.referred_by,
                "recorded_at": as_utc(r.recorded_at).isoformat(),
            }
            for r in referrals
        ],
        "timeline": timeline(session, case, links),
    }


def _link_document(session: Session, link: CaseLink, private: set[str]) -> dict[str, Any]:
    document: dict[str, Any] = {"kind": link.kind, "ref": link.ref, "linked_by": link.linked_by}
    if link.kind == LinkKind.NETWORK.value:
        document["members"] = list(link.members)
    elif link.kind == LinkKind.ACTOR.value:
        actor = session.scalar(select(Actor).where(Actor.external_id == link.ref))
        if actor is not None:
            document["attributes"] = without_private_fields(actor.attributes or {}, private)
            document["country"] = actor.country
            document["created_at"] = as_utc(actor.created_at).isoformat()
    else:
        content = session.scalar(select(ContentItem).where(ContentItem.external_id == link.ref))
        if content is not None:
            document["text"] = content.text
            document["media_pdq"] = content.media_pdq
            document["author"] = session.scalar(select(Actor.external_id).where(Actor.pk == content.actor_pk))
            document["created_at"] = as_utc(content.created_at).isoformat()
    return document


def linked_content_pks(session: Session, case_pk: int) -> list[int]:
    """The store's keys of the content items linked to a case."""
    refs = select(CaseLink.ref).where(CaseLink.case_pk == case_pk, CaseLink.kind == LinkKind.CONTENT.value)
    return list(
        session.scalars(select(ContentItem.pk).where(ContentItem.external_id.in_(refs)).order_by(ContentItem.pk))
    )


def timeline(session: Session, case: Case, links: list[CaseLink]) -> list[dict[str, Any]]:
    """The case's own events and those of its linked subjects, from the event log, oldest first."""
    subjects: list[tuple[str, int]] = [(EventEntity.CASE.value, case.pk)]
    for link in links:
        if link.kind == LinkKind.CONTENT.value:
            pk = session.scalar(select(ContentItem.pk).where(ContentItem.external_id == link.ref))
            if pk is not None:
                subjects.append((SubjectType.CONTENT.value, pk))
        elif link.kind == LinkKind.ACTOR.value:
            pk = session.scalar(select(Actor.pk).where(Actor.external_id == link.ref))
            if pk is not None:
                subjects.append((SubjectType.ACTOR.value, pk))
    about = or_(*(((Event.subject_type == kind) & (Event.subject_pk == pk)) for kind, pk in subjects))
    events = list(session.scalars(select(Event).where(about).order_by(Event.pk.desc()).limit(TIMELINE_LIMIT)))[::-1]
    return [
        {
            "at": as_utc(e.occurred_at).isoformat(),
            "kind": e.kind,
            "about": f"{e.subject_type}:{e.subject_pk}",
            "principal": e.principal,
            "data": e.data,
        }
        for e in sorted(events, key=lambda e: (as_utc(e.occurred_at), e.pk))
    ]
