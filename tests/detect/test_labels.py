"""Labels on entities: expiry, extension instead of duplicates, removal that keeps the row, one query for
a batch's lookups, and refusals that name each bad field, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bastion import audit_log
from bastion.detect.labels import LabelStatus, add_label, labels_of, list_labels, remove_label
from bastion.errors import InvalidInput
from bastion.store.database import Database
from bastion.store.schema import EntityLabel
from tests.conftest import START

ALICE = "user:alice"
HOUR = timedelta(hours=1)
BAD_LABEL = (
    "label",
    "must be 1 to 128 characters, lower-case letters, digits and _ . : -, starting with a letter or digit",
)


def label(database: Database, *args: str, expires_in: timedelta | None = HOUR, at: timedelta = timedelta(0)) -> int:
    with database.transaction() as session:
        now = START + at
        row = add_label(session, *args, expires_at=None if expires_in is None else now + expires_in, by=ALICE, now=now)
        return row.pk


def active(
    database: Database, keys: dict[str, list[str]], at: timedelta = timedelta(0)
) -> dict[tuple[str, str], frozenset[str]]:
    with database.transaction() as session:
        return labels_of(session, keys, START + at)


def rows(database: Database) -> list[EntityLabel]:
    with database.transaction() as session:
        return list(session.scalars(select(EntityLabel).order_by(EntityLabel.pk)))


def test_a_label_holds_until_it_expires(database: Database) -> None:
    label(database, "ip", "203.0.113.9", "spam-wave", expires_in=HOUR)
    keys = {"ip": ["203.0.113.9"]}
    assert active(database, keys, at=timedelta(minutes=59)) == {("ip", "203.0.113.9"): frozenset({"spam-wave"})}
    assert active(database, keys, at=HOUR) == {("ip", "203.0.113.9"): frozenset()}


def test_adding_an_active_label_again_extends_it_and_never_shortens_it(database: Database) -> None:
    first = label(database, "actor", "a_1", "watch", expires_in=HOUR)
    assert label(database, "actor", "a_1", "watch", expires_in=3 * HOUR, at=timedelta(minutes=30)) == first
    assert label(database, "actor", "a_1", "watch", expires_in=HOUR, at=timedelta(minutes=40)) == first
    [row] = rows(database)
    assert row.expires_at == START + timedelta(minutes=30) + 3 * HOUR
    assert label(database, "actor", "a_1", "watch", expires_in=None, at=timedelta(minutes=50)) == first
    assert label(database, "actor", "a_1", "watch", expires_in=HOUR, at=timedelta(minutes=55)) == first
    [row] = rows(database)
    assert row.expires_at is None  # until removed: no expiry is later than any


def test_a_label_added_after_it_expired_is_a_new_row(database: Database) -> None:
    first = label(database, "device", "dev-7", "emulator", expires_in=HOUR)
    second = label(database, "device", "dev-7", "emulator", expires_in=HOUR, at=2 * HOUR)
    assert second != first
    assert active(database, {"device": ["dev-7"]}, at=2 * HOUR) == {("device", "dev-7"): frozenset({"emulator"})}


def test_removing_keeps_the_row_and_is_audited(database: Database) -> None:
    label(database, "url", "https://x.example/a", "phishing", expires_in=None)
    with database.transaction() as session:
        assert remove_label(session, "url", "https://x.example/a", "phishing", by=ALICE, now=START + HOUR)
    with database.transaction() as session:
        assert not remove_label(session, "url", "https://x.example/a", "phishing", by=ALICE, now=START + HOUR)
        assert not remove_label(session, "url", "https://x.example/b", "phishing", by=ALICE, now=START + HOUR)
    assert active(database, {"url": ["https://x.example/a"]}, at=HOUR) == {("url", "https://x.example/a"): frozenset()}
    [row] = rows(database)
    assert row.removed_at == START + HOUR
    with database.transaction() as session:
        page = audit_log.search(session, audit_log.AuditFilters(target="url:https://x.example/a"))
        assert [(r.action, r.principal, r.details["label"]) for r in reversed(page.rows)] == [
            ("label.add", ALICE, "phishing"),
            ("label.remove", ALICE, "phishing"),
        ]
        [shown] = list_labels(session, now=START + HOUR, include_expired=True)
    assert shown.status is LabelStatus.REMOVED


def test_a_rules_label_is_not_audited_by_itself(database: Database) -> None:
    with database.transaction() as session:
        add_label(
            session, "actor", "a_1", "burst", expires_at=START + HOUR, by="rule:burst@3", now=START, audited=False
        )
        assert audit_log.search(session, audit_log.AuditFilters(action="label.add")).total == 0
        [row] = session.scalars(select(EntityLabel)).all()
    assert row.created_by == "rule:burst@3"


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def test_a_batch_is_looked_up_in_one_query(database: Database) -> None:
    label(database, "actor", "a_1", "watch")
    label(database, "actor", "a_1", "trusted", expires_in=None)
    label(database, "actor", "a_2", "watch", expires_in=timedelta(minutes=1))  # expired by the lookup
    label(database, "url", "https://y.example/", "phishing")
    label(database, "ip", "a_1", "not-an-actor")  # the same value as another type's: kept apart
    keys = {
        "actor": ["a_1", "a_2", "a_3", "a_1"],
        "url": ["https://x.example/", "https://y.example/"],
        "ip": [],
        "content": ["p_1", ""],
    }
    with database.transaction() as session, statements(database) as seen:
        found = labels_of(session, keys, START + timedelta(minutes=5))
    assert len([s for s in seen if "entity_labels" in s]) == 1
    assert found == {
        ("actor", "a_1"): frozenset({"watch", "trusted"}),
        ("actor", "a_2"): frozenset(),
        ("actor", "a_3"): frozenset(),
        ("url", "https://x.example/"): frozenset(),
        ("url", "https://y.example/"): frozenset({"phishing"}),
        ("content", "p_1"): frozenset(),
    }


def test_nothing_to_look_up_asks_nothing(database: Database) -> None:
    with database.transaction() as session, statements(database) as seen:
        assert labels_of(session, {"actor": [], "ip": [""]}, START) == {}
    assert seen == []


@pytest.mark.parametrize(
    ("entity_type", "value", "name", "problems"),
    [
        ("account", "a_1", "watch", [("entity_type", "must be 'actor', 'content', 'ip', 'device' or 'url'")]),
        ("actor", "", "watch", [("value", "must not be empty")]),
        ("url", "x" * 2049, "watch", [("value", "must be at most 2,048 characters")]),
        ("actor", "a\x00", "watch", [("value", "must not contain the NUL character (\\u0000)")]),
        (
            "actor",
            "a_1",
            "Watch",
            [BAD_LABEL],
        ),
        (
            "actor",
            "a_1",
            "-x",
            [BAD_LABEL],
        ),
        (
            "actor",
            "a_1",
            "x" * 129,
            [BAD_LABEL],
        ),
        (
            "ip",
            "",
            "",
            [
                ("value", "must not be empty"),
                BAD_LABEL,
            ],
        ),
    ],
)
def test_bad_labels_are_refused_naming_every_field(
    database: Database, entity_type: str, value: str, name: str, problems: list[tuple[str, str]]
) -> None:
    with pytest.raises(InvalidInput) as refused, database.transaction() as session:
        add_label(session, entity_type, value, name, expires_at=None, by=ALICE, now=START)
    assert [(e.path, e.message) for e in refused.value.errors] == problems
    assert rows(database) == []


def test_good_names_at_the_limits(database: Database) -> None:
    label(database, "url", "u" * 2048, "a" + "b" * 127)
    label(database, "actor", "a_1", "policy:spam.bulk_2-x")
    assert len(rows(database)) == 2


def test_an_expiry_in_the_past_is_refused(database: Database) -> None:
    with pytest.raises(InvalidInput) as refused, database.transaction() as session:
        add_label(session, "actor", "a_1", "watch", expires_at=START, by=ALICE, now=START)
    assert [(e.path, e.message) for e in refused.value.errors] == [("expires_at", "must be later than now")]


def test_listing_filters_and_pages(database: Database) -> None:
    for n in range(5):
        label(database, "actor", f"a_{n}", "watch")
    label(database, "ip", "198.51.100.1", "watch")
    label(database, "actor", "a_0", "old", expires_in=timedelta(minutes=1))
    now = START + timedelta(minutes=10)
    with database.transaction() as session:
        assert len(list_labels(session, now=now)) == 6
        assert len(list_labels(session, now=now, include_expired=True)) == 7
        first = list_labels(session, now=now, entity_type="actor", label="watch", limit=3)
        second = list_labels(session, now=now, entity_type="actor", label="watch", limit=3, before=first[-1].id)
        by_value = list_labels(session, now=now, value="a_0", include_expired=True)
    assert [v.value for v in first + second] == ["a_4", "a_3", "a_2", "a_1", "a_0"]
    assert {(v.label, v.status) for v in by_value} == {("watch", LabelStatus.ACTIVE), ("old", LabelStatus.EXPIRED)}


def test_two_workers_adding_one_label_at_once_make_one_row(database: Database) -> None:
    """The first holds its transaction open; the second waits (an advisory lock on PostgreSQL, the write
    lock on SQLite), then finds the label active and extends it."""
    first_added = threading.Event()

    def second_worker() -> None:
        first_added.wait(10)
        with database.transaction() as session:
            add_label(session, "ip", "203.0.113.9", "spam-wave", expires_at=START + 2 * HOUR, by="user:bob", now=START)

    worker = threading.Thread(target=second_worker)
    worker.start()
    with database.transaction() as session:
        add_label(session, "ip", "203.0.113.9", "spam-wave", expires_at=START + HOUR, by=ALICE, now=START)
        first_added.set()
        worker.join(0.5)
        assert worker.is_alive()
    worker.join(30)
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(EntityLabel)) == 1
    [row] = rows(database)
    assert row.expires_at == START + 2 * HOUR
