"""`bastion quality calibration`: create, list, show, close; errors in Bastion's words."""

from __future__ import annotations

import json

from bastion.auth.users import principal_of
from bastion.clock import FrozenClock
from bastion.domain.access import Role
from bastion.quality.calibration import answer_items
from bastion.store.database import Database
from bastion.store.schema import User
from tests.cli.conftest import Bastion, run_bastion  # noqa: F401 - the fixture, shared with the CLI tests
from tests.conftest import make_user
from tests.quality.test_calibration import content


def test_create_list_show_close(
    run_bastion: Bastion,  # noqa: F811
    sqlite_database: Database,
    clock: FrozenClock,
) -> None:
    url = sqlite_database.url
    ids = content(sqlite_database, clock, 2)
    for name in ("ana", "bo"):
        make_user(sqlite_database, clock, name, Role.REVIEWER)
    bad = run_bastion("quality", "calibration", "create", "x", "--group", "team:a", "--item", "nope", url=url)
    assert bad.code == 2  # invalid input
    assert "group: 'team:a': write queue:NAME, vendor:NAME or users:NAME,NAME" in bad.err
    assert "items[0]: no content item 'nope'" in bad.err
    made = run_bastion(
        "quality",
        "calibration",
        "create",
        "Links",
        "--group",
        "users:ana,bo",
        "--item",
        ids[0],
        "--item",
        ids[1],
        url=url,
    )
    assert made.code == 0, made.err
    assert made.out == "exercise 1 Links: 2 items, 2 reviewers (ana, bo)\n"
    with sqlite_database.transaction() as session:
        for name, labels in (("ana", {1: "spam", 2: "none"}), ("bo", {1: "spam", 2: "spam"})):
            reviewer = principal_of(session.query(User).filter_by(name=name).one(), "session")
            answer_items(session, 1, reviewer, labels, now=clock())
    listed = json.loads(run_bastion("quality", "calibration", "list", "--format", "json", url=url).out)
    assert [(r["id"], r["status"], r["answered"]) for r in listed] == [(1, "open", 2)]
    shown = run_bastion("quality", "calibration", "show", "1", url=url)
    assert "1. cal-0: spam 2" in shown.out and "2. cal-1: none 1, spam 1" in shown.out
    assert "0.500 of pairs agree, over 2 items and 4 answers" in shown.out
    assert run_bastion("quality", "calibration", "close", "1", url=url).out == "exercise 1 closed\n"
    again = run_bastion("quality", "calibration", "close", "1", url=url)
    assert (again.code, again.err) == (1, "error: the exercise is already closed\n")
    whole = json.loads(run_bastion("quality", "calibration", "show", "1", "--json", url=url).out)
    assert whole["exercise"]["status"] == "closed" and whole["items"][0]["distribution"] == {"spam": 2}
    assert run_bastion("quality", "calibration", "show", "9", url=url).err == "error: no calibration exercise 9\n"
