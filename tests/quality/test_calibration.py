"""Calibration exercises: creating one (errors named), answers hidden until closed, the comparison and its
agreement checked against krippendorff and statsmodels, the discussion recorded."""

from __future__ import annotations

import random

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from bastion.auth.principal import Principal
from bastion.auth.users import principal_of
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.domain.quality import ExerciseStatus
from bastion.errors import Conflict, Forbidden, InvalidInput
from bastion.policy.service import current_policies
from bastion.quality.calibration import (
    add_note,
    answer_agreement,
    answer_items,
    close_exercise,
    create_exercise,
    exercise_view,
    list_exercises,
)
from bastion.review import claims
from bastion.review.decisions import Choice, decide
from bastion.store.database import Database
from bastion.store.schema import Actor, ContentItem, User
from tests.conftest import make_user
from tests.quality.store_ratings import spam_reported

HOSTILE = "<img src=x onerror=alert(1)>"


def content(database: Database, clock: FrozenClock, n: int) -> list[str]:
    now = clock()
    ids = [f"cal-{i}" for i in range(n)]
    with database.transaction() as session:
        actor = Actor(external_id="cal-actor", created_at=now, received_at=now)
        session.add(actor)
        session.flush()
        session.add_all(
            ContentItem(
                external_id=cid,
                actor_pk=actor.pk,
                type="post",
                text=f"{HOSTILE} {cid}",
                created_at=now,
                received_at=now,
            )
            for cid in ids
        )
    return ids


def person(database: Database, name: str) -> Principal:
    with database.transaction() as session:
        user = session.query(User).filter_by(name=name).one()
        return principal_of(user, "session")


def policies(database: Database) -> list[str]:
    with database.transaction() as session:
        return sorted(current_policies(session))


@pytest.fixture
def exercise(database: Database, clock: FrozenClock) -> int:
    for name in ("ana", "bo"):
        make_user(database, clock, name, Role.VENDOR_REVIEWER, vendor="acme")
    make_user(database, clock, "cy", Role.REVIEWER)  # in-house: not in the vendor's group
    make_user(database, clock, "lead", Role.QA)
    ids = content(database, clock, 3)
    with database.transaction() as session:
        return create_exercise(
            session,
            name="Spam or not",
            group="vendor:acme",
            content_ids=ids,
            rng=random.Random(1),
            now=clock(),
            by="user:lead",
        )


def test_answers_stay_hidden_from_the_others_until_the_exercise_closes(
    database: Database, clock: FrozenClock, exercise: int
) -> None:
    ana, bo, cy, lead = (person(database, n) for n in ("ana", "bo", "cy", "lead"))
    spam, other = policies(database)[:2]
    with database.transaction() as session:
        answer_items(session, exercise, ana, {1: spam, 2: spam, 3: "none"}, now=clock())
        answer_items(session, exercise, bo, {1: spam, 2: other, 3: "none"}, now=clock())
    with database.transaction() as session:
        seen_by_bo = exercise_view(session, exercise, bo)
        assert seen_by_bo.may_answer and not seen_by_bo.comparable
        assert [i.mine for i in seen_by_bo.items] == [spam, other, "none"]
        assert all(i.answers == () and i.distribution == {} for i in seen_by_bo.items)
        assert seen_by_bo.agreement is None
        assert exercise_view(session, exercise, lead).comparable  # who runs it watches it fill
        assert exercise_view(session, exercise, lead).exercise.answered == 2
        with pytest.raises(Forbidden):
            exercise_view(session, exercise, cy)
        assert list_exercises(session, cy) == [] and len(list_exercises(session, bo)) == 1
    with database.transaction() as session:
        add_note(session, exercise, "Item 2 is spam: the link is the tell.", position=2, now=clock(), by=lead.name)
        add_note(session, exercise, "Guidance on links to be clarified.", now=clock(), by=lead.name)
        close_exercise(session, exercise, now=clock(), by=lead.name)
    with database.transaction() as session:
        closed = exercise_view(session, exercise, bo)
        assert closed.exercise.status is ExerciseStatus.CLOSED and closed.comparable and not closed.may_answer
        assert closed.items[1].distribution == {spam: 1, other: 1}
        assert [n.text for n in closed.items[1].notes] == ["Item 2 is spam: the link is the tell."]
        assert [n.text for n in closed.notes] == ["Guidance on links to be clarified."]
        assert closed.agreement is not None and closed.agreement.items == 3 and closed.agreement.answers == 6
        with pytest.raises(Conflict):
            answer_items(session, exercise, ana, {1: "none"}, now=clock())


