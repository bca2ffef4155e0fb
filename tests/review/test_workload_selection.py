"""Every number of the overview equals the number of jobs its link lists, on both backends.

The overview counts with grouped queries; the listing counts one selection at a time. Both build their
WHERE clause from `job_conditions`, and this test holds them to it over a world with every kind of job.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import update

from bastion.auth.users import add_user
from bastion.domain.access import Role
from bastion.errors import InvalidInput
from bastion.review.config_store import current_review_config
from bastion.review.supervisor import Overview, OverviewFilters, overview
from bastion.review.workload.listing import list_jobs
from bastion.review.workload.selection import AGE_BUCKETS, SLA_STATES, JobSelection, selection_from
from bastion.store.database import Database
from bastion.store.schema import User
from tests.review.test_supervisor import NOW, Store, _known_world


def _listed(database: Database, link: str) -> int:
    parts = urlsplit(link)
    assert parts.path == "/review/supervisor/jobs"
    selection = selection_from(dict(parse_qsl(parts.query)))
    with database.transaction() as session:
        config = current_review_config(session).config
        return list_jobs(session, config, selection, now=NOW).total


def _every_number(data: Overview) -> list[tuple[str, int, str]]:
    """(what, the number shown, its link) for every number of the overview that links to jobs."""
    found = []
    for queue in [*data.queues, None]:
        name = queue.name if queue else None
        counts = queue or data.totals
        found += [
            (f"{name} backlog", counts.backlog, data.link("backlog", name)),
            (f"{name} overdue", counts.overdue, data.link("overdue", name)),
            (f"{name} unreachable", counts.unreachable, data.link("unreachable", name)),
            (f"{name} decided", counts.decided, data.link("decided", name)),
            (f"{name} in sla", counts.decided_in_sla, data.link("in_sla", name)),
        ]
        if queue is not None:
            found += [
                (f"{name} open", queue.open, data.link("open", name)),
                (f"{name} claimed", queue.claimed, data.link("claimed", name)),
                (f"{name} held", queue.held, data.link("held", name)),
            ]
            found += [
                (f"{name} age {b.key}", queue.age_buckets[b.label], data.link("age", name, age=b.key))
                for b in AGE_BUCKETS
            ]
            found += [(f"{name} {s}", queue.sla_states[s], data.link("sla", name, sla=s)) for s in SLA_STATES]
    found += [
        (f"reviewer {r.reviewer}", r.decisions, data.link("reviewer", reviewer=r.reviewer)) for r in data.reviewers
    ]
    for i, point in enumerate(data.flow):
        found.append((f"inflow {point.start}", point.inflow, data.link("inflow", period=i)))
        found.append((f"decided {point.start}", point.decided, data.link("decided_in_period", period=i)))
    found += [(f"exposure {e.harm_type}", e.jobs, e.selection.link) for e in data.exposure]
    return found


@pytest.mark.parametrize(
    "filters",
    [OverviewFilters(), OverviewFilters(vendor="acme-review"), OverviewFilters(policy="hate_speech", language="es")],
    ids=["everything", "a vendor", "a policy and a language"],
)
def test_every_number_lists_exactly_its_jobs(database: Database, filters: OverviewFilters) -> None:
    store = Store(database)
    _known_world(store)
    store.job("hate-latam", 14, policy="hate_speech", language="pt", sla_hours=12)  # overdue, nobody speaks pt
    store.job("hate-harassment", 11, policy="hate_speech", sla_hours=12)  # due soon: under 3 h of 12 left
    store.job("child-safety", 0.2, policy="child_safety", sla_hours=2)
    store.decided("general", age_hours=30, decided_hours_ago=26, by="ben", policy="hate_speech.slurs", language="es")
    with database.transaction() as session:
        add_user(session, "lea", roles=frozenset({Role.REVIEWER}), password=None, now=NOW, languages=["en", "es"])
        config = current_review_config(session).config
        data = overview(session, config, now=NOW, filters=filters, window=timedelta(days=7))
    numbers = _every_number(data)
    assert sum(n for _, n, _ in numbers) > 0
    wrong = {what: (shown, _listed(database, link)) for what, shown, link in numbers}
    assert {what: pair for what, pair in wrong.items() if pair[0] != pair[1]} == {}


def test_the_world_has_every_kind_of_number(database: Database) -> None:
    """The world above is not empty where it matters: SLA states, unreachable jobs, flow, exposure."""
    store = Store(database)
    _known_world(store)
    store.job("hate-latam", 14, policy="hate_speech", language="pt", sla_hours=12)
    store.job("hate-harassment", 11, policy="hate_speech", sla_hours=12)
    with database.transaction() as session:
        session.execute(update(User).where(User.name == "ben").values(languages=["en"]))
        session.execute(update(User).where(User.name == "gil").values(languages=["es"]))
    data = store.overview()
    latam = next(q for q in data.queues if q.name == "hate-latam")
    assert latam.unreachable == 1  # gil (globalmod) takes the Spanish job; nobody may take the Portuguese one
    assert data.totals.unreachable == 1
    harassment = next(q for q in data.queues if q.name == "hate-harassment")
    assert harassment.sla_states == {"on_track": 0, "due_soon": 1, "overdue": 0}
    assert latam.sla_states["overdue"] == 1 and latam.overdue == 1
    # opened since midnight six days ago: all but the job decided 10 days ago; decided: all but that one
    assert sum(p.inflow for p in data.flow) == 14 and sum(p.decided for p in data.flow) == 4
    # today: rita at midnight and half an hour ago, gil a quarter of an hour ago (ben's was yesterday)
    assert [(e.harm_type, e.decisions, e.jobs, e.reviewers, e.most) for e in data.exposure] == [("spam", 3, 3, 2, 2)]


def test_a_bad_selection_names_each_field_in_bastions_words() -> None:
    with pytest.raises(InvalidInput) as caught:
        selection_from(
            {"status": "gone", "age": "3d", "overdue": "maybe", "decided_from": "yesterday", "queue": "q" * 65}
        )
    assert {e.path: e.message for e in caught.value.errors} == {
        "queue": "at most 64 characters",
        "status": "must be one of backlog, open, claimed, held, decided, cancelled",
        "age": "must be one of 1h, 24h, 48h, older",
        "overdue": "must be 1 (yes) or 0 (no)",
        "decided_from": "must be a date or time such as 2026-11-02 or 2026-11-02T09:00:00Z",
    }


def test_a_selection_round_trips_through_its_link() -> None:
    selection = JobSelection(queue="general", status="decided", decided_from=NOW, in_sla=False, overdue=True)
    assert selection.link == (
        "/review/supervisor/jobs?queue=general&status=decided&overdue=1&decided_from=2026-11-02T09%3A00%3A00Z&in_sla=0"
    )
    assert selection_from(dict(parse_qsl(urlsplit(selection.link).query))) == selection
    assert JobSelection().link == "/review/supervisor/jobs"
