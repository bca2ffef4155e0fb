"""Cases on SQLite and PostgreSQL: opened by hand and from an escalated job, a network and a trend alert;
the allowed moves and only those; threats on top and told after commit; notes, tasks, links, referrals;
every change in the event log and the audit log, every view audited; who may and who may not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bastion import audit_log
from bastion.auth.principal import Principal
from bastion.auth.users import add_user, principal_of
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.domain.happened import ThreatFlagged
from bastion.domain.investigate import ALLOWED_MOVES, RESPONSE_TARGETS, CaseStatus, LinkKind, Severity
from bastion.errors import Conflict, Forbidden, InvalidInput, NotFound
from bastion.investigate import case_views, cases
from bastion.investigate.cases import CaseDraft, ReferralDraft
from bastion.investigate.snapshots import snapshots_of
from bastion.plugins import hookimpl, plugin_manager
from bastion.review.claims import claim_next_job, escalate
from bastion.review.config_store import current_review_config, load_review_config
from bastion.store.database import Database
from bastion.store.schema import Actor, ContentItem, Event, Job, TrendAlert
from tests.review.jobs_factory import make_jobs, make_reviewers


def _investigator(
    database: Database, clock: FrozenClock, name: str = "ines", role: Role = Role.INVESTIGATOR
) -> Principal:
    with database.transaction() as session:
        user = add_user(session, name, roles=frozenset({role}), password=None, now=clock())
        return principal_of(user, via="session")


def _escalated_job(database: Database, clock: FrozenClock) -> tuple[int, str, str]:
    """A job escalated by a reviewer: its pk, its content's id and its author's id."""
    (job_pk,) = make_jobs(database, 1, now=clock(), policy_id="spam")
    (reviewer,) = make_reviewers(database, 1, clock())
    with database.transaction() as session:
        assert claim_next_job(session, "general", reviewer, now=clock()) is not None
    with database.transaction() as session:
        escalate(session, job_pk, reviewer, now=clock(), note="threatens a school by name")
        job = session.get_one(Job, job_pk)
        content = session.get_one(ContentItem, job.subject_pk)
        author = session.get_one(Actor, content.actor_pk)
        return job_pk, content.external_id, author.external_id


def _trail(database: Database, case_pk: int) -> list[str]:
    with database.transaction() as session:
        rows = audit_log.search(session, audit_log.AuditFilters(target=f"case:{case_pk}")).rows
        return [row.action for row in reversed(rows)]


def test_a_case_opened_from_an_escalated_job_links_the_content_and_its_author(
    database: Database, clock: FrozenClock
) -> None:
    ines = _investigator(database, clock)
    job_pk, content_id, author_id = _escalated_job(database, clock)
    with database.transaction() as session:
        case = cases.open_case_from_job(session, ines, job_pk, CaseDraft("School threat", 1), now=clock())
        case_pk = case.pk
    clock.advance(timedelta(minutes=5))
    with database.transaction() as session:
        view = case_views.case_view(session, ines, case_pk, now=clock())
    assert (view["source"], view["source_ref"], view["status"], view["severity"]) == (
        "job",
        f"job:{job_pk}",
        "open",
        "SEV1",
    )
    assert [(link["kind"], link["ref"]) for link in view["links"]] == [("content", content_id), ("actor", author_id)]
    assert view["respond_by"] == (case.opened_at + RESPONSE_TARGETS[Severity.SEV1]).isoformat()
    kinds = [entry["kind"] for entry in view["timeline"]]
    # The content's own history (snapshotted at escalation) beside the case's facts.
    assert kinds.index("content.snapshotted") < kinds.index("case.opened")
    assert kinds.count("case.linked") == 2
    assert _trail(database, case_pk) == ["case.opened", "case.linked", "case.linked", "case.viewed"]


def test_a_job_never_escalated_cannot_open_a_case(database: Database, clock: FrozenClock) -> None:
    ines = _investigator(database, clock)
    (job_pk,) = make_jobs(database, 1, now=clock())
    with database.transaction() as session, pytest.raises(Conflict, match="never escalated"):
        cases.open_case_from_job(session, ines, job_pk, CaseDraft("x", 2), now=clock())
    with database.transaction() as session, pytest.raises(NotFound):
        cases.open_case_from_job(session, ines, 999_999, CaseDraft("x", 2), now=clock())


def test_escalation_snapshots_the_content_so_the_authors_deletion_loses_nothing(
    database: Database, clock: FrozenClock
) -> None:
    job_pk, content_id, author_id = _escalated_job(database, clock)
    with database.transaction() as session:
        content = session.scalars(select(ContentItem).where(ContentItem.external_id == content_id)).one()
        original = content.text
        # The author deletes the post: the platform blanks it.
        session.execute(update(ContentItem).where(ContentItem.pk == content.pk).values(text=None, media_pdq=None))
    with database.transaction() as session:
        (snapshot,) = snapshots_of(session, [content.pk])
        assert snapshot.text == original and original
        assert snapshot.job_pk == job_pk and snapshot.content_id == content_id
        assert snapshot.metadata_["author"] == author_id and len(snapshot.digest) == 64


def test_a_case_from_a_network_keeps_its_id_and_members_and_one_from_a_trend_names_the_alert(
    database: Database, clock: FrozenClock
) -> None:
    ines = _investigator(database, clock)
    with database.transaction() as session:
        case = cases.open_case_from_network(
            session, ines, "net-3f2a", ["b", "a", "c"], CaseDraft("Ring", 3), now=clock()
        )
        view = case_views.case_view(session, ines, case.pk, now=clock())
        assert view["links"][0] == {
            "kind": "network",
            "ref": "net-3f2a",
            "linked_by": ines.name,
            "members": ["a", "b", "c"],
        }
        alert = TrendAlert(
            kind="spike",
            metric="reports",
            segment_key="policy=spam",
            segment={"policy": "spam"},
            at=clock(),
            score=0.9,
            evidence={},
            detected_at=clock(),
        )
        session.add(alert)
        session.flush()
        trend_case = cases.open_case_from_trend(session, ines, alert.pk, CaseDraft("Spam spike", 4), now=clock())
        assert (trend_case.source, trend_case.source_ref) == ("trend", f"trend:{alert.pk}")
        with pytest.raises(NotFound):
            cases.open_case_from_trend(session, ines, alert.pk + 1000, CaseDraft("x", 4), now=clock())


@pytest.mark.parametrize("start", list(CaseStatus))
def test_only_the_allowed_moves_are_made(database: Database, clock: FrozenClock, start: CaseStatus) -> None:
    ines = _investigator(database, clock)
    with database.transaction() as session:
        case_pk = cases.open_case(session, ines, CaseDraft("Moves", 2), now=clock()).pk
        path = {
            CaseStatus.OPEN: [],
            CaseStatus.INVESTIGATING: [CaseStatus.INVESTIGATING],
            CaseStatus.ACTIONED: [CaseStatus.INVESTIGATING, CaseStatus.ACTIONED],
            CaseStatus.REFERRED: [CaseStatus.INVESTIGATING, CaseStatus.REFERRED],
            CaseStatus.CLOSED: [CaseStatus.CLOSED],
        }[start]
        for status in path:
            cases.change_status(session, ines, case_pk, status, now=clock())
    for target in CaseStatus:
        with database.transaction() as session:
            if target in ALLOWED_MOVES[start]:
                assert cases.change_status(session, ines, case_pk, target, now=clock()).status == target.value
                session.rollback()
            else:
                with pytest.raises(Conflict, match=f"is {start.value}: it can move to"):
                    cases.change_status(session, ines, case_pk, target, now=clock())


def test_the_status_check_constraint_refuses_a_status_that_is_none_of_them(
    database: Database, clock: FrozenClock
) -> None:
    from sqlalchemy.exc import IntegrityError

    from bastion.store.schema import Case

    ines = _investigator(database, clock)
    with database.transaction() as session:
        case_pk = cases.open_case(session, ines, CaseDraft("Check", 2), now=clock()).pk
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.execute(update(Case).where(Case.pk == case_pk).values(status="archived"))


def test_threats_come_first_then_severity_and_the_flag_is_told_once_after_commit(
    database: Database, clock: FrozenClock
) -> None:
    heard: list[ThreatFlagged] = []

    class Pager:
        @hookimpl
        def threat_flagged(self, fact: ThreatFlagged) -> None:
            heard.append(fact)

    pager = Pager()
    plugin_manager().register(pager)
    try:
        ines = _investigator(database, clock)
        with database.transaction() as session:
            low = cases.open_case(session, ines, CaseDraft("Lead", 4), now=clock()).pk
            high = cases.open_case(session, ines, CaseDraft("Fraud ring", 1), now=clock()).pk
            threat = cases.open_case(session, ines, CaseDraft("Named school, a date", 3, threat=True), now=clock()).pk
            assert heard == []  # not before the commit
        assert [(f.case_pk, f.severity, f.principal) for f in heard] == [(threat, 3, ines.name)]
        with pytest.raises(ZeroDivisionError), database.transaction() as session:
            cases.flag_threat(session, ines, low, now=clock())
            _ = 1 / 0
        assert len(heard) == 1  # rolled back: never told
        with database.transaction() as session:
            cases.flag_threat(session, ines, threat, now=clock())  # already flagged: nothing new
            listed = case_views.list_cases(session, ines, now=clock())
        assert len(heard) == 1
        assert [c.id for c in listed] == [threat, high, low]
        assert listed[0].threat and listed[1].severity == "SEV1"
    finally:
        plugin_manager().unregister(pager)


def test_notes_tasks_owner_watchers_and_links_are_facts_in_both_logs(database: Database, clock: FrozenClock) -> None:
    ines = _investigator(database, clock)
    _investigator(database, clock, "omar")
    _, _, author_id = _escalated_job(database, clock)
    with database.transaction() as session:
        case_pk = cases.open_case(session, ines, CaseDraft("Harassment campaign", 2, owner="ines"), now=clock()).pk
        cases.add_note(session, ines, case_pk, "The <b>same</b> phrasing as last week's.", now=clock())
        task = cases.add_task(session, ines, case_pk, "Ask for the login IPs", now=clock(), assignee="omar")
        cases.complete_task(session, ines, case_pk, task.pk, now=clock())
        cases.watch(session, ines, case_pk, "omar", now=clock())
        cases.set_owner(session, ines, case_pk, "omar", now=clock())
        cases.link_subject(session, ines, case_pk, LinkKind.ACTOR, author_id, now=clock())
        cases.link_subject(session, ines, case_pk, LinkKind.ACTOR, author_id, now=clock())  # again: nothing new
        with pytest.raises(InvalidInput, match="nothing to link") as refused:
            cases.link_subject(session, ines, case_pk, LinkKind.CONTENT, "no-such-post", now=clock())
        assert "content: no content 'no-such-post'" in str(refused.value)
        with pytest.raises(InvalidInput, match="unknown owner"):
            cases.set_owner(session, ines, case_pk, "nobody", now=clock())
        events = session.scalars(
            select(Event.kind).where(Event.subject_type == "case", Event.subject_pk == case_pk).order_by(Event.pk)
        ).all()
        view = case_views.case_view(session, ines, case_pk, now=clock())
    expected = [
        "case.opened",
        "case.noted",
        "case.task_added",
        "case.task_done",
        "case.watched",
        "case.owner_set",
        "case.linked",
    ]
    assert list(events) == expected
    assert _trail(database, case_pk) == [*expected, "case.viewed"]
    assert (view["owner"], view["watchers"]) == ("omar", ["omar"])
    assert view["notes"][0]["body"] == "The <b>same</b> phrasing as last week's."
    assert view["tasks"] == [{"id": task.pk, "title": "Ask for the login IPs", "assignee": "omar", "done": True}]


def test_bad_input_names_every_field(database: Database, clock: FrozenClock) -> None:
    ines = _investigator(database, clock)
    with database.transaction() as session:
        with pytest.raises(InvalidInput) as refused:
            cases.open_case(session, ines, CaseDraft("   ", 7), now=clock())
        assert {e.path for e in refused.value.errors} == {"title", "severity"}
        case_pk = cases.open_case(session, ines, CaseDraft("x", 2), now=clock()).pk
        with pytest.raises(InvalidInput) as refused:
            cases.refer(session, ines, case_pk, ReferralDraft("", clock() + timedelta(days=1), " ", ""), now=clock())
        assert {e.path for e in refused.value.errors} == {"agency", "reference", "sent", "date"}
        with pytest.raises(InvalidInput, match="the note is empty"):
            cases.add_note(session, ines, case_pk, "  ", now=clock())


def test_a_referral_records_who_sent_what_and_moves_the_case_to_referred(
    database: Database, clock: FrozenClock
) -> None:
    ines = _investigator(database, clock)
    with database.transaction() as session:
        case_pk = cases.open_case(session, ines, CaseDraft("Threat", 1), now=clock()).pk
        with pytest.raises(Conflict, match="is open: it can move to closed, investigating, not to referred"):
            cases.refer(session, ines, case_pk, ReferralDraft("Met Police", clock(), "CAD-1", "package"), now=clock())
    with database.transaction() as session:
        cases.change_status(session, ines, case_pk, CaseStatus.INVESTIGATING, now=clock())
        draft = ReferralDraft("Met Police", clock() - timedelta(days=1), "CAD-2291", "evidence package, sha256 ab12")
        cases.refer(session, ines, case_pk, draft, now=clock())
        cases.refer(session, ines, case_pk, ReferralDraft("FBI", clock(), "NTOC-7", "the same package"), now=clock())
        view = case_views.case_view(session, ines, case_pk, now=clock())
    assert view["status"] == "referred"
    assert [(r["agency"], r["reference"], r["by"]) for r in view["referrals"]] == [
        ("Met Police", "CAD-2291", ines.name),
        ("FBI", "NTOC-7", ines.name),
    ]
    assert view["referrals"][0]["date"] == (clock() - timedelta(days=1)).date().isoformat()
    assert _trail(database, case_pk).count("case.referred") == 2


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.VENDOR_REVIEWER, Role.ANALYST, Role.QA, Role.PLATFORM])
def test_only_investigators_and_admins_see_or_change_a_case(database: Database, clock: FrozenClock, role: Role) -> None:
    ines = _investigator(database, clock)
    with database.transaction() as session:
        case_pk = cases.open_case(session, ines, CaseDraft("Private", 2), now=clock()).pk
    other = Principal(name=f"user:{role.value}", roles=frozenset({role}))
    with database.transaction() as session:
        with pytest.raises(Forbidden):
            case_views.case_view(session, other, case_pk, now=clock())
        with pytest.raises(Forbidden):
            case_views.list_cases(session, other, now=clock())
        with pytest.raises(Forbidden):
            cases.add_note(session, other, case_pk, "hello", now=clock())
    admin = Principal(name="user:root", roles=frozenset({Role.ADMIN}))
    with database.transaction() as session:
        assert case_views.case_view(session, admin, case_pk, now=clock())["title"] == "Private"


def test_a_vendor_reviewer_never_sees_a_case_even_with_an_investigators_role(
    database: Database, clock: FrozenClock
) -> None:
    ines = _investigator(database, clock)
    with database.transaction() as session:
        case_pk = cases.open_case(session, ines, CaseDraft("Private", 2), now=clock()).pk
    both = Principal(name="user:v", roles=frozenset({Role.VENDOR_REVIEWER, Role.INVESTIGATOR}))
    with database.transaction() as session, pytest.raises(Forbidden, match="vendor reviewers never do"):
        case_views.case_view(session, both, case_pk, now=clock())


def test_private_fields_are_masked_unless_the_role_allows(database: Database, clock: FrozenClock) -> None:
    ines = _investigator(database, clock)
    with database.transaction() as session:
        config = current_review_config(session).config.model_copy(update={"private_fields": ("ip", "contact.email")})
        load_review_config(session, config, source="test", principal="system:test", now=clock())
        actor = Actor(
            external_id="acct-9",
            created_at=clock(),
            country="DE",
            language="de",
            received_at=clock(),
            attributes={"IP": "203.0.113.9", "contact": {"email": "a@example.org", "phone": "1"}, "followers": 3},
        )
        session.add(actor)
        session.flush()
        case_pk = cases.open_case(session, ines, CaseDraft("Masking", 3), now=clock()).pk
        cases.link_subject(session, ines, case_pk, LinkKind.ACTOR, "acct-9", now=clock())
        case = cases.case_row(session, case_pk)
        masked = case_views.case_document(session, case, show_private=False)["links"][0]["attributes"]
        shown = case_views.case_view(session, ines, case_pk, now=clock())["links"][0]["attributes"]
    assert masked == {"contact": {"phone": "1"}, "followers": 3}
    assert shown == {"IP": "203.0.113.9", "contact": {"email": "a@example.org", "phone": "1"}, "followers": 3}