def test_bad_answers_and_outsiders_are_refused(database: Database, clock: FrozenClock, exercise: int) -> None:
    ana, cy = person(database, "ana"), person(database, "cy")
    with database.transaction() as session, pytest.raises(InvalidInput) as bad:
        answer_items(session, exercise, ana, {1: "no.such.policy", 9: "none"}, now=clock())
    assert {e.path for e in bad.value.errors} == {"answers.1", "answers.9"}
    with database.transaction() as session, pytest.raises(Forbidden):
        answer_items(session, exercise, cy, {1: "none"}, now=clock())


def test_a_bad_exercise_names_every_bad_field(database: Database, clock: FrozenClock) -> None:
    with database.transaction() as session, pytest.raises(InvalidInput) as bad:
        create_exercise(
            session, name="", group="team:x", content_ids=["nope"], rng=random.Random(1), now=clock(), by="user:lead"
        )
    assert {e.path for e in bad.value.errors} == {"name", "group", "items[0]"}
    assert "no content item 'nope'" in str(bad.value)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(["a", "b", "c"]), min_size=3, max_size=3), min_size=2, max_size=12).filter(
        lambda items: len({label for item in items for label in item}) > 1
    )
)
def test_agreement_is_what_krippendorff_and_statsmodels_compute(items: list[list[str]]) -> None:
    ours = answer_agreement(items)
    categories = sorted({label for item in items for label in item})
    codes = np.array([[categories.index(label) for label in item] for item in items])
    reliability = codes.T.astype(float)  # raters x items
    assert ours.krippendorff_alpha == pytest.approx(krippendorff.alpha(reliability, level_of_measurement="nominal"))
    table, _ = aggregate_raters(codes, n_cat=len(categories))
    assert ours.fleiss_kappa == pytest.approx(fleiss_kappa(table, method="fleiss"), nan_ok=True)
    agreeing = sum(sum(item.count(c) * (item.count(c) - 1) for c in set(item)) for item in items)
    assert ours.percent_agreement == pytest.approx(agreeing / (len(items) * 6))


def test_a_queue_group_samples_its_recently_decided_items(database: Database, clock: FrozenClock) -> None:
    now = clock()
    spam_reported(database, now, 6)
    make_user(database, clock, "ana", Role.REVIEWER)
    ana = person(database, "ana")
    with database.transaction() as session:
        for _ in range(4):
            job = claims.claim_next_job(session, "scams-spam", ana, now=now)
            assert job is not None
            decide(session, job.pk, ana, Choice("spam", "remove"), now=now)
    with database.transaction() as session:
        pk = create_exercise(
            session,
            name="Spam queue",
            group="queue:scams-spam",
            sample_queue="scams-spam",
            sample_size=3,
            rng=random.Random(5),
            now=now,
            by="user:lead",
        )
        view = exercise_view(session, pk, ana)
        assert view.exercise.reviewers == ("ana",) and view.may_answer
        decided = {i.content_id for i in view.items}
        assert len(decided) == 3 and decided <= {f"s-{i}" for i in range(6)}
        with pytest.raises(InvalidInput) as bad:
            create_exercise(
                session,
                name="x",
                group="queue:scams-spam",
                sample_queue="nowhere",
                rng=random.Random(5),
                now=now,
                by="t",
            )
        assert [e.path for e in bad.value.errors] == ["sample_queue"]
